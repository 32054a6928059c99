"""Where a provider comes on site: the one rule that search and lead routing share.

A provider that comes on site serves the places within its radius around its office and the
whole départements it names; one that names neither covers its own département. A provider
that only works remotely serves nobody on site (search shows it apart; routing falls back on it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from geo.distance import distance_km


class Departements(Protocol):
    """What finds the départements near a point (a ``Gazetteer``)."""

    def departements_within(self, lat: float, lon: float, radius_km: float) -> set[str]: ...


@dataclass(frozen=True)
class ServiceArea:
    """A provider's office and how far it comes."""

    lat: float | None
    lon: float | None
    departement: str  # the office's
    radius_km: float | None
    departements: tuple[str, ...]
    on_site: bool

    def covered_departements(self) -> list[str]:
        """The whole départements it comes to ([] when it does not come on site)."""
        if not self.on_site:
            return []
        return list(self.departements) or ([] if self.radius_km else [self.departement])

    def reach_km(self) -> float | None:
        """The radius around its office it comes to, if it has one and comes on site."""
        return self.radius_km if self.on_site and self.radius_km and self.lat is not None else None

    def departements_served(self, gazetteer: Departements) -> set[str]:
        """Every département it comes to, wholly or in part (a commune within its radius)."""
        served = set(self.covered_departements())
        reach = self.reach_km()
        if reach is not None:
            served |= gazetteer.departements_within(self.lat, self.lon, reach)
        return served

    def comes_to(self, lat: float, lon: float, departement: str) -> bool:
        """Whether it comes on site to this place."""
        if departement in self.covered_departements():
            return True
        reach = self.reach_km()
        return reach is not None and distance_km(self.lat, self.lon, lat, lon) <= reach
