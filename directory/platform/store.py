"""The store every process shares for short-lived values: sessions, and later rate-limit counters.

Litestar's stores are per process (memory, files) or Redis. The embedded default has no
Redis, and two ``serve`` processes must see the same sessions, so the default store is a table
of the database (``StoreEntry``); ``CHANNEL_EXPERT_REDIS_URL`` switches to Litestar's
``RedisStore``. Both follow Litestar's ``Store`` protocol, and one contract suite checks both.
Expiry reads the injected clock, so tests move time instead of waiting; expired entries are
dropped when read and by ``delete_expired`` (a recurring job).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from litestar.stores.base import NamespacedStore
from litestar.stores.redis import RedisStore

from directory.database import row_lock_transaction
from directory.platform import clock
from directory.settings import Settings
from directory.tables import StoreEntry


def _expiry(expires_in: int | timedelta | None) -> datetime | None:
    if expires_in is None:
        return None
    seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
    return clock.now() + timedelta(seconds=seconds)


class DatabaseStore(NamespacedStore):
    """Litestar's store protocol on the ``store_entry`` table, keys prefixed by namespace."""

    def __init__(self, namespace: str = "channel-expert") -> None:
        self.namespace = namespace

    def with_namespace(self, namespace: str) -> DatabaseStore:
        return DatabaseStore(f"{self.namespace}:{namespace}")

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
            return None
        if row["expires_at"] is not None and row["expires_at"] <= clock.now():
            await self.delete(key)
            return None
        if renew_for and row["expires_at"] is not None:
            await StoreEntry.update({StoreEntry.expires_at: _expiry(renew_for)}).where(
                StoreEntry.key == self._key(key))
        return bytes(row["value"])

    async def delete(self, key: str) -> None:
        await StoreEntry.delete().where(StoreEntry.key == self._key(key))

    async def increment(self, key: str, window: timedelta) -> int:
        """Add one to a counter that starts at one and lasts ``window``; returns its new value."""
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

    async def delete_expired(self) -> int:
        """Drop the entries whose time is up; returns how many."""
        gone = await StoreEntry.delete().where(StoreEntry.expires_at <= clock.now()).returning(StoreEntry.id)
        return len(gone)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await StoreEntry.select(StoreEntry.expires_at).where(StoreEntry.key == self._key(key)).first()
        if row is None or row["expires_at"] is None:
            return None
        return max(int((row["expires_at"] - clock.now()).total_seconds()), 0)


def shared_store(settings: Settings) -> NamespacedStore:
    """Redis when ``CHANNEL_EXPERT_REDIS_URL`` names one, else the database."""
    if settings.redis_url:
        return RedisStore.with_client(url=settings.redis_url, namespace="channel-expert")
    return DatabaseStore()


async def count_hit(store: NamespacedStore, key: str, window: timedelta) -> int:
    """Add one to the counter ``key`` of the current ``window`` and return it (rate limits).

    Atomic on both stores: Redis ``INCR``; on the database, one upsert that adds one.
    """
    if isinstance(store, RedisStore):
        name = store._make_key(key)
        async with store._redis.pipeline(transaction=True) as pipe:
            count, _ = await pipe.incr(name).expire(name, int(window.total_seconds()), nx=True).execute()
        return int(count)
    return await store.increment(key, window)
