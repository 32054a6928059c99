"""What the reviews plugin's track record does to lead routing: a synthetic network, synthetic outcomes.

Run: ``.venv/bin/python bench/track_record_bench.py`` (``--leads 2000`` for a quick run).

The demo network (3,000 providers, as ``leads_bench.py``) gets a hidden quality per provider
(uniform between 0 and 1): 0 to 20 past answered outcomes, each a quote or an order with that
probability, and 0 to 8 published ratings around ``1 + 4 × quality``. The same synthetic leads
are routed three ways: the built-in score with the track record (weight 0.1), without it, and
nearest-first. Goals: Gini and median distance within 5 % of the score without the component
(it is bounded: it cannot undo fairness nor send a lead far), and a larger share of offers to the
best quarter of providers.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.leads_bench import SEED, candidates_of
from geo import Gazetteer
from plugins.leads import routing
from plugins.leads.commands import synthetic_needs
from plugins.reviews import outcomes, track_record

PRIOR_RATING, PRIOR_WEIGHT = 4.0, 5  # the reviews plugin's defaults


def synthetic_records(candidates: list[routing.Candidate], seed: int) -> tuple[dict[int, track_record.Record],
                                                                              dict[int, float]]:
    """Each provider's synthetic record, and the hidden quality it was drawn from."""
    rng = random.Random(seed)
    quality, records = {}, {}
    for candidate in candidates:
        q = quality[candidate.provider_id] = rng.random()
        answered = rng.randint(0, 20)
        good = sum(rng.random() < q for _ in range(answered))
        ratings = [min(5, max(1, round(1 + 4 * q + rng.gauss(0, 0.7)))) for _ in range(rng.randint(0, 8))]
        records[candidate.provider_id] = track_record.Record(good, answered - good, len(ratings),
                                                             sum(ratings))
    return records, quality


def best_quarter_share(fairness: routing.Fairness, best: set[int]) -> float:
    """The share of offers that went to the best quarter of providers (by hidden quality)."""
    total = sum(fairness.offers.values())
    to_best = sum(count for provider, count in fairness.offers.items() if provider in best)
    return to_best / total if total else 0.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=10_000)
    arguments = parser.parse_args()
    gazetteer = Gazetteer.default()
    candidates = candidates_of(3000, gazetteer)
    needs = synthetic_needs(arguments.leads, SEED, gazetteer)
    records, quality = synthetic_records(candidates, SEED)
    component = track_record.track_records(records, PRIOR_RATING, PRIOR_WEIGHT,
                                          outcomes.TRACK_RECORD_MAX_WEIGHT).component
    ranked = sorted(quality, key=quality.get, reverse=True)
    best = set(ranked[:len(ranked) // 4])
    print(f"{arguments.leads} demandes synthétiques, {len(candidates)} prestataires, "
          "3 sollicités par demande, "
          f"poids du parcours {outcomes.TRACK_RECORD_MAX_WEIGHT}")
    print(f"{'stratégie':<22} {'Gini':>6} {'part sollicitée':>16} {'distance médiane':>17} "
          f"{'offres au meilleur quart':>25}")
    figures = {}
    for label, strategy, extra in (("score + parcours", routing.SCORED, [component]),
                                   ("score sans parcours", routing.SCORED, []),
                                   ("le plus proche", routing.NEAREST, [])):
        fairness = routing.simulate(needs, candidates, 3, strategy=strategy, extra=extra)
        share = best_quarter_share(fairness, best)
        figures[label] = (fairness, share)
        print(f"{label:<22} {fairness.gini:>6.3f} {fairness.share_offered:>15.1%} "
              f"{fairness.median_km:>14.1f} km {share:>24.1%}")
    (with_it, with_share), (without, without_share) = (figures["score + parcours"],
                                                       figures["score sans parcours"])
    ok = (with_it.gini <= without.gini * 1.05 and with_it.median_km <= without.median_km * 1.05
          and with_share > without_share)
    print(f"Gini × {with_it.gini / without.gini:.3f}, "
          f"distance médiane × {with_it.median_km / without.median_km:.3f}, "
          f"part du meilleur quart × {with_share / without_share:.3f} "
          f"(objectif : {'atteint' if ok else 'MANQUÉ'})")


if __name__ == "__main__":
    main()
