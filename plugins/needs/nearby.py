"""Who comes to a TPE's place among the providers of the services its diagnosis calls for.

This is the search's "who serves me" question (providers who come on site there: their
radius around their office covers the place, or they cover its département), asked of the
index that the geosearch plugin keeps on ``app.state.search``, with that index's own rule
(``index.serving``): a plugin never imports another, so it reaches the index as the app holds
it, and reads the fields of the search documents (``trade_name``, ``services``, ``url``…). Without that plugin, while its index is
not ready, or when its engine fails, there is nobody to show, and the page says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from search import GeoPoint, In, SearchQuery

SHOWN = 5
CANDIDATES = 50  # the nearest looked at, before those offering more of the services come first
logger = logging.getLogger("plugins.needs")


@dataclass(frozen=True)
class NearbyProvider:
    trade_name: str
    kind: str
    commune: str
    postal_code: str
    url: str
    distance_km: float | None
    offers: tuple[str, ...]  # the services asked for that it offers, in the order asked


async def serving(index: Any, lat: float, lon: float, departement: str | None,
                  services: tuple[str, ...]) -> list[NearbyProvider] | None:
    """Up to ``SHOWN`` providers who come to the point and offer some of ``services``, those
    offering more of them first, then the nearest; None when the search cannot answer."""
    if index is None or not getattr(index, "ready", False) or not services:
        return None
    point = GeoPoint(lat, lon)
    query = SearchQuery(filter=index.serving(point, departement) & In("services", services),
                        near=point, sort="distance", limit=CANDIDATES)
    try:
        result = await index.backend.search(query)
    except Exception:  # the search's own failure: this page shows its diagnosis without providers
        logger.exception("the search index could not say who serves a diagnosis's place")
        return None
    found = [_provider(hit.document, hit.distance_km, services) for hit in result.hits]
    return sorted(found, key=lambda provider: -len(provider.offers))[:SHOWN]  # stable: the nearest first


def _provider(document: dict[str, Any], distance_km: float | None,
              services: tuple[str, ...]) -> NearbyProvider:
    offered = set(document.get("services", ()))
    return NearbyProvider(document["trade_name"], document["kind"], document["commune"],
                          document["postal_code"], document["url"],
                          None if distance_km is None else round(distance_km, 1),
                          tuple(slug for slug in services if slug in offered))
