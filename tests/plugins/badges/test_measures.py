"""Badges resting on measured results: the reviews plugin's measures, thresholds on a badge class,
published on its page and in its credentials, and awards refused below them."""

from __future__ import annotations

import pytest

from directory.database import bound_engine
from directory.tables import Provider
from directory.testing import sign_in
from plugins.badges import awards, measures
from plugins.badges.tables import BadgeAward, BadgeClass
from plugins.reviews import measures as review_measures
from plugins.reviews import review_actions
from plugins.reviews.tables import Review
from tests.plugins.badges.test_awards import run_command
from tests.plugins.reviews.conftest import (  # noqa: F401 - the fixtures: a Quimper network, its site, a request
    REVIEW,
    accepted,
    network,
    post_form,
    review_link_after_answer,
    site,
)
from tests.statements import counted

STAFF_PAGE = "/equipe/badges"
SOLID, EXCELLENT = "avis-solides", "note-excellente"
CLASS = {"description": "Des clients qui le disent.", "criteria": "Signer la charte des avis.", "color": "#225588",
         "validity_months": "12", "active": "oui"}


@pytest.fixture
async def reviewed(site, network, accepted, manual_clock):
    """Agence Odet: one accepted request, whose TPE said the work was ordered and wrote a published
    5-star review; Studio Kerfeunteun: nothing yet. Returns their provider ids."""
    await BadgeAward.delete(force=True)
    await BadgeClass.delete().where(BadgeClass.slug.is_in([SOLID, EXCELLENT]))
    link = await review_link_after_answer(site, manual_clock, outcome="commande")
    written = await post_form(site, link, {**REVIEW, "worked_on": manual_clock.now().date().isoformat()})
    assert written.status_code == 303
    [review] = await Review.select(Review.id)
    await review_actions.moderate(review["id"], True, "", {"email": "equipe@example.fr"})
    ids = {row["slug"]: row["id"] for row in await Provider.select(Provider.id, Provider.slug)}
    return {name: ids[slug] for name, slug in network.items()}


async def test_the_reviews_plugin_measures_ratings_reviews_and_tpe_news_in_one_statement_each(site, reviewed):
    found = measures.registered(site.app.state.plugin_manager)
    assert {review_measures.RATING, review_measures.REVIEWS, review_measures.TPE_NEWS} <= set(found)
    assert found[review_measures.RATING].unit == "note" and "réseau" in found[review_measures.RATING].source
    odet, kerf = reviewed["odet"], reviewed["kerf"]
    values = {}
    for slug in (review_measures.RATING, review_measures.REVIEWS, review_measures.TPE_NEWS):
        with counted(bound_engine()) as statements:
            values[slug] = await found[slug].values([odet, kerf])
        assert len(statements) == 1, statements
    # Bayesian average: five imaginary reviews at 4 and one real 5 give 25 / 6.
    assert values[review_measures.RATING] == {odet: 4.17}
    assert values[review_measures.REVIEWS] == {odet: 1, kerf: 0}
    assert values[review_measures.TPE_NEWS] == {odet: 100.0}


async def _save_class(site, slug, name, **thresholds):
    fields = {f"{measures.FIELD}{measure}": value for measure, value in thresholds.items()}
    return await post_form(site, f"{STAFF_PAGE}/classes", {**CLASS, "slug": slug, "name": name, **fields},
                           page=STAFF_PAGE)


async def _award(site, provider, badge):
    return await post_form(site, f"{STAFF_PAGE}/attributions", {"provider": provider, "badge": badge},
                           page=STAFF_PAGE)


async def test_thresholds_are_published_with_their_source_and_refuse_an_award_below_them(site, network, reviewed):
    await sign_in(site, "equipe@example.fr")
    bad = await _save_class(site, EXCELLENT, "Note excellente", **{review_measures.RATING: "6"})
    assert bad.status_code == 400 and "une note de 1 à 5" in bad.text
    assert not await BadgeClass.exists().where(BadgeClass.slug == EXCELLENT)
    assert (await _save_class(site, EXCELLENT, "Note excellente", **{review_measures.RATING: "4,5"})).status_code == 303
    assert (await _save_class(site, SOLID, "Avis solides", **{review_measures.REVIEWS: "1",
                                                               review_measures.TPE_NEWS: "50"})).status_code == 303

    page = (await site.get(f"/badges/{SOLID}")).text
    assert "Signer la charte des avis." in page and "Critères mesurés" in page
    assert "Nombre d&#39;avis vérifiés publiés : au moins 1." in page
    assert "Part des demandes acceptées dont la TPE a donné des nouvelles : au moins 50 %." in page
    assert "transmise par le réseau Channel Expert" in page
    assert "Note moyenne des avis vérifiés : au moins 4,5 sur 5." in (await site.get(f"/badges/{EXCELLENT}")).text

    form = (await site.get(STAFF_PAGE, params={"prestataire": network["odet"]})).text
    assert "Note moyenne des avis vérifiés : au moins 4,5 sur 5 — aujourd'hui 4,2 sur 5 : <strong>non atteint" in form
    assert 'value="4,5"' in form  # the class form shows the stored threshold
    refused = await _award(site, network["odet"], EXCELLENT)
    assert refused.status_code == 400 and await BadgeAward.count() == 0
    assert "Agence Odet ne remplit pas les critères mesurés de « Note excellente »" in refused.text
    assert "note moyenne des avis vérifiés : 4,2 sur 5 (au moins 4,5 sur 5 demandé)" in refused.text
    nothing = await _award(site, network["kerf"], SOLID)
    assert nothing.status_code == 400 and "aucune mesure" in nothing.text and await BadgeAward.count() == 0

    assert (await _award(site, network["odet"], SOLID)).status_code == 303
    [award] = await BadgeAward.select(BadgeAward.credential_id)
    credential = (await site.get(award["credential_id"].removeprefix("http://annuaire.example.fr"))).json()
    narrative = credential["credentialSubject"]["achievement"]["criteria"]["narrative"]
    assert narrative.startswith("Signer la charte des avis.")
    assert "- Nombre d'avis vérifiés publiés : au moins 1." in narrative and "Channel Expert" in narrative
    assert (await site.post("/api/badges/verify", json=credential)).json()["valid"] is True


async def test_a_measure_that_fails_reads_as_no_value_and_meets_no_threshold():
    async def broken(provider_ids):
        raise RuntimeError("base indisponible")

    threshold = measures.Threshold("avis", "avis publiés", "nombre", 1.0)
    [reading] = await measures.readings({"avis": measures.Measure("avis", "avis publiés", "nombre", broken)},
                                        [threshold], 7)
    assert reading.value is None and not reading.met
    assert "avis publiés : aucune mesure" in measures.shortfall("Atelier", "Badge", [reading])


def test_a_threshold_is_checked_against_its_unit_and_said_in_french():
    async def nothing(provider_ids):
        return {}

    known = {"note": measures.Measure("note", "note moyenne", "note", nothing),
             "avis": measures.Measure("avis", "avis publiés", "nombre", nothing)}
    gone = measures.Threshold("ancienne", "mesure retirée", "part", 10.0)
    kept = measures.parsed({"seuil-note": "4.5", "seuil-avis": ""}, known, [gone])
    assert [(t.measure, t.minimum) for t in kept] == [("ancienne", 10.0), ("note", 4.5)]
    for bad in ("2,5", "0", "beaucoup"):
        with pytest.raises(ValueError, match="nombre entier"):
            measures.parsed({"seuil-avis": bad}, known, [])
    reading = measures.Reading(kept[1], None)
    assert not reading.met and measures.value_of(reading) == "aucune mesure"
    assert measures.shortfall("Atelier", "Badge", [measures.Reading(kept[1], 4.5)]) == ""


async def test_the_command_line_refuses_an_award_below_a_threshold_as_the_form_does(site, network, reviewed,
                                                                                      environment):
    known = measures.registered(site.app.state.plugin_manager)
    await awards.save_class(slug=SOLID, name="Avis solides", description=CLASS["description"],
                            criteria=CLASS["criteria"], color=CLASS["color"], validity_months="", active=True,
                            actor="test", thresholds=measures.parsed({"seuil-avis-verifies-publies": "1"}, known, []))
    refused = await run_command(environment, "badges", "award", network["kerf"], SOLID)
    assert refused.exit_code == 1 and "Studio Kerfeunteun ne remplit pas" in refused.output
    assert await BadgeAward.count() == 0
    assert (await run_command(environment, "badges", "award", network["odet"], SOLID)).exit_code == 0
