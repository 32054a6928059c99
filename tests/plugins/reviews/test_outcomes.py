"""Outcome asks after an acceptance, with the controlled clock and the real job queue."""

from __future__ import annotations

from plugins.reviews.tables import Engagement
from tests.plugins.reviews.conftest import ODET, TPE, mails_to, outcome_link, post_form, run_due


async def _asks_to(address):
    return [m for m in await mails_to(address) if "/avis/situation/" in m["text"]]


async def test_both_sides_are_asked_ten_days_after_the_acceptance_and_not_before(site, accepted, manual_clock):
    [engagement] = await Engagement.select()
    assert engagement["contact_email"] == TPE
    manual_clock.advance(days=9, hours=23)
    await run_due(site)
    assert await _asks_to(TPE) == [] and await _asks_to(ODET) == []
    manual_clock.advance(hours=2)
    await run_due(site)
    [tpe_ask], [provider_ask] = await _asks_to(TPE), await _asks_to(ODET)
    assert tpe_ask["subject"] == "Où en est votre demande avec Agence Odet ?"
    assert "Travail commandé" in tpe_ask["text"] and "Sans nouvelles" in tpe_ask["text"]
    assert TPE not in provider_ask["text"]


async def test_an_answer_is_recorded_once_and_its_link_then_leads_nowhere(site, accepted, manual_clock):
    manual_clock.advance(days=10)
    await run_due(site)
    link = await outcome_link(ODET)
    page = await site.get(link)
    assert "Où en est la demande ?" in page.text and "Devis reçu" in page.text
    assert (await post_form(site, link, {"outcome": "devis-recu"})).status_code == 200
    [engagement] = await Engagement.select()
    assert engagement["provider_outcome"] == "devis-recu" and engagement["tpe_outcome"] == ""
    assert (await site.get(link)).status_code == 404
    again = await site.post(link, data={"outcome": "commande", "_csrf_token": site.cookies.get("ce_csrf", "")})
    assert again.status_code in (403, 404)
    assert (await Engagement.select(Engagement.provider_outcome).first())["provider_outcome"] == "devis-recu"


async def test_whoever_has_not_answered_is_asked_again_at_thirty_days_then_marked_without_news(
        site, accepted, manual_clock):
    manual_clock.advance(days=10)
    await run_due(site)
    first_link = await outcome_link(TPE)
    manual_clock.advance(days=20)
    await run_due(site)
    assert len(await _asks_to(TPE)) == 2 and len(await _asks_to(ODET)) == 2
    assert "Rappel" in (await _asks_to(TPE))[-1]["subject"]
    assert (await site.get(first_link)).status_code == 404  # the reminder's link replaces it
    manual_clock.advance(days=15)
    await run_due(site)
    [engagement] = await Engagement.select()
    assert engagement["without_news_at"] is not None and engagement["asks"] == 2
    assert len(await _asks_to(TPE)) == 2  # no third ask


async def test_an_answer_to_the_first_ask_spares_that_side_the_reminder(site, accepted, manual_clock):
    manual_clock.advance(days=10)
    await run_due(site)
    await post_form(site, await outcome_link(ODET), {"outcome": "en-discussion"})
    manual_clock.advance(days=35)
    await run_due(site)
    assert len(await _asks_to(ODET)) == 1 and len(await _asks_to(TPE)) == 2
    assert (await Engagement.select(Engagement.without_news_at).first())["without_news_at"] is None


async def test_an_unknown_outcome_or_a_forged_link_is_refused_in_french(site, accepted, manual_clock):
    manual_clock.advance(days=10)
    await run_due(site)
    link = await outcome_link(TPE)
    refused = await post_form(site, link, {"outcome": "n'importe quoi"})
    assert refused.status_code == 400 and "Choisissez où en est la demande." in refused.text
    for forged in ("/avis/situation/abc", "/avis/situation/" + "x" * 5000, "/avis/situation/%00"):
        assert (await site.get(forged)).status_code == 404
    assert (await Engagement.select(Engagement.tpe_outcome).first())["tpe_outcome"] == ""


async def test_a_forgotten_request_erases_the_tpe_and_ends_the_asks(site, accepted, manual_clock):
    await post_form(site, accepted + "/supprimer", {"confirm": "oui"}, page=accepted)
    [engagement] = await Engagement.select()
    assert engagement["contact_email"] == "" and engagement["contact_name"] == ""
    manual_clock.advance(days=10)
    await run_due(site)
    assert await _asks_to(TPE) == [] and await _asks_to(ODET) == []
