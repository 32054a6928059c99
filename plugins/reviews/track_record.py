"""The "track record" component of lead routing: what became of a provider's accepted requests,
and what its clients wrote, as one bounded value. Pure functions over plain counts.

Two rates, each shrunk towards the network's mean so that a provider with two answers is
judged mostly as an average one (neither a newcomer's luck nor its bad start moves it much):

- outcomes: requests that led to a quote or an order, over those answered with an end
  (quote, order, not retained, no news; "en discussion" is not an end yet), with
  ``prior_weight`` imaginary answers at the network's rate;
- reviews: the Bayesian average of the published ratings, with ``prior_weight`` imaginary
  reviews at the network's mean rating, brought to 0–1.

The value is their mean, between 0 and 1; its weight is at most
``outcomes.TRACK_RECORD_MAX_WEIGHT``, a third of ``distance`` and half of ``fairness``
(``docs/reviews.md``, "Lead routing").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from plugins.reviews import outcomes

NAME = "track_record"
GOOD = frozenset({outcomes.QUOTE, outcomes.ORDERED})
BAD = frozenset({outcomes.NOT_CHOSEN, outcomes.NO_NEWS})


@dataclass(frozen=True)
class Record:
    """One provider's answered outcomes and published ratings (their count and their sum)."""

    good: int = 0  # quote received or work ordered
    bad: int = 0  # not retained or no news
    reviews: int = 0
    rating_sum: int = 0

    def __add__(self, other: Record) -> Record:
        return Record(self.good + other.good, self.bad + other.bad, self.reviews + other.reviews,
                      self.rating_sum + other.rating_sum)


@dataclass(frozen=True)
class TrackRecords:
    """Every provider's value, and the value of one without any record (the network's mean)."""

    values: Mapping[int, float]
    default: float
    weight: float

    def component(self, candidate: Any, need: Any, km: float) -> dict[str, tuple[float, float]]:
        """The score component routing adds (``(weight, value)`` under ``NAME``), for the leads
        plugin's ``Candidate`` and ``Need``."""
        return {NAME: (self.weight, self.values.get(candidate.provider_id, self.default))}


def shrunk(total: float, count: int, prior: float, prior_weight: int) -> float:
    """The mean of ``count`` values adding up to ``total``, with ``prior_weight`` imaginary ones at
    ``prior`` (as ``scoring.averages``, without rounding)."""
    weight = count + prior_weight
    return (total + prior_weight * prior) / weight if weight else prior


def track_records(records: Mapping[int, Record], prior_rating: float, prior_weight: int,
                  weight: float) -> TrackRecords:
    """Each provider's value from its record, shrunk towards the network's means (themselves
    shrunk, while the network has few answers, towards one in two and towards ``prior_rating``)."""
    network = sum(records.values(), Record())
    network_rate = shrunk(network.good, network.good + network.bad, 0.5, prior_weight)
    network_rating = shrunk(network.rating_sum, network.reviews, prior_rating, prior_weight)

    def value(record: Record) -> float:
        rate = shrunk(record.good, record.good + record.bad, network_rate, prior_weight)
        rating = shrunk(record.rating_sum, record.reviews, network_rating, prior_weight)
        return round((rate + (rating - 1) / 4) / 2, 4)

    values = {provider: value(record) for provider, record in records.items()}
    return TrackRecords(values, value(Record()), weight)
