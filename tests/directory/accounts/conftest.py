"""A site with accounts: two published providers with their owners, and staff."""

from __future__ import annotations

from dataclasses import replace

import pytest

from directory.tables import (
    Account,
    AccountToken,
    ApiToken,
    Logo,
    MailMessage,
    Membership,
    PendingChange,
    ProfileChange,
    StoreEntry,
)
from directory.testing import add_account, add_providers, provider_row, serve


@pytest.fixture
async def site(apps, settings, plugin_manager, manual_clock):
    for table in (ApiToken, AccountToken, Membership, PendingChange, ProfileChange, Logo, Account, MailMessage,
                  StoreEntry):
        await table.delete(force=True)
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False,
                             public_url="http://annuaire.example.fr"), plugin_manager)
    async with serve(app) as client:
        yield client


@pytest.fixture
async def two(site):
    """Two published providers, each with its owner, and a staff account."""
    a, b = await add_providers(provider_row(trade_name="Alpha Web", email="contact@alpha.fr"),
                               provider_row(trade_name="Beta Web", email="contact@beta.fr"))
    await add_account("a@alpha.fr", provider=a)
    await add_account("b@beta.fr", provider=b)
    await add_account("equipe@example.fr", staff=True)
    return a, b
