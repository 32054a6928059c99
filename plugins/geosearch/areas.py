"""Who comes on site where: the one rule the search, and whoever asks its index, share."""

from __future__ import annotations

from functools import lru_cache

from search import Eq, Filter, GeoPoint, Reaches


@lru_cache(maxsize=8192)
def serving_filter(point: GeoPoint, departement: str | None) -> Filter:
    """Providers who come on site at ``point``: within their own radius, or in one of their départements.

    Remembered per place: the same filter object comes back, and engines find what they
    computed for it.
    """
    where: Filter = Reaches(point.lat, point.lon)
    if departement:
        where = where | Eq("service_departements", departement)
    return Eq("on_site", True) & where
