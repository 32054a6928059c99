"""The embedded engine's own shortcuts (latitude band, packed ranking key, partial sort) give exact answers."""

import math
import random

import pytest
from geopy.distance import great_circle

from search import Eq, GeoPoint, IndexSettings, Reaches, SearchQuery, create_backend

SETTINGS = IndexSettings(
    searchable=("name", "description"),
    filterable=("kind", "services"),
    facets=("kind", "services"),
    custom_ranking=(("completeness", True),),
)
PARIS = GeoPoint(48.8566, 2.3522)


@pytest.fixture
async def engine():
    backend = create_backend("embedded")
    await backend.configure(SETTINGS)
    return backend


def document(number: int, lat: float, lon: float, **fields):
    return {"id": f"d{number}", "name": f"Agence {number}", "kind": "web_agency", "completeness": 50,
            "_geo": {"lat": lat, "lng": lon}, **fields}


async def all_pages(engine, limit: int, **query) -> list[str]:
    found, offset = [], 0
    while True:
        hits = (await engine.search(SearchQuery(offset=offset, limit=limit, **query))).hits
        if not hits:
            return found
        found += [hit.id for hit in hits]
        offset += limit


async def test_the_circle_keeps_exactly_the_documents_within_the_radius(engine):
    rng = random.Random(4)
    points = [(PARIS.lat + rng.uniform(-0.5, 0.5), PARIS.lon + rng.uniform(-0.7, 0.7)) for _ in range(400)]
    await engine.upsert([document(i, lat, lon) for i, (lat, lon) in enumerate(points)])
    result = await engine.search(SearchQuery(near=PARIS, radius_km=30, sort="distance", limit=1000))
    expected = {f"d{i}" for i, point in enumerate(points) if great_circle((PARIS.lat, PARIS.lon), point).km <= 30}
    assert {hit.id for hit in result.hits} == expected and result.total == len(expected)
    for hit in result.hits:
        point = points[int(hit.id[1:])]
        assert hit.distance_km == pytest.approx(great_circle((PARIS.lat, PARIS.lon), point).km, rel=1e-5)


async def test_due_north_and_south_at_the_edge_of_the_radius(engine):
    km_per_degree = math.pi * 6371.0 / 180
    await engine.upsert([
        document(1, PARIS.lat + 19.9 / km_per_degree, PARIS.lon),
        document(2, PARIS.lat - 19.9 / km_per_degree, PARIS.lon),
        document(3, PARIS.lat + 20.1 / km_per_degree, PARIS.lon),
    ])
    assert {hit.id for hit in (await engine.search(SearchQuery(near=PARIS, radius_km=20))).hits} == {"d1", "d2"}


async def test_pages_of_a_large_result_follow_the_full_order_even_with_ties(engine):
    # 120 documents on 6 points (equal distances) with 4 completeness levels (equal custom ranking).
    documents = [document(i, PARIS.lat + (i % 6) * 0.01, PARIS.lon, completeness=(i % 4) * 10) for i in range(120)]
    await engine.upsert(documents)
    by_distance = await all_pages(engine, 7, near=PARIS, radius_km=50, sort="distance")
    assert by_distance == await all_pages(engine, 200, near=PARIS, radius_km=50, sort="distance")
    assert by_distance == [d["id"] for d in sorted(documents, key=lambda d: (
        d["_geo"]["lat"], -d["completeness"], int(d["id"][1:])))]
    by_relevance = await all_pages(engine, 7, text="agence")
    assert by_relevance == [d["id"] for d in sorted(documents, key=lambda d: (-d["completeness"], int(d["id"][1:])))]


async def test_a_page_around_a_place_is_the_slice_of_the_full_order(engine):
    # Pages only measure the candidates that can reach them: the same order as measuring all,
    # with typos (other buckets), offices on the same spot and a few metres apart (equal tens of metres).
    rng = random.Random(12)
    spots = [(rng.uniform(43, 50), rng.uniform(-2, 7)) for _ in range(150)]
    documents = []
    for i in range(900):
        lat, lon = rng.choice(spots)
        lat += rng.choice([0, 0, 0.00003, -0.00004, rng.uniform(-0.3, 0.3)])
        documents.append(document(i, lat, lon, name=rng.choice(["Agence web", "Agence", "Agance web"]),
                                  completeness=rng.choice([10, 50, 90])))
    await engine.upsert(documents)
    for _ in range(25):
        point = GeoPoint(*rng.choice(spots)) if rng.random() < 0.5 else \
            GeoPoint(rng.uniform(43, 50), rng.uniform(-2, 7))
        for text in ("agence", "agence web"):
            everything = [hit.id for hit in (await engine.search(SearchQuery(text=text, near=point, limit=1000))).hits]
            assert len(everything) == 900 if text == "agence" else len(everything) > 300
            for offset, limit in ((0, 5), (0, 20), (37, 3), (600, 20)):
                page = await engine.search(SearchQuery(text=text, near=point, offset=offset, limit=limit))
                assert [hit.id for hit in page.hits] == everything[offset:offset + limit]


async def test_ranking_rules_apply_in_order(engine):
    await engine.upsert([
        {"id": "typo", "name": "Agance web", "completeness": 100},
        {"id": "far", "name": "Agence", "description": "un site web", "completeness": 90},
        {"id": "near", "name": "Agence web", "completeness": 10},
        {"id": "one", "name": "Agence", "completeness": 100},
        {"id": "prefix", "name": "Agence webmaster", "completeness": 80},
    ])
    # Both words before one; then no typo before a typo; then adjacent words; then exact before prefix.
    assert [hit.id for hit in (await engine.search(SearchQuery(text="agence web"))).hits] == [
        "near", "prefix", "far", "typo", "one"]


async def test_facets_count_each_document_once_and_only_the_matches(engine):
    await engine.upsert([
        document(1, 45.0, 5.0, services=["seo", "seo", "site"]),
        document(2, 45.0, 5.0, services=["site"], kind="reseller"),
        document(3, 45.0, 5.0, services=["hosting"], name="Autre"),
    ])
    result = await engine.search(SearchQuery(text="agence", facets=("kind", "services")))
    assert result.facets == {"kind": {"web_agency": 1, "reseller": 1}, "services": {"site": 2, "seo": 1}}
    filtered = await engine.search(SearchQuery(filter=Eq("kind", "reseller"), facets=("services",)))
    assert filtered.facets == {"services": {"site": 1}}


async def test_the_nearest_documents_of_a_filtered_search_are_those_of_the_whole_map(engine):
    rng = random.Random(9)
    await engine.upsert([document(i, rng.uniform(42, 51), rng.uniform(-4, 8), kind=rng.choice(["a", "b", "c"]))
                         for i in range(3000)])
    for _ in range(40):
        point = GeoPoint(rng.uniform(42, 51), rng.uniform(-4, 8))
        wanted = Eq("kind", rng.choice(["a", "b"]))
        for offset in (0, 40, 1500):
            found = await engine.search(SearchQuery(filter=wanted, near=point, sort="distance", offset=offset, limit=20))
            everywhere = await engine.search(SearchQuery(filter=wanted, near=point, sort="distance", offset=offset,
                                                         limit=20, facets=("kind",)))  # facets: the whole map
            assert [h.id for h in found.hits] == [h.id for h in everywhere.hits] and found.total == everywhere.total


async def test_reaches_finds_exactly_the_documents_whose_own_radius_covers_the_point(engine):
    rng = random.Random(12)
    docs = [document(i, rng.uniform(42, 51), rng.uniform(-4, 8), _reach_km=rng.choice([5, 20, 80, 300]))
            for i in range(2000)]
    await engine.configure(IndexSettings(searchable=("name",), filterable=("_reach_km",)))
    await engine.upsert(docs)
    for _ in range(30):
        lat, lon = rng.uniform(42, 51), rng.uniform(-4, 8)
        found = await all_pages(engine, 500, filter=Reaches(lat, lon))
        expected = {d["id"] for d in docs if great_circle((lat, lon), (d["_geo"]["lat"], d["_geo"]["lng"])).km
                    <= d["_reach_km"] * (1 - 1e-9)}
        near_edge = {d["id"] for d in docs if abs(great_circle((lat, lon), (d["_geo"]["lat"], d["_geo"]["lng"])).km
                                                  - d["_reach_km"]) < 0.01}
        assert expected - near_edge <= set(found) <= expected | near_edge


async def test_a_filter_keeps_its_whole_and_its_leaves_in_memory_not_the_combinations_between(engine):
    """Searches around many places would otherwise fill the cache with combinations seen once,
    and empty it before the next search came back to its own."""
    await engine.upsert([document(i, PARIS.lat + i / 1000, PARIS.lon, services=["seo"] if i % 2 else ["web"])
                         for i in range(20)])
    chosen = Eq("kind", "web_agency") & Eq("services", "seo")
    whole = chosen & (Eq("kind", "reseller") | Eq("services", "web"))
    first = await engine.search(SearchQuery(filter=whole, near=PARIS, limit=50))
    cached = engine.index.filter_cache
    assert whole in cached and chosen not in cached and whole.items[1] not in cached
    leaves = {("kind", "web_agency"), ("kind", "reseller"), ("services", "seo"), ("services", "web")}
    assert leaves <= cached.keys()
    assert await engine.search(SearchQuery(filter=whole, near=PARIS, limit=50)) == first


async def test_updates_past_the_live_documents_compact_the_index_and_lose_nothing(engine):
    await engine.upsert([document(n, 48.0, 2.0) for n in range(600)])
    for rename in range(3):  # 1,800 dead slots for 600 live ones: compacted on the way
        await engine.upsert([document(n, 48.0, 2.0, name=f"Agence {n} v{rename}") for n in range(600)])
    await engine.delete(["d0"])
    health = await engine.health()
    assert health["documents"] == 599 and health["dead_slots"] < 1000
    found = await engine.search(SearchQuery(text="v2", limit=1000))
    assert {hit.id for hit in found.hits} == {f"d{n}" for n in range(1, 600)}
