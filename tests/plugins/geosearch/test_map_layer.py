"""The départements the results map draws without a tile server (built by scripts/build_map_layer.py)."""

import gzip
import json
from dataclasses import replace
from pathlib import Path

import pytest

import plugins.geosearch
from directory.app import create_app
from directory.testing import serve
from plugins.geosearch.routes import MAP_ASSETS

LAYER = Path(plugins.geosearch.__file__).parent / "static" / "map" / "departements.geojson"
# The five overseas départements; the other overseas collectivities are not départements.
OVERSEAS = {"971", "972", "973", "974", "976"}


@pytest.fixture(scope="module")
def layer() -> dict:
    return json.loads(LAYER.read_text(encoding="utf-8"))


def rings(geometry: dict) -> list[list[list[float]]]:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [ring for polygon in polygons for ring in polygon]


def test_the_layer_is_small_enough_for_a_phone():
    assert len(gzip.compress(LAYER.read_bytes())) <= 300 * 1024
    assert LAYER.stat().st_size <= 1024 * 1024


def test_the_layer_holds_every_departement_once_and_names_its_source(layer, gazetteer):
    assert layer["type"] == "FeatureCollection"
    codes = [feature["properties"]["code"] for feature in layer["features"]]
    expected = {code for code in gazetteer.departements() if len(code) == 2 or code in OVERSEAS}
    assert len(codes) == len(set(codes)) == 101 and set(codes) == expected
    names = {feature["properties"]["code"]: feature["properties"]["nom"] for feature in layer["features"]}
    assert names["29"] == "Finistère" and names["2A"] == "Corse-du-Sud" and names["976"] == "Mayotte"
    assert "IGN ADMIN EXPRESS" in layer["attribution"] and "Licence Ouverte" in layer["attribution"]


def test_each_departement_is_closed_polygons_around_its_largest_commune(layer, gazetteer):
    largest = {}
    for place in gazetteer.places():
        if place.kind != "arrondissement" and place.population >= largest.get(place.departement, (0,))[0]:
            largest[place.departement] = (place.population, place)
    for feature in layer["features"]:
        geometry = feature["geometry"]
        assert geometry["type"] in ("Polygon", "MultiPolygon")
        outline = rings(geometry)
        assert all(len(ring) >= 4 and ring[0] == ring[-1] for ring in outline)
        lons = [point[0] for ring in outline for point in ring]
        lats = [point[1] for ring in outline for point in ring]
        place = largest[feature["properties"]["code"]][1]  # Brest's point inside the Finistère, and so on
        assert min(lons) <= place.lon <= max(lons) and min(lats) <= place.lat <= max(lats), place.label


async def test_the_app_serves_the_layer_compressed(client):
    response = await client.get("/static/geosearch/map/departements.geojson", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200 and response.headers["content-encoding"] == "gzip"
    assert len(response.json()["features"]) == 101


@pytest.mark.skipif(not MAP_ASSETS.exists(), reason="no map without Leaflet: python scripts/vendor_assets.py")
async def test_the_search_page_links_the_layer_only_without_a_tile_server(client, settings, plugin_manager):
    page = (await client.get("/recherche", params={"near": "33000"})).text
    assert 'data-layer="/static/geosearch/map/departements.geojson?v=' in page
    tiled = create_app(replace(settings, map_tiles_url="https://tiles.example/{z}/{x}/{y}.png"), plugin_manager)
    async with serve(tiled) as other:
        assert "data-layer" not in (await other.get("/recherche", params={"near": "33000"})).text
