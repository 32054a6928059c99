"""What a search shows of each provider: its facts, made once, and what each search adds.

Most searches show providers that earlier searches showed, so the facts of a provider's hit
(every field but its distance and the services a search matched) are made and encoded to
JSON once per search document; they are made again when the engine returns another document
for that provider (its profile changed). A search then adds its two fields: as a
``SearchHit`` for the page, or as bytes for the API, which sends the facts as they were
encoded (``msgspec.Raw``) rather than encoding them again field by field. The bytes are
exactly what encoding the ``SearchHit`` gives: its two added fields come last.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any, NamedTuple

import msgspec

from directory.plugin_api import catalogue
from plugins.geosearch.schemas import SearchHit, SearchResponse
from search import REACH_FIELD, SearchResult

_encode = msgspec.json.encode
# How an encoded hit ends when a search adds nothing: cut off, it leaves the facts' prefix.
_NOTHING_ADDED = b'"distance_km":null,"matched_services":[]}'
_SERVICE_BITS = {service.slug: 1 << number for number, service in enumerate(catalogue.SERVICES)}


class Facts(NamedTuple):
    """A provider's hit without what a search adds, for the search document it was made from."""

    document: dict[str, Any]
    hit: SearchHit
    prefix: bytes  # the hit encoded up to its added fields
    services: int  # its services as bits (see ``service_bits``)


class Found(NamedTuple):
    """A provider as one search found it: ``overlap`` holds the services asked for that it offers."""

    facts: Facts
    distance_km: float | None
    overlap: int

    def hit(self) -> SearchHit:
        """The hit as the page shows it (its facts' own object when the search adds nothing)."""
        if self.distance_km is None and not self.overlap:
            return self.facts.hit
        return msgspec.structs.replace(self.facts.hit, distance_km=self.distance_km,
                                       matched_services=_matched(self.overlap)[0])


class Answer(NamedTuple):
    """A search's response, its hits kept as found until the page or the API asks for them."""

    response: SearchResponse  # every field but the lists of hits
    hits: list[Found]
    remote_hits: Sequence[Found] = ()
    nearest: Sequence[Found] = ()
    near: msgspec.Raw | None = None  # the response's place, encoded once per place

    def with_hits(self) -> SearchResponse:
        """The response with its hits as objects, as the page uses them."""
        return msgspec.structs.replace(
            self.response, hits=[found.hit() for found in self.hits],
            remote_hits=[found.hit() for found in self.remote_hits], nearest=[found.hit() for found in self.nearest])

    def json(self) -> bytes:
        """The response as the API sends it: the JSON of ``with_hits()``, made without encoding again
        the facts of the hits or the place."""
        return _encode(msgspec.structs.replace(
            self.response, near=self.near, hits=_array(self.hits), remote_hits=_array(self.remote_hits),
            nearest=_array(self.nearest)))


def _array(found: list[Found]) -> msgspec.Raw:
    """Hits as a JSON array: each one's facts as encoded, then what the search adds."""
    parts: list[bytes] = []
    for one in found:
        parts += (one.facts.prefix, b'"distance_km":', _encode(one.distance_km), b',"matched_services":',
                  _matched(one.overlap)[1], b"},")
    if parts:
        parts[-1] = b"}"  # no comma after the last
    return msgspec.Raw(b"[%b]" % b"".join(parts))


def facts(provider: str, document: dict[str, Any], returned: tuple[str, ...]) -> Facts:
    """The facts of ``provider``'s hit, from its search document (``returned``: plugins' fields shown)."""
    hit = SearchHit(
        slug=provider, kind=document["kind"], trade_name=document["trade_name"], commune=document["commune"],
        postal_code=document["postal_code"], departement=document["departement"],
        services=document["services"], url=document["url"],
        on_site=document.get("on_site", False), remote=document.get("remote", False),
        radius_km=document.get(REACH_FIELD), service_departements=document.get("service_departements", []),
        latitude=(document.get("_geo") or {}).get("lat"), longitude=(document.get("_geo") or {}).get("lng"),
        fields={name: document[name] for name in returned if name in document}, distance_km=None,
    )
    return Facts(document, hit, _encode(hit)[:-len(_NOTHING_ADDED)], service_bits(hit.services))


def found(kept: dict[str, Facts], result: SearchResult, wanted: int, returned: tuple[str, ...]) -> list[Found]:
    """The engine's hits as found: ``kept`` holds each provider's facts; ``wanted``: the services
    asked for, as bits. Engines measure distances when there is a point (see ``SearchBackend.search``).
    """
    hits = []
    for hit in result.hits:
        known = kept.get(hit.id)
        if known is None or known.document is not hit.document:
            known = kept[hit.id] = facts(hit.id, hit.document, returned)
        distance = None if hit.distance_km is None else _tenths(hit.distance_km)
        hits.append(Found(known, distance, known.services & wanted))
    return hits


def service_bits(services: Iterable[str]) -> int:
    """Services as one number, a bit per service of the catalogue: comparing two sets is one ``&``."""
    bits = 0
    for service in services:
        bits |= _SERVICE_BITS.get(service, 0)
    return bits


@lru_cache(maxsize=4096)
def _matched(overlap: int) -> tuple[list[str], bytes]:
    """The services of ``overlap`` in the catalogue's order, and encoded; shared, so never changed."""
    services = [slug for slug, bit in _SERVICE_BITS.items() if overlap & bit]
    return services, _encode(services)


def _tenths(km: float) -> float:
    """Kilometres to the nearest hundred metres, halves up as people round (a quarter of ``round``'s cost)."""
    return math.floor(km * 10 + 0.5) / 10
