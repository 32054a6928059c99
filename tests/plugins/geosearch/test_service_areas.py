"""Who serves my place: a provider's own radius, its départements, and remote work shown apart."""

import msgspec
import pytest

from directory.testing import add_providers, provider_row
from plugins.geosearch.service import SearchParameters, run_search


@pytest.fixture
async def cantal(settings):
    """Around Aurillac (15000): providers 43 km away in Murat with wide and narrow radii, and others."""
    return await add_providers(
        provider_row(trade_name="Murat Informatique", kind="reseller", postal_code="15300", commune="Murat",
                     services="maintenance-infogerance", service_radius_km="80", on_site="oui", remote="non"),
        provider_row(trade_name="Murat Proximité", kind="reseller", postal_code="15300", commune="Murat",
                     services="maintenance-infogerance", service_radius_km="10", service_departements="15",
                     on_site="oui", remote="non"),
        provider_row(trade_name="Brive Dépannage", kind="reseller", postal_code="19100", commune="Brive-la-Gaillarde",
                     services="maintenance-infogerance", service_radius_km="20", on_site="oui", remote="non"),
        provider_row(trade_name="Clermont Réseaux", kind="reseller", postal_code="63000", commune="Clermont-Ferrand",
                     services="maintenance-infogerance", service_departements="63;15", on_site="oui", remote="oui"),
        provider_row(trade_name="Agence En Ligne", postal_code="69003", commune="Lyon 3e Arrondissement",
                     services="maintenance-infogerance", service_radius_km="15", on_site="non", remote="oui"),
    )


async def search(client, **params):
    response = await client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_place_finds_who_comes_there_by_radius_or_departement_with_office_distances(cantal, client):
    body = await search(client, q="maintenance", near="15000")
    assert body["area"] == "serves"
    hits = {hit["trade_name"]: hit["distance_km"] for hit in body["hits"]}
    # Murat (39 km) with 80 km covers Aurillac; the other Murat office covers the Cantal (15);
    # Clermont covers the 15 too; Brive (76 km) comes only 20 km around.
    assert set(hits) == {"Murat Informatique", "Murat Proximité", "Clermont Réseaux"}
    assert 35 < hits["Murat Informatique"] < 50 and hits["Clermont Réseaux"] > 100
    assert [hit["trade_name"] for hit in body["remote_hits"]] == ["Agence En Ligne"]
    assert body["remote_total"] == 1


async def test_the_old_within_a_radius_question_is_still_there(cantal, client):
    body = await search(client, q="maintenance", near="15000", radius_km=30)
    assert body["area"] == "radius" and body["hits"] == [] and body["remote_hits"] == []
    wide = await search(client, q="maintenance", near="15000", radius_km=80)
    assert {hit["trade_name"] for hit in wide["hits"]} == {"Murat Informatique", "Murat Proximité",
                                                           "Brive Dépannage"}


async def test_remote_work_can_be_asked_for_or_left_out(cantal, client):
    remote = await search(client, near="15000", remote="true")
    assert {hit["trade_name"] for hit in remote["hits"]} == {"Clermont Réseaux", "Agence En Ligne"}
    assert remote["remote_hits"] == []
    on_site = await search(client, near="15000", on_site="true")
    assert "Agence En Ligne" not in {hit["trade_name"] for hit in on_site["hits"]}
    assert on_site["remote_total"] == 0


async def test_the_page_shows_remote_providers_apart_below_those_who_come(cantal, client):
    text = (await client.get("/recherche", params={"q": "maintenance", "near": "15000"})).text
    assert "<strong>3</strong> prestataires interviennent sur site à <strong>Aurillac (15)</strong>" in text
    on_site, remote = text.split("Ils travaillent aussi à distance (1)")
    assert "Murat Informatique" in on_site and "Agence En Ligne" not in on_site
    assert "Agence En Ligne" in remote and "Murat Informatique" not in remote



@pytest.fixture
async def quimper(settings):
    """The only agency in Quimper, and three agencies 16 to 29 km away whose names say e-commerce."""
    return await add_providers(
        provider_row(trade_name="Studio Odet", postal_code="29000", commune="Quimper", services="e-commerce",
                     description="Sites et boutiques pour les commerces de Cornouaille."),
        provider_row(trade_name="E-commerce Douarnenez", postal_code="29100", commune="Douarnenez",
                     services="e-commerce", service_departements="29"),
        provider_row(trade_name="E-commerce Concarneau", postal_code="29900", commune="Concarneau",
                     services="e-commerce", service_departements="29"),
        provider_row(trade_name="E-commerce Châteaulin", postal_code="29150", commune="Châteaulin",
                     services="e-commerce", service_departements="29"),
    )


async def test_with_a_place_a_close_good_match_comes_before_far_ones(quimper, client):
    anywhere = await search(client, q="e-commerce")
    assert anywhere["hits"][0]["trade_name"] != "Studio Odet"  # without a place, names weigh more
    body = await search(client, q="e-commerce", near="29000")
    assert body["sort"] == "relevance" and body["hits"][0]["trade_name"] == "Studio Odet"
    distances = [hit["distance_km"] for hit in body["hits"]]
    assert distances == sorted(distances)


async def test_the_sort_is_a_visible_choice_kept_in_the_address(quimper, client):
    text = (await client.get("/recherche", params={"q": "e-commerce", "near": "29000", "sort": "distance"})).text
    assert '<option value="distance" selected>Distance</option>' in text
    assert '<option value="relevance" >Pertinence</option>' in text


async def test_each_card_tells_distance_matched_services_and_the_service_area(cantal, client):
    body = await search(client, q="maintenance", near="15000")
    murat = next(hit for hit in body["hits"] if hit["trade_name"] == "Murat Informatique")
    assert murat["matched_services"] == ["maintenance-infogerance"]
    assert (murat["on_site"], murat["remote"], murat["radius_km"]) == (True, False, 80)
    text = (await client.get("/recherche", params={"q": "maintenance", "near": "15000"})).text.replace("&#39;", "'")
    assert "<mark>Maintenance et infogérance</mark>" in text
    assert "Se déplace jusqu'à 80 km<" in text and "Se déplace jusqu'à 10 km · département 15<" in text
    assert "Se déplace · départements 63, 15 · aussi à distance" in text
    assert "À distance uniquement" in text


async def test_the_home_page_offers_the_one_line_search(client):
    text = (await client.get("/")).text
    form = text.split('class="search-form home-search"')[1].split("</form>")[0]
    assert 'action="/recherche"' in form and 'name="q"' in form and 'name="near"' in form
    assert 'class="around-me" hidden' in form  # shown by the script only where geolocation exists


async def test_a_position_is_named_after_its_commune(cantal, client):
    text = (await client.get("/recherche", params={"near": "44.9264,2.4400"})).text.replace("&#39;", "'")
    assert "Votre position : près d'Aurillac (15)" in text



async def test_nobody_around_offers_wider_radii_and_the_nearest_beyond(cantal, client):
    body = await search(client, q="maintenance", near="29000", on_site="true")
    assert body["total"] == 0 and body["remote_total"] == 0
    assert body["nearest"] and body["nearest"][0]["distance_km"] > 400
    text = (await client.get("/recherche", params={"q": "maintenance", "near": "29000", "on_site": "1"})).text
    widen = text.split('class="widen"')[1].split("</section>")[0]
    assert "radius_km=50" in widen and "radius_km=200" in widen and "Les plus proches" in widen
    assert body["nearest"][0]["trade_name"] in widen


async def test_the_api_sends_byte_for_byte_the_hits_the_page_shows(cantal, app, client):
    """The API sends each provider's facts as encoded once (``plugins.geosearch.hits``): the same JSON."""
    await client.get("/api/search", params={"q": "maintenance"})  # the index is ready
    seen = [await run_search(app.state.search, SearchParameters(**parameters)) for parameters in (
        {"q": "maintenance", "near": "15000"},  # matched services, distances, remote hits
        {"near": "63000"},  # the same providers at other distances, nothing matched
        {"q": "maintenance"},  # no place: no distance
        {"q": "maintenance", "near": "29000", "on_site": True},  # nobody comes: the nearest
    )]
    answer = seen[0]
    assert [bool(answer.hits), bool(answer.remote_hits), bool(answer.nearest)] == [True, True, False]
    assert seen[0].hits[0].overlap and seen[3].nearest and seen[2].hits[0].distance_km is None
    for answer in seen:
        assert answer.json() == msgspec.json.encode(answer.with_hits())
