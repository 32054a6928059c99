"""SQLite keeps a few connections open for statements outside transactions: reused, never stale,
never holding a lock, closed when they fail and when the engine closes."""

from __future__ import annotations

import sqlite3

import pytest

from directory.database import routed
from directory.engines import DurableSQLiteEngine, engine_for, sqlite_path
from directory.platform import clock
from directory.tables import Account


@pytest.fixture
async def engine(settings):
    if sqlite_path(settings.database_url) is None:
        pytest.skip("SQLite's own connections; PostgreSQL has its pool")
    made = engine_for(settings.database_url, lock_timeout_s=2)
    assert isinstance(made, DurableSQLiteEngine)
    with routed(made):
        yield made
    await made.close_connection_pool()


async def _add(email: str) -> None:
    await Account.insert(Account(email=email, password_hash="x", created_at=clock.now(),
                                 password_changed_at=clock.now()))


async def test_statements_reuse_kept_connections_and_see_every_commit(engine, settings):
    opened = []
    connect = engine.get_connection

    async def counting():
        opened.append(1)
        return await connect()

    engine.get_connection = counting
    for number in range(20):
        await _add(f"membre{number}@example.fr")
        assert await Account.count() == number + 1
    assert len(opened) == 1  # one after another, one connection serves them all
    other = sqlite3.connect(sqlite_path(settings.database_url))
    other.execute("DELETE FROM account WHERE email = 'membre0@example.fr'")
    other.commit()
    assert await Account.count() == 19  # a kept connection holds no snapshot between statements
    other.execute("BEGIN IMMEDIATE")  # nor a lock: another writer gets the write lock at once
    other.rollback()
    other.close()


async def test_a_failing_statement_closes_its_connection_and_the_next_one_works(engine):
    await _add("ada@example.fr")
    [kept] = engine._idle
    with pytest.raises(sqlite3.IntegrityError):
        await _add("ada@example.fr")  # the address is unique
    assert kept not in engine._idle and kept._connection is None  # closed, not given back
    assert await Account.count() == 1


async def test_closing_the_engine_closes_what_it_kept(engine):
    await Account.count()
    kept = list(engine._idle)
    assert kept and all(connection._thread.daemon for connection in kept)  # never holds the process at exit
    await engine.close_connection_pool()
    assert engine._idle == [] and all(connection._connection is None for connection in kept)
    assert await Account.count() == 0  # and it opens again when asked
