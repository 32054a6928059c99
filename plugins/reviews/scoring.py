"""Review averages: the plain mean people read, and the Bayesian one that ranks.

The Bayesian average adds ``prior_weight`` imaginary reviews at ``prior_rating`` (by default
five at 4.0): one 5-star review gives 4.17, thirty at 4.8 give 4.69, so a provider with a long
record of good work is not overtaken by a single enthusiastic client.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Averages:
    count: int
    mean: float  # 0.0 without reviews
    bayesian: float  # the prior alone without reviews


def averages(ratings: Sequence[int], prior_rating: float, prior_weight: int) -> Averages:
    """The count, the mean and the Bayesian average of ``ratings`` (each 1 to 5)."""
    count, total = len(ratings), sum(ratings)
    mean = total / count if count else 0.0
    weight = prior_weight + count
    bayesian = (prior_rating * prior_weight + total) / weight if weight else 0.0
    return Averages(count, round(mean, 2), round(bayesian, 2))
