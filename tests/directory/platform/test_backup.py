"""Backups taken while the site writes restore to a healthy, searchable site, on both engines."""

from __future__ import annotations

import asyncio
import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest
from click.testing import CliRunner

from directory.app import create_app
from directory.cli import build_cli
from directory.engines import sqlite_path
from directory.platform import backup as backups
from directory.platform import mail
from directory.platform.commands import CommandContext
from directory.tables import Provider, ProviderService
from directory.testing import add_providers, provider_row, serve

BATCH = 20


@pytest.fixture
async def other_database(settings, tmp_path):
    """An empty database beside the test's, on the same engine, to restore into."""
    if sqlite_path(settings.database_url) is not None:
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    parts = urlsplit(settings.database_url)
    name = f"{parts.path.lstrip('/')}_restored"
    admin = await asyncpg.connect(settings.database_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def _import_until(stop: asyncio.Event) -> int:
    """Import batches of providers, each in its own transaction, until told to stop; how many batches."""
    batches = 0
    while not stop.is_set():
        await add_providers(*(provider_row(trade_name=f"Atelier Numérique {batches}-{number}")
                              for number in range(BATCH)))
        batches += 1
    return batches


async def test_a_backup_taken_during_imports_restores_to_a_site_that_searches_and_sends(
        settings, plugin_manager, tmp_path, other_database):
    await add_providers(provider_row(trade_name="Agence Pixel", postal_code="33000"))
    await mail.send("ada@example.fr", "mot-de-passe", {"link": "https://exemple.fr/lien", "minutes": 60})  # waits in the outbox
    target = tmp_path / "live.backup"
    stop = asyncio.Event()
    importing = asyncio.create_task(_import_until(stop))
    await asyncio.sleep(0.3)  # imports under way
    await asyncio.to_thread(backups.backup, settings.database_url, target, settings.lock_timeout_s)
    stop.set()
    batches = await importing
    assert batches >= 1

    restored = await asyncio.to_thread(backups.restore, other_database, target, settings.lock_timeout_s)
    assert restored.pending_mail == 1
    app = create_app(replace(settings, database_url=other_database), plugin_manager)
    async with serve(app) as client:
        assert (await client.get("/health")).status_code == 200
        found = (await client.get("/api/search", params={"q": "agence pixel", "near": "33000"})).json()
        assert [hit["trade_name"] for hit in found["hits"]] == ["Agence Pixel"]
        # Whole imports or none: every provider restored has its services.
        count = await Provider.count()
        assert (count - 1) % BATCH == 0 and count - 1 <= batches * BATCH
        without_services = await Provider.count().where(Provider.id.not_in(ProviderService.select(
            ProviderService.provider)))
        assert without_services == 0


def test_a_sqlite_backup_is_one_checked_file_without_its_log(settings, tmp_path):
    if sqlite_path(settings.database_url) is None:
        pytest.skip("SQLite's own file")
    target = tmp_path / "copy.sqlite3"
    backups.backup(settings.database_url, target, settings.lock_timeout_s)
    with sqlite3.connect(target) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert not Path(f"{target}-wal").exists()


@pytest.mark.parametrize("content", [b"not a database at all", b""])
async def test_restore_refuses_what_is_not_a_backup_and_keeps_the_database(settings, tmp_path, content,
                                                                             other_database):
    if sqlite_path(other_database) is not None:
        Path(sqlite_path(other_database)).write_bytes(b"")  # an existing database stays as it is
    bogus = tmp_path / "bogus.backup"
    bogus.write_bytes(content)
    with pytest.raises(backups.BackupError):
        backups.restore(other_database, bogus, settings.lock_timeout_s)
    if sqlite_path(other_database) is not None:
        assert Path(sqlite_path(other_database)).read_bytes() == b""


def test_a_sqlite_file_of_another_program_is_not_a_backup_of_the_directory(settings, tmp_path):
    stranger = tmp_path / "other.sqlite3"
    with sqlite3.connect(stranger) as other:
        other.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(backups.BackupError, match="aucune table des prestataires"):
        backups.restore(f"sqlite:///{tmp_path / 'target.sqlite3'}", stranger, settings.lock_timeout_s)


async def test_backup_and_restore_from_the_command_line(settings, plugin_manager, tmp_path, other_database):
    await add_providers(provider_row(trade_name="Agence Pixel"))
    await mail.send("ada@example.fr", "mot-de-passe", {"link": "https://exemple.fr/lien", "minutes": 60})
    target = tmp_path / "nightly.backup"
    cli = build_cli(plugin_manager)

    def run(database_url: str, *args: str):
        context = CommandContext(replace(settings, database_url=database_url), plugin_manager)
        return CliRunner().invoke(cli, list(args), obj=context, catch_exceptions=False)

    saved = await asyncio.to_thread(run, settings.database_url, "backup", str(target))
    assert saved.exit_code == 0 and "Base sauvegardée" in saved.output
    restored = await asyncio.to_thread(run, other_database, "restore", str(target), "--yes")
    assert restored.exit_code == 0 and "Base restaurée" in restored.output
    assert "1 message(s) attendaient à la sauvegarde" in restored.output
    exported = await asyncio.to_thread(run, other_database, "export")
    assert "Agence Pixel" in exported.output


async def test_a_restore_over_a_populated_database_replaces_it_whole_even_with_tables_the_backup_lacks(
        settings, tmp_path, other_database):
    """A later release's table, or a plugin's, referencing the providers, kept the backup's from
    being dropped (or stayed, forgotten by the restored migrations)."""
    await add_providers(provider_row(trade_name="Agence Pixel"))
    target = tmp_path / "before.backup"
    await asyncio.to_thread(backups.backup, settings.database_url, target, settings.lock_timeout_s)
    assert oct(target.stat().st_mode & 0o777) == "0o600"  # personal data and session ids
    await asyncio.to_thread(backups.restore, other_database, target, settings.lock_timeout_s)
    extra = "CREATE TABLE later_notes (id INTEGER PRIMARY KEY, provider INTEGER REFERENCES provider (id))"
    if sqlite_path(other_database) is not None:
        with closing(sqlite3.connect(sqlite_path(other_database))) as later:
            later.execute(extra)
            later.commit()
    else:
        later = await asyncpg.connect(other_database)
        await later.execute(extra)
        await later.close()
    await asyncio.to_thread(backups.restore, other_database, target, settings.lock_timeout_s)
    if sqlite_path(other_database) is not None:
        with closing(sqlite3.connect(sqlite_path(other_database))) as restored:
            names = {row[0] for row in restored.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            count = restored.execute("SELECT COUNT(*) FROM provider").fetchone()[0]
    else:
        restored = await asyncpg.connect(other_database)
        names = {row["tablename"] for row in await restored.fetch("SELECT tablename FROM pg_tables "
                                                                  "WHERE schemaname = 'public'")}
        count = await restored.fetchval("SELECT COUNT(*) FROM provider")
        await restored.close()
    assert "later_notes" not in names and "provider" in names and count == 1


def test_a_sqlite_database_still_in_use_is_not_replaced(settings, tmp_path):
    if sqlite_path(settings.database_url) is None:
        pytest.skip("SQLite's own file")
    target = tmp_path / "copy.sqlite3"
    backups.backup(settings.database_url, target, settings.lock_timeout_s)
    live = tmp_path / "live.sqlite3"
    backups.restore(f"sqlite:///{live}", target, settings.lock_timeout_s)
    with closing(sqlite3.connect(live)) as server:  # a server that was not stopped
        server.execute("PRAGMA journal_mode = WAL")
        server.execute("SELECT COUNT(*) FROM provider").fetchone()
        with pytest.raises(backups.BackupError, match="arrêtez d'abord les serveurs"):
            backups.restore(f"sqlite:///{live}", target, 0.5)
    with pytest.raises(backups.BackupError, match="la base elle-même"):
        backups.backup(f"sqlite:///{live}", live, 0.5)
