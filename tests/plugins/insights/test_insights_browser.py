"""A provider's statistics and the network's dashboard in a real browser (Debian's chromium): no
serious accessibility violation, readable on a phone, complete without JavaScript."""

from __future__ import annotations

from datetime import timedelta

import pytest

from plugins.badges import awards
from plugins.badges.tables import BadgeAward
from tests.browser import axe_serious, needs_chromium, screenshot, served, sign_in_page
from tests.plugins.insights.test_counting import a_server
from tests.plugins.insights.test_pages import TODAY, seed_counts
from tests.plugins.leads.test_flow import network as quimper  # noqa: F401 - the Quimper network, with its members

pytestmark = needs_chromium
PHONE = {"width": 390, "height": 844}
PAGES = [("membre.odet@example.fr", "/compte/prestataires/{odet}/statistiques", "Statistiques d'Agence Odet"),
         ("equipe@example.fr", "/equipe/reseau", "Le réseau en chiffres")]


@pytest.fixture
async def server(settings, quimper, manual_clock):
    manual_clock._now = TODAY
    await seed_counts(quimper)
    await BadgeAward.delete(force=True)
    await awards.award(quimper["odet"], "channel-expert-certifie", actor="test",
                       expires_at=TODAY + timedelta(days=20))  # on the dashboard's badges to renew
    async with served(a_server(settings, "a")) as address:
        yield address


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
@pytest.mark.parametrize("email, path, heading", PAGES, ids=["statistiques", "reseau"])
async def test_the_pages_read_well_on_a_phone_with_or_without_javascript(server, browser, quimper, javascript,
                                                                         email, path, heading):
    context = await browser.new_context(viewport=PHONE, java_script_enabled=javascript, bypass_csp=True)
    page = await context.new_page()
    await sign_in_page(page, server, email)
    answer = await page.goto(server + path.format(**quimper))
    assert answer.status == 200
    await page.get_by_role("heading", name=heading, level=1).wait_for(timeout=5000)
    charts = page.get_by_role("img")
    assert await charts.count() >= 5
    first = charts.first
    assert await first.get_attribute("aria-labelledby")
    await page.locator("details summary").first.click()  # the data behind the chart, without a script
    assert await page.locator("table.insight-data").first.is_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await screenshot(page, f"insights{path.split('{')[0].replace('/', '-')}{'js' if javascript else 'no-js'}")
    if javascript:  # axe-core runs as a script; the page without JavaScript is the same markup
        assert await axe_serious(page) == []
    await context.close()
