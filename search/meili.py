"""The Meilisearch backend, through the official ``meilisearch`` client.

The translation to Meilisearch's API (settings, filters, search parameters, results) is pure
functions, unit-tested without a server. Every write is a task that is waited for and
checked: a failed task raises ``SearchError``. Client calls block, so they run in a thread.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

import meilisearch
import msgspec
from meilisearch.errors import MeilisearchError

from search.backend import SearchBackend
from search.filters import REACH_FIELD, And, Eq, Filter, In, Not, Or, Reaches, fields
from search.model import Hit, IndexSettings, SearchError, SearchQuery, SearchResult, field_sort
from search.text import content_words

BATCH = 1000
TASK_TIMEOUT_MS = 60_000


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # double quotes, with " and \ escaped


def filter_expression(node: Filter, reaches: Sequence[float] = ()) -> str:
    """A filter in Meilisearch's filter syntax; ``reaches`` are the distinct ``_reach_km`` values indexed.

    Meilisearch's ``_geoRadius`` takes one radius per filter, not a field of each document.
    ``Reaches`` becomes one exact clause per distinct reach in the index: documents of that
    reach within that distance. The cost grows with the number of distinct reaches (a few
    dozen in practice: people choose round figures), not with the number of documents.
    """
    if isinstance(node, Eq):
        return f"{node.field} = {_literal(node.value)}"
    if isinstance(node, In):
        return f"{node.field} IN [{', '.join(_literal(v) for v in node.values)}]"
    if isinstance(node, Reaches):
        if not reaches:
            return f"{REACH_FIELD} < 0"  # no document has a reach: nothing can match
        return " OR ".join(f"({REACH_FIELD} = {_literal(reach)} AND _geoRadius({node.lat}, {node.lon}, "
                           f"{round(reach * 1000)}))" for reach in sorted(reaches))
    if isinstance(node, Not):
        return f"NOT ({filter_expression(node.item, reaches)})"
    if isinstance(node, (And, Or)):
        joiner = " AND " if isinstance(node, And) else " OR "
        return joiner.join(f"({filter_expression(item, reaches)})" for item in node.items)
    raise TypeError(f"not a filter: {node!r}")


def reach_values(facet_distribution: dict[str, dict[str, int]]) -> list[float]:
    """The distinct reaches an index holds, from a facet distribution of ``_reach_km``."""
    values = []
    for text in facet_distribution.get(REACH_FIELD, {}):
        number = float(text)
        values.append(int(number) if number.is_integer() else number)
    return sorted(values)


def settings_payload(settings: IndexSettings) -> dict[str, Any]:
    """Meilisearch index settings equivalent to ``settings``.

    "sort" (the distance, when a search has a point) comes after "words" and "typo", as
    Meilisearch advises for geosearch: a close good match beats a far equally good one.
    """
    ranking = ["words", "typo", "sort", "proximity", "attribute", "exactness"]
    ranking += [f"{field}:{'desc' if descending else 'asc'}" for field, descending in settings.custom_ranking]
    return {
        "searchableAttributes": list(settings.searchable),
        "filterableAttributes": sorted(set(settings.filterable) | set(settings.facets) | {"_geo"}),
        "sortableAttributes": sorted(set(settings.sortable) | {"_geo"}),
        "rankingRules": ranking,
        "synonyms": {phrase: list(equivalents) for phrase, equivalents in settings.synonyms.items()},
        "stopWords": sorted(settings.stop_words),
        "typoTolerance": {"enabled": True, "minWordSizeForTypos": {"oneTypo": 5, "twoTypos": 9}},
        "faceting": {"maxValuesPerFacet": 1000},  # every distinct reach (see filter_expression)
        "pagination": {"maxTotalHits": 100_000},
    }


def search_parameters(query: SearchQuery, reaches: Sequence[float] = ()) -> dict[str, Any]:
    """The body of a Meilisearch search for ``query`` (without ``q``); see ``filter_expression`` for ``reaches``."""
    filters = []
    if query.filter is not None:
        filters.append(filter_expression(query.filter, reaches))
    if query.near is not None and query.radius_km is not None:
        filters.append(f"_geoRadius({query.near.lat}, {query.near.lon}, {round(query.radius_km * 1000)})")
    params: dict[str, Any] = {}
    if filters:
        params["filter"] = " AND ".join(f"({f})" for f in filters) if len(filters) > 1 else filters[0]
    if query.facets:
        params["facets"] = list(query.facets)
    by_field = field_sort(query.sort)
    if by_field is not None:
        field, descending = by_field
        params["sort"] = [f"{field}:{'desc' if descending else 'asc'}"]
    if query.near is not None:
        params.setdefault("sort", []).append(f"_geoPoint({query.near.lat}, {query.near.lon}):asc")
        if query.sort == "distance":
            params["matchingStrategy"] = "all"  # nearest first among the documents that match every word
    if query.matching != "last" and "matchingStrategy" not in params:
        params["matchingStrategy"] = query.matching
    if query.limit and query.offset % query.limit == 0:
        params["hitsPerPage"] = query.limit
        params["page"] = query.offset // query.limit + 1  # pages give an exact total
    else:
        params["offset"], params["limit"] = query.offset, query.limit
    return params


def counted_words(query: SearchQuery, stop_words: frozenset[str]) -> list[str]:
    """The words of a "frequency" query whose document counts decide which to keep (none for other queries)."""
    words = content_words(query.text, stop_words) if query.matching == "frequency" else []
    return words if len(words) > 1 else []


def without_unmatched(query: SearchQuery, words: Sequence[str], counts: Sequence[int]) -> SearchQuery | None:
    """``query`` without the words that match no document, or None when none is left.

    Meilisearch's "frequency" strategy keeps the rarest word to the end, even one that matches
    nothing; the engines' contract leaves such words out first (see ``SearchQuery.matching``).
    """
    if not words:
        return query
    kept = [word for word, count in zip(words, counts) if count]
    if not kept:
        return None
    return msgspec.structs.replace(query, text=" ".join(kept)) if len(kept) < len(words) else query


def multi_search_queries(index: str, queries: Sequence[SearchQuery], reaches: Sequence[float] = ()) -> list[dict]:
    """The ``queries`` of a Meilisearch multi-search request, each in ``index``."""
    return [{"indexUid": index, "q": query.text, **search_parameters(query, reaches)} for query in queries]


def parse_result(answer: dict[str, Any], query: SearchQuery, distance_km=None) -> SearchResult:
    """Hits, total and facet counts from a Meilisearch answer.

    ``distance_km(lat, lon, doc_lat, doc_lon)`` fills ``distance_km`` when Meilisearch did
    not (it only returns ``_geoDistance`` when sorting by distance).
    """
    hits = []
    for raw in answer.get("hits", []):
        document = {k: v for k, v in raw.items() if not k.startswith("_geoDistance")}
        distance = raw.get("_geoDistance")
        km = distance / 1000 if distance is not None else None
        geo = document.get("_geo")
        if km is None and query.near is not None and distance_km is not None and geo:
            km = distance_km(query.near.lat, query.near.lon, geo["lat"], geo["lng"])
        hits.append(Hit(str(document["id"]), document, km))
    total = answer.get("totalHits", answer.get("estimatedTotalHits", len(hits)))
    return SearchResult(hits, int(total), answer.get("facetDistribution", {}) or {})


class MeilisearchBackend(SearchBackend):
    """Meilisearch over HTTP; keep the master key on the server and a search-only key in browsers."""

    name = "meilisearch"
    shared = True

    def __init__(self, url: str, api_key: str = "", index: str = "providers", timeout_s: float = 10,
                 distance_km=None) -> None:
        self._client = meilisearch.Client(url, api_key or None, timeout=timeout_s)
        self._uid = index
        self._settings: IndexSettings | None = None
        self._distance_km = distance_km

    async def _call(self, function, *args, **kwargs):
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except MeilisearchError as error:
            raise SearchError(f"meilisearch: {error}") from error

    async def _wait(self, task_info) -> None:
        task = await self._call(self._client.wait_for_task, task_info.task_uid, timeout_in_ms=TASK_TIMEOUT_MS)
        if task.status != "succeeded":
            raise SearchError(f"meilisearch task {task.uid} ({task.type}) {task.status}: {task.error}")

    async def _ensure_index(self, uid: str) -> None:
        try:
            await self._call(self._client.get_index, uid)
        except SearchError:
            await self._wait(await self._call(self._client.create_index, uid, {"primaryKey": "id"}))

    async def configure(self, settings: IndexSettings) -> None:
        self._settings = settings
        await self._ensure_index(self._uid)
        index = self._client.index(self._uid)
        await self._wait(await self._call(index.update_settings, settings_payload(settings)))

    async def upsert(self, documents: list[dict[str, Any]]) -> None:
        index = self._client.index(self._uid)
        for start in range(0, len(documents), BATCH):
            await self._wait(await self._call(index.add_documents, documents[start:start + BATCH], "id"))

    async def delete(self, ids: list[str]) -> None:
        if ids:
            await self._wait(await self._call(self._client.index(self._uid).delete_documents, list(ids)))

    async def rebuild(self, documents: Iterable[dict[str, Any]]) -> None:
        """Fill a temporary index, then swap it with the live one: searches never see it half-built."""
        if self._settings is None:
            raise SearchError("configure() the index before rebuilding it")
        temporary = f"{self._uid}_rebuild_{int(time.time())}"
        await self._wait(await self._call(self._client.create_index, temporary, {"primaryKey": "id"}))
        try:
            staging = self._client.index(temporary)
            await self._wait(await self._call(staging.update_settings, settings_payload(self._settings)))
            batch: list[dict[str, Any]] = []
            for document in documents:
                batch.append(document)
                if len(batch) == BATCH:
                    await self._wait(await self._call(staging.add_documents, batch, "id"))
                    batch = []
            if batch:
                await self._wait(await self._call(staging.add_documents, batch, "id"))
            await self._ensure_index(self._uid)
            await self._wait(await self._call(self._client.swap_indexes, [{"indexes": [self._uid, temporary]}]))
        finally:
            await self._wait(await self._call(self._client.delete_index, temporary))

    async def search(self, query: SearchQuery) -> SearchResult:
        return (await self.search_many([query]))[0]

    async def search_many(self, queries: Sequence[SearchQuery]) -> list[SearchResult]:
        """One multi-search request for every query (``/multi-search``), after the reaches and the
        counts of a "frequency" query's words if needed."""
        reaches = await self._reaches(queries)
        sent = await self._matched_words(queries)
        asked = [query for query in sent if query is not None]
        answer = await self._call(self._client.multi_search, multi_search_queries(self._uid, asked, reaches)) \
            if asked else {"results": []}
        results = iter(answer["results"])
        return [SearchResult([], 0, {facet: {} for facet in query.facets}) if query is None
                else parse_result(next(results), query, self._distance_km) for query in sent]

    async def _matched_words(self, queries: Sequence[SearchQuery]) -> list[SearchQuery | None]:
        """``queries`` without the words that match no document (one request counts every word), or None
        for a query whose words all match nothing."""
        stop_words = self._settings.stop_words if self._settings else frozenset()
        words = [counted_words(query, stop_words) for query in queries]
        distinct = sorted({word for listed in words for word in listed})
        if not distinct:
            return list(queries)
        answer = await self._call(self._client.multi_search, [
            {"indexUid": self._uid, "q": word, "limit": 0} for word in distinct])
        count = {word: int(result.get("estimatedTotalHits", result.get("totalHits", 0)))
                 for word, result in zip(distinct, answer["results"])}
        return [without_unmatched(query, listed, [count[word] for word in listed])
                for query, listed in zip(queries, words)]

    async def _reaches(self, queries: Sequence[SearchQuery]) -> list[float]:
        """The reaches the filters of ``queries`` must know (see ``filter_expression``), or none."""
        if not any(REACH_FIELD in fields(query.filter) for query in queries):
            return []
        # Read at each search, so a reach another process just indexed is never missed.
        counted = await self._call(self._client.index(self._uid).search, "", {"limit": 0, "facets": [REACH_FIELD]})
        return reach_values(counted.get("facetDistribution") or {})

    async def ids(self) -> set[str]:
        index = self._client.index(self._uid)
        found: set[str] = set()
        offset = 0
        while True:
            page = await self._call(index.get_documents, {"fields": ["id"], "limit": BATCH, "offset": offset})
            found.update(str(doc.id if hasattr(doc, "id") else doc["id"]) for doc in page.results)
            offset += BATCH
            if offset >= page.total:
                return found

    async def health(self) -> dict[str, Any]:
        status = await self._call(self._client.health)
        stats = await self._call(self._client.index(self._uid).get_stats)
        return {"engine": self.name, "status": status.get("status"), "documents": stats.number_of_documents,
                "indexing": stats.is_indexing}
