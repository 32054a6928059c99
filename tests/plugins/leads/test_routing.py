"""Lead routing as plain functions: who is eligible, in which order, how fair, and when answers are due."""

from __future__ import annotations

from datetime import UTC, datetime

from geo import Gazetteer, ServiceArea
from plugins.leads import deadlines, routing
from plugins.leads.commands import synthetic_needs

QUIMPER = (47.996, -4.102, "29")
DOUARNENEZ = (48.093, -4.329, "29")  # 20 km from Quimper
BREST = (48.390, -4.486, "29")  # 60 km
LORIENT = (47.748, -3.366, "56")  # 60 km, in Morbihan
RENNES = (48.112, -1.680, "35")  # 190 km


def candidate(provider_id, where, services=("e-commerce",), radius=None, departements=(), on_site=True, remote=False,
              **counters) -> routing.Candidate:
    lat, lon, departement = where
    return routing.Candidate(provider_id, f"p{provider_id}", ServiceArea(lat, lon, departement, radius,
                                                                         tuple(departements), on_site),
                             remote, frozenset(services), **counters)


NEED = routing.Need(frozenset({"e-commerce"}), QUIMPER[0], QUIMPER[1], "29")


def test_eligible_providers_serve_the_place_offer_the_service_are_not_paused_nor_full():
    candidates = [
        candidate(1, QUIMPER),  # its own département
        candidate(2, LORIENT, radius=80),  # its radius reaches Quimper
        candidate(3, LORIENT, radius=30),  # it does not
        candidate(4, RENNES, departements=("35", "29")),  # the whole Finistère
        candidate(5, QUIMPER, paused=True),
        candidate(6, QUIMPER, capacity=4, offers_this_month=4),
        candidate(7, QUIMPER, services=("telephonie",)),
    ]
    decision = routing.route(NEED, candidates, 10, place="Quimper")
    assert sorted(s.candidate.provider_id for s in decision.chosen) == [1, 2, 4]
    assert decision.excluded == {3: "n'intervient pas à Quimper", 5: "en pause",
                                 6: "capacité mensuelle atteinte (4/4)", 7: "ne propose aucun des services demandés"}


def test_a_close_good_match_beats_a_far_equally_good_one_and_the_score_is_explained():
    far, close = candidate(1, BREST, radius=100), candidate(2, DOUARNENEZ, radius=50)
    decision = routing.route(NEED, [far, close], 1)
    assert [s.candidate.provider_id for s in decision.chosen] == [2]
    components = decision.ranked[0].components
    assert set(components) == set(routing.BUILT_IN) and components["fit"] == 1.0
    assert decision.ranked[0].score > decision.ranked[1].score


def test_responsiveness_load_and_badges_count():
    slow = candidate(1, QUIMPER, answered=1, missed=9, open_offers=5)
    quick = candidate(2, QUIMPER, answered=9, missed=1, badges=2)
    assert [s.candidate.provider_id for s in routing.route(NEED, [slow, quick], 2).chosen] == [2, 1]


def test_when_nobody_offers_every_service_the_closest_partial_match_is_offered_and_marked():
    need = routing.Need(frozenset({"e-commerce", "referencement", "reseaux-sociaux"}), QUIMPER[0], QUIMPER[1], "29")
    two_of_three = candidate(1, QUIMPER, services=("e-commerce", "referencement"))
    one_of_three = candidate(2, QUIMPER, services=("e-commerce",))
    decision = routing.route(need, [two_of_three, one_of_three], 3)
    assert [(s.candidate.provider_id, s.partial) for s in decision.chosen] == [(1, True)]
    assert decision.excluded == {2: "ne propose pas tous les services demandés"}


def test_remote_providers_complete_the_list_only_when_too_few_come_on_site():
    on_site = candidate(1, QUIMPER)
    remote = candidate(2, RENNES, on_site=False, remote=True)
    assert [(s.candidate.provider_id, s.remote) for s in routing.route(NEED, [on_site, remote], 2).chosen] == \
        [(1, False), (2, True)]
    assert [s.candidate.provider_id for s in routing.route(NEED, [on_site, remote], 1).chosen] == [1]


def test_providers_already_asked_are_left_out_with_their_reason():
    decision = routing.route(NEED, [candidate(1, QUIMPER), candidate(2, QUIMPER)], 3, exclude={1: "déjà sollicité"})
    assert [s.candidate.provider_id for s in decision.chosen] == [2] and decision.excluded[1] == "déjà sollicité"


def test_plugins_add_components_with_their_weight():
    def local_hero(candidate, need, km):
        return {"ambassadeur": (1.0, 1.0 if candidate.provider_id == 2 else 0.0)}

    decision = routing.route(NEED, [candidate(1, QUIMPER), candidate(2, DOUARNENEZ, radius=40)], 1, extra=[local_hero])
    assert decision.chosen[0].candidate.provider_id == 2 and decision.chosen[0].components["ambassadeur"] == 1.0


def test_equally_fit_providers_share_the_leads_instead_of_the_nearest_taking_them_all():
    # Three agencies in Quimper; one a few hundred metres closer to the town centre.
    candidates = [candidate(1, QUIMPER), candidate(2, (47.990, -4.110, "29")), candidate(3, (47.980, -4.120, "29"))]
    needs = [NEED] * 30
    nearest = routing.simulate(needs, candidates, 1, strategy=routing.NEAREST)
    scored = routing.simulate(needs, candidates, 1)
    assert nearest.gini > 0.6 and scored.gini < 0.3
    assert scored.share_offered == 1.0 and nearest.share_offered < 0.5


def test_gini_of_equal_and_concentrated_counts():
    assert routing.gini([5, 5, 5, 5]) == 0 and round(routing.gini([0, 0, 0, 12]), 2) == 0.75


def test_synthetic_needs_follow_a_seed():
    gazetteer = Gazetteer.default()
    assert synthetic_needs(50, 7, gazetteer) == synthetic_needs(50, 7, gazetteer)
    assert synthetic_needs(50, 7, gazetteer) != synthetic_needs(50, 8, gazetteer)


PARIS = deadlines.PARIS


def test_a_deadline_in_plain_hours():
    start = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    assert deadlines.deadline(start, 48) == datetime(2026, 11, 29, 16, 0, tzinfo=UTC)


def test_a_deadline_in_business_hours_skips_nights_and_weekends():
    friday_5pm = datetime(2026, 11, 27, 17, 0, tzinfo=PARIS)
    # 1 h on Friday, then 9 h on Monday, 9 h on Tuesday… 48 h = 1 + 9 × 5 + 2: the next Monday, 11:00.
    assert deadlines.deadline(friday_5pm, 48, business_hours=True) == datetime(2026, 12, 7, 11, 0, tzinfo=PARIS)
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=PARIS)
    assert deadlines.deadline(saturday, 2, business_hours=True) == datetime(2026, 11, 30, 11, 0, tzinfo=PARIS)
    early = datetime(2026, 11, 30, 7, 30, tzinfo=PARIS)
    assert deadlines.deadline(early, 9, business_hours=True) == datetime(2026, 11, 30, 18, 0, tzinfo=PARIS)


def test_business_hours_skip_the_public_holidays_of_the_providers_departement():
    before_armistice = datetime(2026, 11, 10, 17, 0, tzinfo=PARIS)
    # 1 h on Tuesday 10th; Wednesday 11 November is off; 3 h on Thursday.
    assert deadlines.deadline(before_armistice, 4, True, "33") == datetime(2026, 11, 12, 12, 0, tzinfo=PARIS)
    christmas_eve = datetime(2026, 12, 24, 17, 0, tzinfo=PARIS)
    # Saint Stephen's day (26th) is a Saturday in 2026; in 2025 it was a Friday, off in Alsace only.
    assert deadlines.deadline(christmas_eve, 2, True, "33") == datetime(2026, 12, 28, 10, 0, tzinfo=PARIS)
    in_2025 = datetime(2025, 12, 24, 17, 0, tzinfo=PARIS)
    assert deadlines.deadline(in_2025, 2, True, "75") == datetime(2025, 12, 26, 10, 0, tzinfo=PARIS)
    assert deadlines.deadline(in_2025, 2, True, "67") == datetime(2025, 12, 29, 10, 0, tzinfo=PARIS)
    # Easter-based days move: Whit Monday is 25 May in 2026.
    whit_friday = datetime(2026, 5, 22, 17, 0, tzinfo=PARIS)
    assert deadlines.deadline(whit_friday, 2, True, "29") == datetime(2026, 5, 26, 10, 0, tzinfo=PARIS)


def test_deadlines_are_told_in_local_time_where_it_is_not_paris():
    moment = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)
    assert deadlines.local_time(moment, "33") == deadlines.local_time(moment, "67") == "01/12/2026 à 08:00"
    assert deadlines.local_time(moment, "974") == "01/12/2026 à 11:00, heure de La Réunion"
    assert deadlines.local_time(moment, "972") == "01/12/2026 à 03:00, heure de la Martinique"


def test_overseas_offices_count_their_own_hours_and_days():
    reunion = deadlines.calendar("974").zone
    # 17:00 in Paris on a Monday is 20:00 in Réunion: the clock starts at 9:00 on Tuesday there.
    monday_5pm_paris = datetime(2026, 11, 30, 17, 0, tzinfo=PARIS)
    assert deadlines.deadline(monday_5pm_paris, 2, True, "974") == datetime(2026, 12, 1, 11, 0, tzinfo=reunion)
    # 20 December, the abolition of slavery, is off in Réunion (a Friday in 2024), not in Paris.
    thursday = datetime(2024, 12, 19, 17, 0, tzinfo=reunion)
    assert deadlines.deadline(thursday, 2, True, "974") == datetime(2024, 12, 23, 10, 0, tzinfo=reunion)
    assert deadlines.deadline(thursday.astimezone(PARIS), 2, True, "75") == datetime(2024, 12, 19, 16, 0,
                                                                                     tzinfo=PARIS)
