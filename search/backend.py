"""The one interface every search engine implements."""

from __future__ import annotations

import abc
from collections.abc import Iterable, Sequence
from typing import Any

from search.model import IndexSettings, SearchQuery, SearchResult


class SearchBackend(abc.ABC):
    """An index of documents (dicts with an ``id``, and ``_geo`` = {"lat", "lng"} to be placed).

    Writes are synchronous from the caller's point of view: when a method returns, the change
    is searchable, or an exception says why it is not.
    """

    name: str
    # Whether every process that opens this engine sees the same index (a server such as
    # Meilisearch) or each holds its own copy (the embedded engine, in the process's memory).
    shared: bool

    @abc.abstractmethod
    async def configure(self, settings: IndexSettings) -> None:
        """Create the index if needed and apply ``settings``."""

    @abc.abstractmethod
    async def upsert(self, documents: list[dict[str, Any]]) -> None:
        """Add documents, or replace those with the same id."""

    @abc.abstractmethod
    async def delete(self, ids: list[str]) -> None:
        """Remove documents by id (unknown ids are ignored)."""

    @abc.abstractmethod
    async def rebuild(self, documents: Iterable[dict[str, Any]]) -> None:
        """Replace the whole content with ``documents``, with no moment where searches see less."""

    @abc.abstractmethod
    async def search(self, query: SearchQuery) -> SearchResult:
        """Run ``query``; with a point, every hit of a document with ``_geo`` has its ``distance_km``."""

    async def search_many(self, queries: Sequence[SearchQuery]) -> list[SearchResult]:
        """Run ``queries``, answers in the same order. An engine may share work between queries
        that differ only by filter, facets and page, or send them in one request."""
        return [await self.search(query) for query in queries]

    @abc.abstractmethod
    async def ids(self) -> set[str]:
        """Every document id in the index (to compare with the database)."""

    @abc.abstractmethod
    async def health(self) -> dict[str, Any]:
        """Details about the engine; raises when it is unusable."""

    async def close(self) -> None:
        """Release connections."""
