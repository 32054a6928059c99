"""Rate-limit counters never wait for the database's write lock, which imports and jobs hold."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg

from directory.database import OUTBOX_LOCK_KEY, WRITER_QUEUES
from directory.engines import sqlite_path
from directory.platform.store import SQLiteCounters, count_hit, shared_store
from directory.settings import Settings

WINDOW = timedelta(minutes=15)


@contextlib.asynccontextmanager
async def held_write_lock(settings: Settings) -> AsyncIterator[None]:
    """The write lock an import batch holds, taken by another connection for as long as the block runs:
    SQLite's ``BEGIN IMMEDIATE``, PostgreSQL's advisory locks of every writer and of the outbox."""
    path = sqlite_path(settings.database_url)
    if path is not None:
        connection = sqlite3.connect(path, isolation_level=None)
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            connection.execute("ROLLBACK")
            connection.close()
        return
    connection = await asyncpg.connect(settings.database_url)
    try:
        async with connection.transaction():
            for key in (*WRITER_QUEUES.values(), OUTBOX_LOCK_KEY):
                await connection.execute("SELECT pg_advisory_xact_lock($1)", key)
            yield
    finally:
        await connection.close()


async def test_counters_count_while_another_connection_holds_the_write_lock(settings, manual_clock):
    store = shared_store(settings).with_namespace("limits")
    async with held_write_lock(settings):
        # Both at once, and more than one of each: the counts stay exact, and nothing waited for the lock.
        counts = await asyncio.wait_for(asyncio.gather(
            *(count_hit(store, "leads:client:203.0.113.9", WINDOW) for _ in range(5))), timeout=5)
    assert sorted(counts) == [1, 2, 3, 4, 5]


async def test_sqlite_counters_live_beside_the_database_and_restart_after_their_window(
        tmp_path, manual_clock):
    counters = SQLiteCounters.beside(str(tmp_path / "data" / "annuaire.sqlite3"), lock_timeout_s=1)
    assert counters.path == str(tmp_path / "data" / "annuaire.counters.sqlite3")
    assert [await counters.increment("k", WINDOW) for _ in range(3)] == [1, 2, 3]
    manual_clock.advance(minutes=15)
    assert await counters.increment("k", WINDOW) == 1
    assert await counters.increment("other", WINDOW) == 1


async def test_expired_sqlite_counters_are_dropped_as_hits_go_by(tmp_path, manual_clock):
    counters = SQLiteCounters(str(tmp_path / "counters.sqlite3"), lock_timeout_s=1, purge_every=3)
    await counters.increment("gone", timedelta(seconds=10))
    manual_clock.advance(seconds=11)
    await counters.increment("a", WINDOW)
    await counters.increment("b", WINDOW)  # the third hit purges
    with contextlib.closing(sqlite3.connect(counters.path)) as connection:
        keys = sorted(key for (key,) in connection.execute("SELECT key FROM counter"))
    assert keys == ["a", "b"]


async def test_a_counter_reads_expires_and_is_deleted_as_any_entry_of_the_store(settings, manual_clock):
    store = shared_store(settings).with_namespace("accounts")
    for _ in range(3):
        await count_hit(store, "failures:ada@example.fr", WINDOW)
    assert await store.get("failures:ada@example.fr") == b"3"  # a lockout reads failures so
    assert 890 <= await store.expires_in("failures:ada@example.fr") <= 900
    await store.delete("failures:ada@example.fr")
    assert await store.get("failures:ada@example.fr") is None
    await count_hit(store, "failures:bob@example.fr", WINDOW)
    manual_clock.advance(minutes=15)
    assert await store.get("failures:bob@example.fr") is None
