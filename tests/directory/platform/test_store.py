"""The shared store's contract, on the database (SQLite or PostgreSQL) and on Redis."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

import pytest
from litestar.stores.redis import RedisStore

from directory.platform.store import DatabaseStore, count_hit, shared_store
from directory.settings import Settings
from directory.tables import StoreEntry
from tests.conftest import redis_running

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture(params=["database", "redis"])
async def store(request, settings):
    if request.param == "database":
        await StoreEntry.delete(force=True)
        yield DatabaseStore().with_namespace(f"test-{uuid.uuid4().hex[:8]}")
        return
    if not redis_running():
        pytest.skip("Redis is not running on 127.0.0.1:6379 (apt-get install redis-server)")
    redis = shared_store(Settings(database_url=settings.database_url, redis_url=REDIS_URL))
    assert isinstance(redis, RedisStore)
    scoped = redis.with_namespace(f"test-{uuid.uuid4().hex[:8]}")
    yield scoped
    await scoped.delete_all()
    await redis._redis.aclose()


async def test_values_are_set_read_replaced_and_deleted(store):
    assert await store.get("session") is None and not await store.exists("session")
    await store.set("session", b"\x00ada")
    assert await store.get("session") == b"\x00ada" and await store.exists("session")
    await store.set("session", "bob")  # text is stored as UTF-8
    assert await store.get("session") == b"bob"
    await store.delete("session")
    assert await store.get("session") is None
    await store.delete("never-set")  # no error


async def test_namespaces_keep_values_apart_and_delete_all_stays_in_its_own(store):
    sessions, limits = store.with_namespace("sessions"), store.with_namespace("limits")
    await sessions.set("k", b"s")
    await limits.set("k", b"l")
    await sessions.delete_all()
    assert await sessions.get("k") is None and await limits.get("k") == b"l"


async def test_expiry_is_reported_and_renewed(store):
    await store.set("session", b"x", expires_in=timedelta(minutes=30))
    assert 1790 <= await store.expires_in("session") <= 1800
    await store.get("session", renew_for=3600)
    assert 3590 <= await store.expires_in("session") <= 3600
    await store.set("forever", b"y")
    assert await store.expires_in("forever") in (None, -1)  # Litestar's RedisStore answers -1
    assert await store.expires_in("missing") is None


async def test_database_entries_expire_on_the_injected_clock(settings, manual_clock):
    store = DatabaseStore().with_namespace("expiry")
    await store.set("session", b"x", expires_in=60)
    manual_clock.advance(seconds=59)
    assert await store.get("session") == b"x"
    manual_clock.advance(seconds=1)
    assert await store.get("session") is None
    await store.set("other", b"y", expires_in=10)
    manual_clock.advance(seconds=11)
    assert await store.delete_expired() == 1
    assert await StoreEntry.count().where(StoreEntry.key.like("channel-expert:expiry:%")) == 0


async def test_counters_are_atomic_under_concurrency_and_restart_after_their_window(store, manual_clock):
    counts = await asyncio.gather(*(count_hit(store, "sign-in:ada", timedelta(minutes=15)) for _ in range(20)))
    assert sorted(counts) == list(range(1, 21))
    if isinstance(store, DatabaseStore):  # Redis expires on its own clock
        manual_clock.advance(minutes=15)
        assert await count_hit(store, "sign-in:ada", timedelta(minutes=15)) == 1
