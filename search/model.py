"""What goes into a search index and what comes out of a search, whatever the backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec

from search.filters import Filter

DEFAULT_RANKING = ("words", "typo", "proximity", "attribute", "sort", "exactness")


@dataclass(frozen=True)
class IndexSettings:
    """How an index treats its documents (Meilisearch's settings, which the embedded engine follows).

    ``searchable`` is in order of importance; ``synonyms`` maps a word or phrase to its
    equivalents (give both directions for mutual synonyms); ``custom_ranking`` is a numeric
    field that breaks ties last, as ``(field, descending)``.
    """

    searchable: tuple[str, ...]
    filterable: tuple[str, ...] = ()
    sortable: tuple[str, ...] = ()
    facets: tuple[str, ...] = ()
    synonyms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    custom_ranking: tuple[str, bool] | None = None
    primary_key: str = "id"


# Made for every search: msgspec structs cost a tenth of a frozen dataclass to create.

class GeoPoint(msgspec.Struct, frozen=True):
    lat: float
    lon: float


class SearchQuery(msgspec.Struct, frozen=True, kw_only=True):
    """One search: text, filters, an optional circle, the facets to count, the order and the page.

    ``sort`` is "relevance" or "distance" (nearest first; needs ``near``).
    """

    text: str = ""
    filter: Filter | None = None
    near: GeoPoint | None = None
    radius_km: float | None = None
    facets: tuple[str, ...] = ()
    sort: str = "relevance"
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
