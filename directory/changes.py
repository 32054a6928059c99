"""The provider change outbox: recorded with each write, read in order by each consumer."""

from __future__ import annotations

from typing import Iterable

from directory.tables import ChangeCursor, ProviderChange


async def record(slugs: Iterable[str]) -> None:
    """Note that these providers changed; call inside the transaction that changes them."""
    rows = [ProviderChange(slug=slug) for slug in slugs]
    for start in range(0, len(rows), 500):
        await ProviderChange.insert(*rows[start:start + 500])


async def latest() -> int:
    """The position of the newest change (0 when there is none)."""
    row = await ProviderChange.select(ProviderChange.id).order_by(ProviderChange.id, ascending=False).first()
    return row["id"] if row else 0


async def position(consumer: str) -> int:
    """How far ``consumer`` has read (0 for a new consumer)."""
    row = await ChangeCursor.select(ChangeCursor.position).where(ChangeCursor.consumer == consumer).first()
    return row["position"] if row else 0


async def pending(consumer: str, limit: int = 500) -> tuple[list[str], int]:
    """The distinct slugs changed since ``consumer``'s position, and the position they lead to."""
    start = await position(consumer)
    rows = await ProviderChange.select(ProviderChange.id, ProviderChange.slug).where(
        ProviderChange.id > start
    ).order_by(ProviderChange.id).limit(limit)
    if not rows:
        return [], start
    return list(dict.fromkeys(row["slug"] for row in rows)), rows[-1]["id"]


async def advance(consumer: str, to: int) -> None:
    """Record that ``consumer`` has handled every change up to position ``to``."""
    updated = await ChangeCursor.update({ChangeCursor.position: to}).where(
        ChangeCursor.consumer == consumer
    ).returning(ChangeCursor.id)
    if not updated:
        await ChangeCursor.insert(ChangeCursor(consumer=consumer, position=to))
