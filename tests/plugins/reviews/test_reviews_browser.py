"""A TPE writes its review on a phone without JavaScript; the profile shows it with the provider's answer."""

from __future__ import annotations

from dataclasses import replace

import pytest

from directory.testing import sign_in
from plugins.reviews.tables import Review
from tests.browser import axe_serious, needs_chromium, needs_front_end, screenshot, served
from tests.plugins.reviews.conftest import ODET, post_form, review_link_after_answer

pytestmark = [needs_chromium, needs_front_end]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
async def server(apps, settings, plugin_manager, site):
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with served(app) as address:
        yield address


async def _publish_and_answer(site) -> None:
    """Staff publish the review, and Agence Odet answers it (through the site, as in the flow tests)."""
    [review] = await Review.select(Review.id)
    await sign_in(site, "equipe@example.fr")
    await post_form(site, f"/equipe/avis/{review['id']}", {"decision": "publier"}, page="/equipe/avis")
    await sign_in(site, ODET)
    await post_form(site, f"/compte/avis/{review['id']}/reponse", {"text": "Merci, ravis d'avoir travaillé ensemble."},
                    page="/compte/avis")


async def test_a_tpe_reviews_on_a_phone_without_javascript_and_the_profile_shows_it(
        server, site, browser, network, accepted, manual_clock):
    link = await review_link_after_answer(site, manual_clock)
    without_js = await browser.new_context(viewport=PHONE, java_script_enabled=False)
    tpe = await without_js.new_page()
    await tpe.goto(server + link)
    for group, mark in (("Note globale", "5"), ("Qualité du travail", "5"), ("Respect des délais", "4"),
                        ("Prix", "4"), ("Accompagnement", "5")):
        await tpe.get_by_role("group", name=f"{group} (de 1 à 5)").get_by_label(mark, exact=True).check()
    await tpe.get_by_label("Votre avis (20 à 4000 caractères)").fill(
        "Boutique en ligne livrée en trois semaines, équipe disponible et de bon conseil.")
    await tpe.get_by_label("Date des travaux").fill(manual_clock.now().date().isoformat())
    await tpe.get_by_role("button", name="Envoyer mon avis").click()
    await tpe.get_by_text("En attente de modération").wait_for(timeout=5000)
    await without_js.close()
    await _publish_and_answer(site)

    phone = await browser.new_context(bypass_csp=True, viewport=PHONE)
    page = await phone.new_page()
    await page.goto(server + link)
    await screenshot(page, "review-form-phone")
    assert await axe_serious(page) == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.goto(f"{server}/prestataires/{network['odet']}")
    text = await page.inner_text("main")
    assert "Avis vérifié : demande transmise par Channel Expert" in text and "trois semaines" in text
    assert "Réponse du prestataire" in text and "ravis d'avoir travaillé ensemble" in text
    await page.get_by_text("Avis vérifié").first.scroll_into_view_if_needed()
    await screenshot(page, "review-profile-phone")
    assert await axe_serious(page) == []
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.goto(f"{server}/avis/charte")
    await screenshot(page, "review-charter-phone")
    assert await axe_serious(page) == []
    await phone.close()
