"""The offline gazetteer: every French commune with its postal codes and its point."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True, slots=True)
class Place:
    """A commune (or a Paris, Lyon or Marseille arrondissement) and where it lies."""

    insee_code: str
    name: str
    postal_codes: tuple[str, ...]
    departement: str
    departement_name: str
    region: str
    region_name: str
    population: int
    lat: float
    lon: float


class Gazetteer:
    """Look places up by INSEE code or postal code, with no network and no dependency."""

    def __init__(self, places: list[Place], attribution: str) -> None:
        self.attribution = attribution
        self._departements = {p.departement: (p.departement_name, p.region) for p in places}
        self._regions = {p.region: p.region_name for p in places}
        self._places = places
        self._by_insee = {place.insee_code: place for place in places}
        by_postal_code: dict[str, list[Place]] = defaultdict(list)
        for place in places:
            for code in place.postal_codes:
                by_postal_code[code].append(place)
        self._by_postal_code = {
            code: tuple(sorted(found, key=lambda p: -p.population)) for code, found in by_postal_code.items()
        }

    @classmethod
    @cache
    def default(cls) -> Gazetteer:
        """The gazetteer shipped with the package, loaded once per process."""
        source = resources.files("geo") / "data" / "communes.json.gz"
        data = json.loads(gzip.decompress(source.read_bytes()))
        regions = data["regions"]
        departements = data["departements"]
        places = []
        for insee, name, codes, dep, population, lat, lon in data["communes"]:
            dep_name, region = departements[dep]
            places.append(
                Place(insee, name, tuple(codes), dep, dep_name, region, regions[region], population, lat, lon)
            )
        return cls(places, data["attribution"])

    def places(self) -> list[Place]:
        """Every place, in INSEE code order."""
        return list(self._places)

    def departements(self) -> dict[str, tuple[str, str]]:
        """Each département code with its name and its région code."""
        return dict(self._departements)

    def regions(self) -> dict[str, str]:
        """Each région code with its name."""
        return dict(self._regions)

    def commune(self, insee_code: str) -> Place | None:
        """The place with this INSEE code, or None."""
        return self._by_insee.get(insee_code.upper())

    def postal_code(self, code: str) -> tuple[Place, ...]:
        """The places served by this postal code, most populous first."""
        return self._by_postal_code.get(code.strip(), ())
