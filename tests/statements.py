"""Counting the statements code runs on an engine: the bound on a page's or a write's queries."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

# Set inside the block only: the app's background loops (the search follower's report, the
# outbox) started before it and do not see it, so what they write does not count against a page.
_COUNTING: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("counting", default=None)


@contextlib.contextmanager
def counted(engine) -> Iterator[list[str]]:
    """The statements ``engine`` runs for the code inside the block (Piccolo's queries and raw ones
    alike), whatever the app's background tasks run meanwhile."""
    statements: list[str] = []
    run = engine.run_querystring

    async def counting(querystring, in_pool: bool = True):  # noqa: ANN202 - Piccolo's own signature
        if (into := _COUNTING.get()) is not None:
            into.append(str(querystring))
        return await run(querystring, in_pool=in_pool)

    engine.run_querystring = counting
    token = _COUNTING.set(statements)
    try:
        yield statements
    finally:
        _COUNTING.reset(token)
        del engine.run_querystring  # the class's method again
