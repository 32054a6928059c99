"""``search-check``: does every running copy of the index hold what the database says?

A shared engine (Meilisearch) is compared id by id with the published providers. Embedded
indexes live in the servers' memory, out of a command's reach: each server reports its
outbox position and a digest of its documents (``SearchIndex.report``); the check builds
the same digest from the database at one outbox position and compares.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime

import msgspec

from directory.plugin_api import clock, events
from plugins.geosearch.index import CONSUMER, REPORT_EVERY, Digest, SearchIndex

# A registered server that has not reported for this long is stalled, or gone without saying so.
SILENT_AFTER = REPORT_EVERY * 3
RECHECK_S = 0.2


class Expected(msgspec.Struct, frozen=True):
    """The database's side: the digest every up-to-date server must hold at ``position``."""

    position: int
    documents: int
    digest: str


class ServerState(msgspec.Struct, frozen=True):
    """One server as the check found it: ``state`` is ``ok``, ``behind``, ``ahead``, ``different``
    or ``silent`` (no report within ``SILENT_AFTER``: stalled, or stopped without leaving)."""

    follower: events.Follower
    state: str


async def expected(index: SearchIndex) -> Expected:
    """The documents the database holds at one outbox position (read again if a write slips in)."""
    while True:
        position, documents = await index.documents()
        if await events.latest() == position:
            digest = Digest(documents)
            return Expected(position, len(digest), digest.value)


async def check_servers(index: SearchIndex, wait_s: float) -> tuple[Expected, list[ServerState]]:
    """Compare every registered server with the database, giving a lagging or silent one ``wait_s``
    to catch up."""
    deadline = time.monotonic() + wait_s
    while True:
        truth = await expected(index)
        now = clock.now()
        servers = await events.followers(CONSUMER)
        states = [ServerState(server, _state(server, truth, now)) for server in servers]
        # A server behind may catch up, a silent one may come back; one ahead means the database
        # moved on since it was read.
        if all(state.state in ("ok", "different") for state in states) or time.monotonic() >= deadline:
            return truth, states
        await asyncio.sleep(RECHECK_S)


def _state(server: events.Follower, truth: Expected, now: datetime) -> str:
    if now - server.seen_at > SILENT_AFTER:
        return "silent"
    if server.position != truth.position:
        return "behind" if server.position < truth.position else "ahead"
    return "ok" if server.digest == truth.digest else "different"
