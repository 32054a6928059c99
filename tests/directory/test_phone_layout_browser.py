"""The request form and the staff's pages fit a 390 px phone: tables scroll inside, long words wrap."""

from __future__ import annotations

import re
from dataclasses import replace

import httpx
import pytest

from directory.tables import Account, Job, MailMessage, Membership, PendingChange, StoreEntry
from directory.testing import STRONG, add_account, add_providers, csrf_token, provider_row, sign_in
from plugins.badges import awards
from plugins.badges.tables import BadgeAward
from plugins.leads.tables import Lead
from tests.browser import needs_chromium, needs_front_end, screenshot, served
from tests.directory.accounts.test_profiles import submit

pytestmark = [needs_chromium, needs_front_end]

PHONE = {"width": 390, "height": 844}
LONG_URL = "https://www.agence-pixel-communication-numerique.fr/references/boutiques-en-ligne/commercants-bordelais"
LONG_WORD = "Anticonstitutionnellementhyperconnectés"
STAFF_PAGES = ["/equipe", "/equipe/prestataires", "/equipe/prestataires?q=pixel", "/equipe/prestataires/{slug}",
               "/equipe/demandes", "/equipe/demandes/{lead}", "/equipe/badges", "/equipe/badges?prestataire={slug}",
               "/equipe/besoins", "/equipe/signalements", "/equipe/messages"]


@pytest.fixture
async def site(apps, settings, plugin_manager, manual_clock):
    """A listing with a long name and web address, its pending rename, a report, a lead and a badge."""
    for table in (BadgeAward, PendingChange, Lead, Job, MailMessage, Membership, Account, StoreEntry):
        await table.delete(force=True)
    [slug] = await add_providers(provider_row(
        trade_name="Agence Pixel Communication Numérique", website=LONG_URL, email="contact@agence-pixel.fr",
        services="e-commerce;site-vitrine", description=f"Boutiques en ligne pour commerçants {LONG_WORD}."))
    await add_account("dirigeant@agence-pixel.fr", provider=slug)
    await add_account("equipe@example.fr", staff=True)
    await awards.award(slug, "channel-expert-certifie", actor="equipe@example.fr", evidence_url=LONG_URL)
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with served(app) as address, httpx.AsyncClient(base_url=address) as client:
        report = f"/prestataires/{slug}/signaler"
        await client.post(report, data={"_csrf_token": await csrf_token(client, report), "contact": "tpe@example.fr",
                                        "message": f"Le site {LONG_URL} ne répond plus depuis {LONG_WORD}."})
        form = (await client.get("/devis")).text
        manual_clock.advance(seconds=30)  # a person takes time to fill the form
        await client.post("/devis", data={
            "_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', form)[1],
            "formulaire": re.search(r'name="formulaire" value="([^"]+)"', form)[1],
            "services": ["e-commerce"], "near": "33000", "description": f"Une boutique en ligne, voir {LONG_URL}.",
            "budget": "1000-3000", "start": "1-mois", "contact_name": "Anne Le Goff", "company_name": LONG_WORD,
            "contact_email": "anne@ty-anne.fr", "contact_phone": "02 98 00 00 00", "consent": "oui"})
        await sign_in(client, "dirigeant@agence-pixel.fr")
        await submit(client, slug, trade_name=f"Agence Pixel {LONG_WORD} Bordeaux Métropole")
        [lead] = await Lead.select(Lead.id)
        assert await PendingChange.count() == 1
        yield address, {"slug": slug, "lead": lead["id"]}


async def _fits(page, name: str) -> int:  # noqa: ANN001 - a Playwright page
    await screenshot(page, f"phone-{name}")
    return await page.evaluate("document.documentElement.scrollWidth")


async def test_the_request_form_fits_a_phone(site, browser):
    address, _ = site
    phone = await browser.new_context(viewport=PHONE)
    page = await phone.new_page()
    answer = await page.goto(f"{address}/devis")
    assert answer.status == 200
    assert await _fits(page, "devis") <= PHONE["width"]
    field = await page.get_by_label("Code postal ou commune de votre entreprise").bounding_box()
    button = await page.get_by_role("button", name="Autour de moi").bounding_box()
    assert field["width"] >= 160 and button["height"] < 2 * field["height"]  # typable, its button on one line
    await phone.close()


async def test_every_staff_page_fits_a_phone(site, browser):
    address, values = site
    phone = await browser.new_context(viewport=PHONE)
    page = await phone.new_page()
    await page.goto(f"{address}/compte/connexion")
    await page.get_by_label("Adresse e-mail").fill("equipe@example.fr")
    await page.get_by_label("Mot de passe").fill(STRONG)
    await page.get_by_role("button", name="Se connecter").click()
    await page.get_by_text("Connecté en tant que").wait_for(timeout=5000)
    widths = {}
    for path in (p.format(**values) for p in STAFF_PAGES):
        answer = await page.goto(address + path)
        assert answer.status == 200, path
        widths[path] = await _fits(page, re.sub(r"\W+", "-", path).strip("-"))
    assert {path: width for path, width in widths.items() if width > PHONE["width"]} == {}
    await phone.close()
