"""A provider and staff in a real browser: claim, edit, search, moderate; and the pages' accessibility."""

from __future__ import annotations

import re
import time
from dataclasses import replace

import pytest

from directory.tables import MailMessage, Provider
from directory.testing import STRONG, add_account, add_providers, provider_row
from tests.browser import axe_serious, needs_chromium, needs_front_end, screenshot, served

pytestmark = [needs_chromium, needs_front_end]


@pytest.fixture
async def server(apps, site, settings, plugin_manager):  # noqa: ARG001 - ``site`` empties the account tables
    await add_providers(provider_row(trade_name="Agence Pixel", email="contact@agence-pixel.fr"),
                        provider_row(trade_name="Studio Galet", postal_code="33700", commune="Mérignac"))
    await add_account("equipe@example.fr", staff=True)
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with served(app) as address:
        yield address


async def _link_sent_to(address: str) -> str:
    row = await MailMessage.select(MailMessage.text).where(MailMessage.recipient == address).order_by(
        MailMessage.id, ascending=False).first()
    return re.search(r"https?://\S+?(/compte/lien/\S+)", row["text"])[1]


async def _sign_in(page, server: str, email: str) -> None:
    await page.goto(f"{server}/compte/connexion")
    await page.get_by_label("Adresse e-mail").fill(email)
    await page.get_by_label("Mot de passe").fill(STRONG)
    await page.get_by_role("button", name="Se connecter").click()
    await page.get_by_text("Connecté en tant que").wait_for(timeout=5000)


async def test_a_provider_claims_its_listing_edits_it_and_finds_the_change_in_search(server, context):
    page = await context.new_page()
    await page.goto(f"{server}/prestataires/agence-pixel-bordeaux")
    await page.get_by_role("link", name="Vous êtes ce prestataire ? Gérez votre fiche").click()
    await page.get_by_role("button", name=re.compile("Recevoir le lien")).click()
    await page.get_by_text("Un lien vient d'être envoyé").wait_for(timeout=5000)

    await page.goto(server + await _link_sent_to("contact@agence-pixel.fr"))
    await page.get_by_label(re.compile("^Mot de passe")).fill(STRONG)
    await page.get_by_role("button", name="Enregistrer et accéder à mon espace").click()
    await page.get_by_role("link", name="Agence Pixel").click()
    await page.get_by_label("Description de votre activité").fill(
        "Boutiques en ligne et applications Colibri pour les commerçants de Gironde.")
    await page.get_by_role("button", name="Aperçu").click()
    await page.get_by_role("heading", name="Aperçu (non publié)").wait_for(timeout=5000)
    await screenshot(page, "profile-preview")
    assert await axe_serious(page) == []
    await page.get_by_role("button", name="Publier les modifications").click()
    await page.get_by_text("Modifications publiées.").wait_for(timeout=5000)
    published = time.monotonic()

    await page.goto(f"{server}/recherche?q=colibri")
    while not await page.get_by_text("Agence Pixel").count() and time.monotonic() - published < 5:
        await page.reload()
    assert await page.locator("main").get_by_text("Agence Pixel").count()
    assert time.monotonic() - published < 2


async def test_staff_approve_an_identity_change_made_in_the_browser(server, browser):
    await add_account("dirigeant@agence-pixel.fr", provider="agence-pixel-bordeaux")
    member_context = await browser.new_context()
    member = await member_context.new_page()
    await _sign_in(member, server, "dirigeant@agence-pixel.fr")
    await member.goto(f"{server}/compte/prestataires/agence-pixel-bordeaux")
    await member.get_by_label(re.compile("^Nom commercial")).fill("Pixel & Colibri")
    await member.get_by_role("button", name="Publier les modifications").click()
    await member.get_by_text("après validation par l'équipe du réseau").wait_for(timeout=5000)

    staff_context = await browser.new_context(bypass_csp=True)
    staff = await staff_context.new_page()
    await _sign_in(staff, server, "equipe@example.fr")
    await staff.get_by_role("link", name=re.compile("Espace de l'équipe")).click()
    await staff.get_by_text("Pixel & Colibri").wait_for(timeout=5000)
    await screenshot(staff, "staff-queue")
    assert await axe_serious(staff) == []
    await staff.get_by_role("button", name="Valider").click()
    await staff.get_by_text("Changements d'identité (0)").wait_for(timeout=5000)
    assert (await Provider.select(Provider.trade_name).where(Provider.slug == "agence-pixel-bordeaux").first()
            )["trade_name"] == "Pixel & Colibri"
    await member.goto(f"{server}/prestataires/agence-pixel-bordeaux")
    assert await member.get_by_role("heading", name="Pixel & Colibri").count() == 1
    await staff_context.close()
    await member_context.close()


@pytest.mark.parametrize("who, path", [
    ("dirigeant@agence-pixel.fr", "/compte"),
    ("dirigeant@agence-pixel.fr", "/compte/prestataires/agence-pixel-bordeaux"),
    ("dirigeant@agence-pixel.fr", "/compte/prestataires/agence-pixel-bordeaux/membres"),
    ("dirigeant@agence-pixel.fr", "/compte/prestataires/agence-pixel-bordeaux/historique"),
    ("dirigeant@agence-pixel.fr", "/compte/prestataires/agence-pixel-bordeaux/quitter"),
    ("dirigeant@agence-pixel.fr", "/compte/jetons"),
    ("equipe@example.fr", "/equipe"),
    ("equipe@example.fr", "/equipe/prestataires?q=pixel"),
    ("equipe@example.fr", "/equipe/prestataires/agence-pixel-bordeaux"),
    ("equipe@example.fr", "/equipe/signalements"),
])
async def test_account_edit_and_staff_pages_have_no_serious_accessibility_violation(server, context, who, path):
    if who != "equipe@example.fr":
        await add_account(who, provider="agence-pixel-bordeaux")
    page = await context.new_page()
    await _sign_in(page, server, who)
    await page.goto(f"{server}{path}")
    await screenshot(page, "page" + re.sub(r"[^a-z0-9]+", "-", path))
    assert await axe_serious(page) == []
