"""PostgreSQL's queues of writers: a lead's writer never waits for an import's batch, and the
outbox's ids still commit in order whoever writes them."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import asyncpg
import pytest

from directory import events
from directory.database import (
    LEADS_QUEUE,
    OUTBOX_LOCK_KEY,
    PROVIDERS_QUEUE,
    WRITER_QUEUES,
    outbox_turn,
    write_transaction,
)
from directory.engines import sqlite_path
from directory.platform import current
from directory.tables import Event


@pytest.fixture
def postgres_url(settings) -> str:
    if sqlite_path(settings.database_url) is not None:
        pytest.skip("SQLite has one write lock for every writer: its queues are PostgreSQL's")
    return settings.database_url


@pytest.fixture
async def import_batch(postgres_url) -> AsyncIterator[asyncpg.Connection]:
    """Another connection in the middle of an import's batch: it holds the provider writers' queue."""
    connection = await asyncpg.connect(postgres_url)
    transaction = connection.transaction()
    await transaction.start()
    await connection.execute("SELECT pg_advisory_xact_lock($1)", WRITER_QUEUES[PROVIDERS_QUEUE])
    yield connection
    await transaction.rollback()
    await connection.close()


async def waiting_for_a_lock(postgres_url: str) -> int:
    """How many backends wait for an advisory lock right now."""
    connection = await asyncpg.connect(postgres_url)
    try:
        return await connection.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
    finally:
        await connection.close()


async def until_waiting(postgres_url: str, count: int) -> None:
    """Return once ``count`` backends wait for an advisory lock (what the test set up, not a delay)."""
    while await waiting_for_a_lock(postgres_url) < count:
        await asyncio.sleep(0.01)


async def test_a_lead_writer_and_its_events_pass_an_import_batch_in_progress(import_batch, postgres_url):
    async def lead_write() -> None:
        async with write_transaction(Event._meta.db, [LEADS_QUEUE]):
            await events.record(events.PROVIDER_SAVED, ["une-demande"], {"created": True})

    start = await events.latest()
    await asyncio.wait_for(lead_write(), timeout=5)  # under the lock timeout: it never queued
    assert [event.subject for event in (await events.since(start))[0]] == ["une-demande"]


async def test_a_default_writer_still_queues_behind_an_import_batch(import_batch, postgres_url):
    async def default_write() -> None:
        async with write_transaction(Event._meta.db):
            await events.record(events.PROVIDER_SAVED, ["une-fiche"], {"created": False})

    start = await events.latest()
    writing = asyncio.create_task(default_write())
    await asyncio.wait_for(until_waiting(postgres_url, 1), timeout=5)
    assert not writing.done()
    await import_batch.execute("ROLLBACK")  # the batch ends
    await asyncio.wait_for(writing, timeout=5)
    assert [event.subject for event in (await events.since(start))[0]] == ["une-fiche"]


async def test_events_commit_in_the_order_of_their_ids_whichever_queue_writes_them(postgres_url):
    start = await events.latest()
    other = await asyncpg.connect(postgres_url)  # a provider writer between its events and its commit
    try:
        await other.execute("BEGIN")
        await other.execute("SELECT pg_advisory_xact_lock($1)", OUTBOX_LOCK_KEY)
        await other.execute("INSERT INTO event (name, subject, payload, actor, created_at) "
                            "VALUES ('provider.saved', 'importee', '{\"created\": true}', '', now())")

        async def lead_write() -> None:
            async with write_transaction(Event._meta.db, [LEADS_QUEUE]):
                await events.record(events.PROVIDER_SAVED, ["demande"], {"created": True})

        lead = asyncio.create_task(lead_write())
        await asyncio.wait_for(until_waiting(postgres_url, 1), timeout=5)  # its events wait for their turn
        assert (await events.since(start))[0] == []  # nothing committed: a reader can skip nothing
        await other.execute("COMMIT")
        await asyncio.wait_for(lead, timeout=5)
    finally:
        await other.close()
    read, _ = await events.since(start)
    assert [event.subject for event in read] == ["importee", "demande"]


async def test_a_write_transaction_writes_its_events_last_and_only_if_it_commits(settings):
    start = await events.latest()
    async with write_transaction(Event._meta.db, [LEADS_QUEUE]):
        await events.record(events.PROVIDER_SAVED, ["a"], {"created": True})
        async with write_transaction(Event._meta.db):  # a nested one writes with the outermost
            await events.record(events.PROVIDER_SAVED, ["b"], {"created": True})
        assert await Event.count().where(Event.id > start) == 0  # held: the outbox's lock is not taken yet
    assert [event.subject for event in (await events.since(start))[0]] == ["a", "b"]
    with pytest.raises(ZeroDivisionError):
        async with write_transaction(Event._meta.db):
            await events.record(events.PROVIDER_SAVED, ["c"], {"created": True})
            1 / 0  # noqa: B018 - the change fails
    assert [event.subject for event in (await events.since(start))[0]] == ["a", "b"]


async def test_the_outbox_turn_is_taken_inside_a_transaction_only(postgres_url):
    with pytest.raises(RuntimeError, match="inside the write_transaction"):
        await outbox_turn(current.platform().engine)
