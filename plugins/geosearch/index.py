"""Keeping the search index in step with the database, through the provider change outbox.

Where the index lives decides how its position in the outbox is kept. Meilisearch is one
index for every process: its position is the shared cursor ``search-index``. The embedded
engine is a copy in each server's memory: each server follows the outbox from the position
of its own last rebuild, and reports that position with a digest of its documents (a
``ChangeFollower``), which ``channel-expert search-check`` compares with the database.
Commands (``reindex``, ``search-check``) never move the shared cursor.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import msgspec

from directory.plugin_api import (
    PluginManager,
    Provider,
    Settings,
    after_urgent_writes,
    catalogue,
    clock,
    events,
    profiles,
)
from geo import Gazetteer, distance_km
from plugins.geosearch.areas import serving_filter
from plugins.geosearch.fields import FACETS, collect, index_settings
from plugins.geosearch.hits import Facts
from search import SearchBackend, create_backend

CONSUMER = "search-index"
POLL_INTERVAL_S = 0.5
# A server reports itself at least this often, even when nothing events.
REPORT_EVERY = timedelta(seconds=5)
BATCH = 100
logger = logging.getLogger("plugins.geosearch")
_encode = msgspec.json.Encoder(order="sorted").encode


def backend_for(settings: Settings) -> SearchBackend:
    """The engine the settings choose: embedded by default, Meilisearch when configured."""
    if settings.search_backend == "meilisearch":
        return create_backend("meilisearch", url=settings.meilisearch_url, api_key=settings.meilisearch_api_key,
                              index=settings.meilisearch_index, distance_km=distance_km)
    return create_backend("embedded")


class Digest:
    """A fingerprint of a set of documents, the same in every process that holds the same set.

    It is the XOR of each document's 64-bit hash, so a change updates it in constant time:
    XOR out the old document, XOR in the new one.
    """

    def __init__(self, documents: Iterable[dict[str, Any]] = ()) -> None:
        self._hashes: dict[str, int] = {}
        self._combined = 0
        self.put(documents)

    def put(self, documents: Iterable[dict[str, Any]]) -> None:
        """Add documents, or replace those with the same id."""
        for document in documents:
            new = int.from_bytes(hashlib.blake2b(_encode(document), digest_size=8).digest(), "big")
            self._combined ^= self._hashes.get(document["id"], 0) ^ new
            self._hashes[document["id"]] = new

    def remove(self, ids: Iterable[str]) -> None:
        for doc_id in ids:
            self._combined ^= self._hashes.pop(doc_id, 0)

    def __len__(self) -> int:
        return len(self._hashes)

    @property
    def value(self) -> str:
        return f"{self._combined:016x}"


class SearchIndex:
    """The providers' search index: documents built through hooks, fed from the outbox.

    ``cursor`` is the shared cursor that this index advances, or None: a server using a
    shared engine passes ``CONSUMER``; commands and in-memory indexes pass None.
    """

    # The "who comes on site here" filter, for plugins that ask this index (app.state.search) directly.
    serving = staticmethod(serving_filter)

    def __init__(self, backend: SearchBackend, manager: PluginManager, gazetteer: Gazetteer,
                 cursor: str | None = None, report_every: timedelta = REPORT_EVERY) -> None:
        self.backend = backend
        self.manager = manager
        self.fields = collect(manager)  # what other plugins add to the documents
        self.settings = index_settings(self.fields)
        self.facets = FACETS + tuple(f.name for f in self.fields if f.facet)
        self.filterable = tuple(f.name for f in self.fields if f.filterable)
        self.sorts = frozenset(f"{f.name}:{way}" for f in self.fields if f.sortable for way in ("asc", "desc"))
        self.returned = tuple(f.name for f in self.fields if f.returned)
        self.gazetteer = gazetteer
        self.cursor = cursor
        self.position = 0
        self.digest = Digest()  # of the documents this index holds, for operators' checks
        self.follower: events.Follower | None = None
        self._tasks: list[asyncio.Task] = []
        self._reporting = asyncio.Lock()  # the sync loop and the report loop both report
        self.report_every = report_every  # at least this often, a server says where it stands
        self.ready = False
        # Per provider, the facts of its hit (see ``plugins.geosearch.hits``).
        self.facts_of: dict[str, Facts] = {}

    async def build(self, providers: list[Provider]) -> list[dict[str, Any]]:
        """The search documents of ``providers``: an id, then whatever the plugins add, one
        provider at a time (``provider_document``) and for all at once (``provider_document_fields``)."""
        documents = []
        for provider in providers:
            document: dict[str, Any] = {"id": provider.slug}
            self.manager.call_isolated("provider_document", provider=provider, document=document)
            documents.append(document)
        if providers:
            for answer in await self.manager.acall_isolated("provider_document_fields", providers=providers):
                for document in documents:
                    document.update((answer or {}).get(document["id"], {}))
        return documents

    async def configure(self) -> None:
        await self.backend.configure(self.settings)

    async def open(self) -> None:
        """Configure the engine and bring it up to date (a full build if it is empty or in memory)."""
        await self.configure()
        if not self.backend.shared or not await self.backend.ids():
            await self.rebuild()
        else:
            self.position = await events.position(self.cursor) if self.cursor else 0
            await self.sync()

    async def documents(self) -> tuple[int, list[dict[str, Any]]]:
        """Every published provider's document, and the outbox position they reflect."""
        position = await events.latest()  # changes made meanwhile are applied again by ``sync``
        published = await profiles(self.gazetteer, state=catalogue.PUBLISHED)
        return position, await self.build(published)

    async def rebuild(self) -> int:
        """Rebuild from the database, then follow the outbox from there."""
        position, documents = await self.documents()
        digest = Digest(documents)
        await self.backend.rebuild(documents)
        self.digest = digest
        self.facts_of.clear()
        await self._reached(position)
        return len(documents)

    async def sync(self) -> int:
        """Apply the pending changes in order; returns how many providers were touched.

        Each batch is CPU work on the event loop: it waits while an urgent write runs (a quote
        request), as reads do, instead of slowing it down."""
        touched = 0
        while True:
            await after_urgent_writes()
            read, position = await events.since(self.position, BATCH, events.PROVIDER_EVENTS)
            if position == self.position:
                return touched
            slugs = list(dict.fromkeys(event.subject for event in read))
            published = await profiles(self.gazetteer, slugs, state=catalogue.PUBLISHED)
            documents = await self.build(published)
            await self.backend.upsert(documents)
            gone = set(slugs) - {document["id"] for document in documents}
            await self.backend.delete(sorted(gone))
            for slug in gone:
                self.facts_of.pop(slug, None)
            self.digest.remove(gone)
            self.digest.put(documents)
            await self._reached(position)  # only once the engine has them
            touched += len(slugs)

    async def _reached(self, position: int) -> None:
        self.position = position
        if self.cursor:
            await events.advance(self.cursor, position)

    async def check(self) -> tuple[list[str], list[str]]:
        """(published providers missing from the index, indexed ids gone from the database)."""
        published = {p.slug for p in await profiles(self.gazetteer, state=catalogue.PUBLISHED)}
        indexed = await self.backend.ids()
        return sorted(published - indexed), sorted(indexed - published)

    async def report(self) -> None:
        """Tell operators' checks where this in-memory copy stands (servers only)."""
        async with self._reporting:
            now = clock.now()
            if self.follower is None:
                self.follower = events.new_follower(CONSUMER, now)
            state = (self.position, len(self.digest), self.digest.value)
            if state == (self.follower.position, self.follower.documents, self.follower.digest) \
                    and now - self.follower.seen_at < self.report_every:
                return
            self.follower.position, self.follower.documents, self.follower.digest = state
            self.follower.seen_at = now
            await events.report(self.follower)

    async def start(self) -> None:
        """Open the index now if the engine answers, else keep trying in the background."""
        try:
            await self.open()
            self.ready = True
        except Exception:
            logger.exception("search index unavailable at start-up; retrying in the background")
        self._tasks.append(asyncio.create_task(self._follow(), name="search-index"))
        if not self.backend.shared:
            self._tasks.append(asyncio.create_task(self._keep_reporting(), name="search-index-report"))

    async def stop(self) -> None:
        # A report being written finishes first: cut short, its connection could keep SQLite's lock.
        async with self._reporting:
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.follower is not None:
            try:
                await events.forget(self.follower.instance)
            except Exception:  # noqa: BLE001 - the database may be away: the next period tries again
                logger.exception("could not remove this server from the search followers")
        await self.backend.close()

    async def _follow(self) -> None:
        """Apply outbox changes as they come, whichever process wrote them; retry after failures."""
        while True:
            try:
                if not self.ready:
                    await self.open()
                    self.ready = True
                await self.sync()
                if not self.backend.shared:
                    await self.report()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("search index sync failed; retrying")
            await asyncio.sleep(POLL_INTERVAL_S)

    async def _keep_reporting(self) -> None:
        """Report at least every ``report_every``, whatever the sync does: a server whose sync fails
        or hangs still says where it stands (behind the database), instead of falling silent."""
        while True:
            await asyncio.sleep(self.report_every.total_seconds())
            try:
                await self.report()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("could not report this server's search index; trying again", exc_info=True)
