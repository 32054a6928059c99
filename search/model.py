"""What goes into a search index and what comes out of a search, whatever the backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from search.filters import Filter

DEFAULT_RANKING = ("words", "typo", "proximity", "attribute", "sort", "exactness")
MATCHING_STRATEGIES = ("last", "frequency")


@dataclass(frozen=True)
class IndexSettings:
    """How an index treats its documents (Meilisearch's settings, which the embedded engine follows).

    ``searchable`` is in order of importance; ``synonyms`` maps a word or phrase to its
    equivalents (give both directions for mutual synonyms); ``custom_ranking`` lists numeric
    fields that break ties last, most important first, as ``(field, descending)`` pairs;
    ``sortable`` fields may order a search (``SearchQuery.sort``); ``stop_words`` (folded)
    are ignored in queries, as Meilisearch's ``stopWords``.
    """

    searchable: tuple[str, ...]
    filterable: tuple[str, ...] = ()
    sortable: tuple[str, ...] = ()
    facets: tuple[str, ...] = ()
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    custom_ranking: tuple[tuple[str, bool], ...] = ()
    stop_words: frozenset[str] = frozenset()
    primary_key: str = "id"


# Made for every search: msgspec structs cost a tenth of a frozen dataclass to create.

class GeoPoint(msgspec.Struct, frozen=True):
    lat: float
    lon: float


class SearchQuery(msgspec.Struct, frozen=True, kw_only=True):
    """One search: text, filters, an optional circle, the facets to count, the order and the page.

    ``sort`` is "relevance", "distance" (nearest first; needs ``near``), or a sortable field
    as ``"<field>:asc"`` or ``"<field>:desc"``. As in Meilisearch, a field sort comes after the
    words matched and the typos (a good match stays above a worse one), documents without the
    field come last either way, and with a point the distance breaks the field's ties.
    """

    text: str = ""
    filter: Filter | None = None
    near: GeoPoint | None = None
    radius_km: float | None = None
    facets: tuple[str, ...] = ()
    sort: str = "relevance"
    matching: str = "last"
    offset: int = 0
    limit: int = 20


class Hit(msgspec.Struct, frozen=True):
    """One document found; ``distance_km`` is set when the query had a point."""

    id: str
    document: dict[str, Any]
    distance_km: float | None = None


class SearchResult(msgspec.Struct, frozen=True):
    hits: list[Hit]
    total: int
    facets: dict[str, dict[str, int]]


class SearchError(RuntimeError):
    """The engine refused or failed an operation (never a silent failure)."""


def field_sort(sort: str) -> tuple[str, bool] | None:
    """``(field, descending)`` for a field sort such as ``"rating:desc"``, else None."""
    field, colon, direction = sort.rpartition(":")
    if not colon or not field or direction not in ("asc", "desc"):
        return None
    return field, direction == "desc"
