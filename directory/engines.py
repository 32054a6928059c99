"""The database engines Channel Expert runs on: SQLite (embedded default) and PostgreSQL.

Piccolo's engines, adjusted where the directory needs more of them: SQLite that never loses a
commit, waits a bounded time for locks, keeps a few connections open and runs a write
transaction's statements without a round trip each; on both, one current transaction per
database whichever engine object opened it (see ``directory.database`` for the routing).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import os
import sqlite3
from collections.abc import AsyncIterator
from typing import Any

import aiosqlite
from asyncpg.pool import Pool
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory


class ClosingSQLiteTransaction(SQLiteTransaction):
    """Piccolo's SQLite transaction, which never leaves its connection open.

    Piccolo closes the connection only after a successful ``COMMIT`` or ``ROLLBACK``: when
    ``BEGIN`` fails (the lock wait ran out) the connection's worker thread waits for ever and
    the process never exits; when the end of the transaction fails, the connection stays open
    inside its transaction, holding the file's write lock for every later writer.
    """

    async def __aenter__(self) -> SQLiteTransaction:
        try:
            return await super().__aenter__()
        except BaseException:
            connection = getattr(self, "connection", None)
            if connection is not None:
                await connection.close()
            raise

    async def __aexit__(self, exception_type, exception, traceback) -> bool:
        if self._parent:
            return await super().__aexit__(exception_type, exception, traceback)
        try:
            return await super().__aexit__(exception_type, exception, traceback)
        finally:
            # Closing rolls back whatever is still open; a second close is harmless.
            await self.connection.close()
            with contextlib.suppress(RuntimeError, ValueError):  # already reset by Piccolo on success
                self.engine.current_transaction.reset(self.context)


# One "current transaction" per database and task, whichever engine object opened it. The app,
# each command and each test build their own engine on the same database and rebind the tables
# to the newest (``bind``): with a variable per engine, a task inside a transaction whose tables
# were meanwhile rebound would write through a second connection, outside its transaction: on
# SQLite it waits on its own lock until the lock timeout ends it with "database is locked", on
# PostgreSQL the write escapes the transaction's rollback.
_TRANSACTIONS: dict[str, contextvars.ContextVar] = {}


def _transaction_variable(database: str) -> contextvars.ContextVar:
    """The database's variable, named by a digest: a PostgreSQL address holds its password."""
    name = f"current_transaction_{hashlib.sha256(database.encode()).hexdigest()[:12]}"
    return _TRANSACTIONS.setdefault(database, contextvars.ContextVar(name, default=None))


class SharedTransactionPostgresEngine(PostgresEngine):
    """Piccolo's PostgreSQL engine, whose current transaction is the database's, not the object's,
    and whose pool serves the event loop that started it only.

    asyncpg's connections belong to one loop. Code of another loop (a command a test runs, in
    its own ``asyncio.run``) sees no pool, and opens a connection per query as Piccolo does
    without one, instead of failing on a connection "attached to a different loop".
    """

    def __init__(self, dsn: str, **options) -> None:
        self._pool: Pool | None = None
        self._pool_loop: asyncio.AbstractEventLoop | None = None
        super().__init__(config={"dsn": dsn, **options.pop("config", {})}, **options)
        self.current_transaction = _transaction_variable(dsn)

    @property
    def pool(self) -> Pool | None:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        return self._pool if running is self._pool_loop else None

    @pool.setter
    def pool(self, pool: Pool | None) -> None:
        self._pool = pool
        self._pool_loop = asyncio.get_running_loop() if pool is not None else None


class DurableSQLiteEngine(SQLiteEngine):
    """SQLite that waits a bounded time for locks and never loses a commit (WAL, ``synchronous=FULL``),
    and keeps a few connections open for the statements that run outside a transaction.

    Piccolo opens a connection (and its worker thread) for every such statement: about a
    millisecond each, more than the query itself, on every page that reads the database. Here
    a statement takes an idle connection, or opens one, and gives it back when it succeeds (at
    most ``IDLE_CONNECTIONS`` are kept; one that failed is closed). In autocommit mode a kept
    connection holds no snapshot and no lock between statements. Their threads are daemons, so
    a process that never closes its engine still exits; ``close_connection_pool`` closes them.
    """

    IDLE_CONNECTIONS = 4

    def __init__(self, path: str, lock_timeout_s: float) -> None:
        super().__init__(path=path, timeout=lock_timeout_s, log_queries=False, log_responses=False,
                         check_same_thread=False)
        self.lock_timeout_s = lock_timeout_s
        self.current_transaction = _transaction_variable(os.path.realpath(path))
        self._idle: list[aiosqlite.Connection] = []

    async def get_connection(self):  # noqa: ANN201 - same signature as Piccolo's
        connection = aiosqlite.connect(**self.connection_kwargs)
        connection._thread.daemon = True  # noqa: SLF001 - a kept connection must not hold the process at exit
        await connection
        connection.row_factory = dict_factory
        busy_ms = int(self.lock_timeout_s * 1000)
        await connection.executescript(  # one trip to the connection's thread for the three
            f"PRAGMA foreign_keys = 1; PRAGMA synchronous = FULL; PRAGMA busy_timeout = {busy_ms};")
        return connection

    async def idle_connection(self) -> aiosqlite.Connection:
        """A kept connection, or a new one."""
        return self._idle.pop() if self._idle else await self.get_connection()

    async def give_back(self, connection: aiosqlite.Connection) -> None:
        """Keep ``connection`` (outside any transaction) for the next statement, or close it."""
        if len(self._idle) < self.IDLE_CONNECTIONS:
            self._idle.append(connection)
        else:
            await connection.close()

    async def _run_in_new_connection(self, query: str, args: list[Any] | None = None, query_type: str = "generic",
                                     table: Any = None) -> list[dict[str, Any]]:  # noqa: ANN401 - Piccolo's
        connection = await self.idle_connection()
        try:  # autocommit (``isolation_level=None``): the statement commits itself, in one trip
            rows = await connection.execute_fetchall(query, args or [])
        except BaseException:
            await connection.close()
            raise
        await self.give_back(connection)
        return list(rows)

    async def _run_in_existing_connection(self, connection: aiosqlite.Connection, query: str,
                                          args: list[Any] | None = None, query_type: str = "generic",
                                          table: Any = None) -> list[dict[str, Any]]:  # noqa: ANN401 - Piccolo's
        """A statement inside a transaction: at once when the transaction holds the write lock,
        else in one trip to the connection's thread.

        A trip waits for the thread and then for the event loop: while the loop serves other
        requests, tens of milliseconds. A transaction that holds the database's only write lock
        (``BEGIN IMMEDIATE``, taken in the thread, where its wait belongs) would hold it that
        long for each of its statements, and every other writer, a quote request's included,
        would queue behind it for seconds. Its statements wait for no lock, so they run on the
        loop's thread in microseconds; only ``COMMIT``, which syncs the file, goes back to the
        thread. A deferred transaction may still have to wait for the lock at its first write:
        its statements keep to the thread. Piccolo makes four trips per statement (a ``PRAGMA
        foreign_keys``, the statement, the fetch, the cursor's close): the pragma is set when
        the connection opens (``get_connection``); ``RETURNING`` gives inserted ids (SQLite
        3.35+, which ``engine_for`` requires).
        """
        transaction = self.current_transaction.get()
        if transaction is not None and transaction.transaction_type is not TransactionType.deferred:
            # The sqlite3 connection aiosqlite wraps, opened with ``check_same_thread=False``;
            # its thread is idle while the transaction's task runs here.
            cursor = connection._conn.execute(query, args or [])  # noqa: SLF001 - see above
            try:
                return cursor.fetchall()
            finally:
                cursor.close()
        return list(await connection.execute_fetchall(query, args or []))

    async def start_connection_pool(self) -> None:
        """Nothing to start: connections open on first use."""

    async def close_connection_pool(self) -> None:
        """Close the connections kept open (at the app's shutdown, at a command's end)."""
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()

    def transaction(self, transaction_type: TransactionType = TransactionType.deferred,
                    allow_nested: bool = True) -> SQLiteTransaction:
        return ClosingSQLiteTransaction(engine=self, transaction_type=transaction_type, allow_nested=allow_nested)


def sqlite_path(database_url: str) -> str | None:
    """The file a ``sqlite:///…`` address names (relative to the working folder), or None (PostgreSQL)."""
    if not database_url.startswith("sqlite:"):
        return None
    return database_url.removeprefix("sqlite:").removeprefix("///")


def engine_for(database_url: str, lock_timeout_s: float) -> Engine:
    """Build the Piccolo engine that ``database_url`` names (``sqlite:///…`` or ``postgresql://…``).

    ``lock_timeout_s`` bounds every wait for another writer's lock; then the query fails
    (see ``failure_message``) instead of waiting for ever. Neither engine prints its queries or
    their results: they hold personal data and secrets.
    """
    path = sqlite_path(database_url)
    if path is not None:
        if sqlite3.sqlite_version_info < (3, 35):  # noqa: PLR2004 - RETURNING came with 3.35
            raise RuntimeError(f"SQLite {sqlite3.sqlite_version} is too old: Channel Expert needs 3.35 or newer")
        return DurableSQLiteEngine(path=path, lock_timeout_s=lock_timeout_s)
    server_settings = {"lock_timeout": str(int(lock_timeout_s * 1000))}
    return SharedTransactionPostgresEngine(database_url, config={"server_settings": server_settings},
                                           log_queries=False, log_responses=False)


@contextlib.asynccontextmanager
async def pooled(engine: Engine, size: int) -> AsyncIterator[None]:
    """Up to ``size`` PostgreSQL connections kept open for the block, for a process without the
    app's pool (a worker): without one, Piccolo opens a connection for every query. SQLite opens
    its file per query, which costs no handshake."""
    if is_sqlite(engine):
        yield
        return
    await engine.start_connection_pool(min_size=1, max_size=size)
    try:
        yield
    finally:
        await engine.close_connection_pool()


def is_sqlite(engine: Engine) -> bool:
    return engine.engine_type == "sqlite"
