"""One query over the embedded engine's index: matching, filtering, distances, ranking, a page.

A query turns postings into numpy arrays over document slots, so matching, filtering, facet
counting and ranking are vectorised.

Ranking follows Meilisearch's rules: documents matching all query words first, then those
matching fewer (dropping words from the end), then fewer typos, words closer together,
words in more important attributes, exact words rather than prefixes or typos, then the
custom ranking. With a point, the distance comes right after words and typos: a close good
match beats a far equally good one. ``sort="distance"`` keeps only the documents that match
every word, so that among them the nearest come first.
Proximity is measured only when the best bucket holds at most ``PROXIMITY_LIMIT`` documents.
"""

from __future__ import annotations

import bisect
import math
from collections import defaultdict
from functools import lru_cache

import numpy as np

from search.embedded_filters import FilterMasks, unit_vector
from search.filters import fields
from search.memory_index import (
    ATTRIBUTE_BIT,
    COUNT_BIT,
    EARTH_RADIUS_KM,
    INEXACT_BIT,
    MAX_WORDS,
    PROXIMITY_BIT,
    TYPO_BIT,
    MemoryIndex,
)
from search.model import MATCHING_STRATEGIES, Hit, SearchError, SearchQuery, SearchResult, field_sort
from search.text import content_words, typo_budget

PROXIMITY_LIMIT = 20
PROXIMITY_CACHE = 10_000  # query word sequences
NO_MATCH = 127
MISSING = np.int64(1) << 62  # a word's value for the documents it does not match
DISTANCE_BITS = 21  # tens of metres: the earth's diameter fits
SORT_BITS = 24  # a document's place in a field sort: MAX_SLOTS fit
AFTER_TYPOS = (np.int64(1) << TYPO_BIT) - 1  # the key's fields after words and typos
NEAREST_RADII_KM = (25, 100, 400, 1600)  # circles tried, in turn, for the nearest documents
# The chord between two points of the unit sphere is sqrt(2 - 2 cos): squared and scaled here to
# tens of metres.
_CHORD_SCALE = 2.0 * (EARTH_RADIUS_KM * 100) ** 2


@lru_cache(maxsize=4096)
def query_words(text: str, stop_words: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The words searched for, without stop words (folding costs more than the rest of a small query)."""
    return tuple(content_words(text, stop_words)[:MAX_WORDS])


class QueryRun:
    """One query against one generation of the index.

    Candidates are slot arrays. Relevance is one int64 key per candidate whose bit fields
    hold, from the most significant, the ranking rules in order (the layout is in
    ``search.memory_index``), so ranking is a single comparison; only the requested page
    is sorted.
    """

    def __init__(self, index: MemoryIndex, query: SearchQuery) -> None:
        self.index = index
        self.query = query
        self.size = len(index.alive)
        self.terms: list[set[str]] = []  # per query word, the index words that matched it
        self.words: list[tuple[str, bool]] = []
        self.field_sort = field_sort(query.sort)
        self.masks = FilterMasks(index)

    def run(self) -> SearchResult:
        query, index = self.query, self.index
        self._check()
        if not index.slot_of:
            return SearchResult([], 0, {facet: {} for facet in query.facets})
        words = query_words(query.text, index.settings.stop_words)
        ranked = [self._word_ranks(word, prefix=(i == len(words) - 1)) for i, word in enumerate(words)]
        order = self._useful_first(ranked) if query.matching == "frequency" else list(range(len(ranked)))
        if ranked and not order:
            return SearchResult([], 0, {facet: {} for facet in query.facets})  # no word matches anything
        ranked = [ranked[i] for i in order]
        matching = ranked[0][1] if ranked else None  # the first word kept: every candidate has it
        # Every condition becomes one mask over a first set of slots, then a single selection.
        # Without a radius, distances are measured after filtering, for the slots that remain.
        whole_map = query.near is not None and query.radius_km is None
        nearest = self._nearest_only() if whole_map and not words else None
        if nearest is not None:
            (slots, closeness), mask, whole_map = nearest, None, False
        elif whole_map:
            # Over the whole index at once: cached masks combine without gathering every slot.
            passing = index.located_mask
            if query.filter is not None:
                passing = passing & self.masks.of(query.filter)
            if matching is not None:
                passing = passing & matching
            slots, closeness, mask = passing.nonzero()[0], None, None
        elif query.near is not None:
            (slots, closeness), mask = self._geo(), None
        else:
            slots, closeness, mask = index.live_slots, None, None
        if query.filter is not None and nearest is None and not whole_map:
            mask = _both(mask, self.masks.of(query.filter)[slots])
        if matching is not None and not whole_map:
            mask = _both(mask, matching[slots])
        if mask is not None:
            keep = mask.nonzero()[0]
            slots = slots[keep]
            closeness = closeness[keep] if closeness is not None else None
        if whole_map:
            closeness = index.closeness(slots, unit_vector(query.near.lat, query.near.lon))
        key = self._text_key([packed for packed, _, _ in ranked], tuple(self.words[i] for i in order))[slots]
        if len(ranked) > 1 and len(slots):
            self._rank_proximity(slots, key)
        if ranked and query.sort == "distance":
            # Nearest first among the documents that match every word (Meilisearch's "all").
            full = (key >> COUNT_BIT == MAX_WORDS - len(ranked)).nonzero()[0]
            slots, key = slots[full], key[full]
            closeness = closeness[full] if closeness is not None else None
        facets = self._facets(slots)
        page = self._page(key, closeness, slots)
        ids, docs, shown = index.ids, index.docs, slots[page].tolist()
        if closeness is None:
            hits = [Hit(ids[slot], docs[slot]) for slot in shown]
        else:
            hits = [Hit(ids[slot], docs[slot], EARTH_RADIUS_KM * math.acos(cosine) if cosine < 1.0 else 0.0)
                    for slot, cosine in zip(shown, closeness[page].tolist())]
        if nearest is not None:  # the page came from circles: count every document the filter keeps
            total = int(np.count_nonzero(self.masks.of(query.filter) & index.located_mask))
        else:
            total = len(slots)
        return SearchResult(hits, total, facets)

    def _check(self) -> None:
        settings, query = self.index.settings, self.query
        if query.filter is not None:
            unknown = fields(query.filter).difference(settings.filterable)
            if unknown:
                raise SearchError(f"not filterable: {', '.join(sorted(unknown))}")
        if not self.index.facet_names.issuperset(query.facets):
            unknown = set(query.facets).difference(settings.facets)
            raise SearchError(f"not a facet: {', '.join(sorted(unknown))}")
        if query.sort not in ("relevance", "distance") and (
                self.field_sort is None or self.field_sort[0] not in settings.sortable):
            raise SearchError(f"unknown sort {query.sort!r}")
        if query.sort == "distance" and query.near is None:
            raise SearchError("sorting by distance needs a point")
        if query.matching not in MATCHING_STRATEGIES:
            raise SearchError(f"unknown matching strategy {query.matching!r}")

    def _useful_first(self, ranked: list[tuple[np.ndarray, np.ndarray, int]]) -> list[int]:
        """The words' positions, rarest first, without those matching no document ("frequency").

        The "last" strategy's rule then applies to this order: words count while every word
        before them matched, so the most frequent words are the first to be dropped.
        """
        counts = [count for _, _, count in ranked]
        return sorted((i for i, count in enumerate(counts) if count), key=lambda i: (counts[i], i))

    def _geo(self, radius: float | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The slots in the circle (the query's radius unless told) and the cosine of their
        distance (larger is nearer).

        Cached per circle until the index changes: searches around a place come in runs, one
        per keystroke, and people search around a limited number of places.
        """
        near, radius = self.query.near, self.query.radius_km if radius is None else radius
        key = (near.lat, near.lon, radius)
        return self.index.circle_cache.get(key) or self.index.circle_cache.remember(key, self._circle(radius))

    def _nearest_only(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The filtered documents in the smallest circle that holds the page, or None to look everywhere.

        Without words the order is the distance (then the other rules), so the page's documents
        are the nearest ones: growing circles find them without measuring the whole map. Only
        for searches without facets, which would need every document; the total is counted
        from the filter alone.
        """
        query = self.query
        if query.filter is None or query.facets:
            return None
        passing, wanted = self.masks.of(query.filter), query.offset + query.limit
        for radius in NEAREST_RADII_KM:
            slots, closeness = self._geo(radius)
            keep = passing[slots].nonzero()[0]
            if len(keep) >= wanted:
                return slots[keep], closeness[keep]
        return None

    def _circle(self, radius: float) -> tuple[np.ndarray, np.ndarray]:
        """The latitude band that holds the circle (two binary searches), then one product with the point."""
        table, near = self.index.geo, self.query.near
        point = unit_vector(near.lat, near.lon)
        angle = radius / EARTH_RADIUS_KM
        band = math.degrees(angle) + 1e-9
        start = table.lat.searchsorted(near.lat - band, "right")
        end = table.lat.searchsorted(near.lat + band, "right")
        closeness = table.xyz[start:end] @ point
        inside = (closeness >= math.cos(angle)).nonzero()[0]
        return table.slots[start:end][inside], closeness[inside]

    def _word_ranks(self, word: str, prefix: bool) -> tuple[np.ndarray, np.ndarray, int]:
        """Per slot, what the word adds to the relevance key where it matches (``MISSING`` elsewhere),
        whether it matches, and how many live documents it matches.

        Cached per word until the index changes: people search with few distinct words.
        """
        key = (word, prefix)
        terms, packed, matching, count = self.index.word_cache.get(key) or self.index.word_cache.remember(
            key, self._compute_word_ranks(word, prefix))
        self.terms.append(terms)
        self.words.append(key)
        return packed, matching, count

    def _compute_word_ranks(self, word: str, prefix: bool) -> tuple[set[str], np.ndarray, np.ndarray, int]:
        index = self.index
        typos = np.full(self.size, NO_MATCH, dtype=np.int32)
        attribute = np.full(self.size, NO_MATCH, dtype=np.int32)
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
        fields = ((typos.astype(np.int64) << TYPO_BIT) + (attribute.astype(np.int64) << ATTRIBUTE_BIT)
                  + ((~exact).astype(np.int64) << INEXACT_BIT) - (np.int64(1) << COUNT_BIT))
        matching = typos != NO_MATCH
        count = int(np.count_nonzero(matching & index.alive_mask))
        return {term for term, _, _ in alternatives}, np.where(matching, fields, MISSING), matching, count

    def _text_key(self, per_word: list[np.ndarray], words: tuple[tuple[str, bool], ...]) -> np.ndarray:
        """Per slot, its key for the query's words: every rule but proximity, which depends on
        the candidates. Only the slots that match the first word are ever read.

        Cached per words until the index changes, as each word's ranks are: the candidates of a
        text then read their keys in a single gather.
        """
        if not per_word:
            return self.index.base_key
        cached = ("_text", *words)
        found = self.index.word_cache.get(cached)
        if found is None:
            found = self.index.base_key + per_word[0]
            matched = None
            for packed in per_word[1:]:
                # Words count only while every earlier word matched (Meilisearch's "last" strategy).
                matched = packed != MISSING if matched is None else matched & (packed != MISSING)
                found += packed * matched
            found = self.index.word_cache.remember(cached, found)
        return found

    def _rank_proximity(self, slots: np.ndarray, key: np.ndarray) -> None:
        """Add proximity to the best (words, typos) bucket's keys when it is small enough."""
        best = (key < ((int(np.minimum.reduce(key)) >> PROXIMITY_BIT) + 1 << PROXIMITY_BIT)).nonzero()[0]
        if len(best) > PROXIMITY_LIMIT:
            return
        caches = self.index.proximity_cache
        if len(caches) > PROXIMITY_CACHE:
            caches.clear()
        cache = caches.setdefault(tuple(self.words), {})  # per query words: slot → proximity
        proximities = []
        for slot in slots[best].tolist():
            proximity = cache.get(slot)
            if proximity is None:
                where = self.index.positions(slot)
                proximity = cache[slot] = sum(
                    _gap(where, first, second) for first, second in zip(self.terms, self.terms[1:]))
            proximities.append(proximity << PROXIMITY_BIT)
        # The other candidates keep 0 there: they are in worse buckets, never compared on proximity.
        key[best] += proximities

    def _facets(self, slots: np.ndarray) -> dict[str, dict[str, int]]:
        if not self.query.facets:
            return {}
        rows = self.index.facet_rows
        counts = np.bincount(rows.table.take(slots, axis=0).ravel(), minlength=len(rows.values) + 1)[:-1]
        found = counts.nonzero()[0]
        facets: dict[str, dict[str, int]] = {facet: {} for facet in self.query.facets}
        # Rows run by facet, then in value order: the order Meilisearch answers in by default.
        owners, values = rows.facets, rows.values
        for row, count in zip(found.tolist(), counts[found].tolist()):
            counted = facets.get(owners[row])
            if counted is not None:
                counted[values[row]] = count
        return facets

    def _page(self, key: np.ndarray, closeness, slots: np.ndarray) -> np.ndarray:
        """Positions of the requested page's candidates, in order; only the top of the list is sorted.

        With a point or a field sort, the order is Meilisearch's with its "sort" rule after
        "words" and "typo": matched words, then typos, then the sort (the field's order, then
        the distance to about 10 m), then the other rules. Words, typos and the first sort
        are packed into one number; the rest breaks its ties.
        """
        query = self.query
        wanted = query.offset + query.limit
        if closeness is None and self.field_sort is None:
            if len(key) > wanted:
                top = np.argpartition(key, wanted - 1)[:wanted]
                return top[np.argsort(key[top])][query.offset:]
            return np.argsort(key)[query.offset:wanted]
        ties: list[np.ndarray] = []
        if closeness is not None:
            # The chord through the earth grows with the distance and costs a square root, not an arccosine.
            ties.append(np.sqrt(np.maximum(_CHORD_SCALE - _CHORD_SCALE * closeness, 0.0)).astype(np.int64))
        if self.field_sort is not None:
            first = ((key >> TYPO_BIT) << SORT_BITS) + self.index.sort_rank(*self.field_sort)[slots]
        else:
            first = ((key >> TYPO_BIT) << DISTANCE_BITS) + ties.pop()
        if len(first) > wanted:
            # Everything up to the wanted-th, ties included, then the other rules among equals.
            limit = np.partition(first, wanted - 1)[wanted - 1]
            top = (first <= limit).nonzero()[0]
            return top[np.lexsort((key[top] & AFTER_TYPOS, *(tie[top] for tie in ties), first[top]))][
                query.offset:wanted]
        return np.lexsort((key & AFTER_TYPOS, *ties, first))[query.offset:wanted]


def _both(mask: np.ndarray | None, other: np.ndarray) -> np.ndarray:
    return other if mask is None else mask & other


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
