"""The provider change outbox: recorded with each write, read in order by each consumer.

Readers remember the id of the last change they applied and ask for larger ones. That is
only safe if a change with a smaller id can never become visible after a larger one: on
SQLite, writers hold the database's write lock; on PostgreSQL, sequence values are handed
out before commit, so ``database.write_transaction`` makes writers take one advisory lock
for their whole transaction. Ids are then allocated and committed in the same order.

Two kinds of readers: a shared engine (Meilisearch) is one index for every process, so it
keeps one position in ``ChangeCursor``; a process that holds its own copy (the embedded
search index) keeps its position in memory and reports it as a ``ChangeFollower``.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterable

import msgspec

from directory.tables import ChangeCursor, ChangeFollower, ProviderChange

BATCH = 500


async def record(slugs: Iterable[str]) -> None:
    """Note that these providers changed; call inside the ``write_transaction`` that changes them."""
    rows = [ProviderChange(slug=slug) for slug in slugs]
    for start in range(0, len(rows), BATCH):
        await ProviderChange.insert(*rows[start:start + BATCH])


async def latest() -> int:
    """The position of the newest change (0 when there is none)."""
    row = await ProviderChange.select(ProviderChange.id).order_by(ProviderChange.id, ascending=False).first()
    return row["id"] if row else 0


async def since(start: int, limit: int = BATCH) -> tuple[list[str], int]:
    """The distinct slugs changed after position ``start``, and the position they lead to."""
    rows = await ProviderChange.select(ProviderChange.id, ProviderChange.slug).where(
        ProviderChange.id > start
    ).order_by(ProviderChange.id).limit(limit)
    if not rows:
        return [], start
    return list(dict.fromkeys(row["slug"] for row in rows)), rows[-1]["id"]


async def position(consumer: str) -> int:
    """How far the shared consumer ``consumer`` has read (0 for a new one)."""
    row = await ChangeCursor.select(ChangeCursor.position).where(ChangeCursor.consumer == consumer).first()
    return row["position"] if row else 0


async def advance(consumer: str, to: int) -> None:
    """Record that the shared consumer ``consumer`` has handled every change up to position ``to``."""
    updated = await ChangeCursor.update({ChangeCursor.position: to}).where(
        ChangeCursor.consumer == consumer
    ).returning(ChangeCursor.id)
    if not updated:
        await ChangeCursor.insert(ChangeCursor(consumer=consumer, position=to))


class Follower(msgspec.Struct, kw_only=True):
    """What a process following the outbox on its own says of itself."""

    instance: str
    consumer: str
    host: str
    pid: int
    position: int = 0
    documents: int = 0
    digest: str = ""
    started_at: datetime
    seen_at: datetime


def new_follower(consumer: str, now: datetime) -> Follower:
    """This process as a follower of ``consumer``, not yet reported."""
    return Follower(instance=uuid.uuid4().hex, consumer=consumer, host=socket.gethostname(), pid=os.getpid(),
                    started_at=now, seen_at=now)


async def report(follower: Follower) -> None:
    """Save where ``follower`` stands (its row is created on the first report)."""
    values = msgspec.structs.asdict(follower)
    updated = await ChangeFollower.update(values).where(
        ChangeFollower.instance == follower.instance
    ).returning(ChangeFollower.id)
    if not updated:
        await ChangeFollower.insert(ChangeFollower(**values))


async def forget(instance: str) -> None:
    """Remove a follower that stops."""
    await ChangeFollower.delete().where(ChangeFollower.instance == instance)


async def followers(consumer: str, now: datetime, alive_within: timedelta) -> list[Follower]:
    """The followers of ``consumer`` that reported within ``alive_within``; older rows are removed."""
    await ChangeFollower.delete().where(ChangeFollower.seen_at < now - alive_within * 10)
    rows = await ChangeFollower.select(*(getattr(ChangeFollower, f) for f in Follower.__struct_fields__)).where(
        (ChangeFollower.consumer == consumer) & (ChangeFollower.seen_at >= now - alive_within)
    ).order_by(ChangeFollower.started_at)
    return [Follower(**{**row, "seen_at": _utc(row["seen_at"]), "started_at": _utc(row["started_at"])})
            for row in rows]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
