"""The embedded engine's data: documents in numbered slots, postings, facets, caches.

Postings (which slots hold a word) are compact append-only arrays; a replaced or deleted
document leaves a dead slot behind, swept by a rebuild when dead slots outnumber live
ones. Derived arrays (facet matrix, geo grid, per-word matches, filter masks) are rebuilt
lazily after any change.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections import OrderedDict, defaultdict
from typing import Any

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

from search.model import IndexSettings, SearchError
from search.text import tokens

CELL_DEGREES = 0.25
POSITION_CACHE = 20_000
WORD_CACHE_BYTES = 64 * 2**20
FILTER_CACHE = 256


def value_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _values(document: dict[str, Any], field: str) -> list[str]:
    value = document.get(field)
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        return [value_key(v) for v in value]
    return [value_key(value)]


class MemoryIndex:
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
        self._alive_mask: tuple[int, np.ndarray] | None = None
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

    def alive_mask(self) -> np.ndarray:
        """Which slots hold a live document, as booleans (shared: never modify it)."""
        if self._alive_mask is None or self._alive_mask[0] != self.version:
            self._alive_mask = (self.version, np.frombuffer(self.alive, dtype=np.int8).astype(bool))
        return self._alive_mask[1]

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


def build_index(settings: IndexSettings, documents: list[dict[str, Any]]) -> MemoryIndex:
    index = MemoryIndex(settings)
    for document in documents:
        index.add(document)
    return index
