"""A café owner near Quimper takes the digital diagnostic on a phone, with and without JavaScript, and
ends on a request for quotes filled with its priorities."""

from __future__ import annotations

from dataclasses import replace

import pytest

from plugins.needs.routes import CHOOSE
from tests.browser import axe_serious, needs_chromium, needs_front_end, screenshot, served
from tests.plugins.needs.test_diagnostic import finistere  # noqa: F401 - the fixture

pytestmark = [needs_chromium, needs_front_end]
PHONE = {"width": 390, "height": 844}
# The café's answers, by question: no site, unknown on maps, files never copied, invoices in a spreadsheet.
ANSWERS = {
    "site": "Non, pas de site",
    "visibilite": "Je ne sais pas",
    "vente": "Ce ne serait pas utile pour mon activité",
    "reseaux": "J'ai une page, mais je publie rarement",
    "messagerie": "Une adresse à mon nom, et je sais qui gère ce nom et quand il se renouvelle",
    "sauvegarde": "Ils seraient perdus",
    "securite": "Un mot de passe différent pour chaque compte, et un antivirus",
    "equipement": "Oui, et quelqu'un s'en occupe quand il y a un souci",
    "gestion": "Avec un traitement de texte ou un tableur (Word, Excel…)",
    "competences": "Oui, on apprend facilement les nouveaux outils",
}


@pytest.fixture
async def server(apps, settings, plugin_manager, finistere):
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with served(app) as address:
        yield address


async def fits_the_screen(page) -> bool:  # noqa: ANN001 - a Playwright page
    return await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("javascript", [True, False], ids=["with-javascript", "without-javascript"])
async def test_from_the_first_question_to_the_prefilled_request_on_a_phone(server, browser, javascript):
    context = await browser.new_context(viewport=PHONE, java_script_enabled=javascript, bypass_csp=True)
    page = await context.new_page()
    suffix = "js" if javascript else "nojs"
    await page.goto(f"{server}/")
    await page.get_by_role("link", name="Faire le diagnostic").click()
    await page.get_by_role("heading", name="Où en est mon entreprise avec le numérique ?").wait_for()

    # Sent with two answers missing: each missing one is said on its question, the others are kept.
    for question, answer in list(ANSWERS.items())[:8]:
        await page.locator(f"#question-{question}").get_by_label(answer, exact=True).check()
    await page.get_by_role("button", name="Voir mon résultat").click()
    alert = page.get_by_role("alert")
    await alert.wait_for()
    assert "question 9" in await alert.inner_text() and "votre commune" in await alert.inner_text()
    assert await page.locator("#erreur-gestion").inner_text() == CHOOSE
    assert await page.locator("#question-site").get_by_label(ANSWERS["site"], exact=True).is_checked()
    await screenshot(page, f"diagnostic-errors-{suffix}")
    if javascript:  # axe-core is a script; these pages have none, so they are the same without JavaScript
        assert await axe_serious(page) == []

    for question, answer in list(ANSWERS.items())[8:]:
        await page.locator(f"#question-{question}").get_by_label(answer, exact=True).check()
    await page.get_by_label("Code postal ou commune").fill("29000")
    assert await fits_the_screen(page)
    await page.get_by_role("button", name="Voir mon résultat").click()

    await page.get_by_role("heading", name="Par quoi commencer").wait_for()
    priorities = await page.locator("ol.priorities h3").all_inner_texts()
    assert priorities == ["Vos devis et vos factures", "Être trouvé sur Google et sur les cartes",
                          "La sauvegarde de vos fichiers"]
    nearby = await page.locator(".nearby").inner_text()
    assert "Brest Sauvegarde" in nearby and "Agence Odet" in nearby and "Lumen Web" not in nearby
    assert await fits_the_screen(page)
    await screenshot(page, f"diagnostic-result-{suffix}")
    if javascript:
        assert await axe_serious(page) == []

    await page.get_by_role("main").get_by_role("link", name="Demander un devis").click()
    await page.get_by_role("heading", name="Demander un devis").wait_for()
    for label in ("Logiciels de gestion et caisse", "Référencement naturel (SEO)", "Publicité en ligne (SEA)",
                  "Sauvegarde et reprise d'activité"):
        assert await page.get_by_label(label).is_checked()
    assert not await page.get_by_label("Site vitrine").is_checked()
    assert await page.get_by_label("Code postal ou commune de votre entreprise").input_value() == "29000"
    description = await page.get_by_label("Décrivez votre besoin").input_value()
    assert description.startswith("Suite au diagnostic numérique, voici mes priorités : passer à un logiciel")
    await screenshot(page, f"diagnostic-request-{suffix}")
    await context.close()
