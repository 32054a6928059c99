"""Two apps on two databases in one process: each reads, writes, mails and searches in its own,
with its own plugins' settings, even when their requests interleave."""

from __future__ import annotations

import asyncio
import contextvars
import os
from dataclasses import replace
from pathlib import Path

import pytest

from directory.accounts import users
from directory.app import create_app
from directory.platform import current
from directory.platform.plugin_settings import settings_of
from directory.platform.services import prepare_database
from directory.plugin_manager import get_plugin_manager
from directory.tables import Account, MailMessage
from directory.testing import STRONG, add_providers, csrf_token, provider_row, serve
from directory.testing.databases import drop_database, worker_database


@pytest.fixture
async def second_database(database_url: str, tmp_path: Path):
    """A database beside the test database, on the same engine, migrated."""
    if database_url.startswith("sqlite:"):
        yield f"sqlite:///{tmp_path / 'second.sqlite3'}"
        return
    url = await worker_database(database_url, "second")
    try:
        yield url
    finally:
        await drop_database(database_url, url)


def an_app(settings, name: str, offers_at_once: int):
    configured = replace(settings, secret_key=name * 40, mail_dir=str(Path(settings.mail_dir).parent / name),
                         worker_in_app=False)
    environ = {**os.environ, "CHANNEL_EXPERT_LEADS_OFFERS_AT_ONCE": str(offers_at_once)}
    return create_app(configured, get_plugin_manager(configured, environ))


async def forgot(client, email: str) -> None:
    asked = await client.post("/compte/mot-de-passe-oublie", data={
        "email": email, "_csrf_token": await csrf_token(client, "/compte/mot-de-passe-oublie")})
    assert asked.status_code == 200, asked.text


async def names_found(client, words: str) -> list[str]:
    found = await client.get("/api/search", params={"q": words})
    assert found.status_code == 200, found.text
    return [hit["trade_name"] for hit in found.json()["hits"]]


async def test_two_apps_in_one_process_keep_to_their_own_database_mail_search_and_settings(
        settings, second_database):
    await prepare_database(replace(settings, database_url=second_database))
    first = an_app(settings, "a", offers_at_once=2)
    second = an_app(replace(settings, database_url=second_database), "b", offers_at_once=5)
    for app, trade_name, email in ((first, "Zephyrine Web", "ada@premier.fr"),
                                   (second, "Quillon Informatique", "bob@second.fr")):
        with current.within(app.state.platform):
            await add_providers(provider_row(trade_name=trade_name))
            await users.add_staff(email, STRONG)

    async with serve(first) as one, serve(second) as two:
        # Interleaved requests: each goes to its own app's database, mail outbox and index.
        await asyncio.gather(forgot(one, "ada@premier.fr"), forgot(two, "bob@second.fr"),
                             forgot(one, "bob@second.fr"), forgot(two, "ada@premier.fr"))
        assert await names_found(one, "zephyrine") == ["Zephyrine Web"]
        assert await names_found(one, "quillon") == []
        assert await names_found(two, "quillon") == ["Quillon Informatique"]
        assert await names_found(two, "zephyrine") == []

    for app, email, other in ((first, "ada@premier.fr", "bob@second.fr"), (second, "bob@second.fr", "ada@premier.fr")):
        platform = app.state.platform
        with current.within(platform):
            assert [row["email"] for row in await Account.select(Account.email)] == [email]
            assert [row["recipient"] for row in await MailMessage.select(MailMessage.recipient)] == [email]
            assert settings_of("plugins.leads").offers_at_once == {first: 2, second: 5}[app]
            assert await platform.worker().run_once() >= 1  # its own worker delivers its own mail
        delivered = list(Path(platform.settings.mail_dir).glob("*.eml"))
        assert len(delivered) == 1 and f"To: {email}" in delivered[0].read_text(encoding="utf-8")
        assert other not in delivered[0].read_text(encoding="utf-8")


def test_code_outside_every_app_is_told_so_rather_than_served_another_apps_state(settings):
    with pytest.raises(current.NoPlatformError, match="no app, worker or command"):
        contextvars.Context().run(settings_of, "plugins.leads")
