"""How long a review stays online: a configured time from its publication, whatever becomes of its lead."""

from __future__ import annotations

import pytest

from directory.platform.plugin_settings import read
from directory.settings import SettingsError
from plugins.reviews import outcomes
from plugins.reviews.tables import Engagement, Review
from tests.plugins.reviews.conftest import TPE, post_form, review_link_after_answer, run_due
from tests.plugins.reviews.test_reviews import _decide, _profile, _write

TEXT = "équipe à l"  # of the review's text, before the apostrophe the page escapes


async def _published(site, manual_clock, accepted) -> str:
    link = await review_link_after_answer(site, manual_clock)
    assert (await _write(site, manual_clock, link)).status_code == 303
    await _decide(site, "publier")
    site.cookies.clear()
    return link


async def test_a_published_review_outlives_its_erased_request_without_any_name(site, network, accepted,
                                                                                manual_clock):
    link = await _published(site, manual_clock, accepted)
    await post_form(site, accepted + "/supprimer", {"confirm": "oui"}, page=accepted)
    [engagement] = await Engagement.select()
    assert engagement["contact_email"] == "" and engagement["contact_name"] == ""
    assert TEXT in await _profile(site, network) and await Review.count() == 1
    edited = await _write(site, manual_clock, link, text="Je change d'avis sur tout ce que j'ai écrit.")
    assert edited.status_code == 403 and "plus le modifier" in edited.text
    assert (await post_form(site, link + "/retirer", page=link)).status_code == 303
    assert TEXT not in await _profile(site, network)


async def test_an_unpublished_review_is_erased_with_its_request(site, network, accepted, manual_clock):
    link = await review_link_after_answer(site, manual_clock)
    await _write(site, manual_clock, link)
    await post_form(site, accepted + "/supprimer", {"confirm": "oui"}, page=accepted)
    assert await Review.count() == 0
    assert (await site.get(link)).status_code == 404  # nothing left to withdraw, nothing to write again


async def test_a_review_leaves_the_profile_the_configured_time_after_its_publication(
        site, network, accepted, manual_clock, plugin_manager, monkeypatch):
    monkeypatch.setattr(plugin_manager.plugin_settings["plugins.reviews"], "online_days", 400)
    link = await _published(site, manual_clock, accepted)
    manual_clock.advance(days=399)
    await run_due(site)
    assert TEXT in await _profile(site, network)
    manual_clock.advance(days=2)
    await run_due(site)
    assert await Review.count() == 0 and TEXT not in await _profile(site, network)
    assert (await Engagement.select(Engagement.contact_email).first())["contact_email"] == TPE  # the lead lives
    assert (await site.get(link)).status_code == 200  # its link may write a new review for the request


async def test_the_charter_and_the_privacy_policy_say_how_long_a_review_stays_online(site, plugin_manager,
                                                                                    monkeypatch):
    monkeypatch.setattr(plugin_manager.plugin_settings["plugins.reviews"], "online_days", 730)
    charter = (await site.get("/avis/charte")).text
    privacy = (await site.get("/confidentialite")).text
    assert "Un avis publié reste en ligne 730 jours après sa publication" in charter
    assert "un avis publié reste en ligne 730 jours après sa publication" in privacy
    assert "Cette durée ne dépend pas de la demande" in charter


def test_the_online_time_is_three_years_unless_configured_and_at_least_a_day():
    assert read("plugins.reviews", outcomes.ReviewSettings, {}).online_days == 1095
    with pytest.raises(SettingsError):
        read("plugins.reviews", outcomes.ReviewSettings, {"CHANNEL_EXPERT_REVIEWS_ONLINE_DAYS": "0"})
