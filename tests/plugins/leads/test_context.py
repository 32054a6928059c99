"""The TPE's request keeps its context: the provider, place and words it comes with, what that provider
offers, and, on its follow-up page, the request as it sent it and who it went to."""

from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

from directory.testing import add_providers, csrf_token, provider_row, sign_in
from plugins.leads.tables import Lead, Offer
from tests.plugins.leads.test_flow import FORM, ask, network, site  # noqa: F401 - the fixtures

WEB_AND_SHOP = {"services": ["site-vitrine", "e-commerce"]}


def _ticked(page: str) -> set[str]:
    return set(re.findall(r'name="services" value="([^"]+)" checked', page))


def _field(page: str, name: str) -> str:
    return html.unescape(re.search(rf'name="{name}"[^>]* value="([^"]*)"', page)[1])


def _gap_shown(page: str) -> bool:
    """Whether the notice of services the first choice does not offer is visible (not ``hidden``)."""
    return re.search(r'<div class="notice" data-gap>', page) is not None


def _link_query(page: str, slug: str) -> dict[str, list[str]]:
    href = re.search(rf'href="(/devis\?[^"]*prestataire={slug}[^"]*)"', page)[1]
    return parse_qs(urlsplit(html.unescape(href)).query)


async def test_a_search_card_asks_its_provider_with_the_search_s_place_and_words(site, network):
    results = (await site.get("/recherche", params={"q": "boutique en ligne", "near": "29000"})).text
    query = _link_query(results, network["odet"])
    assert query == {"prestataire": [network["odet"]], "services": ["e-commerce"], "near": ["29000"],
                     "description": ["boutique en ligne"]}
    form = (await site.get("/devis", params=query, follow_redirects=True)).text
    assert _field(form, "prestataire") == network["odet"] and _field(form, "near") == "29000"
    assert ">boutique en ligne</textarea>" in form and _ticked(form) == {"e-commerce"}
    assert "proposée en premier à <strong>Agence Odet</strong> (Quimper) s'il propose" in form


async def test_the_home_page_asks_with_the_service_being_browsed(site):
    home = (await site.get("/", params={"service": "e-commerce"})).text
    assert 'href="/devis?services=e-commerce">Demander un devis</a>' in home


async def test_a_provider_s_page_asks_it_and_ticks_what_it_offers(site, network):
    profile = (await site.get(f"/prestataires/{network['kerf']}")).text
    link = html.unescape(re.search(r'href="(/devis\?prestataire=[^"]+)"', profile)[1])
    form = (await site.get(link)).text
    assert _ticked(form) == {"e-commerce", "site-vitrine"}
    assert "Nous avons coché les services que propose Studio Kerfeunteun" in form and not _gap_shown(form)


async def test_a_search_s_need_is_narrowed_to_what_the_provider_offers_or_kept_whole(site, network):
    narrowed = (await site.get("/devis", params={"prestataire": network["kerf"],
                                                 "services": ["site-vitrine", "referencement"]})).text
    assert _ticked(narrowed) == {"site-vitrine"} and "parmi les services de votre recherche" in narrowed
    from_words = (await site.get("/devis", params={"prestataire": network["odet"],
                                                   "description": "un site vitrine et une boutique en ligne"})).text
    assert _ticked(from_words) == {"e-commerce"}
    assert "Nous avons coché E-commerce d'après votre description" in from_words
    nothing_in_common = (await site.get("/devis", params={"prestataire": network["qi"], "services": "e-commerce"})).text
    assert _ticked(nothing_in_common) == {"e-commerce"} and _gap_shown(nothing_in_common)
    assert "<strong>Quimper Informatique</strong> ne propose aucun des services cochés" in nothing_in_common


async def test_sending_services_the_first_choice_lacks_asks_first_and_stores_nothing(site, network, manual_clock):
    path = f"/devis?prestataire={network['odet']}"
    held = await ask(site, manual_clock, path, prestataire=network["odet"], **WEB_AND_SHOP)
    assert held.status_code == 200 and await Lead.count() == 0
    page = held.text
    assert "Votre demande n'est pas encore envoyée" in page and _gap_shown(page)
    assert "<strong>Agence Odet</strong> ne propose pas : <span data-missing>Site vitrine</span>" in page
    assert "Agence Odet propose : E-commerce." in page and "Envoyer quand même" in page
    assert 'aria-describedby="ecart-prestataire"' in page  # the services fieldset names the notice
    assert _ticked(page) == {"site-vitrine", "e-commerce"} and "Anne Le Goff" in page and 'value="29000"' in page
    # Confirmed at once: the same form (its stamp kept), no second wait.
    sent = await site.post("/devis", data={**FORM, **WEB_AND_SHOP, "prestataire": network["odet"],
                                           "_csrf_token": _field(page, "_csrf_token"),
                                           "formulaire": _field(page, "formulaire"), "quand_meme": "site-vitrine"})
    assert sent.status_code == 303
    [lead] = await Lead.select(Lead.services, Lead.first_choice)
    assert set(lead["services"]) == {"site-vitrine", "e-commerce"}


async def test_unticking_what_the_first_choice_lacks_sends_it_there_first(site, network, manual_clock):
    sent = await ask(site, manual_clock, f"/devis?prestataire={network['odet']}", prestataire=network["odet"])
    assert sent.status_code == 303
    [first] = await Offer.select(Offer.provider.slug.as_alias("slug")).where(Offer.rank == 1)
    assert first["slug"] == network["odet"]


async def test_a_confirmation_holds_only_for_the_services_it_named(site, network, manual_clock):
    held = await ask(site, manual_clock, f"/devis?prestataire={network['qi']}", prestataire=network["qi"],
                     quand_meme="site-vitrine", **WEB_AND_SHOP)
    assert held.status_code == 200 and await Lead.count() == 0
    assert "<strong>Quimper Informatique</strong> ne propose aucun des services cochés (<span data-missing>" \
           "Site vitrine, E-commerce</span>)" in held.text
    assert 'name="quand_meme" value="site-vitrine e-commerce">' in held.text  # not ticked: it named less


async def test_other_errors_show_with_the_notice_and_keep_the_confirmation(site, network, manual_clock):
    refused = await ask(site, manual_clock, f"/devis?prestataire={network['odet']}", prestataire=network["odet"],
                        contact_email="pas-une-adresse", quand_meme="site-vitrine", **WEB_AND_SHOP)
    assert refused.status_code == 400 and 'id="erreur-contact_email"' in refused.text and _gap_shown(refused.text)
    assert 'name="quand_meme" value="site-vitrine" checked>' in refused.text and await Lead.count() == 0


async def test_a_description_with_nothing_ticked_is_ticked_for_the_tpe_to_check(site, network, manual_clock):
    held = await ask(site, manual_clock, services=[], description="Je veux vendre mes galettes sur internet.")
    assert held.status_code == 200 and await Lead.count() == 0
    page = held.text
    assert "Nous avons coché E-commerce d'après votre description : vérifiez puis envoyez." in page
    assert _ticked(page) == {"e-commerce"} and 'aria-describedby="services-coches"' in page
    assert "Votre demande n'est pas encore envoyée" in page and "Anne Le Goff" in page
    sent = await site.post("/devis", data={**FORM, "description": "Je veux vendre mes galettes sur internet.",
                                           "_csrf_token": _field(page, "_csrf_token"),
                                           "formulaire": _field(page, "formulaire")})
    assert sent.status_code == 303 and await Lead.count() == 1


async def test_a_description_too_short_to_send_still_ticks_what_it_names(site, manual_clock):
    refused = await ask(site, manual_clock, services=[], description="Site vitrine")
    assert refused.status_code == 400 and 'id="erreur-description"' in refused.text and await Lead.count() == 0
    assert _ticked(refused.text) == {"site-vitrine"} and "Nous avons coché Site vitrine d'après" in refused.text


async def test_a_description_naming_no_service_still_asks_to_tick_one(site, manual_clock):
    refused = await ask(site, manual_clock, services=[], description="Un projet pour la crêperie, on en reparle.")
    assert refused.status_code == 400 and 'id="erreur-services"' in refused.text and await Lead.count() == 0


async def test_the_follow_up_page_shows_the_request_and_who_it_went_to(site, network, manual_clock):
    [namesake] = await add_providers(provider_row(trade_name="Agence Odet", email="odet2@example.fr",
                                                  postal_code="29100", commune="Douarnenez", services="e-commerce"))
    follow = (await ask(site, manual_clock, f"/devis?prestataire={namesake}", prestataire=namesake,
                        company_size="2-5", sector="commerce")).headers["location"]
    await site.post(f"{follow.split('?')[0]}/precisions", data={
        "details": "Avec le paiement en ligne.", "_csrf_token": await csrf_token(site, follow)})
    page = (await site.get(follow)).text
    summary = re.search(r'<dl class="lead-summary">(.*?)</dl>', page, re.DOTALL)[1]
    for shown in ("E-commerce", "Quimper (29000)", "De 1 000 à 3 000 €", "Dans le mois", "2 à 5 personnes",
                  "Commerce de détail", "Une boutique en ligne pour notre crêperie.", "Avec le paiement en ligne."):
        assert shown in summary
    offered = html.unescape(re.search(r'<ul class="offered">(.*?)</ul>', page, re.DOTALL)[1])
    assert f'<a href="/prestataires/{network["odet"]}"><strong>Agence Odet</strong></a> (29000 Quimper)' in offered
    assert f'<a href="/prestataires/{namesake}"><strong>Agence Odet</strong></a> (29100 Douarnenez), votre premier ' \
           "choix" in offered
    assert offered.count("n'a pas encore répondu") == 3
    assert "odet@example.fr" not in page and "odet2@example.fr" not in page  # contacts only once accepted
    await sign_in(site, "membre.odet@example.fr")
    offer = await Offer.select(Offer.id).where(Offer.provider.slug == network["odet"]).first()
    await site.post(f"/compte/demandes/{offer['id']}", data={
        "decision": "accepter", "_csrf_token": await csrf_token(site, "/compte/demandes")})
    page = (await site.get(follow)).text
    accepted = re.search(r'<ul class="accepted">(.*?)</ul>', page, re.DOTALL)[1]
    assert "(29000 Quimper)" in accepted and "odet@example.fr" in accepted and "odet2@example.fr" not in page
    assert "Agence Odet</strong></a> (29000 Quimper) : a accepté" in html.unescape(page)
