"""The geolocated search plugin, end to end: API, page, index upkeep, commands."""

import asyncio
import time

import pytest

from directory import providers
from directory.records import clean_record
from directory.testing import add_providers, provider_row
from geo import Gazetteer


@pytest.fixture
async def bordeaux(settings):
    """Providers around Bordeaux, one in Lyon, one unpublished."""
    return await add_providers(
        provider_row(trade_name="Agence Pixel", services="site-vitrine;e-commerce", postal_code="33000"),
        provider_row(trade_name="Studio Galet", services="referencement;site-vitrine", postal_code="33700",
                     commune="Mérignac", description="Référencement naturel et sites internet pour artisans."),
        provider_row(trade_name="Micro Services Talence", kind="reseller", postal_code="33400", commune="Talence",
                     services="maintenance-infogerance;cybersecurite", description="Maintenance informatique et "
                     "cybersécurité des petites entreprises.", on_site="oui", remote="non"),
        provider_row(trade_name="Bassin Informatique", kind="reseller", postal_code="33120", commune="Arcachon",
                     services="maintenance-infogerance;reseau-wifi", languages="fr;es", remote="oui"),
        provider_row(trade_name="Agence Lumen", postal_code="69003", commune="Lyon 3e Arrondissement",
                     services="site-vitrine"),
        provider_row(trade_name="Agence Brouillon", postal_code="33000", state="draft"),
    )


async def search(client, **params):
    response = await client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_near_a_postal_code_gives_the_nearest_first_with_distances(bordeaux, client):
    body = await search(client, near="33000", radius_km=20)
    assert [hit["trade_name"] for hit in body["hits"]] == ["Agence Pixel", "Micro Services Talence", "Studio Galet"]
    distances = [hit["distance_km"] for hit in body["hits"]]
    assert distances == sorted(distances) and distances[0] < 1
    assert body["total"] == 3
    assert body["near"]["place"]["name"] == "Bordeaux" and body["near"]["kind"] == "postal_code"


async def test_text_filters_and_facets(bordeaux, client):
    body = await search(client, q="maintenance informatique", near="Bordeaux", radius_km=100)
    assert {hit["trade_name"] for hit in body["hits"]} == {"Micro Services Talence", "Bassin Informatique"}
    assert body["facets"]["kind"] == {"reseller": 2}
    body = await search(client, near="33000", radius_km=100, kind="reseller", on_site="true", remote="false")
    assert [hit["trade_name"] for hit in body["hits"]] == ["Micro Services Talence"]
    body = await search(client, near="33000", radius_km=100, services=["site-vitrine", "e-commerce"])
    assert [hit["trade_name"] for hit in body["hits"]] == ["Agence Pixel"]
    assert [h["trade_name"] for h in (await search(client, languages="es"))["hits"]] == ["Bassin Informatique"]


@pytest.mark.parametrize("typo, correct", [
    ("agance web bordeau", "agence web bordeaux"),
    ("cybersecurite", "cybersécurité"),
    ("referencement naturel", "référencement naturel"),
    ("maintenace informatique", "maintenance informatique"),
])
async def test_typos_and_missing_accents_give_the_same_first_results(bordeaux, client, typo, correct):
    wrong = await search(client, q=typo)
    right = await search(client, q=correct)
    assert right["hits"], correct
    assert [h["slug"] for h in wrong["hits"][:3]] == [h["slug"] for h in right["hits"][:3]]


async def test_unpublished_providers_are_never_found(bordeaux, client):
    body = await search(client, q="brouillon")
    assert body["hits"] == []


async def test_an_unknown_place_is_a_400_with_suggestions(bordeaux, client):
    response = await client.get("/api/search", params={"near": "Montpelloer"})
    assert response.status_code == 400
    problem = response.json()
    assert problem["invalid-params"][0]["name"] == "near"
    assert "Montpellier (34)" in problem["detail"]


@pytest.mark.parametrize("params, name", [
    ({"radius_km": "0", "near": "33000"}, "radius_km"),
    ({"kind": "plombier"}, "kind"),
    ({"services": "plomberie"}, "services"),
    ({"sort": "price"}, "sort"),
    ({"limit": "500"}, "limit"),
])
async def test_bad_parameters_are_400_problems_naming_them(bordeaux, client, params, name):
    response = await client.get("/api/search", params=params)
    assert response.status_code == 400
    assert [p["name"] for p in response.json()["invalid-params"]] == [name]


async def test_sorting_by_distance_without_a_place_answers_by_relevance(bordeaux, client):
    response = await client.get("/api/search", params={"sort": "distance", "q": "pixel"})
    assert response.status_code == 200 and response.json()["hits"][0]["distance_km"] is None


@pytest.mark.parametrize("near", [",", "0", "330", "b"])
async def test_what_is_not_a_place_is_a_400_not_some_city(bordeaux, client, near):
    response = await client.get("/api/search", params={"near": near})
    assert response.status_code == 400
    assert [p["name"] for p in response.json()["invalid-params"]] == ["near"]


async def test_places_autocomplete_puts_larger_places_first(client):
    places = (await client.get("/api/places", params={"q": "bord"})).json()
    assert places[0]["name"] == "Bordeaux" and places[0]["label"] == "Bordeaux (33)"


async def test_what_a_place_names_is_the_commune_a_search_would_keep(client):
    """The request form's "autour de moi" shows this name instead of the coordinates."""
    position = (await client.get("/api/places/resolved", params={"near": "47.7483,-3.3700"})).json()
    assert position["kind"] == "point" and position["place"]["label"] == "Lorient (56)"
    by_code = (await client.get("/api/places/resolved", params={"near": "81000"})).json()
    assert by_code["place"]["name"] == "Albi" and by_code["place"]["label"] == "Albi (81)"
    # The label reads back as the same commune, so the field can be sent as it is.
    again = (await client.get("/api/places/resolved", params={"near": "Lorient (56)"})).json()
    assert again["place"]["insee_code"] == position["place"]["insee_code"]


@pytest.mark.parametrize("near", ["", "zzqx", "330", "a" * 201])
async def test_a_text_that_names_no_place_is_a_400_with_suggestions_if_any(client, near):
    response = await client.get("/api/places/resolved", params={"near": near})
    assert response.status_code == 400
    assert [p["name"] for p in response.json()["invalid-params"]] == ["near"]


async def test_an_edit_is_searchable_within_a_second(bordeaux, client):
    row = provider_row(trade_name="Agence Pixel", siret=(await providers.export_records())[0].siret,
                       description="Désormais spécialiste des applications mobiles Colibri.")
    await providers.save_records([clean_record(row, Gazetteer.default())])
    started = time.monotonic()
    while time.monotonic() - started < 3:
        if (await search(client, q="colibri"))["hits"]:
            break
        await asyncio.sleep(0.05)
    assert (await search(client, q="colibri"))["hits"][0]["trade_name"] == "Agence Pixel"
    assert time.monotonic() - started < 1


async def test_a_provider_already_shown_shows_its_edit(bordeaux, client):
    shown = (await search(client, q="pixel"))["hits"][0]
    siret = next(r.siret for r in await providers.export_records() if r.trade_name == "Agence Pixel")
    row = provider_row(trade_name="Studio Pixel", siret=siret, services="site-vitrine;e-commerce", postal_code="33000")
    await providers.save_records([clean_record(row, Gazetteer.default())])
    for _ in range(40):
        if (await search(client, q="pixel"))["hits"][0]["trade_name"] == "Studio Pixel":
            break
        await asyncio.sleep(0.05)
    edited = (await search(client, q="pixel"))["hits"][0]
    assert edited["slug"] == shown["slug"] and edited["trade_name"] == "Studio Pixel"


async def test_a_removed_provider_leaves_the_index(bordeaux, client):
    await providers.delete_provider("agence-lumen-lyon-3e-arrondissement")
    for _ in range(40):
        if not (await search(client, q="lumen"))["hits"]:
            break
        await asyncio.sleep(0.05)
    assert (await search(client, q="lumen"))["hits"] == []


async def test_health_reports_the_search_engine(bordeaux, client):
    health = (await client.get("/health")).json()
    assert health["checks"]["search"]["ok"] is True
    assert health["checks"]["search"]["detail"]["documents"] == 5


async def test_the_search_page_works_without_javascript(bordeaux, client):
    response = await client.get("/recherche", params={"q": "site", "near": "33000", "radius_km": "20"})
    assert response.status_code == 200
    text = response.text
    assert "<title>Rechercher un prestataire près de Bordeaux (33)" in text
    assert "à moins de 20 km <strong>de Bordeaux (33)</strong>" in text
    assert "Agence Pixel" in text and "à 0,3 km" in text or "à 0," in text
    assert "Agence Lumen" not in text


async def test_the_search_page_names_the_place_in_french_not_its_postal_code(bordeaux, client):
    text = (await client.get("/recherche", params={"near": "15000"})).text
    assert "<title>Rechercher un prestataire près d'Aurillac (15)" in text.replace("&#39;", "'")
    assert "15000" not in text.split("</title>")[0]


async def test_the_search_page_explains_an_unknown_place_in_french(bordeaux, client):
    text = (await client.get("/recherche", params={"near": "Montpelloer"})).text
    assert "Lieu inconnu" in text and ">Montpellier (34)</a>" in text
