"""A TPE's own words in a real browser (Debian's chromium): a sentence, what was understood, and a
search that finds nobody leading to a prefilled request; with and without JavaScript, on a phone."""

import pytest

from directory.testing import add_providers, provider_row
from tests.browser import axe_serious, needs_chromium, screenshot, served

pytestmark = needs_chromium
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def server(apps, settings, plugin_manager):
    await add_providers(
        provider_row(trade_name="Fournil Digital", services="e-commerce;site-vitrine", postal_code="81000",
                     commune="Albi"),
        provider_row(trade_name="Tarn Réseaux", kind="reseller", services="reseau-wifi", postal_code="81000",
                     commune="Albi"),
    )
    async with served(apps.app(settings, plugin_manager)) as address:
        yield address


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_a_sentence_shows_what_was_understood_and_the_tpe_can_take_it_back(server, browser, javascript):
    context = await browser.new_context(viewport=PHONE, java_script_enabled=javascript, bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{server}/recherche")
    await page.fill("input[name=q]", "je veux vendre mes gâteaux sur internet")
    await page.fill("input[name=near]", "81000")
    await page.get_by_role("button", name="Rechercher").click()
    understood = page.locator("#search-results .understood")
    await understood.wait_for(timeout=5000)
    assert "Nous avons compris" in await understood.inner_text() and "E-commerce" in await understood.inner_text()
    results = await page.locator("#search-results").inner_text()
    assert "Fournil Digital" in results and "Tarn Réseaux" not in results
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await screenshot(page, f"needs-understood-{'js' if javascript else 'no-js'}")
    if javascript:  # axe-core runs as a script; the page without JavaScript is the same markup
        assert await axe_serious(page) == []
    await page.get_by_role("link", name="Retirer « E-commerce » : chercher les mots tels quels").click()
    await page.get_by_text("Recherche sur vos mots tels quels").wait_for(timeout=5000)
    await context.close()


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
async def test_a_search_that_finds_nobody_leads_to_a_prefilled_request(server, browser, javascript):
    context = await browser.new_context(viewport=PHONE, java_script_enabled=javascript, bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{server}/recherche?q=plomberie+zinguerie&near=81000")
    ask = page.get_by_role("link", name="Demander un devis").last
    await page.locator("#search-results .ask").wait_for(timeout=5000)
    await screenshot(page, f"needs-nobody-{'js' if javascript else 'no-js'}")
    if javascript:  # axe-core runs as a script; the page without JavaScript is the same markup
        assert await axe_serious(page) == []
    await ask.click()
    await page.wait_for_url("**/devis?*")
    assert await page.input_value("textarea[name=description]") == "plomberie zinguerie"
    assert await page.input_value("input[name=near]") == "81000"
    await context.close()
