"""A TPE's own words: the needs lexicon, and the search and request form that use it."""

import pytest

from directory import catalogue
from plugins.needs.understanding import Lexicon, LexiconError

SERVICES = [service.slug for service in catalogue.SERVICES]


@pytest.fixture(scope="module")
def lexicon():
    return Lexicon.shipped(SERVICES)


@pytest.mark.parametrize("text, services", [
    ("je veux vendre mes gâteaux sur internet", ("e-commerce",)),
    ("réparer mon ordinateur", ("maintenance-infogerance",)),
    ("la réparation de mon PC", ("maintenance-infogerance",)),
    ("dépannage", ("maintenance-infogerance",)),
    ("être trouvé sur Google", ("referencement",)),
    ("mon ordinateur est lent", ("maintenance-infogerance",)),
    ("j'ai été piraté", ("cybersecurite",)),
    ("la facture électronique", ("logiciels-gestion-caisse",)),
    ("site e-commerce", ("e-commerce",)),  # the longer phrasing wins: not also a showcase site
    ("un site vitrine pour mon restaurant", ("site-vitrine",)),
    ("click and collect", ("e-commerce",)),
])
def test_everyday_phrasings_name_the_catalogue_services(lexicon, text, services):
    assert lexicon.understand(text).services == services


def test_words_between_those_of_a_phrasing_and_the_words_left(lexicon):
    understood = lexicon.understand("Je voudrais vendre mes gâteaux sur Internet")
    assert understood.words == {"e-commerce": "vendre internet"}
    assert understood.rest == ("gateaux",)  # stop words ("je", "mes", "sur") and filler ("voudrais") left out


def test_a_long_word_may_carry_a_typo(lexicon):
    assert lexicon.understand("référencemnt").services == ("referencement",)
    assert lexicon.understand("caise enregistreuse").services == ("logiciels-gestion-caisse",)


@pytest.mark.parametrize("text", ["agence web", "informatique", "internet", "numérique", "en ligne"])
def test_words_of_the_trade_alone_name_no_service(lexicon, text):
    """"agence web" must find every agency, not only those making showcase sites."""
    assert lexicon.understand(text).services == ()


def test_a_name_is_no_need(lexicon):
    understood = lexicon.understand("Agence Pixel")
    assert understood.services == () and understood.rest == ("agence", "pixel")


def test_every_service_of_the_catalogue_has_many_phrasings(lexicon):
    counts = {slug: sum(slug in p.services for p in lexicon.phrasings) for slug in SERVICES}
    assert min(counts.values()) >= 15, counts


def test_a_lexicon_refuses_unknown_services_and_filler_words_that_phrasings_need():
    with pytest.raises(LexiconError, match="unknown services"):
        Lexicon.build({"vente-de-gateaux": ["gâteaux"]}, [], SERVICES)
    with pytest.raises(LexiconError, match="filler"):
        Lexicon.build({"e-commerce": ["vendre en ligne"]}, ["vendre"], SERVICES)


async def search(client, **params):
    response = await client.get("/api/search", params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_a_sentence_finds_the_providers_offering_what_it_asks_for(network, client):
    body = await search(client, q="je veux vendre mes gâteaux sur internet")
    assert [need["slug"] for need in body["understood"]] == ["e-commerce"]
    assert body["understood"][0]["words"] == "vendre internet"
    assert body["total"] > 0
    assert all("e-commerce" in hit["services"] for hit in body["hits"])
    assert all(hit["matched_services"] == ["e-commerce"] for hit in body["hits"])
    # The same words as typed, the understanding taken back: every word required, nothing found.
    taken_back = await search(client, q="je veux vendre mes gâteaux sur internet", ignore="e-commerce")
    assert taken_back["understood"] == [] and taken_back["total"] <= body["total"]


async def test_other_words_rank_among_the_providers_of_the_service_but_exclude_none(network, client):
    everyone = await search(client, q="site vitrine", limit=50)
    ranked = await search(client, q="un site vitrine pour une boulangerie", limit=50)
    assert [need["slug"] for need in ranked["understood"]] == ["site-vitrine"]
    assert ranked["total"] == everyone["total"]
    assert {hit["slug"] for hit in ranked["hits"]} == {hit["slug"] for hit in everyone["hits"]}


async def test_the_search_page_says_what_it_understood_and_lets_the_tpe_take_it_back(network, client):
    page = (await client.get("/recherche", params={"q": "mon ordinateur est lent"})).text
    assert "Nous avons compris" in page and "Maintenance et infogérance" in page
    assert "ignore=maintenance-infogerance" in page
    taken_back = (await client.get("/recherche", params={"q": "mon ordinateur est lent",
                                                         "ignore": "maintenance-infogerance"})).text
    assert "Nous avons compris" not in taken_back and "Revenir à ce que nous avions compris" in taken_back


async def test_words_that_find_nobody_lead_to_a_prefilled_request(network, client):
    page = (await client.get("/recherche", params={"q": "zqwx plokt"})).text
    assert "Aucun prestataire ne correspond à ces mots." in page
    assert 'href="/devis?description=zqwx+plokt"' in page
    form = (await client.get("/devis", params={"description": "je veux vendre mes gâteaux sur internet",
                                               "near": "81000"})).text
    assert 'name="services" value="e-commerce" checked' in form.replace("  ", " ")
    assert "je veux vendre mes gâteaux sur internet</textarea>" in form and 'value="81000"' in form
