"""Keeping the search index in step with the database, through the provider change outbox."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pluggy

from directory import catalogue, changes, providers
from directory.schemas import Provider
from directory.settings import Settings
from geo import Gazetteer, distance_km
from search import SearchBackend, create_backend

from plugins.geosearch.documents import INDEX_SETTINGS
from plugins.geosearch.schemas import SearchHit

CONSUMER = "search-index"
POLL_INTERVAL_S = 0.5
BATCH = 500
logger = logging.getLogger("plugins.geosearch")


def backend_for(settings: Settings) -> SearchBackend:
    """The engine the settings choose: embedded by default, Meilisearch when configured."""
    if settings.search_backend == "meilisearch":
        return create_backend("meilisearch", url=settings.meilisearch_url, api_key=settings.meilisearch_api_key,
                              index=settings.meilisearch_index, distance_km=distance_km)
    return create_backend("embedded")


class SearchIndex:
    """The providers' search index: documents built through hooks, fed from the outbox."""

    def __init__(self, backend: SearchBackend, manager: pluggy.PluginManager, gazetteer: Gazetteer) -> None:
        self.backend = backend
        self.manager = manager
        self.gazetteer = gazetteer
        self._task: asyncio.Task | None = None
        self.ready = False
        # Per provider, its document as the engine returned it and the hit shown for it:
        # rebuilt when the engine returns another document object (the profile changed).
        self.shown: dict[str, tuple[dict[str, Any], SearchHit]] = {}

    def document(self, provider: Provider) -> dict[str, Any]:
        """The search document of a provider: an id, then whatever the plugins add."""
        document: dict[str, Any] = {"id": provider.slug}
        self.manager.hook.provider_document(provider=provider, document=document)
        return document

    async def configure(self) -> None:
        await self.backend.configure(INDEX_SETTINGS)

    async def open(self) -> None:
        """Configure the engine and bring it up to date (a full build if it is empty or in memory)."""
        await self.configure()
        if self.backend.name == "embedded" or not await self.backend.ids():
            await self.rebuild()
        else:
            await self.sync()

    async def rebuild(self) -> int:
        """Rebuild from the database; changes made meanwhile are applied by the next ``sync``."""
        position = await changes.latest()
        published = await providers.profiles(self.gazetteer, state=catalogue.PUBLISHED)
        await self.backend.rebuild(self.document(provider) for provider in published)
        self.shown.clear()
        await changes.advance(CONSUMER, position)
        return len(published)

    async def sync(self) -> int:
        """Apply the pending changes in order; returns how many providers were touched."""
        touched = 0
        while True:
            slugs, position = await changes.pending(CONSUMER, BATCH)
            if not slugs:
                return touched
            published = await providers.profiles(self.gazetteer, slugs, state=catalogue.PUBLISHED)
            await self.backend.upsert([self.document(provider) for provider in published])
            gone = set(slugs) - {provider.slug for provider in published}
            await self.backend.delete(sorted(gone))
            for slug in gone:
                self.shown.pop(slug, None)
            await changes.advance(CONSUMER, position)  # only once the engine has them
            touched += len(slugs)

    async def check(self) -> tuple[list[str], list[str]]:
        """(published providers missing from the index, indexed ids gone from the database)."""
        published = {p.slug for p in await providers.profiles(self.gazetteer, state=catalogue.PUBLISHED)}
        indexed = await self.backend.ids()
        return sorted(published - indexed), sorted(indexed - published)

    async def start(self) -> None:
        """Open the index now if the engine answers, else keep trying in the background."""
        try:
            await self.open()
            self.ready = True
        except Exception:
            logger.exception("search index unavailable at start-up; retrying in the background")
        self._task = asyncio.create_task(self._follow(), name="search-index")

    async def stop(self) -> None:
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.backend.close()

    async def _follow(self) -> None:
        """Apply outbox changes as they come, whichever process wrote them; retry after failures."""
        while True:
            try:
                if not self.ready:
                    await self.open()
                    self.ready = True
                await self.sync()
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("search index sync failed; retrying")
            await asyncio.sleep(POLL_INTERVAL_S)
