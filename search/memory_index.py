"""The embedded engine's data: documents in numbered slots, postings, facets, caches.

Postings (which slots hold a word) are compact append-only arrays; a replaced or deleted
document leaves a dead slot behind, swept by a rebuild when dead slots outnumber live
ones. Derived arrays (latitude-sorted coordinates, facet rows, custom ranking, per-word
matches, filter masks, proximities) are rebuilt lazily after any change.
"""

from __future__ import annotations

import bisect
import math
from array import array
from collections import defaultdict
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np
from rapidfuzz.distance import OSA
from rapidfuzz.process import extract

from search.filters import REACH_FIELD
from search.model import IndexSettings, SearchError
from search.text import tokens

EARTH_RADIUS_KM = 6371.0  # Meilisearch's earth radius, so both engines agree on distances
MAX_SEARCHABLE = 15  # attribute ranks fit in 4 bits
MAX_SLOTS = 2**24  # custom ranks fit under INEXACT_BIT
POSITION_CACHE = 20_000
WORD_CACHE_BYTES = 64 * 2**20
CIRCLE_CACHE_BYTES = 32 * 2**20
FILTER_CACHE_BYTES = 16 * 2**20
# The ranking key's bit fields, most significant first: query words missing, typos, proximity,
# attribute, inexactness, then the document's rank in the custom ranking (unique, so the key
# orders every candidate). Each per-word field is summed over the query's words: typos are 2 at
# most per word, attributes under 16 (ranks of searchable fields) and inexactness 1.
MAX_WORDS = 10
COUNT_BIT, TYPO_BIT, PROXIMITY_BIT, ATTRIBUTE_BIT, INEXACT_BIT = 55, 49, 42, 28, 24


class GeoTable(NamedTuple):
    """Live documents with coordinates, sorted by latitude.

    A circle of radius r around a point lies within r / R radians of its latitude: two
    binary searches find that band, and one product with the point's unit vector gives the
    cosine of every distance in it (larger is nearer), with no trigonometry per document.
    """

    slots: np.ndarray
    lat: np.ndarray
    xyz: np.ndarray


class ReachTable(NamedTuple):
    """Live documents that have a reach, by latitude: a point lies in a document's reach when the
    cosine of its distance to the document (one product with the point's unit vector) is at
    least ``cos_reach``. Only documents within ``widest`` degrees of latitude can reach a point.
    """

    slots: np.ndarray
    xyz: np.ndarray
    cos_reach: np.ndarray
    lat: np.ndarray
    widest: float


class FacetRows(NamedTuple):
    """Facet values numbered as rows, and each slot's rows padded with the row count.

    Counting every facet for a set of candidates is one gather of ``table`` and one
    ``bincount``. Rows run by facet, then in value order; ``facets`` and ``values`` give
    each row's facet and value.
    """

    facets: list[str]
    values: list[str]
    table: np.ndarray


class ArrayCache(dict):
    """Arrays that searches share, within a byte budget; emptied whole when full.

    Every change to the index empties these caches anyway, so a least-recently-used order
    would rarely matter, and a plain dict keeps a lookup at the cost of a dict lookup.
    """

    def __init__(self, budget: int) -> None:
        super().__init__()
        self.budget = budget
        self.used = 0

    def remember(self, key: Any, value: Any) -> Any:
        """Cache ``value`` (an array or a tuple holding arrays), made read-only; return it."""
        arrays = [part for part in (value if isinstance(value, tuple) else (value,)) if isinstance(part, np.ndarray)]
        for part in arrays:
            part.flags.writeable = False
        size = sum(part.nbytes for part in arrays)
        if size <= self.budget:
            if self.used + size > self.budget:
                self.clear()
            self[key] = value
            self.used += size
        return value

    def clear(self) -> None:
        super().clear()
        self.used = 0


def value_key(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _number(value: Any) -> float:
    """A ranking or sorting field's value as a number (booleans count 1 and 0); NaN if it is none."""
    if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)):
        return float(value)
    return math.nan


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
        if len(settings.searchable) > MAX_SEARCHABLE:
            raise SearchError(f"at most {MAX_SEARCHABLE} searchable fields")
        self.settings = settings
        self.facet_names = frozenset(settings.facets)
        self.ids: list[str] = []
        self.docs: list[dict[str, Any] | None] = []
        self.slot_of: dict[str, int] = {}
        self.alive = array("b")
        self.lat = array("d")
        self.lon = array("d")
        # Per custom ranking field, and per sortable field, each slot's number (NaN: none).
        self.custom = {field: array("d") for field, _ in settings.custom_ranking}
        self.sort_values = {field: array("d") for field in settings.sortable}
        self._sort_ranks: dict[tuple[str, bool], np.ndarray] = {}
        self.reach = array("d")  # each document's ``_reach_km``, NaN without one
        self.postings: dict[str, array] = defaultdict(lambda: array("i"))
        self.attributes: dict[str, array] = defaultdict(lambda: array("b"))
        self.word_lists: list[list[str]] = []
        self.values: dict[str, dict[str, array]] = {f: defaultdict(lambda: array("i")) for f in self._value_fields()}
        self.vocabulary: list[str] = []
        self.typo_cache: dict[tuple[str, int], list[tuple[str, int]]] = {}  # emptied when words are added
        # Per query word, circle, filter value and word list: what queries share; emptied by any change.
        self.word_cache = ArrayCache(WORD_CACHE_BYTES)
        self.circle_cache = ArrayCache(CIRCLE_CACHE_BYTES)
        self.filter_cache = ArrayCache(FILTER_CACHE_BYTES)
        self.proximity_cache: dict[tuple[Any, ...], dict[int, int]] = {}
        self._positions: dict[int, dict[str, list[int]]] = {}
        self._phrases = self._synonym_phrases()
        self.word_synonyms: dict[str, list[str]] = defaultdict(list)
        for phrase, equivalent in self._phrases:
            if len(phrase) == 1:
                self.word_synonyms[phrase[0]] += list(equivalent)

    def _value_fields(self) -> set[str]:
        return set(self.settings.filterable) | set(self.settings.facets) - {"_geo", REACH_FIELD}

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
        if slot >= MAX_SLOTS:
            raise SearchError("the index is full: rebuild it to reclaim the slots of replaced documents")
        self.ids.append(doc_id)
        self.docs.append(document)
        self.slot_of[doc_id] = slot
        self.alive.append(1)
        geo = document.get("_geo") or {}
        self.lat.append(float(geo.get("lat", math.nan)))
        self.lon.append(float(geo.get("lng", math.nan)))
        reach = document.get(REACH_FIELD)
        self.reach.append(float(reach) if isinstance(reach, (int, float)) and reach > 0 else math.nan)
        for field, numbers in self.custom.items():
            number = _number(document.get(field))
            numbers.append(0.0 if math.isnan(number) else number)
        for field, numbers in self.sort_values.items():
            numbers.append(_number(document.get(field)))
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
        for name in _DERIVED:
            self.__dict__.pop(name, None)
        self._sort_ranks.clear()
        self.word_cache.clear()
        self.circle_cache.clear()
        self.filter_cache.clear()
        self.proximity_cache.clear()

    def remove(self, doc_id: str) -> None:
        slot = self.slot_of.pop(doc_id, None)
        if slot is not None:
            self.alive[slot] = 0
            self.docs[slot] = None
            self._changed()

    # Arrays derived from the documents: built on first use after each change (``_changed``
    # drops them), then read as plain attributes. Shared by every search: never modify them.

    @cached_property
    def alive_mask(self) -> np.ndarray:
        """Which slots hold a live document, as booleans."""
        return np.frombuffer(self.alive, dtype=np.int8).astype(bool)

    @cached_property
    def live_slots(self) -> np.ndarray:
        """The slots that hold a live document, in slot order."""
        return np.flatnonzero(self.alive_mask)

    @cached_property
    def base_key(self) -> np.ndarray:
        """Each slot's ranking key before any query word: the custom ranking's place, ties broken by slot.

        Every query word is counted missing (``MAX_WORDS`` in the key's top field); a word
        that matches takes one off. The rank is unique, so the key orders every candidate.
        """
        count = len(self.ids)
        columns = [np.arange(count)]  # np.lexsort: the last column is the most important
        for field, descending in reversed(self.settings.custom_ranking):
            numbers = np.frombuffer(self.custom[field], dtype=np.float64)
            columns.append(-numbers if descending else numbers)
        order = np.lexsort(columns)
        key = np.empty(count, dtype=np.int64)
        key[order] = np.arange(count, dtype=np.int64) + (MAX_WORDS << COUNT_BIT)
        return key

    def sort_rank(self, field: str, descending: bool) -> np.ndarray:
        """Each slot's place when sorting by ``field`` (documents without it last, either way)."""
        ranks = self._sort_ranks.get((field, descending))
        if ranks is None:
            numbers = np.frombuffer(self.sort_values[field], dtype=np.float64)
            missing = np.isnan(numbers)
            order = np.lexsort((np.arange(len(numbers)), -numbers if descending else numbers, missing))
            ranks = np.empty(len(numbers), dtype=np.int64)
            ranks[order] = np.arange(len(numbers), dtype=np.int64)
            self._sort_ranks[(field, descending)] = ranks
        return ranks

    @cached_property
    def geo(self) -> GeoTable:
        """Live documents with coordinates, by latitude, as unit vectors (see ``GeoTable``)."""
        lat = np.frombuffer(self.lat, dtype=np.float64)
        lon = np.frombuffer(self.lon, dtype=np.float64)
        slots = np.flatnonzero(self.alive_mask & ~np.isnan(lat))
        slots = slots[np.argsort(lat[slots], kind="stable")]
        phi, lam = np.radians(lat[slots]), np.radians(lon[slots])
        xyz = np.column_stack((np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)))
        return GeoTable(slots, lat[slots], np.ascontiguousarray(xyz))

    @cached_property
    def located_mask(self) -> np.ndarray:
        """Which slots hold a live document with coordinates, as booleans."""
        mask = np.zeros(len(self.alive), dtype=bool)
        mask[self.geo.slots] = True
        return mask

    @cached_property
    def unit_vectors(self) -> np.ndarray:
        """Each slot's point as a unit vector (zeros where a slot has none): one row per slot."""
        vectors = np.zeros((len(self.alive), 3))
        vectors[self.geo.slots] = self.geo.xyz
        return vectors

    def closeness(self, slots: np.ndarray, point: np.ndarray) -> np.ndarray:
        """The cosine of the distance from ``point`` (a unit vector) to each of ``slots``.

        For many slots, one product over the whole index then a gather; for few, a gather of
        their vectors then a product: whichever reads less memory.
        """
        if len(slots) * 4 > len(self.alive):
            return (self.unit_vectors @ point)[slots]
        return self.unit_vectors.take(slots, axis=0) @ point

    @cached_property
    def reach_table(self) -> ReachTable:
        """Live documents with a point and a reach, as unit vectors and the cosine of their reach."""
        reach = np.frombuffer(self.reach, dtype=np.float64)
        geo = self.geo
        keep = ~np.isnan(reach[geo.slots])
        angles = np.minimum(reach[geo.slots][keep] / EARTH_RADIUS_KM, math.pi)
        widest = math.degrees(float(angles.max())) if len(angles) else 0.0
        return ReachTable(geo.slots[keep], np.ascontiguousarray(geo.xyz[keep]), np.cos(angles), geo.lat[keep], widest)

    @cached_property
    def facet_rows(self) -> FacetRows:
        """Every facet value numbered as a row, and each slot's rows (see ``FacetRows``)."""
        facets, values, slot_parts, row_parts = [], [], [], []
        for field in self.settings.facets:
            start = len(values)
            values += sorted(self.values[field])
            facets += [field] * (len(values) - start)
            for row in range(start, len(values)):
                slots = np.unique(np.frombuffer(self.values[field][values[row]], dtype=np.int32))
                slot_parts.append(slots)
                row_parts.append(np.full(len(slots), row, dtype=np.int32))
        table = np.full((len(self.alive), 1), len(values), dtype=np.intp)  # what bincount reads without a cast
        if slot_parts:
            slots, rows = np.concatenate(slot_parts), np.concatenate(row_parts)
            order = np.argsort(slots, kind="stable")
            slots, rows = slots[order], rows[order]
            column = np.arange(len(slots)) - np.searchsorted(slots, slots)  # rank within its slot
            table = np.full((len(self.alive), int(column.max(initial=0)) + 1), len(values), dtype=np.intp)
            table[slots, column] = rows
        return FacetRows(facets, values, table)

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


# The cached properties above, dropped by ``_changed``: the class is the one list of them.
_DERIVED = tuple(name for name, value in vars(MemoryIndex).items() if isinstance(value, cached_property))


def _contains(words: list[str], phrase: tuple[str, ...]) -> bool:
    n = len(phrase)
    return any(tuple(words[i:i + n]) == phrase for i in range(len(words) - n + 1)) if n else False


def build_index(settings: IndexSettings, documents: list[dict[str, Any]]) -> MemoryIndex:
    index = MemoryIndex(settings)
    for document in documents:
        index.add(document)
    return index
