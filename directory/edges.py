"""What every request goes through before routing, and every response on its way out.

Litestar's middleware runs once a route is found, so whatever must also hold for a 404,
a 405 or a path that cannot be routed lives here, around the whole app: a request id on
every response and in every log line, ``HEAD`` wherever ``GET`` is served, security
headers, refusing paths that name nothing (a control character, a number past any id) and
malformed input (see ``directory.request_checks``) before any route, rate limit or database
sees it, and one access log line per request, its secrets masked (``directory.redaction``).
"""
from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable
from http import HTTPStatus

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from directory.logs import REQUEST_ID
from directory.problems import FRENCH_DETAILS, PROBLEM_MEDIA_TYPE, REQUEST_ID_KEY, wants_html
from directory.redaction import Redaction
from directory.request_checks import body_refusal, path_names_nothing, query_refusal
from directory.schemas import Problem
from directory.security import SecurityHeaders

REQUEST_ID_HEADER = b"x-request-id"
# An incoming request id (from a proxy) is kept when it looks like one; else a new one is made.
_INCOMING_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
access_logger = logging.getLogger("directory.access")


class Edges:
    """Wrap an ASGI app with the behaviour every HTTP request gets (see the module docstring)."""

    def __init__(self, app: ASGIApp, access_log: bool, security: SecurityHeaders, redaction: Redaction,
                 error_page: Callable[[Problem], str], max_body_bytes: int,
                 observe: Callable[[str | None, str, int, float], None] | None = None) -> None:
        """``error_page`` renders a refusal for people; ``max_body_bytes`` is the most any route accepts;
        ``observe`` counts each answer (route template or None, method, status, seconds)."""
        self.app = app
        self.access_log = access_log
        self.security = security
        self.redaction = redaction
        self.error_page = error_page
        self.max_body_bytes = max_body_bytes
        self.observe = observe

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        incoming = headers.get(REQUEST_ID_HEADER, b"")
        rid = incoming.decode() if _INCOMING_ID.match(incoming) else os.urandom(16).hex()  # random as uuid4
        scope.setdefault("state", {})[REQUEST_ID_KEY] = rid
        request_logs = REQUEST_ID.set(rid)  # every line written for this request carries it
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}  # answered as GET, without the body
        added = [*self.security.for_response(scope["path"], scope.get("scheme") == "https"),
                 (REQUEST_ID_HEADER, rid.encode())]
        started = time.perf_counter()
        status = 0

        async def send_at_edge(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                answered = list(message.get("headers") or [])
                present = {name.lower() for name, _ in answered}
                message["headers"] = answered + [pair for pair in added if pair[0] not in present]
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            receive, refusal = await self._screen(scope, headers, receive)
            if refusal:
                await self._refuse(scope, headers, send_at_edge, *refusal)
            else:
                await self.app(scope, receive, send_at_edge)
        finally:
            seconds = time.perf_counter() - started
            if self.observe is not None:  # Litestar names the route it chose in the scope
                self.observe(scope.get("path_template"), "HEAD" if head else scope["method"], status, seconds)
            # Masking costs a few microseconds: only for a line that is written.
            if self.access_log and access_logger.isEnabledFor(logging.INFO):
                self._log(scope, "HEAD" if head else scope["method"], status, seconds * 1000, rid)
            REQUEST_ID.reset(request_logs)

    def _log(self, scope: Scope, method: str, status: int, duration_ms: float, rid: str) -> None:
        """The access log's line, secrets masked: as text, and as fields for the JSON format."""
        client = (scope.get("client") or ("-", 0))[0]
        path, query = self.redaction.path(scope["path"]), scope.get("query_string", b"")
        target = f"{path}?{self.redaction.query(query)}" if query else path
        fields = {"client": client, "method": method, "target": target, "status": status,
                  "duration_ms": round(duration_ms, 1)}
        access_logger.info('%s "%s %s" %d %.1f ms %s', client, method, target, status, duration_ms, rid,
                           extra={"http": fields, "request_id": rid})

    async def _screen(self, scope: Scope, headers: dict[bytes, bytes],
                      receive: Receive) -> tuple[Receive, tuple[int, str] | None]:
        """The channel the app reads the request from, and why the request is refused (status, detail), if it is.

        A path with a control character or a number larger than any id names nothing (404); a
        query string or a body that no route could read safely is a 400. Only requests with a
        query string or a body pay for those.
        """
        if path_names_nothing(scope["path"]):
            return receive, (404, FRENCH_DETAILS[404])
        query = scope.get("query_string", b"")
        if query and (why := query_refusal(query)):
            return receive, (400, why)
        if scope["method"] not in UNSAFE_METHODS:
            return receive, None
        body = await _read_body(receive, self.max_body_bytes)
        if body is None:
            return receive, (413, FRENCH_DETAILS[413])
        why = body_refusal(body, headers.get(b"content-type", b""))
        return _replay(body, receive), ((400, why) if why else None)

    async def _refuse(self, scope: Scope, headers: dict[bytes, bytes], send: Send, status: int, detail: str) -> None:
        """Answer a refusal as a French page for people, as problem details for programs."""
        problem = Problem(type="about:blank", title=HTTPStatus(status).phrase, status=status, detail=detail,
                          request_id=scope["state"][REQUEST_ID_KEY])
        if wants_html(scope["path"], headers.get(b"accept", b"").decode("latin-1")):
            body, media_type = self.error_page(problem).encode(), b"text/html; charset=utf-8"
        else:
            body, media_type = msgspec.json.encode(problem), PROBLEM_MEDIA_TYPE.encode()
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", media_type), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole request body, or None past ``limit`` bytes (more than any route accepts)."""
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":  # the client left: what came is all there is
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that gives the app the body already read, then what the client sends next."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed

