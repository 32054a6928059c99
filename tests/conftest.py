"""Shared fixtures: one migrated database per run, emptied before each test.

The suite runs on a temporary SQLite file, or on the PostgreSQL database named by
``CHANNEL_EXPERT_TEST_DATABASE_URL`` (never ``DATABASE_URL``: tests delete data).
"""

from __future__ import annotations

import asyncio
import csv
import io
import email
import email.policy
import itertools
import logging
import os
import re
import socket
import sys
import tempfile
from pathlib import Path
import textwrap
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import httpx
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from directory import providers
from directory.app import create_app
from directory.cli import cli
from directory.platform import clock
from directory.platform.services import prepare_database
from directory.plugin_manager import get_plugin_manager
from directory.records import COLUMNS, clean_record
from directory.settings import Settings
from directory.validation import luhn_key
from geo import Gazetteer

TEST_DATABASE_ENV = "CHANNEL_EXPERT_TEST_DATABASE_URL"
# ``channel-expert`` as a process of its own, whatever the PATH.
COMMAND = [sys.executable, "-c", "from directory.cli import main; main()"]


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    configured = os.environ.get(TEST_DATABASE_ENV)
    if configured:
        return configured
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"


@pytest.fixture(scope="session")
async def migrated(database_url: str) -> str:
    await prepare_database(Settings(database_url=database_url))
    return database_url


@pytest.fixture
async def settings(migrated: str, tmp_path) -> Settings:
    """Settings on the test database, emptied of providers; mail goes to files in a temporary folder."""
    result = Settings(database_url=migrated, mail_dir=str(tmp_path / "mail"))
    await prepare_database(result)
    await providers.delete_all()
    return result


@pytest.fixture
def environment(settings: Settings, tmp_path) -> dict[str, str]:
    """The environment of a ``channel-expert`` process on the test database."""
    return {**os.environ, "DATABASE_URL": settings.database_url, "CHANNEL_EXPERT_LOG_LEVEL": "WARNING",
            "CHANNEL_EXPERT_GEOCODE_CACHE": str(tmp_path / "geocode.sqlite3")}


@pytest.fixture
def plugin_manager(settings: Settings):
    return get_plugin_manager(settings)


@pytest.fixture
def app(settings: Settings, plugin_manager):
    return create_app(settings, plugin_manager)


@asynccontextmanager
async def serve(app) -> AsyncIterator[httpx.AsyncClient]:
    """A client for ``app`` on the test's own event loop, inside the app's lifespan.

    Litestar's test client runs the app on another loop, in a thread, and asyncpg's pool
    cannot cross loops. The lifespan runs in a task of its own because it holds a task
    group, which must be left by the task that entered it.
    """
    started, stop = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        async with app.lifespan():
            started.set()
            await stop.wait()

    lifespan = asyncio.create_task(run_lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({lifespan, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if lifespan.done():
        waiter.cancel()
        lifespan.result()  # start-up failed: raise its error
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
            yield http
    finally:
        stop.set()
        await lifespan


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as http:
        yield http


async def csrf_token(client: httpx.AsyncClient, path: str) -> str:
    """The CSRF token of the form a page holds (a redirected page: the one it leads to)."""
    page = await client.get(path)
    if page.status_code in (302, 303):
        page = await client.get(page.headers["location"])
    return re.search(r'name="_csrf_token" value="([^"]+)"', page.text)[1]


STRONG = "quatre chevaux traversent la Garonne"  # a password the policy accepts (and a log canary)


async def add_account(email: str, staff: bool = False, provider: str | None = None, role: str = "owner") -> int:
    """An account with the password ``STRONG``, staff or a member of the provider with slug ``provider``."""
    from directory.accounts import passwords
    from directory.platform import clock
    from directory.tables import Account, Membership, Provider

    now = clock.now()
    [row] = await Account.insert(Account(email=email, password_hash=passwords.hash_password(STRONG), is_staff=staff,
                                         created_at=now, password_changed_at=now)).returning(Account.id)
    if provider:
        provider_id = (await Provider.select(Provider.id).where(Provider.slug == provider).first())["id"]
        await Membership.insert(Membership(account=row["id"], provider=provider_id, role=role, created_at=now))
    return row["id"]


async def sign_in(client: httpx.AsyncClient, email: str) -> None:
    """Sign in through the form, as a browser does."""
    token = await csrf_token(client, "/compte/connexion")
    answer = await client.post("/compte/connexion", data={"email": email, "password": STRONG, "_csrf_token": token})
    assert answer.status_code == 303, answer.text


async def signed_out(client: httpx.AsyncClient) -> bool:
    """Whether a browser asking for its account page is sent to the sign-in form."""
    page = await client.get("/compte", headers={"accept": "text/html"})
    return page.status_code == 303 and page.headers["location"] == "/compte/connexion"


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001 - aiosmtpd's signature
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


@pytest.fixture
async def browser():
    """Debian's chromium, driven by Playwright (never a downloaded browser)."""
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


@pytest.fixture
def manual_clock():
    """A clock the test moves itself, installed for everything time-based."""
    with clock.use(clock.ManualClock()) as installed:
        yield installed


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer.default()


_serial = itertools.count(10_000_000)


def make_siret() -> str:
    """A fresh valid SIRET for each call."""
    return luhn_key(luhn_key(f"{next(_serial):08d}") + "0001")


def provider_row(**overrides: Any) -> dict[str, str]:
    """A valid CSV-like row for a web agency in Bordeaux; override any field."""
    row = {
        "kind": "web_agency",
        "legal_name": "Pixel Gironde SARL",
        "trade_name": "Pixel Gironde",
        "siret": make_siret(),
        "description": "Sites vitrines et boutiques en ligne pour les commerçants bordelais.",
        "website": "pixel-gironde.fr",
        "email": "Contact@Pixel-Gironde.fr",
        "phone": "05 56 00 00 00",
        "street": "12 rue Sainte-Catherine",
        "postal_code": "33000",
        "commune": "Bordeaux",
        "services": "site-vitrine;e-commerce",
        "sectors": "commerce",
        "languages": "fr;en",
        "team_size": "2-5",
        "year_founded": "2015",
    }
    row.update({key: str(value) for key, value in overrides.items()})
    return row


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
        return runner.invoke(cli, list(args), obj={"settings": settings, "plugin_manager": plugin_manager},
                             input=input, catch_exceptions=False)

    return run


async def add_providers(*rows: dict[str, str]) -> list[str]:
    """Validate and save rows; returns the slugs created."""
    gazetteer = Gazetteer.default()
    created = (await providers.save_records([clean_record(row, gazetteer) for row in rows])).created
    return created


@pytest.fixture
async def network(settings: Settings) -> list[str]:
    """A small network across several départements, kinds and services."""
    return await add_providers(
        provider_row(),
        provider_row(trade_name="Bordeaux Micro Services", kind="reseller", services="postes-materiel;reseau-wifi",
                     postal_code="33300", commune="Bordeaux"),
        provider_row(trade_name="Lumen Web", postal_code="69003", commune="Lyon 3e Arrondissement",
                     services="referencement;site-vitrine"),
        provider_row(trade_name="Azur Informatique", kind="reseller", postal_code="06000", commune="Nice",
                     services="cybersecurite;sauvegarde"),
        provider_row(trade_name="Océan Digital", postal_code="97400", commune="Saint-Denis", services="e-commerce"),
        provider_row(trade_name="Brouillon Web", state="draft"),
    )


# Secrets the suite plants (passwords) and shapes of secrets it creates (single-use links,
# session ids): none may reach a log line, whatever the logger, level or handler.
LOG_CANARIES = (STRONG,)
SECRET_SHAPES = re.compile(r"/compte/lien/[A-Za-z0-9_-]{20,}|ce_session=[0-9a-f]{64}|\bce_[A-Za-z0-9_-]{43}"
                           r"|\bz3u2[1-9A-HJ-NP-Za-km-z]{40,}")  # the last: an Ed25519 secret Multikey
_log_records: list[logging.LogRecord] = []
_make_record = logging.getLogRecordFactory()


def _recording_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _make_record(*args, **kwargs)
    _log_records.append(record)
    return record


def pytest_sessionstart(session: pytest.Session) -> None:
    logging.setLogRecordFactory(_recording_factory)
    # The badges' signing key of the whole run (its processes included), outside the working tree.
    os.environ.setdefault("CHANNEL_EXPERT_BADGES_SIGNING_KEY_FILE",
                          str(Path(tempfile.mkdtemp(prefix="ce-badges-")) / "signing.key"))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any log record of the whole suite holds a planted or generated secret."""
    logging.setLogRecordFactory(_make_record)
    leaks = []
    for record in _log_records:
        if record.name.startswith("httpx"):  # the tests' own HTTP client, not the directory
            continue
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        if any(canary in text for canary in LOG_CANARIES) or SECRET_SHAPES.search(text):
            leaks.append(f"{record.name}: {text[:200]}")
    if leaks:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        print("\nSecrets found in the logs:\n" + "\n".join(leaks[:20]))
