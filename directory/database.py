"""The registry of Piccolo apps, the engine each query goes to, schema upgrades and write
transactions, for SQLite and PostgreSQL (the engines themselves are ``directory.engines``).

Piccolo keeps a table's engine on its class: that process-wide state is the ORM's, and ``bind``
is the one place that sets it. Every table gets the same ``RoutedEngine``, which hands each
query to the engine of the app it runs for (a context variable that an app's platform sets
around its requests, jobs and commands: ``routed``), or else to the engine bound last (for
Piccolo's own tools, through ``piccolo_conf``, and for scripts): two apps in one process each
read and write their own database. The registry of Piccolo apps, which Piccolo's migration
runner reads, stays with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import importlib
import io
import os
import socket
import sqlite3
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

import asyncpg
from piccolo.conf.apps import AppRegistry
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import TransactionType

from directory.engines import is_sqlite

LOCK_TIMEOUT_VARIABLE = "CHANNEL_EXPERT_LOCK_TIMEOUT_S"
Item = TypeVar("Item")
# The drivers' loggers, kept at WARNING whatever the app's level: at DEBUG, aiosqlite logs every
# statement with its parameters (password hashes, addresses, session ids, link hashes).
DRIVER_LOGGERS = ("aiosqlite", "asyncpg", "piccolo")


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



# PostgreSQL's queues of writers: transaction-level advisory locks, held until commit and
# always taken in this order (the outbox's last), so that no two writers wait on each other.
PROVIDERS_QUEUE, LEADS_QUEUE = "providers", "leads"
WRITER_QUEUES = {PROVIDERS_QUEUE: 0x43_45_5F_50, LEADS_QUEUE: 0x43_45_5F_4C}  # "CE_P", "CE_L"
OUTBOX_LOCK_KEY = 0x43_45_5F_57  # "CE_W"
EVERY_QUEUE = (PROVIDERS_QUEUE, LEADS_QUEUE)


class Writing:
    """The outermost write transaction of a task: what is written once its body is done, just
    before it commits (``held``: the rows a kind of write collected, and how to write them)."""

    def __init__(self) -> None:
        self.held: dict[str, tuple[list[Any], Callable[[list[Any]], Awaitable[None]]]] = {}

    def hold(self, kind: str, write: Callable[[list[Any]], Awaitable[None]]) -> list[Any]:
        """The list of ``kind``'s rows, which ``write`` gets before the commit (the first ``write`` given)."""
        return self.held.setdefault(kind, ([], write))[0]

    async def write_held(self) -> None:
        for rows, write in self.held.values():
            if rows:
                await write(rows)


_writing: contextvars.ContextVar[Writing | None] = contextvars.ContextVar("writing", default=None)


def writing() -> Writing | None:
    """The write transaction this code runs in, if ``write_transaction`` opened one."""
    return _writing.get()


@contextlib.asynccontextmanager
async def write_transaction(engine: Engine, queues: Sequence[str] = EVERY_QUEUE) -> AsyncIterator[object]:
    """A transaction that takes the write lock at once, so writers queue instead of failing.

    SQLite has one write lock per database (``BEGIN IMMEDIATE``): ``queues`` changes nothing
    there. On PostgreSQL a writer queues behind those of ``queues`` only: ``providers`` (the
    listings and what hangs off them: two imports of the same rows queue instead of colliding on
    a unique index) and ``leads`` (requests and offers, whose writers read, then write, the
    state of a lead). By default a writer queues behind both; an import's batches queue only
    behind provider writers, and a lead's writers only behind lead writers, so that a quote
    request never waits for an import's batch. Whatever their queues, the events a writer
    records are written at the end (``Writing``), in the outbox's turn (``outbox_turn``). Every
    wait is bounded by the engine's lock timeout.
    """
    outermost = _writing.get() is None
    opened = (engine.transaction(transaction_type=TransactionType.immediate) if is_sqlite(engine)
              else engine.transaction())
    async with opened as transaction:
        if not is_sqlite(engine):
            for queue in sorted(queues, key=EVERY_QUEUE.index):
                await transaction.connection.execute("SELECT pg_advisory_xact_lock($1)", WRITER_QUEUES[queue])
        if not outermost:
            yield transaction
            return
        token = _writing.set(state := Writing())
        try:
            yield transaction
            await state.write_held()
        finally:
            _writing.reset(token)


async def outbox_turn(engine: Engine) -> None:
    """Before a transaction writes events: on PostgreSQL, its turn to allocate outbox ids.

    Sequence values are handed out before commit, so two writers could commit their events in
    the other order, and a reader that saw the larger id would never read the smaller one (see
    ``directory.events``). The outbox's lock, held from the events' insert to the commit, makes
    writers allocate and commit ids in the same order; it is the last lock a transaction takes,
    and a short one: a write transaction writes its events just before it commits.
    """
    if is_sqlite(engine):
        return  # the write lock, taken at BEGIN IMMEDIATE, already orders writers
    transaction = engine.current_transaction.get()
    if transaction is None:
        raise RuntimeError("events are written inside the write_transaction of their change")
    await transaction.connection.execute("SELECT pg_advisory_xact_lock($1)", OUTBOX_LOCK_KEY)  # re-entrant


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
