"""The digital diagnostic: its scoring as a pure function, then its pages over HTTP."""

from __future__ import annotations

import logging
import tomllib
from dataclasses import replace
from urllib.parse import parse_qs, urlsplit

import lxml.html
import pytest

from directory import catalogue
from directory.app import create_app
from directory.plugin_manager import get_plugin_manager
from directory.testing import add_providers, csrf_token, provider_row, serve
from plugins.needs.diagnostic import SHIPPED, Questionnaire, QuestionnaireError
from plugins.needs.routes import CHOOSE, NO_PLACE, UNKNOWN_PLACE

SERVICES = catalogue.SERVICE_SLUGS


@pytest.fixture(scope="module")
def questionnaire():
    return Questionnaire.shipped(SERVICES)


def answered(questionnaire, best=True, **chosen):
    """Every question answered with its best (or worst) answer, but those ``chosen``."""
    answers = {q.key: q.answers[-1 if best else 0].key for q in questionnaire.questions}
    return {**answers, **chosen}


def keys(scores):
    return [score.theme.key for score in scores]


# Scoring: no app, no database.

def test_the_questionnaire_asks_about_ten_plain_questions_of_three_or_four_answers(questionnaire):
    assert 9 <= len(questionnaire.questions) <= 12
    assert all(3 <= len(question.answers) <= 4 for question in questionnaire.questions)
    words = " ".join(q.text + " ".join(a.text for a in q.answers) for q in questionnaire.questions).lower()
    for jargon in ("seo", "sea", "cloud", "cms", "crm", "erp", "2fa", "saas"):
        assert f" {jargon} " not in f" {words} ", jargon


def test_every_theme_names_catalogue_services_in_plain_words(questionnaire):
    for theme in questionnaire.themes.values():
        assert theme.services and set(theme.services) <= SERVICES
        assert "SEO" not in theme.title + theme.why + theme.need


def test_a_business_in_good_shape_everywhere_has_no_priority(questionnaire):
    diagnosis = questionnaire.diagnose(answered(questionnaire))
    assert diagnosis.priorities == () and diagnosis.services == ()
    assert keys(diagnosis.fine) == list(questionnaire.themes)


def test_the_weakest_themes_weighted_by_impact_come_first_three_at_most(questionnaire):
    # Showcase site old (1 of 3, impact 2), backups never (0, impact 3), social networks never (0, impact 1),
    # skills partial (1 of 3, impact 1).
    diagnosis = questionnaire.diagnose(answered(questionnaire, site="ancien", sauvegarde="perdus",
                                                reseaux="non", competences="moyen"))
    assert keys(diagnosis.priorities) == ["sauvegarde", "site", "reseaux"]
    assert keys(diagnosis.later) == ["competences"]
    assert diagnosis.services == ("sauvegarde", "site-vitrine", "hebergement", "reseaux-sociaux",
                                  "identite-visuelle")
    assert "site" not in keys(diagnosis.fine) and "securite" in keys(diagnosis.fine)


def test_invoices_made_without_software_make_e_invoicing_a_priority_whatever_else_scores(questionnaire):
    # Four themes weigh more than invoicing in a word processor once it is not urgent...
    weak = dict(visibilite="non", sauvegarde="perdus", securite="meme-mot-de-passe", site="non")
    with_software = questionnaire.diagnose(answered(questionnaire, gestion="logiciel", **weak))
    assert "gestion" not in keys(with_software.priorities)
    # ...but without software, the law's dates keep it among the three.
    for answer in ("papier", "bureautique"):
        diagnosis = questionnaire.diagnose(answered(questionnaire, gestion=answer, **weak))
        assert "gestion" in keys(diagnosis.priorities) and len(diagnosis.priorities) == 3
        assert "logiciels-gestion-caisse" in diagnosis.services
        why = questionnaire.themes["gestion"].why
        assert "1er septembre 2026" in why and "1er septembre 2027" in why


def test_between_equal_weights_the_deadline_comes_first(questionnaire):
    diagnosis = questionnaire.diagnose(answered(questionnaire, best=False))
    assert keys(diagnosis.priorities)[0] == "gestion"
    assert all(score.weight == 3 for score in diagnosis.priorities)


def test_a_theme_that_does_not_apply_is_neither_fine_nor_a_priority(questionnaire):
    diagnosis = questionnaire.diagnose(answered(questionnaire, best=False, vente="inutile"))
    assert "vente" not in keys(diagnosis.scores)
    useful = questionnaire.diagnose(answered(questionnaire, vente="non"))
    assert keys(useful.priorities) == ["vente"]


def test_a_questionnaire_refuses_unknown_services_themes_and_odd_questions():
    data = tomllib.loads(SHIPPED.read_text("utf-8"))
    data["themes"]["site"]["services"] = ["site-vitrine", "vitrine-magique"]
    data["questions"][0]["answers"] = data["questions"][0]["answers"][:2]
    data["questions"][1]["answers"][0]["points"] = {"astrologie": 1}
    with pytest.raises(QuestionnaireError) as refused:
        Questionnaire.build(data, SERVICES)
    message = str(refused.value)
    assert "vitrine-magique" in message and "question site: 2 answers" in message and "astrologie" in message


# The pages.

QUIMPER_AGENCY = dict(trade_name="Agence Odet", postal_code="29000", commune="Quimper",
                      services="site-vitrine;referencement;e-commerce", service_radius_km="40")
BREST_RESELLER = dict(trade_name="Brest Sauvegarde", kind="reseller", postal_code="29200", commune="Brest",
                      services="sauvegarde;logiciels-gestion-caisse;cybersecurite", service_radius_km="100")
LYON_AGENCY = dict(trade_name="Lumen Web", postal_code="69003", commune="Lyon 3e Arrondissement",
                   services="site-vitrine;referencement", service_radius_km="30")


@pytest.fixture
async def finistere(settings):
    return await add_providers(provider_row(**QUIMPER_AGENCY), provider_row(**BREST_RESELLER),
                               provider_row(**LYON_AGENCY))


def page_of(response):
    return lxml.html.fromstring(response.text)


def text(element) -> str:
    return " ".join(element.text_content().split())


async def post_answers(client, answers):
    token = await csrf_token(client, "/diagnostic")
    return await client.post("/diagnostic/resultat", data={**answers, "_csrf_token": token})


def weak_quimper(questionnaire):
    """A café near Quimper: no site, not found on maps, no backups, invoices in a spreadsheet."""
    return {**answered(questionnaire, site="non", visibilite="ne-sait-pas", sauvegarde="perdus",
                       gestion="bureautique"), "near": "29000"}


async def test_the_questions_page_asks_every_question_with_plain_answers(client, questionnaire):
    response = await client.get("/diagnostic")
    assert response.status_code == 200
    page = page_of(response)
    assert text(page.find(".//h1")) == "Où en est mon entreprise avec le numérique ?"
    [form] = page.xpath("//form[@action='/diagnostic/resultat']")
    assert form.get("method") == "post" and form.xpath(".//input[@name='_csrf_token']")
    for question in questionnaire.questions:
        radios = form.xpath(f".//input[@type='radio'][@name='{question.key}']")
        assert [radio.get("value") for radio in radios] == [answer.key for answer in question.answers]
    assert text(form.xpath(".//label[@for='champ-near']")[0]) == "Code postal ou commune"


async def test_answers_give_priorities_services_providers_and_a_prefilled_request(finistere, client,
                                                                                  questionnaire):
    response = await post_answers(client, weak_quimper(questionnaire))
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    page = page_of(response)
    assert [text(h3) for h3 in page.xpath("//ol[@class='priorities']//h3")] == [
        "Vos devis et vos factures", "Être trouvé sur Google et sur les cartes",
        "La sauvegarde de vos fichiers"]
    main = text(page.find(".//main"))
    assert "1er septembre 2026" in main and "Référencement naturel (SEO)" in main
    assert "Votre site internet" in text(page.xpath("//ul[@class='later']")[0])  # weak too, but fourth
    nearby = page.xpath("//section[@class='nearby']//li")
    # Who comes to Quimper (not Lyon's agency), offering more of the priorities' services first.
    assert [text(li.find(".//strong")) for li in nearby] == ["Brest Sauvegarde", "Agence Odet"]
    assert "Propose : Logiciels de gestion et caisse · Sauvegarde et reprise d'activité" in text(nearby[0])
    assert "Propose : Référencement naturel (SEO)" in text(nearby[1]) and "à 0,0 km" in text(nearby[1])

    [request_link] = page.xpath("//main//a[text()='Demander un devis']/@href")
    url = urlsplit(request_link)
    query = parse_qs(url.query)
    assert url.path == "/devis"
    assert query["services"] == ["logiciels-gestion-caisse", "referencement", "publicite-en-ligne",
                                 "sauvegarde"]
    assert query["near"] == ["29000"]
    assert query["description"][0].startswith(
        "Suite au diagnostic numérique, voici mes priorités : passer à un logiciel de facturation")
    [search] = page.xpath("//section[@class='nearby']//a[text()=\"Sauvegarde et reprise d'activité\"]/@href")
    assert parse_qs(urlsplit(search).query) == {"services": ["sauvegarde"], "near": ["29000"]}

    form = page_of(await client.get(request_link))  # the request form opens with all of it
    ticked = form.xpath("//input[@name='services'][@checked]/@value")
    assert ticked == ["sauvegarde", "logiciels-gestion-caisse", "referencement", "publicite-en-ligne"]
    assert form.xpath("//input[@name='near']/@value") == ["29000"]
    assert "voici mes priorités" in text(form.xpath("//textarea[@name='description']")[0])


async def test_missing_and_invalid_answers_are_shown_on_their_question_and_kept(client, questionnaire):
    answers = weak_quimper(questionnaire)
    del answers["reseaux"]
    answers["securite"] = "tout-va-bien"
    answers["near"] = "Zzyzx-sur-Mer"
    response = await post_answers(client, answers)
    assert response.status_code == 400
    page = page_of(response)
    for key in ("reseaux", "securite"):
        [fieldset] = page.xpath(f"//fieldset[@id='question-{key}']")
        assert fieldset.get("aria-describedby") == f"erreur-{key}"
        assert text(fieldset.get_element_by_id(f"erreur-{key}")) == CHOOSE
    assert text(page.get_element_by_id("erreur-near")) == UNKNOWN_PLACE
    assert page.get_element_by_id("champ-near").get("value") == "Zzyzx-sur-Mer"
    assert page.xpath("//input[@name='site'][@checked]/@value") == ["non"]  # the answers given are kept
    assert page.xpath("//input[@name='gestion'][@checked]/@value") == ["bureautique"]
    assert [text(item) for item in page.xpath("//*[@role='alert']//li/a")] == ["question 4", "question 7",
                                                                             "votre commune"]


async def test_a_business_must_say_where_it_is(client, questionnaire):
    response = await post_answers(client, {**weak_quimper(questionnaire), "near": "  "})
    assert response.status_code == 400
    assert text(page_of(response).get_element_by_id("erreur-near")) == NO_PLACE


async def test_answers_are_posted_with_csrf_and_never_logged(finistere, client, questionnaire, caplog):
    refused = await client.post("/diagnostic/resultat", data=weak_quimper(questionnaire))
    assert refused.status_code == 403  # no CSRF token
    with caplog.at_level(logging.DEBUG):
        response = await post_answers(client, weak_quimper(questionnaire))
    assert response.status_code == 200
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "/diagnostic/resultat" in logged  # the access log saw the request...
    for value in ("bureautique", "ne-sait-pas", "perdus", "29000"):
        assert value not in logged  # ...and none of its answers
    again = await client.get("/diagnostic/resultat")  # an address alone leads back to the questions
    assert again.status_code == 303 and again.headers["location"] == "/diagnostic"


async def test_everything_fine_says_so_and_asks_for_nothing(finistere, client, questionnaire):
    page = page_of(await post_answers(client, {**answered(questionnaire), "near": "Quimper"}))
    assert "tout ce que nous avons regardé est en ordre" in text(page.xpath("//p[@class='summary']")[0])
    assert not page.xpath("//ol[@class='priorities']")
    assert not page.xpath("//main//a[text()='Demander un devis']")
    assert len(page.xpath("//ul[@class='fine']/li")) == len(questionnaire.themes)


async def test_without_the_search_and_leads_plugins_the_result_still_answers(settings, questionnaire):
    alone = replace(settings, disabled_plugins=("plugins.geosearch", "plugins.leads"))
    async with serve(create_app(alone, get_plugin_manager(alone))) as client:
        response = await post_answers(client, weak_quimper(questionnaire))
    assert response.status_code == 200
    page = page_of(response)
    assert text(page.xpath("//ol[@class='priorities']//h3")[0]) == "Vos devis et vos factures"
    assert "La liste des prestataires n'est pas disponible pour l'instant." in text(page)
    assert not page.xpath("//main//a[text()='Demander un devis']")
    assert not page.xpath("//a[contains(@href, '/recherche')]")


async def test_the_home_page_leads_to_the_diagnostic(client):
    home = page_of(await client.get("/"))
    assert home.xpath("//a[text()='Faire le diagnostic']/@href") == ["/diagnostic"]
    assert home.xpath("//nav[@class='site-nav']/a[text()='Diagnostic numérique']/@href") == ["/diagnostic"]


async def test_a_search_that_finds_nobody_offers_the_diagnostic(client, settings):
    nobody = page_of(await client.get("/recherche", params={"q": "zqwx plokt"}))
    assert nobody.xpath("//main//a[text()='Faites le point en dix questions']/@href") == ["/diagnostic"]
    alone = replace(settings, disabled_plugins=("plugins.needs",))
    async with serve(create_app(alone, get_plugin_manager(alone))) as without:
        response = await without.get("/recherche", params={"q": "zqwx plokt"})
    assert response.status_code == 200 and "Faites le point" not in response.text
