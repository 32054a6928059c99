"""Each legal page in Chromium on a 390 px phone: no serious accessibility violation, no sideways
scrolling, and the contact form sent without JavaScript, its errors shown, until staff read it."""

from __future__ import annotations

import re

import pytest

from directory import contact
from directory.tables import ContactMessage
from directory.testing import add_account
from tests.browser import axe_serious, needs_chromium, needs_front_end, screenshot, served
from tests.directory.accounts.test_accounts_browser import _sign_in
from tests.directory.legal.conftest import MESSAGE, legal_settings

pytestmark = [needs_chromium, needs_front_end]

PHONE = {"width": 390, "height": 844}
PAGES = ["/mentions-legales", "/confidentialite", "/accessibilite", "/contact", "/contact/envoye"]


@pytest.fixture
async def server(apps, settings, plugin_manager, manual_clock):
    await add_account("equipe@example.fr", staff=True)
    configured = legal_settings(settings, contact_email="equipe@channel-expert.fr", geocoders=("ban",))
    async with served(apps.app(configured, plugin_manager)) as address:
        yield address


def _name(path: str) -> str:
    return "legal" + re.sub(r"[^a-z0-9]+", "-", path)


async def _fits_and_is_accessible(page, name: str) -> list[str]:  # noqa: ANN001 - a Playwright page
    await screenshot(page, name)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name
    return await axe_serious(page)


@pytest.mark.parametrize("path", PAGES)
async def test_each_legal_page_is_accessible_and_fits_a_phone(server, browser, path):
    context = await browser.new_context(viewport=PHONE, bypass_csp=True)  # axe-core is injected as a script
    page = await context.new_page()
    answer = await page.goto(server + path)
    assert answer.status == 200
    footer = page.get_by_role("navigation", name="Informations légales")
    assert await footer.get_by_role("link", name="Données personnelles").count() == 1
    assert await _fits_and_is_accessible(page, _name(path)) == []
    await context.close()


@pytest.mark.parametrize("path", PAGES)
async def test_each_legal_page_reads_the_same_without_javascript(server, browser, path):
    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    assert (await page.goto(server + path)).status == 200
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await screenshot(page, _name(path) + "-sans-js")
    await context.close()


@pytest.mark.parametrize("javascript", [False, True], ids=["sans-js", "js"])
async def test_the_contact_form_shows_its_errors_then_reaches_staff(server, browser, manual_clock,
                                                                     javascript):
    phone = await browser.new_context(viewport=PHONE, java_script_enabled=javascript, bypass_csp=True)
    page = await phone.new_page()
    await page.goto(f"{server}/contact")
    await page.get_by_label("Votre nom").fill(MESSAGE["name"])
    await page.get_by_label("Votre adresse e-mail").fill("pas-une-adresse")
    await page.get_by_label("Objet").fill(MESSAGE["subject"])
    await page.get_by_label("Message", exact=True).fill(MESSAGE["message"])
    manual_clock.advance(seconds=30)
    await page.get_by_role("button", name="Envoyer le message").click()
    await page.get_by_text("Certains champs sont à corriger").wait_for(timeout=5000)
    assert await page.get_by_label("Objet").input_value() == MESSAGE["subject"]
    name = f"legal-contact-erreurs-{'js' if javascript else 'sans-js'}"
    if javascript:  # axe-core runs as a script; the page without JavaScript is the same markup
        assert await _fits_and_is_accessible(page, name) == []
    else:
        await screenshot(page, name)
    await page.get_by_label("Votre adresse e-mail").fill(MESSAGE["email"])
    await page.get_by_label("J'accepte que l'équipe du réseau garde ce message").check()
    await page.get_by_role("button", name="Envoyer le message").click()
    await page.get_by_text("votre message est transmis à l'équipe du réseau").wait_for(timeout=5000)
    assert await ContactMessage.count() == 1
    await phone.close()


async def test_staff_read_and_handle_the_messages_on_a_phone(server, browser, manual_clock):
    fields = ("name", "email", "subject", "message")
    await contact.send(contact.Contact(**{name: MESSAGE[name] for name in fields}))
    staff = await browser.new_context(viewport=PHONE, bypass_csp=True)
    page = await staff.new_page()
    await _sign_in(page, server, "equipe@example.fr")
    await page.goto(f"{server}/equipe/messages")
    assert await page.get_by_role("heading", name=MESSAGE["subject"]).count() == 1
    assert await _fits_and_is_accessible(page, "legal-equipe-messages") == []
    await page.get_by_role("button", name="Marquer comme traité").click()
    await page.get_by_text("traité par equipe@example.fr").wait_for(timeout=5000)
    await staff.close()
