"""The pytest kit: fixtures to test a plugin against a real directory (and the directory's own suite).

Installed with the package as a ``pytest11`` plugin, so a plugin author's tests get these
fixtures with no conftest to copy:

- ``settings``: the directory's settings on a migrated test database, emptied of providers
  before each test. SQLite in a temporary folder by default (in ``/dev/shm`` where the machine
  has it: no commit waits for a disk); the PostgreSQL database that
  ``CHANNEL_EXPERT_TEST_DATABASE_URL`` names otherwise (with pytest-xdist, one database per
  worker beside it, ``<name>_gw0``…, created for the run and dropped at its end; their tables
  are emptied: never point it at real data). Mail is written to files in the test's temporary folder.
- ``plugin_manager``: the built-in plugins and the installed plugins your tests are about,
  named in the ini option ``channel_expert_plugins`` (``channel_expert_plugins = "ambassadeurs"``
  in ``[tool.pytest.ini_options]``) or by a test's ``@pytest.mark.channel_expert_plugins(...)``;
  other installed plugins stay out, so each suite sees the directory it expects.
- ``app`` and ``client``: the Litestar app, and an ``httpx.AsyncClient`` talking to it inside
  its lifespan, on the test's own event loop (asyncpg's pools cannot cross loops).
- ``apps``: ``apps.app(replace(settings, …), plugin_manager)``, the app of other settings. The
  kit hands the same manager and apps again to later tests (``directory.testing.apps``).
- ``network``: a small seeded network of published providers across France; returns the slugs.
- ``outbox``: ``await outbox()`` delivers the mail waiting in the outbox and returns every
  message sent so far (``email.message.EmailMessage``), oldest first.
- ``run_jobs``: ``await run_jobs()`` runs the background jobs that are due, until none is.
- ``manual_clock``: the clock every time-based part of the directory reads, moved by the test
  (``manual_clock.advance(days=3)``).

Helpers to import: ``serve`` (a client on any app), ``csrf_token``, ``add_account`` and
``sign_in`` (with the password ``STRONG``), ``provider_row`` and ``add_providers``.

The kit's async fixtures share one event loop per session: set ``asyncio_mode = "auto"``,
``asyncio_default_fixture_loop_scope = "session"`` and ``asyncio_default_test_loop_scope =
"session"`` in your pytest configuration (pytest-asyncio), as the directory's own suite does.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import functools
import gc
import itertools
import os
import re
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest

from directory import providers
from directory.platform import clock, current
from directory.platform.services import start_platform
from directory.plugin_manager import PluginManager
from directory.records import clean_record
from directory.settings import Settings
from directory.tables import Account, Membership
from directory.testing.apps import Apps
from directory.validation import luhn_key
from geo import Gazetteer

PLUGINS_OPTION = "channel_expert_plugins"
PLUGINS_MARK = "channel_expert_plugins"
STRONG = "quatre chevaux traversent la Garonne"  # a password the policy accepts

# The database fixtures (``database_url``, ``migrated``, ``settings``) live in their own module.
pytest_plugins = ["directory.testing.databases"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(PLUGINS_OPTION, "installed Channel Expert plugins the fixtures load, besides the built-in ones",
                  type="args", default=[])


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", f"{PLUGINS_MARK}(*names): the installed plugins this test's app loads")
    # The badges' signing key of the whole run (its processes included), outside the working tree.
    os.environ.setdefault("CHANNEL_EXPERT_BADGES_SIGNING_KEY_FILE",
                          str(Path(tempfile.mkdtemp(prefix="ce-badges-")) / "signing.key"))


# The directory ------------------------------------------------------------------------------

def plugins_under_test(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """The installed plugins a test is about: its mark's, else the ini option's."""
    mark = request.node.get_closest_marker(PLUGINS_MARK)
    return tuple(mark.args) if mark else tuple(request.config.getini(PLUGINS_OPTION))


@pytest.fixture(scope="session")
def apps() -> Apps:
    return Apps()


@pytest.fixture
def plugin_manager(settings: Settings, request: pytest.FixtureRequest, apps: Apps) -> Iterator[PluginManager]:
    """The manager of the test's plugins: the previous test's, unless that test changed it (``apps``)."""
    manager = apps.manager(settings, plugins_under_test(request))
    yield manager
    apps.release(manager)


@pytest.fixture
def app(settings: Settings, plugin_manager: PluginManager, apps: Apps):
    """The app of the test's settings and plugins: the previous test's, its database state forgotten."""
    return apps.app(settings, plugin_manager)


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

    # The app's start-up runs a full collection, then freezes what is alive until its shutdown.
    # Frozen first, the test run's own heap (every module, the gazetteer) is not walked again
    # at each start: a tenth of a second each time. The app's shutdown unfreezes it all.
    gc.freeze()
    lifespan = asyncio.create_task(run_lifespan())
    waiter = asyncio.create_task(started.wait())
    await asyncio.wait({lifespan, waiter}, return_when=asyncio.FIRST_COMPLETED)
    if lifespan.done():
        waiter.cancel()
        gc.unfreeze()  # no shutdown will
        lifespan.result()  # start-up failed: raise its error
    try:
        transport = httpx.ASGITransport(app=app)
        # The test's own calls (a service, a query) work for this app too, as its requests do.
        with current.within(app.state.platform):
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
                yield http
    finally:
        stop.set()
        await lifespan


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(app) as http:
        yield http


@pytest.fixture
def manual_clock():
    """A clock the test moves itself, installed for everything time-based."""
    with clock.use(clock.ManualClock()) as installed:
        yield installed


@pytest.fixture
def run_jobs(settings: Settings, plugin_manager: PluginManager) -> Callable[[], Awaitable[int]]:
    """``await run_jobs()``: run the due background jobs (the plugins' too) until none is due."""
    worker = start_platform(settings, plugin_manager).worker()

    async def run() -> int:
        ran = 0
        while done := await worker.run_once():
            ran += done
        return ran

    return run


@pytest.fixture
def outbox(settings: Settings, run_jobs) -> Callable[[], Awaitable[list[EmailMessage]]]:
    """``await outbox()``: deliver what waits in the mail outbox, then every message sent so far."""
    folder = Path(settings.mail_dir)

    async def received() -> list[EmailMessage]:
        await run_jobs()
        files = sorted(folder.glob("*.eml"), key=lambda file: file.stat().st_mtime_ns) if folder.exists() else []
        return [email.message_from_bytes(file.read_bytes(), policy=email.policy.default) for file in files]

    return received


# Data ---------------------------------------------------------------------------------------

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


async def add_providers(*rows: dict[str, str]) -> list[str]:
    """Validate and save rows; returns the slugs created."""
    gazetteer = Gazetteer.default()
    return (await providers.save_records([clean_record(row, gazetteer) for row in rows])).created


@pytest.fixture
async def network(settings: Settings) -> list[str]:
    """A small network across several départements, kinds and services (the last one a draft)."""
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


# Accounts -----------------------------------------------------------------------------------

async def csrf_token(client: httpx.AsyncClient, path: str) -> str:
    """The CSRF token of the form a page holds (a redirected page: the one it leads to)."""
    page = await client.get(path)
    if page.status_code in (302, 303):
        page = await client.get(page.headers["location"])
    return re.search(r'name="_csrf_token" value="([^"]+)"', page.text)[1]


@functools.cache
def _strong_hash() -> str:
    """One Argon2id hash of ``STRONG`` for every account a test adds: hashing costs tens of milliseconds."""
    from directory.accounts import passwords

    return passwords.hash_password(STRONG)


async def add_account(email_address: str, staff: bool = False, provider: str | None = None,
                      role: str = "owner") -> int:
    """An account with the password ``STRONG``, staff or a member of the provider with slug ``provider``."""
    from directory.tables import Provider

    now = clock.now()
    [row] = await Account.insert(Account(email=email_address, password_hash=_strong_hash(),
                                         is_staff=staff, created_at=now, password_changed_at=now)).returning(Account.id)
    if provider:
        provider_id = (await Provider.select(Provider.id).where(Provider.slug == provider).first())["id"]
        await Membership.insert(Membership(account=row["id"], provider=provider_id, role=role, created_at=now))
    return row["id"]


async def sign_in(client: httpx.AsyncClient, email_address: str) -> None:
    """Sign in through the form, as a browser does."""
    token = await csrf_token(client, "/compte/connexion")
    answer = await client.post("/compte/connexion", data={"email": email_address, "password": STRONG,
                                                          "_csrf_token": token})
    assert answer.status_code == 303, answer.text


__all__ = ["STRONG", "add_account", "add_providers", "csrf_token", "make_siret", "plugins_under_test",
           "provider_row", "serve", "sign_in"]
