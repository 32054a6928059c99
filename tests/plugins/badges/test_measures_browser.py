"""Measured criteria in Chromium: on the badge's public page and on staff's award form; axe-clean."""

from __future__ import annotations

from dataclasses import replace

import pytest

from plugins.badges import awards, measures
from plugins.reviews import measures as review_measures
from tests.browser import axe_serious, needs_chromium, needs_front_end, screenshot, served, sign_in_page
from tests.plugins.badges.test_measures import CLASS, SOLID, reviewed  # noqa: F401 - the fixture
from tests.plugins.reviews.conftest import SITE, accepted, network, site  # noqa: F401 - the fixtures

pytestmark = [needs_chromium, needs_front_end]


@pytest.fixture
async def server(apps, settings, plugin_manager, site, reviewed):
    thresholds = measures.parsed({f"{measures.FIELD}{review_measures.RATING}": "4,5",
                                  f"{measures.FIELD}{review_measures.REVIEWS}": "1"},
                                 measures.registered(site.app.state.plugin_manager), [])
    await awards.save_class(slug=SOLID, name="Avis solides", description=CLASS["description"],
                            criteria=CLASS["criteria"], color=CLASS["color"], validity_months="12", active=True,
                            actor="test", thresholds=thresholds)
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False, public_url=SITE), plugin_manager)
    async with served(app) as address:  # an app of its own: the test client's already holds its pool
        yield address


async def test_measured_criteria_read_in_plain_french_on_the_badge_page_and_the_award_form(server, network, context):
    page = await context.new_page()
    await page.goto(f"{server}/badges/{SOLID}")
    listed = await page.locator(".measured-criteria li").all_inner_texts()
    assert listed == ["Note moyenne des avis vérifiés : au moins 4,5 sur 5.",
                      "Nombre d'avis vérifiés publiés : au moins 1."]
    assert len(await page.locator("p.source").all()) == 1  # the reviews' source, said once
    await screenshot(page, "badges-measured-criteria")
    assert await axe_serious(page) == []

    await sign_in_page(page, server, "equipe@example.fr")
    await page.goto(f"{server}/equipe/badges?prestataire={network['odet']}")
    readings = await page.locator(".measured-readings li").all_inner_texts()
    assert "Note moyenne des avis vérifiés : au moins 4,5 sur 5 — aujourd'hui 4,2 sur 5 : non atteint" in readings
    await screenshot(page, "badges-measured-readings")
    assert await axe_serious(page) == []
