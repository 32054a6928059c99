"""The kit's databases: the run's test database on either engine (one per pytest-xdist worker),
migrated once, and each test's ``settings`` on it, emptied of what the previous test left.

Fixtures of ``directory.testing`` (which offers them to plugin authors' suites).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

from directory import providers
from directory.database import write_transaction
from directory.engines import pooled
from directory.platform import current
from directory.platform.services import prepare_database, start_platform, use_database
from directory.platform.store import shared_store
from directory.plugin_manager import PluginManager, get_plugin_manager
from directory.settings import Settings
from directory.tables import (
    Account,
    AccountToken,
    ApiToken,
    ChangeFollower,
    ContactMessage,
    ImportRun,
    ImportUndo,
    Job,
    Logo,
    MailMessage,
    Membership,
    PendingChange,
    ProfileChange,
    RecurringTask,
    Report,
    StoreEntry,
)
from directory.testing.apps import Apps

TEST_DATABASE_ENV = "CHANNEL_EXPERT_TEST_DATABASE_URL"
TEST_CONNECTIONS = 10  # as many as the app's pool: a test may hold several transactions open at once
MEMORY_FOLDER = Path("/dev/shm")  # where the SQLite test database goes when the machine has it
# What each test starts without: accounts and what hangs on them, the mail outbox, the job queue,
# the recurring tasks' schedule, sessions and rate-limit counters, the servers following the
# outbox, contact messages (the service catalogue and plugins' reference data stay).
ACTIVITY = (ApiToken, AccountToken, Membership, PendingChange, ProfileChange, Logo, Report, Account, MailMessage,
            Job, RecurringTask, StoreEntry, ChangeFollower, ImportUndo, ImportRun, ContactMessage)


@pytest.fixture(scope="session")
async def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """The run's test database: a SQLite file of this process's own temporary folder (one per
    pytest-xdist worker, in memory where it can be), or the PostgreSQL database configured, or
    with pytest-xdist the worker's own database beside it, created for the run and dropped at
    its end."""
    configured = os.environ.get(TEST_DATABASE_ENV)
    if not configured:
        with _memory_folder() as folder:
            yield f"sqlite:///{(folder or tmp_path_factory.mktemp('db')) / 'test.sqlite3'}"
        return
    # The worker's id from xdist itself, not from the environment: a pytest that a test starts
    # (a plugin author's project, through pytester) inherits PYTEST_XDIST_WORKER without being
    # a worker, and must not take, nor drop, the database of the worker that started it.
    worker = getattr(request.config, "workerinput", {}).get("workerid")
    if not worker:
        yield configured
        return
    url = await worker_database(configured, worker)
    try:
        yield url
    finally:
        await drop_database(configured, url)


@contextmanager
def _memory_folder() -> Iterator[Path | None]:
    """A folder of its own in the machine's memory (Linux's ``/dev/shm``), removed afterwards;
    None without one. The engine asks SQLite to flush every commit to disk (``synchronous =
    FULL``): on a disk that is a few milliseconds a commit, and tests commit thousands of times."""
    if not MEMORY_FOLDER.is_dir() or not os.access(MEMORY_FOLDER, os.W_OK):
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="channel-expert-tests-", dir=MEMORY_FOLDER))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def worker_database(url: str, worker: str) -> str:
    """The database of one pytest-xdist worker, beside the one named: ``<name>_<worker>``
    (created unless an interrupted run left it: each test empties what it starts from).

    Each test empties the tables it starts from, so two workers sharing a database would undo
    each other's tests.
    """
    import asyncpg

    parts = urlsplit(url)
    own = f"{parts.path.lstrip('/')}_{worker}"
    connection = await asyncpg.connect(url)
    try:
        if not await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", own):
            await connection.execute(f'CREATE DATABASE "{own}"')
        # A throw-away database need not wait for each commit to reach the disk: a crash would
        # lose its last commits, never its consistency.
        await connection.execute(f'ALTER DATABASE "{own}" SET synchronous_commit = off')
    finally:
        await connection.close()
    return urlunsplit(parts._replace(path=f"/{own}"))


async def drop_database(server_url: str, url: str) -> None:
    """Drop the database ``url`` names, through ``server_url``'s (connections left open are closed)."""
    import asyncpg

    connection = await asyncpg.connect(server_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
    finally:
        await connection.close()


class Schemas:
    """How many migrations each database of the run held once migrated, so that each test's
    ``settings`` migrates again only when that changed (a command migrated an installed
    plugin's tables): checking every migration of every app cost tens of milliseconds a test.
    """

    def __init__(self) -> None:
        self._migrations: dict[tuple[str, tuple[str, ...]], int] = {}

    async def prepare(self, settings: Settings, manager: PluginManager) -> None:
        """What ``prepare_database`` does, the migrations left out when none can be pending."""
        engine, apps = use_database(settings, manager)
        key = (settings.database_url, tuple(apps))
        current.enter(start_platform(settings, manager, engine))
        if key in self._migrations and self._migrations[key] == await self._count():
            await providers.sync_catalogue()
            return
        await prepare_database(settings, manager)
        self._migrations[key] = await self._count()

    @staticmethod
    async def _count() -> int | None:
        """The migrations recorded in the bound database (None: it has no migration table)."""
        from piccolo.apps.migrations.tables import Migration

        return await Migration.count() if await Migration.table_exists() else None


@pytest.fixture(scope="session")
def schemas() -> Schemas:
    return Schemas()


@pytest.fixture(scope="session")
async def migrated(database_url: str, schemas: Schemas) -> str:
    settings = Settings(database_url=database_url)
    await schemas.prepare(settings, get_plugin_manager(settings))
    return database_url


@pytest.fixture(scope="session")
def mail_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mail")


@pytest.fixture
async def settings(migrated: str, schemas: Schemas, mail_folder: Path, apps: Apps) -> AsyncIterator[Settings]:
    """Settings on the test database, emptied of providers, accounts, mail and jobs; mail goes to
    files in a folder emptied before each test, its links name ``serve``'s default address; no
    job runs unless the test says so (``run_jobs``). Your plugin's own tables are yours to empty.

    Every test gets equal settings, so that the app a test used can serve the next (``apps``).
    On PostgreSQL the test's queries share a few open connections, as the app's do: without a
    pool, Piccolo opens one per query, and the handshakes made the suite twice as slow as on SQLite.
    """
    shutil.rmtree(mail_folder, ignore_errors=True)
    result = Settings(database_url=migrated, mail_dir=str(mail_folder), worker_in_app=False).served_at()
    manager = apps.manager(result, None)  # every installed plugin: their tables are in the database
    await schemas.prepare(result, manager)
    async with pooled(current.platform().engine, TEST_CONNECTIONS):
        await providers.delete_all()  # and, through their foreign keys, what plugins hold about them
        async with write_transaction(Account._meta.db):  # one commit: on SQLite each waits for the file
            for table in ACTIVITY:
                await table.delete(force=True)
        await shared_store(result).delete_all()  # the rate-limit counters, kept apart from the tables on SQLite
        yield result
    apps.release(manager)
