"""Writes that a person waits on go ahead of reads.

One process serves every request on one event loop. Under a load of reads (a crawler, a burst
of searches) the loop always has reads ready, and a write that makes forty database round
trips waits behind a round of them at each one: on PostgreSQL, a quote request that takes
60 ms alone took 17 s under eight connections of searches. While such a write runs
(``Precedence.first``), reads that arrive wait at the door (``ReadsWait``) for at most
``LONGEST_WAIT_S``, so the write has the loop nearly to itself. A write slow for another
reason (a lock an import holds) delays reads by that much at most; reads already inside go
on. SQLite's write transactions run on the loop's thread without yielding, so there this
mostly spares the reads and forms around them.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from litestar.types import ASGIApp, Receive, Scope, Send

# Longer than such a write takes alone (60–400 ms), short enough that readers barely notice.
LONGEST_WAIT_S = 1
READS = frozenset({"GET", "HEAD"})


class Precedence:
    """The writes going first in one app, and the reads waiting for them to end.

    Waiters are futures of the loop that waits, not an ``asyncio.Event``, which would bind
    itself to the first loop that used it (tests run one app on several loops)."""

    def __init__(self, longest_wait_s: float = LONGEST_WAIT_S) -> None:
        self.longest_wait_s = longest_wait_s
        self._writing = 0
        self._waiting: set[asyncio.Future[None]] = set()

    @contextlib.asynccontextmanager
    async def first(self) -> AsyncIterator[None]:
        """Hold new reads back while the block runs (blocks may overlap)."""
        self._writing += 1
        try:
            yield
        finally:
            self._writing -= 1
            if not self._writing:
                for waiter in self._waiting:
                    if not waiter.done():
                        waiter.set_result(None)
                self._waiting.clear()

    async def turn(self) -> None:
        """Return once no write goes first, or after ``longest_wait_s``."""
        if not self._writing:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.add(waiter)
        try:
            async with asyncio.timeout(self.longest_wait_s):
                await waiter
        except TimeoutError:
            self._waiting.discard(waiter)


class ReadsWait:
    """An ASGI layer that makes each ``GET`` and ``HEAD`` request wait its turn (``Precedence.turn``)."""

    def __init__(self, app: ASGIApp, precedence: Precedence) -> None:
        self.app = app
        self.precedence = precedence

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in READS:
            await self.precedence.turn()
        await self.app(scope, receive, send)
