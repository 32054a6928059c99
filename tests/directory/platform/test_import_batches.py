"""Imports in bounded batches: the write lock is free between them, and the file stays all or nothing."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from datetime import timedelta

import asyncpg
import msgspec
import pytest

from directory import events, imports, providers
from directory.database import OUTBOX_LOCK_KEY, WRITER_QUEUES
from directory.engines import sqlite_path
from directory.providers import IMPORTED
from directory.records import clean_record
from directory.tables import Event, ImportRun, ImportUndo, Provider
from directory.testing import add_providers, provider_row
from geo import Gazetteer

LEASE = timedelta(minutes=1)


def records(*trade_names: str, **overrides: str):
    gazetteer = Gazetteer.default()
    return [clean_record(provider_row(trade_name=name, **overrides), gazetteer) for name in trade_names]


async def names() -> list[str]:
    return sorted(row["trade_name"] for row in await Provider.select(Provider.trade_name))


async def half_written_import() -> tuple[str, int]:
    """A run whose first batch renamed "Ancienne Agence" and created "Neuve", then stopped."""
    [kept] = await add_providers(provider_row(trade_name="Ancienne Agence"))
    _, record = await providers.record_of(kept)
    run = await imports.start_run(IMPORTED, LEASE)
    await imports.write_batch(run, [msgspec.structs.replace(record, trade_name="Renommée"), *records("Neuve")],
                              IMPORTED)
    return kept, run


async def run_states() -> list[str]:
    return [row["state"] for row in await ImportRun.select(ImportRun.state).order_by(ImportRun.id)]


async def write_lock_is_free(settings) -> bool:
    """Whether another connection could take the write lock at once, as a web write would."""
    path = sqlite_path(settings.database_url)
    if path is not None:
        with closing(sqlite3.connect(path, timeout=0, isolation_level=None)) as connection:
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError:
                return False
            connection.execute("ROLLBACK")
            return True
    connection = await asyncpg.connect(settings.database_url)
    try:
        async with connection.transaction():  # every queue of writers, and the outbox's turn
            return all([await connection.fetchval("SELECT pg_try_advisory_xact_lock($1)", key)
                        for key in (*WRITER_QUEUES.values(), OUTBOX_LOCK_KEY)])
    finally:
        await connection.close()


async def test_the_write_lock_is_free_between_batches_and_every_row_is_written(settings):
    progress = []

    async def between(written: int) -> None:
        progress.append((written, len(await names()), await write_lock_is_free(settings)))

    saved = await imports.import_records(records(*(f"Agence {n}" for n in range(5))), IMPORTED, LEASE,
                                         batch_rows=2, on_batch=between)
    assert progress == [(2, 2, True), (4, 4, True)]
    assert len(saved.created) == 5 and len(await names()) == 5
    assert await ImportUndo.count() == 0 and await run_states() == ["done"]


async def test_a_row_refused_late_in_the_file_leaves_nothing_of_it(settings):
    [kept] = await add_providers(provider_row(trade_name="Ancienne Agence", siret="73282932000074"))
    before = await providers.record_of(kept)
    update = msgspec.structs.replace(before[1], trade_name="Agence Renommée", services=["e-commerce"])
    bad = msgspec.structs.replace(records("Agence Fautive")[0], services=["service-disparu"])
    last = await Event.select(Event.id).order_by(Event.id, ascending=False).first()
    with pytest.raises(KeyError, match="service-disparu"):
        await imports.import_records([update, *records("Neuve 1", "Neuve 2", "Neuve 3"), bad], IMPORTED,
                                     LEASE, batch_rows=2)
    assert await names() == ["Ancienne Agence"]
    assert await providers.record_of(kept) == before  # services included
    assert await ImportUndo.count() == 0 and await run_states() == ["undone"]
    deleted = await Event.select(Event.subject).where(
        (Event.name == events.PROVIDER_DELETED) & (Event.id > (last["id"] if last else 0)))
    assert len(deleted) == 3  # the search index drops the providers it was told of


async def test_an_import_that_died_mid_way_is_undone_by_the_next_one_once_its_lease_ran_out(
        settings, manual_clock):
    _, run = await half_written_import()
    # The process dies here. While its lease lasts, it may be alive: another import leaves it be.
    manual_clock.advance(seconds=59)
    await imports.import_records(records("Autre"), IMPORTED, LEASE)
    assert await names() == ["Autre", "Neuve", "Renommée"]
    manual_clock.advance(seconds=2)
    assert await imports.dead_runs(LEASE) == [run]
    await imports.import_records(records("Encore une"), IMPORTED, LEASE)
    assert await names() == ["Ancienne Agence", "Autre", "Encore une"]
    assert await run_states() == ["undone", "done", "done"]


async def test_a_worker_undoes_an_import_that_died_without_waiting_for_the_next_one(
        settings, manual_clock, run_jobs, caplog):
    _, run = await half_written_import()
    await run_jobs()  # within its lease the run may be alive: the job leaves it be
    assert await names() == ["Neuve", "Renommée"] and await run_states() == ["running"]
    manual_clock.advance(seconds=61)
    await run_jobs()
    assert await names() == ["Ancienne Agence"]
    assert await run_states() == ["undone"]
    assert f"import run {run} died mid-way and was undone: 1 removed, 1 restored" in caplog.text


async def test_an_import_frozen_past_its_lease_finds_its_run_undone_and_writes_nothing_more(
        settings, manual_clock):
    _, run = await half_written_import()
    manual_clock.advance(seconds=61)
    await imports.undo_dead(LEASE)  # its process was frozen, not dead: it wakes up afterwards
    with pytest.raises(imports.RunUndone):
        await imports.write_batch(run, records("Tardive"), IMPORTED)
    assert await names() == ["Ancienne Agence"]
    assert await ImportUndo.count() == 0


async def test_undoing_leaves_alone_a_provider_someone_changed_after_the_import(
        settings, manual_clock):
    kept, run = await half_written_import()
    manual_clock.advance(seconds=5)  # a member edits the listing the import renamed
    await Provider.update({Provider.description: "Texte du membre.", Provider.updated_at: manual_clock.now()
                           }).where(Provider.slug == kept)
    undone = await imports.undo(run, batch_rows=1)  # one provider per transaction
    assert undone.left == [kept] and len(undone.removed) == 1 and undone.restored == []
    assert await names() == ["Renommée"]
