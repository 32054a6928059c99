"""The embedded search engine: in memory, no service, Meilisearch's behaviour at directory scale.

Documents live in numbered slots. Postings (which slots hold a word) are compact append-only
arrays; a replaced or deleted document leaves a dead slot behind, swept by a rebuild when dead
slots outnumber live ones. A query turns postings into numpy arrays over slots, so matching,
filtering, facet counting and ranking are vectorised, and the cost follows the number of
candidates, not of documents.

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
from array import array
from collections import OrderedDict, defaultdict
from typing import Any, Iterable

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

from search.backend import SearchBackend
from search.filters import And, Eq, Filter, In, Not, Or, fields
from search.model import Hit, IndexSettings, SearchError, SearchQuery, SearchResult
from search.text import tokens, typo_budget

EARTH_RADIUS_KM = 6371.0  # Meilisearch's haversine radius, so both engines agree on distances
CELL_DEGREES = 0.25
PROXIMITY_LIMIT = 20
POSITION_CACHE = 20_000
WORD_CACHE_BYTES = 64 * 2**20
FILTER_CACHE = 256
NO_MATCH = 127


def _value_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values(document: dict[str, Any], field: str) -> list[str]:
    value = document.get(field)
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [_value_key(v) for v in value]
    return [_value_key(value)]


def haversine_km(lat: float, lon: float, lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    lat1, lon1 = math.radians(lat), math.radians(lon)
    lat2, lon2 = np.radians(lats), np.radians(lons)
    a = np.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.minimum(a, 1.0)))


class _Index:
    """One generation of the index: documents, postings, facets and coordinates."""

    def __init__(self, settings: IndexSettings) -> None:
        self.settings = settings
        self.ids: list[str] = []
        self.docs: list[dict[str, Any] | None] = []
        self.slot_of: dict[str, int] = {}
        self.alive = array("b")
        self.lat = array("d")
        self.lon = array("d")
        self.custom = array("d")
        self.postings: dict[str, array] = defaultdict(lambda: array("i"))
        self.attributes: dict[str, array] = defaultdict(lambda: array("b"))
        self.word_lists: list[list[str]] = []
        self.values: dict[str, dict[str, array]] = {f: defaultdict(lambda: array("i")) for f in self._value_fields()}
        self.vocabulary: list[str] = []
        self.typo_cache: dict[tuple[str, int], list[tuple[str, int]]] = {}  # emptied when words are added
        # Per query word and per filter value, arrays over slots; emptied by any change.
        self.word_cache: OrderedDict[tuple[str, bool], tuple] = OrderedDict()
        self.word_cache_size = WORD_CACHE_BYTES // max(1, 3 * 1000)
        self.filter_cache: dict[tuple[str, tuple[str, ...]], np.ndarray] = {}
        self.version = 0
        self._grid: dict[tuple[int, int], np.ndarray] | None = None
        self._positions: dict[int, dict[str, list[int]]] = {}
        self._facet_matrix: tuple[int, dict[str, tuple[int, int]], list[str], np.ndarray] | None = None
        self._phrases = self._synonym_phrases()
        self.word_synonyms: dict[str, list[str]] = defaultdict(list)
        for phrase, equivalent in self._phrases:
            if len(phrase) == 1:
                self.word_synonyms[phrase[0]] += list(equivalent)

    def _value_fields(self) -> set[str]:
        return set(self.settings.filterable) | set(self.settings.facets) - {"_geo"}

    def _synonym_phrases(self) -> list[tuple[tuple[str, ...], tuple[str, ...]]]:
        """(phrase, equivalent) pairs as word tuples, for synonyms of several words."""
        pairs = []
        for phrase, equivalents in self.settings.synonyms.items():
            for equivalent in equivalents:
                pairs.append((tuple(tokens(phrase)), tuple(tokens(equivalent))))
        return pairs

    def typo_matches(self, word: str, budget: int) -> list[tuple[str, int]]:
        """Index words within ``budget`` typos of ``word`` (a swap counts as one), with their typo count."""
        key = (word, budget)
        if key not in self.typo_cache:
            found = extract(word, self.vocabulary, scorer=OSA.distance, score_cutoff=budget, limit=None)
            self.typo_cache[key] = [(term, int(distance)) for term, distance, _ in found if distance]
        return self.typo_cache[key]

    @property
    def dead(self) -> int:
        return len(self.alive) - len(self.slot_of)

    def add(self, document: dict[str, Any]) -> None:
        key = self.settings.primary_key
        if key not in document:
            raise SearchError(f"document without {key!r}")
        doc_id = str(document[key])
        if doc_id in self.slot_of:
            self.alive[self.slot_of[doc_id]] = 0
        slot = len(self.ids)
        self.ids.append(doc_id)
        self.docs.append(document)
        self.slot_of[doc_id] = slot
        self.alive.append(1)
        geo = document.get("_geo") or {}
        self.lat.append(float(geo.get("lat", math.nan)))
        self.lon.append(float(geo.get("lng", math.nan)))
        custom_field = self.settings.custom_ranking[0] if self.settings.custom_ranking else None
        self.custom.append(float(document.get(custom_field) or 0) if custom_field else 0.0)
        words: list[str] = []
        best_attribute: dict[str, int] = {}
        for rank, field in enumerate(self.settings.searchable):
            for text in _values(document, field):
                for word in tokens(text):
                    words.append(word)
                    best_attribute.setdefault(word, rank)
        present = set(words)
        for phrase, equivalent in self._phrases:
            if phrase and phrase[0] in present and _contains(words, phrase):
                for word in equivalent:
                    best_attribute.setdefault(word, len(self.settings.searchable))
        self.word_lists.append(words)
        for word, rank in best_attribute.items():
            if word not in self.postings:
                bisect.insort(self.vocabulary, word)
                self.typo_cache.clear()
            self.postings[word].append(slot)
            self.attributes[word].append(rank)
        for field, by_value in self.values.items():
            for value in _values(document, field):
                by_value[value].append(slot)
        self._changed()

    def _changed(self) -> None:
        self.version += 1
        self._grid = None
        self.word_cache.clear()
        self.filter_cache.clear()
        self.word_cache_size = max(16, WORD_CACHE_BYTES // max(1, 3 * len(self.alive)))

    def remove(self, doc_id: str) -> None:
        slot = self.slot_of.pop(doc_id, None)
        if slot is not None:
            self.alive[slot] = 0
            self.docs[slot] = None
            self._changed()

    def positions(self, slot: int) -> dict[str, list[int]]:
        """Where each word stands in a document, kept for the documents ranked lately."""
        found = self._positions.get(slot)
        if found is None:
            if len(self._positions) >= POSITION_CACHE:
                self._positions.clear()
            found = defaultdict(list)
            for position, word in enumerate(self.word_lists[slot]):
                found[word].append(position)
            found = self._positions[slot] = dict(found)
        return found

    def facet_matrix(self) -> tuple[dict[str, tuple[int, int]], list[str], np.ndarray]:
        """Every facet value as a row of one (value × slot) boolean matrix, rebuilt after changes.

        Returns each facet's row range, the value of each row, and the matrix: counting all
        facets for a set of candidates is then one gather and one sum.
        """
        if self._facet_matrix is None or self._facet_matrix[0] != self.version:
            ranges, values = {}, []
            for field in self.settings.facets:
                start = len(values)
                values += sorted(self.values[field])
                ranges[field] = (start, len(values))
            matrix = np.zeros((len(values), len(self.alive)), dtype=bool)
            for field, (start, end) in ranges.items():
                for row in range(start, end):
                    matrix[row, np.frombuffer(self.values[field][values[row]], dtype=np.int32)] = True
            self._facet_matrix = (self.version, ranges, values, matrix)
        return self._facet_matrix[1], self._facet_matrix[2], self._facet_matrix[3]

    def grid(self) -> dict[tuple[int, int], np.ndarray]:
        """Live slots by square cell of ``CELL_DEGREES``, rebuilt after changes."""
        if self._grid is None:
            cells: dict[tuple[int, int], list[int]] = defaultdict(list)
            for slot, (lat, lon, alive) in enumerate(zip(self.lat, self.lon, self.alive)):
                if alive and not math.isnan(lat):
                    cells[(math.floor(lat / CELL_DEGREES), math.floor(lon / CELL_DEGREES))].append(slot)
            self._grid = {cell: np.array(slots, dtype=np.int64) for cell, slots in cells.items()}
        return self._grid


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i:i + n]) == phrase for i in range(len(words) - n + 1)) if n else False


class EmbeddedBackend(SearchBackend):
    """The default engine: nothing to install, everything in this process."""

    name = "embedded"

    def __init__(self) -> None:
        self._index: _Index | None = None

    @property
    def index(self) -> _Index:
        if self._index is None:
            raise SearchError("index not configured: call configure() first")
        return self._index

    async def configure(self, settings: IndexSettings) -> None:
        if self._index is None or self._index.settings != settings:
            documents = self._live_documents() if self._index else []
            self._index = await asyncio.to_thread(_build, settings, documents)

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
        self._index = await asyncio.to_thread(_build, self.index.settings, list(documents))

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
            self._index = _build(index.settings, self._live_documents())


def _build(settings: IndexSettings, documents: list[dict[str, Any]]) -> _Index:
    index = _Index(settings)
    for document in documents:
        index.add(document)
    return index




class _Search:
    """One query against one generation of the index."""

    def __init__(self, index: _Index, query: SearchQuery) -> None:
        self.index = index
        self.query = query
        self.size = len(index.alive)
        self.terms: list[set[str]] = []  # per query word, the index words that matched it

    def run(self) -> SearchResult:
        query, index = self.query, self.index
        self._check()
        if not index.slot_of:
            return SearchResult([], 0, {facet: {} for facet in query.facets})
        mask = np.frombuffer(index.alive, dtype=np.int8).astype(bool)
        if query.filter is not None:
            mask &= self._filter(query.filter)
        slots = np.flatnonzero(mask)
        distances = None
        if query.near is not None:
            slots, distances = self._geo(mask)
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
        key = (field, tuple(sorted(_value_key(v) for v in values)))
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
            key = _value_key(value)
            if key in by_value:
                mask[np.frombuffer(by_value[key], dtype=np.int32)] = True
        return mask

    def _geo(self, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Candidates around the point and their distances: only the cells the circle touches."""
        index, near, radius = self.index, self.query.near, self.query.radius_km
        lats = np.frombuffer(index.lat, dtype=np.float64)
        lons = np.frombuffer(index.lon, dtype=np.float64)
        if radius is None:
            slots = np.flatnonzero(mask & ~np.isnan(lats))
        else:
            dlat = radius / 110.57
            dlon = min(radius / (110.57 * max(math.cos(math.radians(abs(near.lat) + dlat)), 1e-6)), 180.0)
            grid = index.grid()
            rows = range(math.floor((near.lat - dlat) / CELL_DEGREES), math.floor((near.lat + dlat) / CELL_DEGREES) + 1)
            cols = range(math.floor((near.lon - dlon) / CELL_DEGREES), math.floor((near.lon + dlon) / CELL_DEGREES) + 1)
            parts = [grid[(r, c)] for r in rows for c in cols if (r, c) in grid]
            slots = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
            slots = slots[mask[slots]]
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
