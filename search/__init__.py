"""Full-text and geolocated search over documents, with an embedded engine or Meilisearch.

This package knows nothing about the directory; it can be used on its own. Pick a backend
with ``create_backend``; every backend implements ``SearchBackend``.
"""

from search.backend import SearchBackend
from search.filters import REACH_FIELD, And, Eq, Filter, In, Not, Or, Reaches
from search.model import GeoPoint, Hit, IndexSettings, SearchError, SearchQuery, SearchResult

BACKENDS = ("embedded", "meilisearch")


def create_backend(name: str = "embedded", **options) -> SearchBackend:
    """The backend called ``name``: "embedded" (default, no service) or "meilisearch" (url=, api_key=)."""
    if name == "embedded":
        from search.embedded import EmbeddedBackend

        return EmbeddedBackend()
    if name == "meilisearch":
        from search.meili import MeilisearchBackend

        return MeilisearchBackend(**options)
    raise ValueError(f"unknown search backend {name!r}: {', '.join(BACKENDS)}")


__all__ = [
    "BACKENDS",
    "REACH_FIELD",
    "And",
    "Eq",
    "Filter",
    "GeoPoint",
    "Hit",
    "In",
    "IndexSettings",
    "Not",
    "Or",
    "Reaches",
    "SearchBackend",
    "SearchError",
    "SearchQuery",
    "SearchResult",
    "create_backend",
]
