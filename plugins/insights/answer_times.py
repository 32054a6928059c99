"""Answer times kept as counts per time bucket, so that a week's median is read from sums.

A median cannot be summed from daily medians, but counts per bucket can: each answer adds one
to the counter of its bucket (``answer@17``), days add up into weeks like every counter, and a
week's median is the bucket where half of its answers are reached. Buckets widen by 10 % from
one minute (bucket ``b`` holds answers from 60·1.1^b to 60·1.1^(b+1) seconds; the first also
those under a minute, the last those over ten days), and a median is given as its bucket's
geometric middle: within 5 % of the true median of answers over one minute.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TypeVar

PREFIX = "answer@"
FIRST_S, RATIO, LAST = 60.0, 1.1, 100  # bucket 100 starts after about ten days
PRECISION_PERCENT = 5
T = TypeVar("T")


def bucket(seconds: float) -> int:
    """The bucket of an answer given after ``seconds``."""
    if seconds < FIRST_S * RATIO:
        return 0
    return min(LAST, math.floor(math.log(seconds / FIRST_S, RATIO)))


def counter(seconds: float) -> str:
    """The counter an answer given after ``seconds`` adds one to."""
    return f"{PREFIX}{bucket(seconds)}"


def buckets(counts: Mapping[str, T]) -> dict[int, T]:
    """The answer buckets among ``counts`` (counter name → its count, or its counts by week)."""
    return {int(name[len(PREFIX):]): value for name, value in counts.items() if name.startswith(PREFIX)}


def median_seconds(counts: Mapping[int, float]) -> float | None:
    """The median answer time of ``counts`` (bucket → answers), or None without an answer."""
    answered = sorted((index, value) for index, value in counts.items() if value > 0)
    half = sum(value for _, value in answered) / 2
    reached = 0.0
    for index, value in answered:
        reached += value
        if reached >= half:
            return FIRST_S * RATIO ** (index + 0.5)
    return None  # no answer at all
