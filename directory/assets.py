"""Static files: served with a cache lifetime, linked by fingerprinted URLs.

A page links ``static_url("/static/style.css")``, which is ``/static/style.css?v=<hash of
the file>``: such a URL never changes meaning, so browsers may keep it a year; the same
file asked for without ``v`` is revalidated each time. Plugins serve their files with
``static_files_router`` and link them with ``static_url`` the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from litestar import Router
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from directory.accounts.guards import PUBLIC

LONG_LIVED = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
_MOUNT = "static_mount"


def _cache_lifetime(app: ASGIApp) -> ASGIApp:
    """Middleware: a year for fingerprinted URLs, revalidation for the others."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        value = LONG_LIVED if b"v=" in scope.get("query_string", b"") else REVALIDATE

        async def send_with_lifetime(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                message["headers"] = [*message.get("headers", []), (b"cache-control", value)]
            await send(message)

        await app(scope, receive, send_with_lifetime)

    return middleware


def static_files_router(path: str, directory: Path, name: str = "static") -> Router:
    """A router serving ``directory`` under ``path``, whose files ``static_url`` can fingerprint."""
    return create_static_files_router(path=path, directories=[directory], name=name, include_in_schema=False,
                                      middleware=[_cache_lifetime],
                                      opt={_MOUNT: (path.rstrip("/"), directory), **PUBLIC})


def url_maker(handlers: Iterable[Any]) -> Callable[[str], str]:
    """The ``static_url`` function for an app made of ``handlers`` (its static routers' files)."""
    mounts = sorted((handler.opt[_MOUNT] for handler in handlers
                     if isinstance(handler, Router) and _MOUNT in handler.opt), key=lambda m: -len(m[0]))

    @lru_cache(maxsize=1024)  # the files do not change while the app runs
    def static_url(url: str) -> str:
        for prefix, directory in mounts:
            if url.startswith(prefix + "/"):
                file = directory / url[len(prefix) + 1:]
                if file.is_file():
                    return f"{url}?v={hashlib.sha256(file.read_bytes()).hexdigest()[:12]}"
        return url

    return static_url
