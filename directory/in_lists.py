"""Long lists of values cut into IN lists a database binds: PostgreSQL refuses a statement with
over 32,767 parameters, and a search index rebuilt at 100,000 providers asks about each of them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

MOST_BOUND = 10_000  # values in one IN list, well under PostgreSQL's limit with a query's other parameters
Value = TypeVar("Value")


def in_pieces(values: Sequence[Value]) -> Iterator[Sequence[Value]]:
    """``values`` in consecutive pieces of at most ``MOST_BOUND``, one query each; nothing for no values."""
    for start in range(0, len(values), MOST_BOUND):
        yield values[start:start + MOST_BOUND]
