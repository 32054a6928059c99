"""What every request goes through before routing, and every response on its way out.

Litestar's middleware runs once a route is found, so whatever must also hold for a 404,
a 405 or a path that cannot be routed lives here, around the whole app: a request id on
every response and in every log line, ``HEAD`` wherever ``GET`` is served, security
headers, refusing paths with control characters, and one access log line per request.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

import msgspec
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from directory.problems import FRENCH_DETAILS, PROBLEM_MEDIA_TYPE, REQUEST_ID_KEY
from directory.redaction import loggable_path
from directory.schemas import Problem
from directory.security import SecurityHeaders

REQUEST_ID_HEADER = b"x-request-id"
# An incoming request id (from a proxy) is kept when it looks like one; else a new one is made.
_INCOMING_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")
_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")
# What a terminal or a log viewer may take for a line break, a colour or a change of direction.
_UNSAFE_IN_LOG = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
access_logger = logging.getLogger("directory.access")


class Edges:
    """Wrap an ASGI app with the behaviour every HTTP request gets (see the module docstring)."""

    def __init__(self, app: ASGIApp, access_log: bool, security: SecurityHeaders) -> None:
        self.app = app
        self.access_log = access_log
        self.security = security

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(REQUEST_ID_HEADER, b"")
        rid = incoming.decode() if _INCOMING_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})[REQUEST_ID_KEY] = rid
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
                headers = list(message.get("headers") or [])
                present = {name.lower() for name, _ in headers}
                message["headers"] = headers + [pair for pair in added if pair[0] not in present]
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        try:
            if _CONTROL_IN_PATH.search(scope["path"]):
                await _not_found(scope, send_at_edge, rid)
            else:
                await self.app(scope, receive, send_at_edge)
        finally:
            if self.access_log:
                client = (scope.get("client") or ("-", 0))[0]
                query = scope.get("query_string", b"").decode("latin-1")
                access_logger.info('%s "%s %s%s" %d %.1f ms %s', client, "HEAD" if head else scope["method"],
                                   loggable_path(scope["path"]), f"?{query}" if query else "", status,
                                   (time.perf_counter() - started) * 1000, rid)


async def _not_found(scope: Scope, send: Send, rid: str) -> None:
    """A 404 problem for a path no route can match (one with a NUL or another control character)."""
    body = msgspec.json.encode(Problem(type="about:blank", title="Not Found", status=404, detail=FRENCH_DETAILS[404],
                                       request_id=rid))
    await send({"type": "http.response.start", "status": 404,
                "headers": [(b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class EscapingFormatter(logging.Formatter):
    """A log formatter that writes control characters escaped, so no input can forge a log line."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = _UNSAFE_IN_LOG.sub(lambda match: match[0].encode("unicode_escape").decode(), record.message)
        return super().formatMessage(record)
