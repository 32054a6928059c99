"""The store every process shares for short-lived values: sessions and rate-limit counters.

Litestar's stores are per process (memory, files) or Redis. The embedded default has no
Redis, and two ``serve`` processes must see the same sessions, so the default store is a table
of the database (``StoreEntry``); ``CHANNEL_EXPERT_REDIS_URL`` switches to Litestar's
``RedisStore``. Both follow Litestar's ``Store`` protocol, and one contract suite checks both.
Expiry reads the injected clock, so tests move time instead of waiting; expired entries are
dropped when read and by ``delete_expired`` (a recurring job).

Rate-limit counters are on every form's path, so they must never wait for the database's
write lock: SQLite has one per file, held by every import batch and job claim. On SQLite they
live in a file of their own beside the database (``SQLiteCounters``), where the only writers
are other counters, each one statement long; on PostgreSQL they lock their own row only.
"""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

from litestar.stores.base import NamespacedStore
from litestar.stores.redis import RedisStore

from directory.database import row_lock_transaction
from directory.engines import sqlite_path
from directory.platform import clock
from directory.settings import Settings
from directory.tables import StoreEntry


def _expiry(expires_in: int | timedelta | None) -> datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
    return clock.now() + timedelta(seconds=seconds)


class SQLiteCounters:
    """Counters in a SQLite file of their own: its write lock is only ever held by one counter's
    upsert (microseconds), never by an import or a job, so a form's limit check never waits for them.

    Each hit is one statement (an upsert that restarts an expired window and returns the new
    count) on a connection of its own, in a worker thread: one hop off the event loop. Counters
    are short-lived, so the file is neither migrated nor backed up; it is made on first use,
    and expired counters are dropped every ``purge_every`` hits.
    """

    _SCHEMA = ("CREATE TABLE IF NOT EXISTS counter (key TEXT PRIMARY KEY, count INTEGER NOT NULL, "
               "expires_at REAL NOT NULL)")
    _HIT = ("INSERT INTO counter (key, count, expires_at) VALUES (?1, 1, ?2) ON CONFLICT (key) DO UPDATE SET "
            "count = CASE WHEN expires_at <= ?3 THEN 1 ELSE count + 1 END, "
            "expires_at = CASE WHEN expires_at <= ?3 THEN excluded.expires_at ELSE expires_at END "
            "RETURNING count")

    def __init__(self, path: str, lock_timeout_s: float, purge_every: int = 1000) -> None:
        self.path, self.lock_timeout_s, self.purge_every = path, lock_timeout_s, purge_every
        self._hits = 0
        self._ready = False

    @classmethod
    def beside(cls, database_path: str, lock_timeout_s: float) -> SQLiteCounters:
        """The counters of the database at ``database_path``: ``x.sqlite3``'s are in ``x.counters.sqlite3``."""
        database = Path(database_path)
        return cls(str(database.with_name(f"{database.stem}.counters{database.suffix}")), lock_timeout_s)

    async def increment(self, key: str, window: timedelta) -> int:
        now = clock.now().timestamp()
        self._hits += 1
        purge = self._hits % self.purge_every == 0
        return await asyncio.to_thread(self._increment, key, now, now + window.total_seconds(), purge)

    def _increment(self, key: str, now: float, expires_at: float, purge: bool) -> int:
        if not self._ready:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        with self._connection() as connection:
            if not self._ready:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute(self._SCHEMA)
                self._ready = True
            (count,) = connection.execute(self._HIT, (key, expires_at, now)).fetchone()
            if purge:
                connection.execute("DELETE FROM counter WHERE expires_at <= ?", (now,))
        return count

    async def read(self, key: str) -> tuple[int, datetime] | None:
        """A counter's value and end, if its window is still open (a lockout reads its failures)."""
        rows = await self._run("SELECT count, expires_at FROM counter WHERE key = ? AND expires_at > ?",
                               (key, clock.now().timestamp()))
        return (rows[0][0], datetime.fromtimestamp(rows[0][1], UTC)) if rows else None

    async def delete(self, key: str) -> None:
        await self._run("DELETE FROM counter WHERE key = ?", (key,))

    async def delete_all(self, prefix: str) -> None:
        """Drop the counters whose key starts with ``prefix`` (a store's namespace)."""
        await self._run("DELETE FROM counter WHERE substr(key, 1, ?) = ?", (len(prefix), prefix))

    async def _run(self, sql: str, parameters: tuple) -> list[tuple]:
        """One statement in a worker thread; nothing to read or drop before the first hit made the file."""
        if not Path(self.path).exists():
            return []
        return await asyncio.to_thread(self._statement, sql, parameters)

    def _statement(self, sql: str, parameters: tuple) -> list[tuple]:
        with self._connection() as connection:
            return connection.execute(sql, parameters).fetchall()

    def _connection(self) -> closing[sqlite3.Connection]:
        """A connection of its own, in autocommit: each statement is its own short transaction."""
        return closing(sqlite3.connect(self.path, timeout=self.lock_timeout_s, isolation_level=None))


class DatabaseStore(NamespacedStore):
    """Litestar's store protocol on the ``store_entry`` table, keys prefixed by namespace; counters
    go to ``counters`` when given (SQLite), else to the same table. Either way a counter reads,
    expires and is deleted as any other entry, as on Redis."""

    def __init__(self, namespace: str = "channel-expert", counters: SQLiteCounters | None = None) -> None:
        self.namespace = namespace
        self.counters = counters

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(f"{self.namespace}:{namespace}", self.counters)

    def _key(self, key: str) -> str:
        return f"{self.namespace}:{key}"

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        await StoreEntry.insert(StoreEntry(key=self._key(key), value=data, expires_at=_expiry(expires_in))).on_conflict(
            target=StoreEntry.key, action="DO UPDATE", values=[StoreEntry.value, StoreEntry.expires_at])

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        row = await StoreEntry.select(StoreEntry.value, StoreEntry.expires_at).where(
            StoreEntry.key == self._key(key)).first()
        if row is None:
            counter = await self.counters.read(self._key(key)) if self.counters is not None else None
            return str(counter[0]).encode() if counter else None
        if row["expires_at"] is not None and row["expires_at"] <= clock.now():
            await self.delete(key)
            return None
        if renew_for and row["expires_at"] is not None:
            await StoreEntry.update({StoreEntry.expires_at: _expiry(renew_for)}).where(
                StoreEntry.key == self._key(key))
        return bytes(row["value"])

    async def delete(self, key: str) -> None:
        await StoreEntry.delete().where(StoreEntry.key == self._key(key))
        if self.counters is not None:
            await self.counters.delete(self._key(key))

    async def increment(self, key: str, window: timedelta) -> int:
        """Add one to a counter that starts at one and lasts ``window``; returns its new value.

        Without a counters file, the counter is a row of ``store_entry``, locked until the
        commit: on PostgreSQL that lock is the row's alone, and never waits for an import.
        """
        if self.counters is not None:
            return await self.counters.increment(self._key(key), window)
        now, name = clock.now(), self._key(key)
        async with row_lock_transaction(StoreEntry._meta.db):
            await StoreEntry.delete().where((StoreEntry.key == name) & (StoreEntry.expires_at <= now))
            await StoreEntry.insert(StoreEntry(key=name, value=b"0", expires_at=now + window)).on_conflict(
                target=StoreEntry.key, action="DO NOTHING")
            # A write to the row first: PostgreSQL locks it until the commit (SQLite holds its write lock).
            await StoreEntry.update({StoreEntry.key: name}).where(StoreEntry.key == name)
            row = await StoreEntry.select(StoreEntry.value).where(StoreEntry.key == name).first()
            count = int(bytes(row["value"])) + 1
            await StoreEntry.update({StoreEntry.value: str(count).encode()}).where(StoreEntry.key == name)
        return count

    async def delete_all(self) -> None:
        await StoreEntry.delete().where(StoreEntry.key.like(self._key("%")))
        if self.counters is not None:
            await self.counters.delete_all(self._key(""))

    async def delete_expired(self) -> int:
        """Drop the entries whose time is up; returns how many."""
        gone = await StoreEntry.delete().where(StoreEntry.expires_at <= clock.now()).returning(StoreEntry.id)
        return len(gone)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await StoreEntry.select(StoreEntry.expires_at).where(StoreEntry.key == self._key(key)).first()
        counter = await self.counters.read(self._key(key)) if row is None and self.counters is not None else None
        if counter:
            row = {"expires_at": counter[1]}
        if row is None or row["expires_at"] is None:
            return None
        return max(int((row["expires_at"] - clock.now()).total_seconds()), 0)


def shared_store(settings: Settings) -> NamespacedStore:
    """Redis when ``CHANNEL_EXPERT_REDIS_URL`` names one, else the database (on SQLite, with its
    counters in a file of their own)."""
    if settings.redis_url:
        return RedisStore.with_client(url=settings.redis_url, namespace="channel-expert")
    path = sqlite_path(settings.database_url)
    return DatabaseStore(counters=SQLiteCounters.beside(path, settings.lock_timeout_s) if path else None)


async def count_hit(store: NamespacedStore, key: str, window: timedelta) -> int:
    """Add one to the counter ``key`` of the current ``window`` and return it (rate limits).

    Atomic on every store: Redis ``INCR``; the SQLite counters file, one upsert that adds one;
    the database's table, a transaction that locks the counter's row.
    """
    if isinstance(store, RedisStore):
        name = store._make_key(key)
        async with store._redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(name).expire(name, int(window.total_seconds()), nx=True).execute()
        return int(count)
    return await store.increment(key, window)
