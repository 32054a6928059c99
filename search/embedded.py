"""The embedded search engine: in memory, no service, Meilisearch's behaviour at directory scale.

The data lives in ``search.memory_index``; this module runs queries over it. A query turns
postings into numpy arrays over document slots, so matching, filtering, facet counting and
ranking are vectorised.

Ranking follows Meilisearch's rules: documents matching all query words first, then those
matching fewer (dropping words from the end), then fewer typos, words closer together,
words in more important attributes, exact words rather than prefixes or typos, then the
custom ranking. With ``sort="distance"`` the distance comes first and relevance breaks ties.
Proximity is measured only when the best bucket holds at most ``PROXIMITY_LIMIT`` documents.
"""

from __future__ import annotations

import asyncio
import bisect
import math
from collections import defaultdict
from typing import Any, Iterable

import numpy as np

from search.backend import SearchBackend
from search.filters import And, Eq, Filter, In, Not, fields
from search.memory_index import CELL_DEGREES, FILTER_CACHE, MemoryIndex, build_index, value_key
from search.model import Hit, IndexSettings, SearchError, SearchQuery, SearchResult
from search.text import tokens, typo_budget

EARTH_RADIUS_KM = 6371.0  # Meilisearch's haversine radius, so both engines agree on distances
PROXIMITY_LIMIT = 20
NO_MATCH = 127


def haversine_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    lat1, lon1 = math.radians(lat), math.radians(lon)
    lat2, lon2 = np.radians(lats), np.radians(lons)
    a = np.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


class EmbeddedBackend(SearchBackend):
    """The default engine: nothing to install, everything in this process."""

    name = "embedded"

    def __init__(self) -> None:
        self._index: MemoryIndex | None = None

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
        index = self.index
        for document in documents:
            index.add(document)
        self._compact_if_needed()

    async def delete(self, ids: list[str]) -> None:
        for doc_id in ids:
            self.index.remove(str(doc_id))
        self._compact_if_needed()

    async def rebuild(self, documents: Iterable[dict[str, Any]]) -> None:
        # Built aside, then swapped in one assignment: searches never see a partial index.
        self._index = await asyncio.to_thread(build_index, self.index.settings, list(documents))

    async def ids(self) -> set[str]:
        return set(self.index.slot_of)

    async def health(self) -> dict[str, Any]:
        index = self.index
        return {"engine": self.name, "documents": len(index.slot_of), "dead_slots": index.dead}

    async def search(self, query: SearchQuery) -> SearchResult:
        return _Search(self.index, query).run()

    def _live_documents(self) -> list[dict[str, Any]]:
        return [doc for doc in self.index.docs if doc is not None]

    def _compact_if_needed(self) -> None:
        index = self.index
        if index.dead > max(1000, len(index.slot_of)):
            self._index = build_index(index.settings, self._live_documents())


class _Search:
    """One query against one generation of the index."""

    def __init__(self, index: MemoryIndex, query: SearchQuery) -> None:
        self.index = index
        self.query = query
        self.size = len(index.alive)
        self.terms: list[set[str]] = []  # per query word, the index words that matched it

    def run(self) -> SearchResult:
        query, index = self.query, self.index
        self._check()
        if not index.slot_of:
            return SearchResult([], 0, {facet: {} for facet in query.facets})
        # The grid holds live documents only: a circle needs no mask unless there is a filter.
        mask = self._filter(query.filter) & self._alive() if query.filter is not None else None
        if query.near is not None:
            slots, distances = self._geo(mask)
        else:
            slots, distances = np.flatnonzero(self._alive() if mask is None else mask), None
        words = tokens(query.text)[:10]
        ranks = None
        if words:
            slots, distances, ranks = self._match(words, slots, distances)
        facets = self._facets(slots)
        order = self._order(slots, distances, ranks, words)
        page = order[query.offset:query.offset + query.limit]
        hits = [
            Hit(index.ids[slots[i]], index.docs[slots[i]], float(distances[i]) if distances is not None else None)
            for i in page
        ]
        return SearchResult(hits, int(len(slots)), facets)

    def _check(self) -> None:
        settings, query = self.index.settings, self.query
        unknown = fields(query.filter) - set(settings.filterable)
        if unknown:
            raise SearchError(f"not filterable: {', '.join(sorted(unknown))}")
        if set(query.facets) - set(settings.facets):
            raise SearchError(f"not a facet: {', '.join(sorted(set(query.facets) - set(settings.facets)))}")
        if query.sort not in ("relevance", "distance"):
            raise SearchError(f"unknown sort {query.sort!r}")
        if query.sort == "distance" and query.near is None:
            raise SearchError("sorting by distance needs a point")

    def _filter(self, node: Filter) -> np.ndarray:
        if isinstance(node, Eq):
            return self._value_mask(node.field, [node.value])
        if isinstance(node, In):
            return self._value_mask(node.field, node.values)
        if isinstance(node, Not):
            return ~self._filter(node.item)
        masks = [self._filter(item) for item in node.items]  # type: ignore[attr-defined]
        combined = masks[0].copy()
        for mask in masks[1:]:
            combined = combined & mask if isinstance(node, And) else combined | mask
        return combined

    def _value_mask(self, field: str, values) -> np.ndarray:
        key = (field, tuple(sorted(value_key(v) for v in values)))
        cache = self.index.filter_cache
        if key not in cache:
            if len(cache) >= FILTER_CACHE:
                cache.clear()
            cache[key] = self._compute_value_mask(field, values)
        return cache[key]

    def _compute_value_mask(self, field: str, values) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        by_value = self.index.values[field]
        for value in values:
            key = value_key(value)
            if key in by_value:
                mask[np.frombuffer(by_value[key], dtype=np.int32)] = True
        return mask

    def _alive(self) -> np.ndarray:
        return self.index.alive_mask()

    def _geo(self, mask: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """Candidates around the point and their distances: only the cells the circle touches."""
        index, near, radius = self.index, self.query.near, self.query.radius_km
        lats = np.frombuffer(index.lat, dtype=np.float64)
        lons = np.frombuffer(index.lon, dtype=np.float64)
        if radius is None:
            slots = np.flatnonzero((self._alive() if mask is None else mask) & ~np.isnan(lats))
        else:
            dlat = radius / 110.57
            dlon = min(radius / (110.57 * max(math.cos(math.radians(abs(near.lat) + dlat)), 1e-6)), 180.0)
            grid = index.grid()
            rows = range(math.floor((near.lat - dlat) / CELL_DEGREES), math.floor((near.lat + dlat) / CELL_DEGREES) + 1)
            cols = range(math.floor((near.lon - dlon) / CELL_DEGREES), math.floor((near.lon + dlon) / CELL_DEGREES) + 1)
            parts = [grid[(r, c)] for r in rows for c in cols if (r, c) in grid]
            slots = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
            if mask is not None:
                slots = slots[mask[slots]]
            # The cells overhang the circle's box: trim to the box before the exact distance.
            lat, lon = lats[slots], lons[slots]
            slots = slots[(np.abs(lat - near.lat) <= dlat) & (np.abs(lon - near.lon) <= dlon)]
        distances = haversine_km(near.lat, near.lon, lats[slots], lons[slots])
        if radius is not None:
            inside = distances <= radius
            slots, distances = slots[inside], distances[inside]
        return slots, distances

    def _word_ranks(self, word: str, prefix: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per slot: typos (NO_MATCH if absent), best attribute, exact (no typo, whole word).

        Cached per word until the index changes: people search with few distinct words.
        """
        cache = self.index.word_cache
        key = (word, prefix)
        if key in cache:
            cache.move_to_end(key)
        else:
            cache[key] = self._compute_word_ranks(word, prefix)
            if len(cache) > self.index.word_cache_size:
                cache.popitem(last=False)
        terms, *ranks = cache[key]
        self.terms.append(terms)
        return tuple(ranks)  # type: ignore[return-value]

    def _compute_word_ranks(self, word: str, prefix: bool):
        index = self.index
        typos = np.full(self.size, NO_MATCH, dtype=np.int8)
        attribute = np.full(self.size, NO_MATCH, dtype=np.int8)
        exact = np.zeros(self.size, dtype=bool)
        alternatives: list[tuple[str, int, bool]] = [(word, 0, True)]
        alternatives += [(s, 0, True) for s in index.word_synonyms.get(word, ())]
        if prefix:
            start = bisect.bisect_left(index.vocabulary, word)
            end = bisect.bisect_left(index.vocabulary, word + "\uffff")
            alternatives += [(term, 0, False) for term in index.vocabulary[start:end] if term != word]
        budget = typo_budget(word)
        if budget:
            alternatives += [(t, d, False) for t, d in index.typo_matches(word, budget)]
        # One scatter per (typos, whole word) group; more typos first, so fewer typos overwrite them.
        groups: dict[tuple[int, bool], list[str]] = defaultdict(list)
        for term, typo, whole in alternatives:
            if term in index.postings:
                groups[(typo, whole)].append(term)
        for (typo, whole), terms in sorted(groups.items(), key=lambda item: (-item[0][0], item[0][1])):
            slots = np.concatenate([np.frombuffer(index.postings[t], dtype=np.int32) for t in terms])
            ranks = np.concatenate([np.frombuffer(index.attributes[t], dtype=np.int8) for t in terms])
            typos[slots] = typo
            np.minimum.at(attribute, slots, ranks)
            if whole:
                exact[slots] = True
        return {term for term, _, _ in alternatives}, typos, attribute, exact

    def _match(self, words: list[str], slots: np.ndarray, distances):
        per_word = [self._word_ranks(word, prefix=(i == len(words) - 1)) for i, word in enumerate(words)]
        matched = np.ones(len(slots), dtype=bool)
        count = np.zeros(len(slots), dtype=np.int8)
        typos = np.zeros(len(slots), dtype=np.int16)
        attribute = np.zeros(len(slots), dtype=np.int16)
        exact = np.zeros(len(slots), dtype=np.int16)
        for word_typos, word_attribute, word_exact in per_word:
            hit = word_typos[slots] != NO_MATCH
            matched &= hit  # words count only while every earlier word matched ("last" strategy)
            count += matched
            typos += np.where(matched, word_typos[slots], 0)
            attribute += np.where(matched, word_attribute[slots], 0)
            exact += matched & word_exact[slots]
        keep = count > 0
        slots = slots[keep]
        distances = distances[keep] if distances is not None else None
        ranks = {"count": count[keep], "typos": typos[keep], "attribute": attribute[keep], "exact": exact[keep]}
        return slots, distances, ranks

    def _proximity(self, slots: np.ndarray, candidates: np.ndarray) -> np.ndarray:
        """Sum over consecutive query words of the gap between them in the document (capped at 8)."""
        proximity = np.zeros(len(slots), dtype=np.int16)
        for i in candidates:
            where = self.index.positions(int(slots[i]))
            proximity[i] = sum(_gap(where, first, second) for first, second in zip(self.terms, self.terms[1:]))
        return proximity

    def _facets(self, slots: np.ndarray) -> dict[str, dict[str, int]]:
        if not self.query.facets:
            return {}
        ranges, values, matrix = self.index.facet_matrix()
        per_row = np.count_nonzero(matrix[:, slots], axis=1).tolist()
        counts: dict[str, dict[str, int]] = {}
        for facet in self.query.facets:
            start, end = ranges[facet]
            found = [(values[row], per_row[row]) for row in range(start, end) if per_row[row]]
            counts[facet] = dict(sorted(found, key=lambda item: (-item[1], item[0])))
        return counts

    def _order(self, slots: np.ndarray, distances, ranks, words: list[str]) -> np.ndarray:
        if len(slots) == 0:
            return np.empty(0, dtype=np.int64)
        custom = np.frombuffer(self.index.custom, dtype=np.float64)[slots]
        descending = self.index.settings.custom_ranking[1] if self.index.settings.custom_ranking else True
        keys = [np.arange(len(slots)), -custom if descending else custom]  # least significant first
        if ranks is not None:
            keys += [-ranks["exact"], ranks["attribute"]]
            if len(words) > 1:
                top = ranks["count"] == ranks["count"].max()
                best = np.flatnonzero(top & (ranks["typos"] == ranks["typos"][top].min()))
                if len(best) <= PROXIMITY_LIMIT:
                    proximity = np.full(len(slots), 99, dtype=np.int16)
                    proximity[best] = self._proximity(slots, best)[best]
                    keys.append(proximity)
            keys += [ranks["typos"], -ranks["count"].astype(np.int16)]
        if self.query.sort == "distance" and distances is not None:
            keys.append(distances)
        return np.lexsort(keys)


def _gap(where: dict[str, list[int]], first: set[str], second: set[str]) -> int:
    """The smallest distance from a word of ``first`` to a following word of ``second`` (8 at most)."""
    def spots(terms: set[str]) -> list[int]:
        words = terms if len(terms) < len(where) else [w for w in where if w in terms]
        return sorted(p for w in words for p in where.get(w, ()))

    starts, ends = spots(first), spots(second)
    best = 8
    for start in starts:
        after = bisect.bisect_right(ends, start)
        if after < len(ends):
            best = min(best, ends[after] - start)
    return best
