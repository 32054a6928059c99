"""Addresses to coordinates: the offline gazetteer first, online geocoders when enabled.

Street addresses go to the Base Adresse Nationale (geopy's ``BANFrance``) and then to
OpenStreetMap's Nominatim, in the order given, each only if the deployment enables it.
Each answer, found or not, is kept in a persistent cache so the same address is never
asked twice; failures are logged and fall through to the commune's point, so a person
saving a profile never waits on, or fails because of, a geocoding service.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import BANFrance, Nominatim

from geo.gazetteer import Gazetteer
from geo.names import normalize, normalize_query

logger = logging.getLogger("geo.geocoding")

BAN_DOMAIN = "data.geopf.fr/geocodage"  # the Base Adresse Nationale, now under IGN's Géoplateforme
NOMINATIM_DOMAIN = "nominatim.openstreetmap.org"
BAN_REQUESTS_PER_SECOND = 40  # the service allows 50 per second and per IP
NOMINATIM_MIN_DELAY_S = 1.0  # its usage policy: one request per second at most
MIN_BAN_SCORE = 0.5
PRECISE_BAN_TYPES = ("housenumber", "street", "locality")


@dataclass(frozen=True)
class Address:
    """A French postal address."""

    street: str
    postal_code: str
    commune: str

    def cache_key(self) -> str:
        return normalize(f"{self.street} {self.postal_code} {self.commune}")


@dataclass(frozen=True)
class Location:
    """Where an address lies, and how it was found: ``precise`` is false for a commune's point."""

    lat: float
    lon: float
    source: str
    precise: bool
    label: str = ""


class OnlineGeocoder(Protocol):
    """An online service that places street addresses; raises ``GeopyError`` when unreachable."""

    name: str

    def lookup(self, address: Address) -> Location | None: ...


class BanGeocoder:
    """The Base Adresse Nationale through geopy's ``BANFrance``."""

    name = "ban"

    def __init__(self, domain: str = BAN_DOMAIN, timeout: float = 5.0, adapter_factory: Callable | None = None):
        self._service = BANFrance(domain=domain, timeout=timeout, adapter_factory=adapter_factory)
        self._geocode = RateLimiter(
            self._service.geocode, min_delay_seconds=1 / BAN_REQUESTS_PER_SECOND, max_retries=1,
            error_wait_seconds=1.0, swallow_exceptions=False,
        )

    def lookup(self, address: Address) -> Location | None:
        # BANFrance sends only the text and a limit: the postal code must be in the text.
        found = self._geocode(f"{address.street} {address.postal_code} {address.commune}", exactly_one=True, limit=1)
        if found is None:
            return None
        properties = found.raw.get("properties", {})
        if properties.get("postcode") != address.postal_code or properties.get("score", 0) < MIN_BAN_SCORE:
            return None  # an address elsewhere in France, or a guess
        precise = properties.get("type") in PRECISE_BAN_TYPES
        return Location(found.latitude, found.longitude, self.name, precise, properties.get("label", ""))


class NominatimGeocoder:
    """OpenStreetMap's Nominatim, with the identifying user agent and the pace its policy requires."""

    name = "nominatim"

    def __init__(self, user_agent: str, domain: str = NOMINATIM_DOMAIN, timeout: float = 5.0,
                 adapter_factory: Callable | None = None):
        if not user_agent or "geopy" in user_agent.lower():
            raise ValueError("Nominatim needs a user agent that identifies this deployment (its usage policy)")
        self._service = Nominatim(user_agent=user_agent, domain=domain, timeout=timeout,
                                  adapter_factory=adapter_factory)
        self._geocode = RateLimiter(
            self._service.geocode, min_delay_seconds=NOMINATIM_MIN_DELAY_S, max_retries=1,
            error_wait_seconds=2.0, swallow_exceptions=False,
        )

    def lookup(self, address: Address) -> Location | None:
        query = {"street": address.street, "postalcode": address.postal_code, "city": address.commune}
        found = self._geocode(query, exactly_one=True, addressdetails=True, country_codes=["fr"])
        if found is None:
            return None
        postcode = found.raw.get("address", {}).get("postcode")
        if postcode and postcode != address.postal_code:
            return None
        return Location(found.latitude, found.longitude, self.name, True, found.raw.get("display_name", ""))


class GeocodeCache:
    """A persistent record of each service's answer to each address, misses included.

    Its file is opened on first use and closed by ``close`` (an app's shutdown, a command's end);
    used again, it opens again.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = str(path)
        if self._path != ":memory:":
            Path(self._path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._opened: sqlite3.Connection | None = None
        with self._lock, self._connection:
            self._connection.execute(
                "CREATE TABLE IF NOT EXISTS answer (service TEXT, address TEXT, lat REAL, lon REAL, "
                "precise INTEGER, label TEXT, PRIMARY KEY (service, address))"
            )

    @property
    def _connection(self) -> sqlite3.Connection:
        if self._opened is None:
            self._opened = sqlite3.connect(self._path, check_same_thread=False, timeout=10)
        return self._opened

    def close(self) -> None:
        with self._lock:
            if self._opened is not None:
                self._opened.close()
                self._opened = None

    def get(self, service: str, address: Address) -> tuple[bool, Location | None]:
        """(known, location): ``known`` is false when the service was never asked."""
        with self._lock:
            row = self._connection.execute(
                "SELECT lat, lon, precise, label FROM answer WHERE service = ? AND address = ?",
                (service, address.cache_key()),
            ).fetchone()
        if row is None:
            return False, None
        if row[0] is None:
            return True, None
        return True, Location(row[0], row[1], service, bool(row[2]), row[3])

    def put(self, service: str, address: Address, location: Location | None) -> None:
        values: tuple[Any, ...] = (
            (location.lat, location.lon, int(location.precise), location.label) if location else (None, None, 0, "")
        )
        with self._lock, self._connection:
            self._connection.execute(
                "INSERT OR REPLACE INTO answer VALUES (?, ?, ?, ?, ?, ?)", (service, address.cache_key(), *values)
            )


class Geocoder:
    """Place addresses: online services in order (if any), else the commune's point."""

    def __init__(self, gazetteer: Gazetteer, services: list[OnlineGeocoder] | None = None,
                 cache: GeocodeCache | None = None) -> None:
        self.gazetteer = gazetteer
        self.services = services or []
        self.cache = cache

    def close(self) -> None:
        """Close the cache's file (it reopens if the geocoder is used again)."""
        if self.cache is not None:
            self.cache.close()

    def locate(self, address: Address) -> Location | None:
        """The best point for ``address``; None only if its postal code and commune are unknown."""
        if address.street.strip():
            for service in self.services:
                found = self._ask(service, address)
                if found is not None:
                    return found
        return self._commune_point(address)

    async def alocate(self, address: Address) -> Location | None:
        """``locate`` off the event loop: online services block on the network."""
        return await asyncio.to_thread(self.locate, address)

    def _ask(self, service: OnlineGeocoder, address: Address) -> Location | None:
        if self.cache is not None:
            known, location = self.cache.get(service.name, address)
            if known:
                return location
        try:
            location = service.lookup(address)
        except GeopyError as error:
            logger.warning("geocoder %s failed for %s: %s", service.name, address.postal_code, error)
            return None  # not cached: ask again next time
        if self.cache is not None:
            self.cache.put(service.name, address, location)
        return location

    def _commune_point(self, address: Address) -> Location | None:
        places = self.gazetteer.postal_code(address.postal_code)
        wanted = normalize_query(address.commune)
        named = [p for p in places if wanted and normalize_query(p.name) == wanted]
        chosen = (named or list(places) or list(self.gazetteer.named(address.commune)) or [None])[0]
        if chosen is None:
            return None
        return Location(chosen.lat, chosen.lon, "gazetteer", False, chosen.name)


def build_geocoder(gazetteer: Gazetteer, names: tuple[str, ...] = (), *, ban_domain: str = BAN_DOMAIN,
                   nominatim_domain: str = NOMINATIM_DOMAIN, nominatim_user_agent: str = "",
                   cache_path: str | Path | None = None, timeout: float = 5.0) -> Geocoder:
    """A geocoder with the online services named (``"ban"``, ``"nominatim"``), in that order."""
    services: list[OnlineGeocoder] = []
    for name in names:
        if name == "ban":
            services.append(BanGeocoder(ban_domain, timeout))
        elif name == "nominatim":
            services.append(NominatimGeocoder(nominatim_user_agent, nominatim_domain, timeout))
        else:
            raise ValueError(f"unknown geocoder {name!r}: use 'ban' and/or 'nominatim'")
    cache = GeocodeCache(cache_path) if services and cache_path else None
    return Geocoder(gazetteer, services, cache)
