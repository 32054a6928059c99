"""The event outbox: typed events recorded with each write, read in order by each consumer.

An event has a name (``provider.saved``, ``provider.deleted``, or a plugin's own, declared
with ``register_event_types``), a subject (a provider's slug, a lead's id), a payload checked
against the type's ``msgspec.Struct``, and the actor who caused it when there is one (``cli:ada``,
a signed-in user). It is written in the transaction of the change it describes: a change
without its event, or an event without its change, cannot be committed.

Readers remember the id of the last event they applied and ask for larger ones. That is only
safe if an event with a smaller id can never become visible after a larger one: on SQLite,
writers hold the database's write lock; on PostgreSQL, sequence values are handed out before
commit, so a writer takes the outbox's advisory lock when it writes its events, just before it
commits (``database.outbox_turn``). Ids are then allocated and committed in the same order.

Two kinds of readers: a shared engine (Meilisearch) is one index for every process, so it
keeps one position in ``ChangeCursor``; a process that holds its own copy (the embedded
search index) keeps its position in memory and reports it as a ``ChangeFollower``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import msgspec

from directory.database import outbox_turn, writing
from directory.platform import cache, clock, current
from directory.tables import ChangeCursor, ChangeFollower
from directory.tables import Event as EventRow

BATCH = 500
PROVIDER_SAVED = "provider.saved"
PROVIDER_DELETED = "provider.deleted"
PROVIDER_EVENTS = frozenset({PROVIDER_SAVED, PROVIDER_DELETED})
CONTACT_ERASED = "contact.erased"


class EventError(ValueError):
    """An event of an undeclared type, or whose payload does not fit its type."""


class ProviderSaved(msgspec.Struct, forbid_unknown_fields=True):
    created: bool


class ProviderDeleted(msgspec.Struct, forbid_unknown_fields=True):
    pass


class ContactErased(msgspec.Struct, forbid_unknown_fields=True):
    """Staff erased the contact messages of one sender (the event's actor says who, never the sender)."""

    messages: int


# The core's event types; each plugin manager starts from them and adds its plugins' (``declare``).
CORE_TYPES: Mapping[str, type[msgspec.Struct]] = MappingProxyType(
    {PROVIDER_SAVED: ProviderSaved, PROVIDER_DELETED: ProviderDeleted, CONTACT_ERASED: ContactErased})


def declare(types: dict[str, type[msgspec.Struct]], name: str, payload: type[msgspec.Struct]) -> None:
    """Add an event type to ``types`` (a plugin manager's: plugins do it through ``register_event_types``)."""
    if name in types and types[name] is not payload:
        raise EventError(f"the event type {name!r} is declared twice")
    types[name] = payload


class Event(msgspec.Struct, frozen=True):
    """An event as consumers read it."""

    id: int
    name: str
    subject: str
    payload: dict[str, Any]
    actor: str
    created_at: datetime


async def record(name: str, subjects: Iterable[str], payload: dict[str, Any] | None = None, actor: str = "") -> None:
    """Record one event per subject; call inside the ``write_transaction`` of the change."""
    schema = current.platform().plugin_manager.event_types.get(name)
    if schema is None:
        raise EventError(f"no event type {name!r} is declared")
    try:
        encoded = msgspec.json.encode(msgspec.convert(payload or {}, schema)).decode()
    except msgspec.ValidationError as error:
        raise EventError(f"the payload of a {name} event does not fit its type: {error}") from None
    now = clock.now()
    rows = [EventRow(name=name, subject=subject, payload=encoded, actor=actor, created_at=now) for subject in subjects]
    if (transaction := writing()) is not None:
        transaction.hold("events", _insert).extend(rows)  # written once the change is, before it commits
    elif rows:
        await _insert(rows)


async def _insert(rows: list[EventRow]) -> None:
    """Write events in the outbox's turn, at the end of their change's transaction."""
    await outbox_turn(current.platform().engine)
    for start in range(0, len(rows), BATCH):
        await EventRow.insert(*rows[start:start + BATCH])
    if (pages := current.platform().kept.get(cache.KEPT_AS)) is not None:
        pages.forget()  # this server's pages show the change at once, not at the cache's next look


async def latest() -> int:
    """The position of the newest event (0 when there is none)."""
    row = await EventRow.select(EventRow.id).order_by(EventRow.id, ascending=False).first()
    return row["id"] if row else 0


async def since(start: int, limit: int = BATCH, names: Collection[str] | None = None) -> tuple[list[Event], int]:
    """The events after position ``start`` (of the types in ``names``, if given), and the
    position they lead to: past every event read, wanted or not."""
    rows = await EventRow.select().where(EventRow.id > start).order_by(EventRow.id).limit(limit)
    if not rows:
        return [], start
    wanted = [Event(row["id"], row["name"], row["subject"], msgspec.json.decode(row["payload"]), row["actor"],
                    _utc(row["created_at"]))
              for row in rows if names is None or row["name"] in names]
    return wanted, rows[-1]["id"]


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


async def forget(instance: str) -> int:
    """Remove a follower: one that stops cleanly, or one staff know is gone; how many rows went."""
    removed = await ChangeFollower.delete().where(ChangeFollower.instance == instance).returning(
        ChangeFollower.id)
    return len(removed)


async def followers(consumer: str) -> list[Follower]:
    """Every registered follower of ``consumer``, silent ones included: a follower leaves only by
    ``forget`` (a clean stop, or staff), so one that stalls or dies stays in sight."""
    rows = await ChangeFollower.select(*(getattr(ChangeFollower, f) for f in Follower.__struct_fields__)).where(
        ChangeFollower.consumer == consumer
    ).order_by(ChangeFollower.started_at)
    return [Follower(**{**row, "seen_at": _utc(row["seen_at"]), "started_at": _utc(row["started_at"])})
            for row in rows]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
