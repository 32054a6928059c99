"""Public pages and API reads from memory, kept true by the event outbox.

The pages most people land on (the home page, a provider's page, the first page of a listing)
and the API's reads change only when a provider does, and every such change is an event in the
outbox (a profile saved or erased, a badge awarded or expired, an import). Each server keeps the
answers of the routes marked ``CACHED`` for visitors without a session or a token, and forgets
them all as soon as it sees a newer event: it looks every ``POLL_S`` seconds, so a change reaches
every server's pages within that delay (the freshness goal is 2 s). The server that writes the
change forgets at once (``events.record`` calls ``forget``) and keeps nothing until its next look:
whoever made a change, from a page, a job or a test, sees it on the next page. An answer computed
while an event arrived is not kept: it may predate the change.

What is kept is the answer as the app sent it, compressed for one ``Accept-Encoding`` choice,
before the edge adds its per-request headers (request id, security headers) and writes the
access log: nothing that protects people is skipped. A first visit's CSRF cookie is left out of
the kept copy (a route marked ``CACHED`` holds no form, so its page does not carry the token; the
first form a visitor opens sets the cookie). Answers that set any other cookie, say ``no-store``
or ``private``, are not 200, or were built while a plugin failed (a page without its section)
are never kept. At most
``MOST_ENTRIES`` answers of at most ``LARGEST_BODY`` bytes each are kept, least recently used out
first, so crawling every query string costs memory once, not without bound.

An answer may rest on a copy of database state that a plugin keeps in memory and that follows
the outbox on its own (a search index, a lexicon): the plugin tells the cache how far that copy
has read (``follows_outbox``), and an answer begun while a copy lagged behind the cache is not
kept, or it would outlive the change. Plugins that learn from what people are shown (searches
counted, searches that found nothing) must see every answer, those from memory included: the
route hands the cache what to call (``observe_each_answer``), called at once and again with the
request of each visitor served the kept copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from litestar import Litestar, Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from directory.accounts.guards import declared
from directory.plugin_faults import PluginFaults

CACHED = {"cached": True}  # the ``opt`` of a route whose public answers may be kept
KEPT_AS = "directory.page_cache"  # the app's cache, among what its platform keeps
KEPT_STATE = "page_cache"  # the same cache, in the app's state
POLL_S = 0.5
MOST_ENTRIES = 2_000
LARGEST_BODY = 512 * 1024
log = logging.getLogger(__name__)

NOTES = "directory.page_cache.notes"  # where a route being built leaves its notes, in the ASGI scope

Key = tuple[str, bytes, str]
Observer = Callable[[Request], None]


@dataclass(frozen=True)
class Kept:
    start: Message
    body: bytes
    observers: tuple[Observer, ...] = ()


@dataclass
class _Notes:
    """Who observes the answer being built (see ``observe_each_answer``)."""

    observers: list[Observer] = field(default_factory=list)


def observe_each_answer(request: Request, observe: Observer) -> None:
    """Call ``observe(request)`` for this answer, and again with the request of each visitor
    served it from memory: a plain, quick function (it runs on the request's path)."""
    observe(request)
    if (notes := request.scope.get(NOTES)) is not None:  # type: ignore[call-overload] - the cache's own key
        notes.observers.append(observe)


def follows_outbox(app: Litestar, reached: Callable[[], int]) -> None:
    """Say that ``app`` holds a copy of database state that follows the event outbox, and
    ``reached()`` how far it has read (-1 while it is not ready): answers are kept only once every
    such copy has read as far as the cache."""
    app.state[KEPT_STATE].copies.append(reached)


class PageCache:
    """One app's kept answers, valid for one position of the event outbox."""

    def __init__(self) -> None:
        self.position: int | None = None  # unknown until the first look: nothing is kept
        self._kept: OrderedDict[Key, Kept] = OrderedDict()
        self.copies: list[Callable[[], int]] = []  # how far each copy in memory has read the outbox

    def get(self, key: Key) -> Kept | None:
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
        return kept

    def keep(self, key: Key, kept: Kept) -> None:
        self._kept[key] = kept
        while len(self._kept) > MOST_ENTRIES:
            self._kept.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)

    def lagging(self, position: int) -> bool:
        """Whether a copy in memory has not read the outbox up to ``position`` yet."""
        return any(reached() < position for reached in self.copies)

    def forget(self) -> None:
        """An event is being recorded here: keep nothing until the next look at the outbox."""
        self._kept.clear()
        self.position = None

    def seen(self, position: int) -> None:
        """The outbox is at ``position``: what was kept for another one is forgotten."""
        if position != self.position:
            self._kept.clear()
            self.position = position

    async def follow(self, latest: Callable[[], Awaitable[int]], stop: asyncio.Event) -> None:
        """Look at the outbox (``latest``: its position) every ``POLL_S`` seconds until ``stop``; a
        failed look forgets everything."""
        while not stop.is_set():
            try:
                self.seen(await latest())
            except Exception:  # noqa: BLE001 - a database outage: serve from the app until it is back
                log.warning("the page cache cannot read the event outbox: pages are built again meanwhile",
                            exc_info=True)
                self.forget()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), POLL_S)


def _encoding(accepted: bytes) -> str:
    """The representation the compression middleware picks for an ``Accept-Encoding`` value."""
    return "br" if b"br" in accepted else "gzip" if b"gzip" in accepted else ""


def _kept_copy(scope: Scope, start: Message, csrf_cookie: bytes) -> Message | None:
    """What to keep of an answer's start (without a first visit's CSRF cookie), or None."""
    handler = scope.get("route_handler")
    if start["status"] != 200 or handler is None or not handler.opt.get("cached") or declared(handler) != "public":
        return None
    headers = []
    for name, value in start["headers"]:
        if name == b"set-cookie" and value.startswith(csrf_cookie):
            continue
        if name == b"set-cookie" or name == b"cache-control" and (b"no-store" in value or b"private" in value):
            return None
        headers.append((name, value))
    return {**start, "headers": headers}


class CachedReads:
    """An ASGI layer answering public GETs of ``CACHED`` routes from ``cache`` (see above)."""

    def __init__(self, app: ASGIApp, cache: PageCache, session_cookie: str, csrf_cookie: str,
                 faults: PluginFaults) -> None:
        self.app = app
        self.cache = cache
        self.session_cookie = session_cookie.encode() + b"="
        self.csrf_cookie = csrf_cookie.encode() + b"="
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        position = self.cache.position
        if scope["type"] != "http" or scope["method"] != "GET" or position is None:
            await self.app(scope, receive, send)
            return
        accepted = b""
        for name, value in scope["headers"]:
            if name == b"authorization" or name == b"cookie" and self.session_cookie in value:
                await self.app(scope, receive, send)  # a person's own view: never shared
                return
            if name == b"accept-encoding":
                accepted = value
        key = (scope["path"], scope["query_string"], _encoding(accepted))
        kept = self.cache.get(key)
        if kept is not None:
            if kept.observers:
                request = Request(scope)
                for observe in kept.observers:
                    observe(request)
            await send({**kept.start, "headers": list(kept.start["headers"])})  # the edge adds to its own copy
            await send({"type": "http.response.body", "body": kept.body, "more_body": False})
            return
        if self.cache.lagging(position):
            await self.app(scope, receive, send)  # built from what is about to change: not kept
            return
        start: Message | None = None
        chunks: list[bytes] = []
        size, failures = 0, self.faults.failures

        async def capture(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                start = {**message, "headers": list(message.get("headers", ()))}  # before the edge adds to it
            elif message["type"] == "http.response.body" and size <= LARGEST_BODY:
                chunks.append(message.get("body", b""))
                size += len(chunks[-1])
            await send(message)

        notes = scope[NOTES] = _Notes()  # type: ignore[typeddict-unknown-key] - the cache's own key
        await self.app(scope, receive, capture)
        if start is None or size > LARGEST_BODY or self.cache.position != position or self.faults.failures != failures:
            return
        if (copy := _kept_copy(scope, start, self.csrf_cookie)) is not None:
            self.cache.keep(key, Kept(copy, b"".join(chunks), tuple(notes.observers)))
