"""The embedded search engine: in memory, no service, Meilisearch's behaviour at directory scale.

The data lives in ``search.memory_index``; a query runs over it as ``search.embedded_query``
says. This module keeps the index up to date and hands each query the index of the moment.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from search.backend import SearchBackend
from search.embedded_query import QueryRun
from search.memory_index import MemoryIndex, build_index
from search.model import IndexSettings, SearchError, SearchQuery, SearchResult


class EmbeddedBackend(SearchBackend):
    """The default engine: nothing to install, everything in this process."""

    name = "embedded"
    shared = False

    def __init__(self) -> None:
        self._index: MemoryIndex | None = None
        # Changes wait for a compaction under way: it copies the index as it was when it began.
        self._changing = asyncio.Lock()

    @property
    def index(self) -> MemoryIndex:
        if self._index is None:
            raise SearchError("index not configured: call configure() first")
        return self._index

    async def configure(self, settings: IndexSettings) -> None:
        if self._index is None or self._index.settings != settings:
            documents = self._live_documents() if self._index else []
            self._index = await asyncio.to_thread(build_index, settings, documents)

    async def upsert(self, documents: list[dict[str, Any]]) -> None:
        async with self._changing:
            index = self.index
            for document in documents:
                index.add(document)
            await self._compact_if_needed()

    async def delete(self, ids: list[str]) -> None:
        async with self._changing:
            for doc_id in ids:
                self.index.remove(str(doc_id))
            await self._compact_if_needed()

    async def rebuild(self, documents: Iterable[dict[str, Any]]) -> None:
        # Built aside, then swapped in one assignment: searches never see a partial index.
        async with self._changing:
            self._index = await asyncio.to_thread(build_index, self.index.settings, list(documents))

    async def ids(self) -> set[str]:
        return set(self.index.slot_of)

    async def health(self) -> dict[str, Any]:
        index = self.index
        return {"engine": self.name, "documents": len(index.slot_of), "dead_slots": index.dead}

    async def search(self, query: SearchQuery) -> SearchResult:
        return QueryRun(self.index, query).run()

    def _live_documents(self) -> list[dict[str, Any]]:
        """The documents of live slots: a replaced one keeps its slot's document, dead."""
        index = self.index
        return [index.docs[slot] for slot in sorted(index.slot_of.values())]

    async def _compact_if_needed(self) -> None:
        """Once dead slots outnumber live ones, build the index again without them: aside, in a
        thread, as a rebuild is. On the event loop it stalled every request for seconds."""
        index = self.index
        if index.dead > max(1000, len(index.slot_of)):
            self._index = await asyncio.to_thread(build_index, index.settings, self._live_documents())


