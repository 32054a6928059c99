"""What ``/api/search`` and ``/api/places`` answer."""

from __future__ import annotations

from typing import Any

import msgspec


class SearchHit(msgspec.Struct, kw_only=True):
    """A provider found, with its distance from the searched place when there is one.

    ``on_site``: it comes to its clients, within ``radius_km`` of its office and in its
    ``service_departements``; ``remote``: it also works remotely. ``matched_services``: the
    services the search asked for, by name or by filter, in the catalogue's order.
    ``fields``: what other plugins return with each hit (their certification badges, for
    one). The two fields a search adds to a provider's facts come last (see
    ``plugins.geosearch.hits``).
    """

    slug: str
    kind: str
    trade_name: str
    commune: str
    postal_code: str
    departement: str
    services: list[str]
    url: str
    on_site: bool = False
    remote: bool = False
    radius_km: int | None = None
    service_departements: list[str] = []
    latitude: float | None = None
    longitude: float | None = None
    fields: dict[str, Any] = {}
    distance_km: float | None
    matched_services: list[str] = []


class PlaceSummary(msgspec.Struct):
    """A commune, as offered to a person who types a place."""

    insee_code: str
    name: str
    label: str
    postal_codes: list[str]
    departement: str
    lat: float
    lon: float


class ResolvedPlace(msgspec.Struct):
    """What ``near`` was understood as; ``alternatives`` are the other places it could mean."""

    query: str
    kind: str
    lat: float
    lon: float
    place: PlaceSummary | None
    alternatives: list[PlaceSummary]


class UnderstoodService(msgspec.Struct):
    """A catalogue service the search understood from the words typed, and the words that named it."""

    slug: str
    label: str
    words: str


class SearchResponse(msgspec.Struct):
    """A page of results.

    ``area`` says which question was answered: ``serves`` (with a place and no radius: who
    comes on site there, in ``hits``; who works remotely only, apart in ``remote_hits``),
    ``radius`` (everyone within ``radius_km`` of the place) or ``anywhere`` (no place).
    When nothing answers around a place, ``nearest`` holds the nearest providers that match
    the words and filters, wherever they are. ``sort`` is the order applied: ``relevance`` (with a place, distance right after matched
    words and typos) or ``distance`` (nearest first among providers matching every word).
    """

    hits: list[SearchHit]
    total: int
    page: int
    limit: int
    pages: int
    facets: dict[str, dict[str, int]]
    near: ResolvedPlace | None
    area: str = "anywhere"
    sort: str = "relevance"
    remote_hits: list[SearchHit] = []
    remote_total: int = 0
    nearest: list[SearchHit] = []
    understood: list[UnderstoodService] = []
