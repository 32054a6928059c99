"""What reviews add to the profile's JSON-LD, and to the data exports of the TPE and the provider."""

from __future__ import annotations

import json
import re

from directory.testing import sign_in
from plugins.reviews.tables import PUBLISHED, Review
from tests.directory.test_structured_data import problems
from tests.plugins.leads.test_flow import ask
from tests.plugins.reviews.conftest import (
    ODET,
    REVIEW,
    TPE,
    link_in,
    mails_to,
    outcome_link,
    post_form,
    run_due,
)


async def _accepted_by_odet(site, manual_clock, address):
    await ask(site, manual_clock, contact_email=address, description=f"Une boutique en ligne pour {address}.")
    answer = link_in((await mails_to(ODET))[-1], "/demandes/reponse/")
    assert (await post_form(site, answer, {"decision": "accepter"})).status_code == 303


async def _reviewed(site, manual_clock, addresses, ratings):
    """Each TPE answers its outcome ask and writes a review; staff publish them all. Returns the
    review links."""
    manual_clock.advance(days=10)
    await run_due(site)
    links = []
    for address, rating in zip(addresses, ratings):
        link = (await post_form(site, await outcome_link(address), {"outcome": "commande"})).headers["location"]
        link = link.removesuffix("?merci=1")
        links.append(link)
        await post_form(site, link, {**REVIEW, "rating": str(rating), "worked_on": manual_clock.now().date().isoformat()})
    await sign_in(site, "equipe@example.fr")
    for review in await Review.select(Review.id).where(Review.state != PUBLISHED).order_by(Review.id):
        await post_form(site, f"/equipe/avis/{review['id']}", {"decision": "publier"}, page="/equipe/avis")
    site.cookies.clear()
    return links


def _json_ld(page: str) -> dict:
    return json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.DOTALL)[1])


async def test_the_json_ld_carries_the_ratings_once_there_are_three_reviews(site, network, manual_clock):
    addresses = ["a@tpe-a.fr", "b@tpe-b.fr", "c@tpe-c.fr"]
    for address in addresses:
        await _accepted_by_odet(site, manual_clock, address)
    await _reviewed(site, manual_clock, addresses[:2], [5, 4])
    two = _json_ld((await site.get(f"/prestataires/{network['odet']}")).text)
    assert "aggregateRating" not in two
    await _reviewed(site, manual_clock, addresses[2:], [3])
    data = _json_ld((await site.get(f"/prestataires/{network['odet']}")).text)
    assert data["aggregateRating"] == {"@type": "AggregateRating", "ratingValue": 4.0, "reviewCount": 3,
                                       "bestRating": 5, "worstRating": 1}
    assert len(data["review"]) == 3 and data["review"][0]["author"]["name"] == "Client vérifié"
    assert problems(data) == []


async def test_the_tpe_and_the_provider_each_download_what_they_wrote(site, network, accepted, manual_clock):
    [link] = await _reviewed(site, manual_clock, [TPE], [4])
    [review] = await Review.select(Review.id)
    await sign_in(site, ODET)
    await post_form(site, f"/compte/avis/{review['id']}/reponse", {"text": "Merci beaucoup."}, page="/compte/avis")
    await post_form(site, f"/compte/avis/{review['id']}/signalement", {"text": "La date des travaux est fausse."},
                    page="/compte/avis")
    exported = (await site.get(f"/compte/prestataires/{network['odet']}/export")).json()["plugins"]["reviews"]
    assert [a["answer"] for a in exported["answers"]] == ["Merci beaucoup."]
    assert [r["reason"] for r in exported["reports"]] == ["La date des travaux est fausse."]
    assert REVIEW["text"] not in json.dumps(exported, ensure_ascii=False)  # the review is its author's
    site.cookies.clear()
    held = await site.get(link + "/donnees")
    assert held.status_code == 200 and "attachment" in held.headers["content-disposition"]
    data = held.json()
    assert data["contact"]["email"] == TPE and data["outcome"] == "commande"
    assert data["review"]["rating"] == 4 and data["review"]["text"] == REVIEW["text"]
    assert "Merci beaucoup." not in held.text  # the answer is the provider's
    assert (await site.get("/avis/ecrire/inconnu/donnees")).status_code == 404
