"""What the directory's own suite adds to the test kit that ships with it (``directory.testing``).

The kit's fixtures (``settings``, ``plugin_manager``, ``app``, ``client``, ``network``,
``outbox``, ``run_jobs``, ``manual_clock``) and helpers are the ones plugin authors get. The suite runs on a temporary SQLite file, or on the
PostgreSQL database named by ``CHANNEL_EXPERT_TEST_DATABASE_URL`` (never ``DATABASE_URL``:
tests delete data).
"""

from __future__ import annotations

import csv
import email
import email.policy
import io
import logging
import os
import re
import socket
import sys
import textwrap
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from directory.app import create_app
from directory.cli import build_cli
from directory.platform import current
from directory.platform.commands import CommandContext
from directory.platform.services import Platform
from directory.plugin_manager import PluginManager, get_plugin_manager
from directory.records import COLUMNS
from directory.settings import Settings
from directory.testing import STRONG, plugins_under_test, serve
from geo import Gazetteer

pytest_plugins = ["pytester"]  # the test kit is tried on a plugin author's project
# ``channel-expert`` as a process of its own, whatever the PATH.
COMMAND = [sys.executable, "-c", "from directory.cli import main; main()"]


@pytest.fixture
def environment(settings: Settings, tmp_path) -> dict[str, str]:
    """The environment of a ``channel-expert`` process on the test database."""
    return {**os.environ, "DATABASE_URL": settings.database_url, "CHANNEL_EXPERT_LOG_LEVEL": "WARNING",
            "CHANNEL_EXPERT_GEOCODE_CACHE": str(tmp_path / "geocode.sqlite3")}


async def signed_out(client: httpx.AsyncClient) -> bool:
    """Whether a browser asking for its account page is sent to the sign-in form."""
    page = await client.get("/compte", headers={"accept": "text/html"})
    return page.status_code == 303 and page.headers["location"] == "/compte/connexion"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server on a fixed port, which can go down and come back with the same inbox."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


def redis_running() -> bool:
    """Whether the Redis of the development machine answers on 127.0.0.1:6379."""
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
        return True
    except OSError:
        return False


def install_plugin(folder, monkeypatch, module: str, source: str | None = None, version: str = "0.1") -> str:
    """Install ``module`` (written from ``source`` when given) as a distribution with a
    ``channel_expert`` entry point named like it, as pip would; returns the plugin's name."""
    if source is not None:
        (folder / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    dist = folder / f"{module}-{version}.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module.replace('_', '-')}\nVersion: {version}\n")
    name = module.removeprefix("ce_")
    (dist / "entry_points.txt").write_text(f"[channel_expert]\n{name} = {module}\n")
    monkeypatch.syspath_prepend(str(folder))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]))
    return name


@dataclass(frozen=True)
class SharedApp:
    """One app served to every test of a module, for modules whose tests cost less than an
    app's start-up (plugins, templates, in-memory indexes); each test still gets an emptied
    database from ``settings``."""

    settings: Settings
    plugin_manager: PluginManager
    platform: Platform  # the app's (PostgreSQL: its engine holds the pool)
    client: httpx.AsyncClient

    def rejoin(self) -> httpx.AsyncClient:
        """The client, once the test works for the app again (its ``settings`` entered the test
        database's platform) and the previous test's cookies are forgotten."""
        current.enter(self.platform)
        self.client.cookies.clear()
        return self.client


@asynccontextmanager
async def shared_app(migrated: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest,
                     **overrides: Any) -> AsyncIterator[SharedApp]:
    """For a module-scoped fixture: the app of the kit's ``settings`` with ``overrides`` (as a
    test's ``replace(settings, …)``) and of its ``plugin_manager``, served while the block lasts."""
    settings = replace(Settings(database_url=migrated, mail_dir=str(tmp_path_factory.mktemp("mail")),
                                worker_in_app=False).served_at(), **overrides)
    manager = get_plugin_manager(settings, only=plugins_under_test(request))
    app = create_app(settings, manager)
    async with serve(app) as client:
        yield SharedApp(app.state.settings, manager, app.state.platform, client)


@pytest.fixture(scope="session")
async def browser():
    """Debian's chromium, driven by Playwright (never a downloaded browser), started once per
    process: each test opens its own context (``context``), as isolated as a new profile."""
    from playwright.async_api import async_playwright

    from tests.browser import CHROMIUM, CHROMIUM_FLAGS

    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


@pytest.fixture
async def context(browser):
    """A browser context that lets tests inject axe-core, as a browser extension would (it bypasses CSP)."""
    opened = await browser.new_context(bypass_csp=True)
    yield opened
    await opened.close()


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer.default()


def free_port() -> int:
    """A TCP port nobody listens on, for a server a test starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def csv_text(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    """A providers CSV file's text, in the import format."""
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=COLUMNS, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({column: row.get(column, "") for column in COLUMNS})
    return stream.getvalue()


@pytest.fixture
def invoke(settings: Settings, plugin_manager):
    """Run a ``channel-expert`` command in this process, on the test database."""
    runner = CliRunner()

    def run(*args: str, input: str | None = None):
        return runner.invoke(build_cli(plugin_manager), list(args),
                             obj=CommandContext(settings, plugin_manager), input=input, catch_exceptions=False)

    return run


# Secrets the suite plants (passwords) and shapes of secrets it creates (single-use links, a
# lead's follow-up and answer links, session ids and the hashes of links and tokens, both 64 hex
# digits): none may reach a log line, whatever the logger, level or handler. Records exist only
# at the level in force: tests/directory/test_log_secrets.py runs a whole flow at DEBUG.
LOG_CANARIES = (STRONG,)
SECRET_SHAPES = re.compile(r"/(?:compte/lien|devis/suivi|demandes/reponse)/[A-Za-z0-9_-]{20,}|\b[0-9a-f]{64}\b"
                           r"|\bce_[A-Za-z0-9_-]{43}"
                           r"|\bz3u2[1-9A-HJ-NP-Za-km-z]{40,}")  # the last: an Ed25519 secret Multikey
_log_records: list[logging.LogRecord] = []
_make_record = logging.getLogRecordFactory()


def _recording_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _make_record(*args, **kwargs)
    _log_records.append(record)
    return record


def pytest_sessionstart(session: pytest.Session) -> None:
    logging.setLogRecordFactory(_recording_factory)


_workers_leaks: list[str] = []


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """With pytest-xdist, what each worker found in its own logs (its exit status is not enough)."""
    _workers_leaks.extend(getattr(node, "workeroutput", {}).get("log_leaks", []))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any log record of the whole suite holds a planted or generated secret."""
    logging.setLogRecordFactory(_make_record)
    leaks = list(_workers_leaks)
    for record in _log_records:
        if record.name.startswith("httpx"):  # the tests' own HTTP client, not the directory
            continue
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        if any(canary in text for canary in LOG_CANARIES) or SECRET_SHAPES.search(text):
            leaks.append(f"{record.name}: {text[:200]}")
    if hasattr(session.config, "workeroutput"):  # a pytest-xdist worker: the controller tells
        session.config.workeroutput["log_leaks"] = leaks
        return
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nSecrets found in the logs:\n" + "\n".join(leaks[:20]))
