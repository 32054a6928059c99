"""A TPE near Quimper asks for an online shop in Chromium; a provider accepts from its dashboard; the TPE sees who."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from directory.testing import STRONG
from plugins.leads.tables import Lead
from tests.browser import axe_serious, needs_chromium, needs_front_end, screenshot, served
from tests.plugins.leads.test_flow import network  # noqa: F401 - the fixture

pytestmark = [needs_chromium, needs_front_end]


@pytest.fixture
async def server(apps, settings, plugin_manager, network):
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with served(app) as address:
        yield address


async def send_as(tpe, name: str, address: str, manual_clock) -> None:  # noqa: ANN001 - a page, the clock
    """Sign the form with a name and an address, agree, and send it a minute after it was shown."""
    await tpe.get_by_label("Votre nom").fill(name)
    await tpe.get_by_label("Adresse e-mail").fill(address)
    await tpe.get_by_label(re.compile("J'accepte que ma demande soit transmise")).check()
    manual_clock.advance(seconds=60)
    await tpe.get_by_role("button", name="Envoyer ma demande").click()


async def test_a_tpe_asks_a_provider_accepts_and_the_tpe_sees_who(server, context, manual_clock):
    tpe = await context.new_page()
    await tpe.goto(f"{server}/")
    await tpe.get_by_role("link", name="Demander un devis").first.click()
    await tpe.get_by_label("E-commerce").check()
    await tpe.get_by_label("Code postal ou commune de votre entreprise").fill("Quimper")
    await tpe.get_by_label("Décrivez votre besoin").fill("Une boutique en ligne pour vendre nos galettes.")
    await tpe.get_by_label("Budget").select_option(label="De 1 000 à 3 000 €")
    await tpe.get_by_label("Votre nom").fill("Anne Le Goff")
    await tpe.get_by_label("Adresse e-mail").fill("anne@ty-anne.fr")
    await tpe.get_by_label(re.compile("J'accepte que ma demande soit transmise")).check()
    await screenshot(tpe, "lead-form")
    assert await axe_serious(tpe) == []
    manual_clock.advance(seconds=60)
    await tpe.get_by_role("button", name="Envoyer ma demande").click()
    await tpe.get_by_text("Votre demande est enregistrée").wait_for(timeout=5000)
    follow_url = tpe.url
    assert "Proposée à Agence Odet" in await tpe.inner_text("main")
    await screenshot(tpe, "lead-follow")
    assert await axe_serious(tpe) == []

    provider = await context.browser.new_context(bypass_csp=True)
    page = await provider.new_page()
    await page.goto(f"{server}/compte/connexion")
    await page.get_by_label("Adresse e-mail").fill("membre.odet@example.fr")
    await page.get_by_label("Mot de passe").fill(STRONG)
    await page.get_by_role("button", name="Se connecter").click()
    await page.goto(f"{server}/compte/demandes")
    await page.get_by_text("Une boutique en ligne pour vendre nos galettes.").wait_for(timeout=5000)
    assert "anne@ty-anne.fr" not in await page.inner_text("main")
    await screenshot(page, "lead-dashboard")
    assert await axe_serious(page) == []
    await page.get_by_role("button", name="Accepter").click()
    await page.get_by_text("anne@ty-anne.fr").wait_for(timeout=5000)
    await provider.close()

    await tpe.goto(follow_url)
    text = await tpe.inner_text("main")
    assert "Prestataires qui ont accepté" in text and "Agence Odet" in text and "odet@example.fr" in text


async def test_on_a_phone_the_form_says_live_what_the_first_choice_lacks_and_the_follow_up_shows_the_request(
        server, context, network, manual_clock):
    phone = await context.browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    tpe = await phone.new_page()
    await tpe.goto(f"{server}/devis?prestataire={network['odet']}&near=29000")
    gap = tpe.locator("#ecart-prestataire")
    assert await tpe.get_by_label("E-commerce").is_checked() and not await gap.locator("[data-gap]").is_visible()
    await tpe.get_by_label("Site vitrine").check()
    await gap.get_by_text("Agence Odet ne propose pas : Site vitrine.").wait_for(timeout=5000)
    await tpe.get_by_label("E-commerce").uncheck()
    await gap.get_by_text("ne propose aucun des services cochés (Site vitrine)").wait_for(timeout=5000)
    await tpe.get_by_label("E-commerce").check()
    await tpe.get_by_label("Décrivez votre besoin").fill("Un site et une boutique pour vendre nos galettes.")
    await tpe.get_by_label("Votre nom").fill("Anne Le Goff")
    await tpe.get_by_label("Adresse e-mail").fill("anne@ty-anne.fr")
    await tpe.get_by_label(re.compile("J'accepte que ma demande soit transmise")).check()
    manual_clock.advance(seconds=60)
    await tpe.get_by_role("button", name="Envoyer ma demande").click()  # not confirmed: shown again
    await tpe.get_by_text("Votre demande n'est pas encore envoyée").wait_for(timeout=5000)
    assert await gap.get_by_text("Agence Odet ne propose pas : Site vitrine.").is_visible()
    assert await tpe.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(tpe, "lead-form-first-choice-gap-390")
    assert await axe_serious(tpe) == []
    await tpe.get_by_label("Envoyer quand même ma demande avec ces services").check()
    await tpe.get_by_role("button", name="Envoyer ma demande").click()
    await tpe.get_by_text("Votre demande est enregistrée").wait_for(timeout=5000)
    summary = await tpe.locator(".lead-summary").inner_text()
    assert "Site vitrine, E-commerce" in summary and "Quimper (29000)" in summary
    offered = await tpe.locator("ul.offered").inner_text()
    assert "Agence Odet" not in offered  # it offers no showcase site: the others got the request
    assert "Studio Kerfeunteun (29000 Quimper) : n'a pas encore répondu" in offered
    assert await tpe.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(tpe, "lead-follow-390")
    assert await axe_serious(tpe) == []
    await phone.close()


async def test_on_a_phone_services_ticked_from_the_description_are_shown_to_check(server, context, manual_clock):
    phone = await context.browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    tpe = await phone.new_page()
    await tpe.goto(f"{server}/devis")
    await tpe.get_by_label("Code postal ou commune de votre entreprise").fill("29000")
    await tpe.get_by_label("Décrivez votre besoin").fill("Je veux vendre mes galettes sur internet.")
    await send_as(tpe, "Anne Le Goff", "anne@ty-anne.fr", manual_clock)
    await tpe.get_by_text("Nous avons coché E-commerce d'après votre description").wait_for(timeout=5000)
    assert await tpe.get_by_label("E-commerce").is_checked()
    assert await tpe.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(tpe, "lead-form-ticked-from-description-390")
    assert await axe_serious(tpe) == []
    await tpe.get_by_role("button", name="Envoyer ma demande").click()
    await tpe.get_by_text("Votre demande est enregistrée").wait_for(timeout=5000)
    await phone.close()


LORIENT = {"latitude": 47.7483, "longitude": -3.3700}


async def test_around_me_on_the_form_writes_the_communes_name_which_the_tpe_can_read_and_send(
        server, browser, manual_clock):
    context = await browser.new_context(geolocation=LORIENT, permissions=["geolocation"], locale="fr-FR",
                                        viewport={"width": 390, "height": 844})
    tpe = await context.new_page()
    await tpe.goto(f"{server}/devis")
    await tpe.get_by_role("button", name="Autour de moi").click()
    near = tpe.get_by_label("Code postal ou commune de votre entreprise")
    await tpe.wait_for_function("() => document.getElementById('champ-near').value === 'Lorient (56)'")
    assert "Lorient (56)" in await tpe.locator("#near-status").inner_text()
    await near.scroll_into_view_if_needed()
    await screenshot(tpe, "lead-form-around-me-phone")
    await tpe.get_by_label("E-commerce").check()
    await tpe.get_by_label("Décrivez votre besoin").fill("Une boutique en ligne pour vendre nos crêpes.")
    await send_as(tpe, "Yann Le Bihan", "yann@crepes-lorient.fr", manual_clock)
    await tpe.get_by_text("Votre demande est enregistrée").wait_for(timeout=5000)
    assert await near.count() == 0
    sent = await Lead.select(Lead.commune, Lead.postal_code).first()
    assert sent == {"commune": "Lorient", "postal_code": "56100"}
    await context.close()
