"""Badges in Chromium: on a profile and in results, the verification page, staff's and members' pages; axe-clean."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from plugins.badges import awards
from plugins.badges.tables import BadgeAward
from tests.browser import axe_serious, needs_chromium, needs_front_end, screenshot, served, sign_in_page
from tests.plugins.badges.test_awards import CERTIFIED, CYBER
from tests.plugins.badges.test_awards import site as badge_site  # noqa: F401 - the fixture's setup

pytestmark = [needs_chromium, needs_front_end]


@pytest.fixture
async def server(apps, settings, plugin_manager, badge_site, manual_clock):
    alpha, beta, _ = badge_site.slugs
    await awards.award(alpha, CERTIFIED, actor="test", evidence_url="https://alpha.fr/references")
    await awards.award(alpha, CYBER, actor="test", expires_at=manual_clock.now() + timedelta(days=2))
    await awards.award(beta, CYBER, actor="test")
    manual_clock.advance(days=3)  # Alpha's cybersecurity badge has expired
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False,
                             public_url="http://annuaire.example.fr"), plugin_manager)
    async with served(app) as address:
        yield address, alpha


async def test_a_badge_shows_on_the_profile_and_in_results_and_filters_the_search(server, context):
    address, alpha = server
    page = await context.new_page()
    await page.goto(f"{address}/prestataires/{alpha}")
    section = page.locator(".provider-badges")
    await section.get_by_role("link", name="Channel Expert certifié").wait_for(timeout=5000)
    assert "Spécialiste cybersécurité — expiré le " in await section.inner_text()
    await screenshot(page, "badges-profile")
    assert await axe_serious(page) == []

    await page.goto(f"{address}/recherche?q=web&near=33000")
    card = page.locator("li", has_text="Alpha Web").first
    assert "Channel Expert certifié" in await card.locator(".chip").all_inner_texts()
    assert "Spécialiste cybersécurité" not in await card.inner_text()  # expired: not in results
    await page.get_by_label("Channel Expert certifié").check()
    await page.get_by_role("button", name="Rechercher").click()
    await page.wait_for_url("**filter=badges*", timeout=5000)
    names = await page.locator("ul.results[data-list=main] > li > a strong").all_inner_texts()
    assert names == ["Alpha Web"]
    await screenshot(page, "badges-results")
    assert await axe_serious(page) == []


async def test_the_verification_page_accepts_a_good_credential_and_refuses_a_tampered_one(server, context):
    address, _ = server
    credential = (await BadgeAward.select(BadgeAward.credential).order_by(BadgeAward.id).first())["credential"]
    page = await context.new_page()
    await page.goto(f"{address}/badges/verifier")
    assert await axe_serious(page) == []
    await page.get_by_label("Attestation (JSON)").fill(json.dumps(json.loads(credential), indent=2))
    await page.get_by_role("button", name="Vérifier").click()
    await page.get_by_role("heading", name="Badge authentique et valable").wait_for(timeout=5000)
    await screenshot(page, "badges-verify-valid")
    assert await axe_serious(page) == []
    await page.get_by_label("Attestation (JSON)").fill(credential.replace("Alpha Web", "Alpha Wab"))
    await page.get_by_role("button", name="Vérifier").click()
    await page.get_by_role("heading", name="Ce badge n'est pas valable").wait_for(timeout=5000)
    assert "modifiée après sa signature" in await page.get_by_role("alert").inner_text()
    await screenshot(page, "badges-verify-tampered")
    assert await axe_serious(page) == []


@pytest.mark.parametrize("email, path", [
    ("", "/badges"), ("", f"/badges/{CERTIFIED}"), ("a@alpha.fr", "/compte/prestataires/{alpha}/badges"),
    ("equipe@example.fr", "/equipe/badges"),
])
async def test_the_badge_pages_have_no_serious_accessibility_violation(server, context, email, path):
    address, alpha = server
    page = await context.new_page()
    if email:
        await sign_in_page(page, address, email)
    answer = await page.goto(address + path.format(alpha=alpha))
    assert answer.status == 200
    await screenshot(page, "badges" + path.replace("/", "-").replace("{alpha}", "fiche"))
    assert await axe_serious(page) == []


@pytest.mark.parametrize("email, path", [("", "/badges/verifier"), ("equipe@example.fr", "/equipe/badges")])
async def test_the_badge_pages_fit_a_phone_without_javascript(server, browser, email, path):
    address, _ = server
    phone = await browser.new_context(viewport={"width": 390, "height": 844}, java_script_enabled=False)
    page = await phone.new_page()
    if email:
        await sign_in_page(page, address, email)
    await page.goto(address + path)
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # the awards table scrolls inside
    await phone.close()
