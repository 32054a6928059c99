"""Database engines, the registry of Piccolo apps, schema upgrades and write transactions, for
SQLite and PostgreSQL.

Piccolo keeps a table's engine on its class: that process-wide state is the ORM's, and ``bind``
is the one place that sets it. Every table gets the same ``RoutedEngine``, which hands each
query to the engine of the app it runs for (a context variable that an app's platform sets
around its requests, jobs and commands: ``routed``), or else to the engine bound last (for
Piccolo's own tools, through ``piccolo_conf``, and for scripts): two apps in one process each
read and write their own database. What it brings along stays here too: the registry of
Piccolo apps, and one current transaction per database, shared by every engine object on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import importlib
import io
import os
import socket
import sqlite3
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import aiosqlite
import asyncpg
from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType, dict_factory

LOCK_TIMEOUT_VARIABLE = "CHANNEL_EXPERT_LOCK_TIMEOUT_S"
Item = TypeVar("Item")
# The drivers' loggers, kept at WARNING whatever the app's level: at DEBUG, aiosqlite logs every
# statement with its parameters (password hashes, addresses, session ids, link hashes).
DRIVER_LOGGERS = ("aiosqlite", "asyncpg", "piccolo")


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
    """Piccolo's PostgreSQL engine, whose current transaction is the database's, not the object's."""

    def __init__(self, dsn: str, **options) -> None:
        super().__init__(config={"dsn": dsn, **options.pop("config", {})}, **options)
        self.current_transaction = _transaction_variable(dsn)


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


class GroupCommit(Generic[Item]):
    """Writes that arrive while one is under way are made together, by one statement.

    On SQLite each commit waits for the disk (``synchronous=FULL``: 8 ms on the development
    machine) and concurrent committers wait on each other's lock: ten deliveries ending at once
    make one commit instead of ten. ``add`` returns once its item is written, or raises what the
    write raised. The write runs in a task of its own: a caller that gives up cancels nobody's.
    """

    def __init__(self, write: Callable[[list[Item]], Awaitable[object]]) -> None:
        self._write = write
        self._queued: list[tuple[Item, asyncio.Future[None]]] = []
        self._flushing: asyncio.Task[None] | None = None

    async def add(self, item: Item) -> None:
        written = asyncio.get_running_loop().create_future()
        self._queued.append((item, written))
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.create_task(self._flush())
        await written

    async def _flush(self) -> None:
        while self._queued:
            batch, self._queued = self._queued, []
            try:
                await self._write([item for item, _ in batch])
            except Exception as error:  # noqa: BLE001 - handed to every caller of the batch
                outcome: BaseException | None = error
            else:
                outcome = None
            for _, written in batch:
                if written.done():  # its caller gave up
                    continue
                if outcome is None:
                    written.set_result(None)
                else:
                    written.set_exception(outcome)


def failure_message(error: BaseException) -> str | None:
    """What to tell a person, in French, about a database failure that is not a bug; else None."""
    if isinstance(error, sqlite3.OperationalError) and "locked" in str(error) \
            or isinstance(error, asyncpg.exceptions.LockNotAvailableError):
        return ("La base de données est occupée par une autre écriture depuis trop longtemps : rien n'a été "
                f"écrit. Réessayez quand elle sera terminée (attente réglée par {LOCK_TIMEOUT_VARIABLE}).")
    if isinstance(error, sqlite3.IntegrityError) and "UNIQUE" in str(error) \
            or isinstance(error, asyncpg.exceptions.UniqueViolationError):
        return ("Une autre écriture a enregistré les mêmes prestataires au même moment : rien n'a été écrit. "
                "Relancez la commande.")
    # Only what connecting raises: a file a command writes (an export) fails with its own OSError.
    if isinstance(error, (ConnectionError, socket.gaierror, asyncpg.exceptions.PostgresConnectionError)):
        return f"Base de données injoignable : {error}."
    return None


# The core's Piccolo app and the plugins' that ``register_apps`` added: their tables and migrations.
APP_REGISTRY = AppRegistry(apps=["directory.piccolo_app"])
_bound: Engine | None = None  # the engine ``bind`` set last, for Piccolo's tools (see ``bound_engine``)
_routed: contextvars.ContextVar[Engine | None] = contextvars.ContextVar("channel_expert_engine", default=None)


class RoutedEngine:
    """What every table's ``_meta.db`` is: the engine of the app the query runs for.

    Piccolo reads the engine from the table's class for every query; this stand-in answers
    each attribute from the engine that ``routed`` set in the running context, else from the
    one bound last. Transactions and connections are the real engine's own.
    """

    def target(self) -> Engine:
        engine = _routed.get() or _bound
        if engine is None:
            raise RuntimeError("no database is bound: create the app, or run the command, first")
        return engine

    def __getattr__(self, name: str) -> Any:  # noqa: ANN401 - whatever the engine holds
        return getattr(self.target(), name)

    def __repr__(self) -> str:
        return f"<RoutedEngine to {_routed.get() or _bound!r}>"


ROUTER = RoutedEngine()


async def close_connections(engine: Engine) -> None:
    """Close what ``engine`` keeps open: PostgreSQL's pool when one runs, SQLite's kept connections."""
    engine = real_engine(engine)
    if is_sqlite(engine) or getattr(engine, "pool", None) is not None:
        await engine.close_connection_pool()


def real_engine(engine: Engine | RoutedEngine) -> Engine:
    """The engine itself, when given a table's ``_meta.db`` (the router)."""
    return engine.target() if isinstance(engine, RoutedEngine) else engine


@contextlib.contextmanager
def routed(engine: Engine) -> Iterator[Engine]:
    """Send the tables' queries in this context (and the tasks it starts) to ``engine``."""
    token = _routed.set(real_engine(engine))
    try:
        yield engine
    finally:
        _routed.reset(token)


def route(engine: Engine) -> contextvars.Token:
    """Send the tables' queries to ``engine`` from now on in this context; ``unroute`` undoes it."""
    return _routed.set(real_engine(engine))


def unroute(token: contextvars.Token) -> None:
    _routed.reset(token)


def register_apps(modules: Iterable[str]) -> list[str]:
    """Add plugins' Piccolo apps (dotted paths of ``piccolo_app`` modules); returns their names."""
    names = []
    for module in modules:
        config = importlib.import_module(module).APP_CONFIG
        if config.app_name == "directory":
            raise ValueError(f"{module}: a plugin's Piccolo app cannot be named 'directory'")
        if module not in APP_REGISTRY.apps:
            APP_REGISTRY.apps.append(module)
        APP_REGISTRY.app_configs[config.app_name] = config
        names.append(config.app_name)
    return names


def bind(engine: Engine) -> None:
    """Route every table of the registered apps, and Piccolo's migration runner, and make
    ``engine`` the one queries go to outside any app's context (and Piccolo's tools' ``DB``).

    The one function that sets Piccolo's process-wide engine (see the module's docstring).
    """
    from piccolo.apps.migrations.tables import Migration  # Piccolo's own tables load its migration code

    global _bound  # noqa: PLW0603 - Piccolo's engine is process-wide (see the module's docstring)
    # Piccolo's migration runner finds its configuration through this variable only.
    os.environ.setdefault("PICCOLO_CONF", "directory.piccolo_conf")
    _bound = real_engine(engine)
    for config in APP_REGISTRY.app_configs.values():
        for table in config.table_classes:
            table._meta.db = ROUTER
    Migration._meta.db = ROUTER


def bound_engine() -> Engine | None:
    """The engine queries go to in this context: the app's, else the one bound last (None before any ``bind``)."""
    return _routed.get() or _bound


def is_sqlite(engine: Engine) -> bool:
    return engine.engine_type == "sqlite"


# The key of the PostgreSQL advisory lock that provider writers hold until they commit.
WRITE_LOCK_KEY = 0x43_45_5F_57  # "CE_W"


@contextlib.asynccontextmanager
async def write_transaction(engine: Engine) -> AsyncIterator[object]:
    """A transaction that takes the write lock at once, so writers queue instead of failing.

    SQLite has one write lock per database (``BEGIN IMMEDIATE``). PostgreSQL writers take a
    transaction-level advisory lock: they commit in the order they allocate outbox ids (see
    ``directory.events``), and concurrent imports of the same rows queue instead of colliding
    on a unique index. Both waits are bounded by the engine's lock timeout.
    """
    if is_sqlite(engine):
        async with engine.transaction(transaction_type=TransactionType.immediate) as transaction:
            yield transaction
    else:
        async with engine.transaction() as transaction:
            await transaction.connection.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK_KEY)
            yield transaction


# Longer than the longest sleep of SQLite's busy handler between two tries for the lock (100 ms).
WRITERS_TURN_S = 0.12


async def let_writers_in(engine: Engine) -> None:
    """Between two transactions of a long write (an import's batches), give waiting writers the lock.

    SQLite's waiters sleep between tries for its write lock, so a process that commits and
    begins again at once takes it back before they wake: a quote request waited behind batch
    after batch, seconds in all. Pausing longer than their longest sleep lets every writer that
    waited through a batch in before the next one. PostgreSQL grants its advisory lock to
    waiters in turn: nothing to do there.
    """
    if is_sqlite(engine):
        await asyncio.sleep(WRITERS_TURN_S)


def row_lock_transaction(engine: Engine):  # noqa: ANN201 - a Piccolo transaction
    """A transaction for short writes that lock what they touch (job claims, counters).

    SQLite takes its write lock at ``BEGIN IMMEDIATE``, so a read-then-write never fails
    half-way; PostgreSQL relies on the rows' own locks (``FOR UPDATE``, ``SKIP LOCKED``) and
    skips the advisory lock of ``write_transaction``: these writes need no order with provider
    writes, and must not wait for an import.
    """
    if is_sqlite(engine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


async def migrate(engine: Engine, apps: Sequence[str] = ("directory",)) -> list[str]:
    """Apply the pending migrations of ``apps``, in order; returns their ids (a plugin app's
    prefixed with its name). Safe to run on every start."""
    bind(engine)
    with routed(engine):
        return await _migrate(engine, apps)


async def _migrate(engine: Engine, apps: Sequence[str]) -> list[str]:
    from piccolo.apps.migrations.commands.forwards import ForwardsMigrationManager
    from piccolo.apps.migrations.tables import Migration

    if is_sqlite(engine):
        Path(engine.path).parent.mkdir(parents=True, exist_ok=True)
        await engine.run_ddl("PRAGMA journal_mode = WAL")
    await Migration.create_table(if_not_exists=True)
    applied = []
    for app in apps:
        before = set(await Migration.get_migrations_which_ran(app_name=app))
        manager = ForwardsMigrationManager(app_name=app)
        # Piccolo prints each migration as it goes; the CLI reports what ran itself. SQLite has
        # no column lengths, and Piccolo warns when a migration changes one: nothing to tell.
        with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*SQLITE doesn't support changes in length")
            response = await manager.run()
        if not response.success:
            raise RuntimeError(f"migration of {app} failed: {response.message}")
        after = await Migration.get_migrations_which_ran(app_name=app)
        applied += [name if app == "directory" else f"{app}:{name}" for name in after if name not in before]
    return applied


async def migration_state(app: str) -> tuple[int, int]:
    """How many of ``app``'s migrations ran on the bound database, and how many wait."""
    from piccolo.apps.migrations.commands.base import BaseMigrationManager
    from piccolo.apps.migrations.tables import Migration

    runner = BaseMigrationManager()
    folder = APP_REGISTRY.app_configs[app].resolved_migrations_folder_path
    known = set(runner.get_migration_ids(runner.get_migration_modules(folder)))
    ran = set(await Migration.get_migrations_which_ran(app_name=app)) if await Migration.table_exists() else set()
    return len(known & ran), len(known - ran)
