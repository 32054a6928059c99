"""Conditional GET: each response that can be revalidated carries an ``ETag``, and a client that
already holds it gets ``304 Not Modified`` instead of the page again.

The tag is a digest of the bytes sent (after compression: each encoding is its own
representation), so it is true whichever server answers and whatever changed the page (a
provider's edit, a badge, a plugin's section): nothing to invalidate. It saves the transfer and
the client's work, not the rendering, which the caches in front of it are for. Responses that set
a cookie, say ``no-store`` or already carry a validator (static files) pass as they are, and so do
streamed ones (exports). Responses without a ``Cache-Control`` get ``no-cache``: a browser keeps
them and asks again each time, so a change shows at once; those to a signed-in person (a session
cookie, an API token) get ``private, no-cache``, which no shared cache keeps.
"""

from __future__ import annotations

import hashlib

from litestar.types import ASGIApp, Message, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD"})
_DROPPED_FROM_304 = frozenset({b"content-length", b"content-type", b"content-encoding"})


def etag_of(body: bytes) -> bytes:
    return b'"' + hashlib.blake2b(body, digest_size=16).hexdigest().encode() + b'"'


def held(if_none_match: bytes, tag: bytes) -> bool:
    """Whether an ``If-None-Match`` value names ``tag`` (the weak comparison RFC 9110 asks for)."""
    for candidate in if_none_match.split(b","):
        candidate = candidate.strip().removeprefix(b"W/")
        if candidate in (tag, b"*"):
            return True
    return False


def _revalidatable(start: Message) -> bool:
    if start["status"] != 200:
        return False
    for name, value in start.get("headers", ()):
        if name in (b"set-cookie", b"etag") or name == b"cache-control" and b"no-store" in value:
            return False
    return True


class ConditionalGet:
    """An ASGI layer adding ``ETag`` to revalidatable GET responses and answering 304 (see above)."""

    def __init__(self, app: ASGIApp, session_cookie: str) -> None:
        self.app = app
        self.session_cookie = session_cookie.encode() + b"="

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        asked, personal = b"", False
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                asked = value
            elif name == b"authorization" or name == b"cookie" and self.session_cookie in value:
                personal = True
        cache_control = b"private, no-cache" if personal else b"no-cache"
        waiting: Message | None = None  # a start held back until the body shows it is whole

        async def tagging(message: Message) -> None:
            nonlocal waiting
            if message["type"] == "http.response.start":
                if _revalidatable(message):
                    waiting = message
                    return
                await send(message)
                return
            if waiting is None or message["type"] != "http.response.body":
                await send(message)
                return
            start, waiting = waiting, None
            if message.get("more_body", False):  # streamed: passed on as it comes
                await send(start)
                await send(message)
                return
            tag = etag_of(message.get("body", b""))
            headers = [*start.get("headers", ()), (b"etag", tag)]
            if not any(name == b"cache-control" for name, _ in headers):
                headers.append((b"cache-control", cache_control))
            if asked and held(asked, tag):
                await send({**start, "status": 304,
                            "headers": [(name, value) for name, value in headers if name not in _DROPPED_FROM_304]})
                await send({"type": "http.response.body", "body": b""})
                return
            await send({**start, "headers": headers})
            await send(message)

        await self.app(scope, receive, tagging)
