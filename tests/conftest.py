"""Shared fixtures: one migrated database per run, emptied before each test.

The suite runs on a temporary SQLite file, or on the PostgreSQL database named by
``CHANNEL_EXPERT_TEST_DATABASE_URL`` (never ``DATABASE_URL``: tests delete data).
"""

from __future__ import annotations

import asyncio
import itertools
import os
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator

import httpx
import pytest

from directory import providers
from directory.app import create_app
from directory.cli import prepare_database
from directory.plugin_manager import get_plugin_manager
from directory.records import clean_record
from directory.settings import Settings
from directory.validation import luhn_ok
from geo import Gazetteer

TEST_DATABASE_ENV = "CHANNEL_EXPERT_TEST_DATABASE_URL"


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
async def settings(migrated: str) -> Settings:
    """Settings on the test database, emptied of providers."""
    result = Settings(database_url=migrated)
    await prepare_database(result)
    await providers.delete_all()
    return result


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


@pytest.fixture(scope="session")
def gazetteer() -> Gazetteer:
    return Gazetteer.default()


_serial = itertools.count(10_000_000)


def make_siret() -> str:
    """A fresh valid SIRET for each call."""
    while True:
        body = f"{next(_serial):08d}"
        for digit in "0123456789":
            siren = body + digit
            if luhn_ok(siren):
                break
        for digit in "0123456789":
            siret = siren + "0001" + digit
            if luhn_ok(siret):
                return siret


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
    created, _ = await providers.save_records([clean_record(row, gazetteer) for row in rows])
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
