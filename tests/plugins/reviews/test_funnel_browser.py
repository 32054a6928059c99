"""The funnel of outcomes on a phone, without JavaScript: staff's page and a provider's dashboard."""

from __future__ import annotations

import pytest

from tests.browser import axe_serious, needs_chromium, needs_front_end, screenshot, sign_in_page
from tests.plugins.reviews.test_funnel import outcomes  # noqa: F401 - the fixture
from tests.plugins.reviews.test_reviews_browser import PHONE, server  # noqa: F401 - the fixture

pytestmark = [needs_chromium, needs_front_end]


@pytest.mark.parametrize("email, path, name", [
    ("equipe@example.fr", "/equipe/suites", "funnel-staff-phone"),
    ("membre.odet@example.fr", "/compte/demandes", "funnel-dashboard-phone"),
])
async def test_the_funnel_reads_on_a_phone_without_javascript(
        server, browser, outcomes, email, path, name):  # noqa: F811 - pytest fixtures, imported

    context = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = await context.new_page()
    await sign_in_page(page, server, email)
    await page.goto(server + path)
    await page.get_by_text("Sans nouvelles").first.scroll_into_view_if_needed()
    await screenshot(page, name)
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await context.close()
    checked = await browser.new_context(bypass_csp=True, viewport=PHONE)
    page = await checked.new_page()
    await sign_in_page(page, server, email)
    await page.goto(server + path)
    assert await axe_serious(page) == []
    await checked.close()
