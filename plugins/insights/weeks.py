"""Days folded into weeks, and the fairness figure: pure functions over plain numbers.

Counters are kept per day (Paris time); pages show weeks, Monday first. ``gini`` is the
formula ``leads simulate`` reports for the spread of offers, written again here because a
plugin never imports another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta


def monday(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def weeks_ending(last: date, count: int) -> tuple[date, ...]:
    """The Mondays of the ``count`` weeks that end with ``last``'s week, oldest first."""
    end = monday(last)
    return tuple(end - timedelta(weeks=count - 1 - index) for index in range(count))


def weekly(daily: Mapping[date, float], weeks: tuple[date, ...]) -> tuple[float, ...]:
    """Each week's sum of ``daily`` (0 for a week without a figure)."""
    sums = dict.fromkeys(weeks, 0.0)
    for day, value in daily.items():
        week = monday(day)
        if week in sums:
            sums[week] += value
    return tuple(sums[week] for week in weeks)


def ratio(numerators: Iterable[float], denominators: Iterable[float], scale: float = 1.0,
          ) -> tuple[float | None, ...]:
    """Week by week ``scale * numerator / denominator``, None where the denominator is 0."""
    return tuple(scale * top / bottom if bottom else None for top, bottom in zip(numerators, denominators, strict=True))


def gini(values: Iterable[float]) -> float:
    """The Gini coefficient of ``values``: 0 when all are equal, towards 1 when one holds everything."""
    ordered = sorted(values)
    total = sum(ordered)
    if not ordered or total == 0:
        return 0.0
    count = len(ordered)
    return sum((2 * rank - count - 1) * value for rank, value in enumerate(ordered, start=1)) / (count * total)
