"""Imports that let web writes through: a file written in bounded batches, still all or nothing.

A file's rows are all validated first (``exchange.read_csv``), then written ``BATCH_ROWS`` per
transaction: a quote request, a member's edit or a job waits for one batch at most, never for
the whole file (SQLite has one write lock per file; PostgreSQL's provider writers share an
advisory lock). The file's promise, all its good rows written or none, is kept by an undo
journal written in the same transaction as each batch: an ``ImportRun`` row, and an
``ImportUndo`` row for each provider the batch touched, holding its record as it was before
the import (nothing, for a provider the import created).

- A batch fails (a row the database refuses, a lost connection): that batch rolls back, and
  the batches already committed are undone from the journal, in bounded transactions too.
  Created providers are removed, updated ones get their former record back, each with its
  outbox event, so the search index follows.
- The process dies mid-way: its run stays ``running`` with its journal, and its heartbeat (each
  batch refreshes it) ages. Once its lease ran out, a recurring job (``UNDO_DEAD_TASK``, every
  minute on a worker) undoes it, and so does the next import before it writes: until then,
  pages show the part it wrote. A process that was only frozen past its lease finds its run
  undone at its next batch and fails instead of writing on.
- Someone changed a provider after the import wrote it (a member, staff, another import):
  undoing leaves their change alone (and says so); it is newer than what is taken back.

Plugins hear of the import's providers (``provider_saved``) only once every batch is written,
so an undone import told them nothing. Meanwhile pages show the part written so far: the
promise is about what stays, not about what a reader sees while the file is being written.
Two imports at once queue batch by batch, each batch reading what the other already wrote.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

import msgspec

from directory import events, history, providers
from directory.database import PROVIDERS_QUEUE, let_writers_in, write_transaction
from directory.history import Actor
from directory.platform import clock
from directory.records import ProviderRecord
from directory.tables import ImportRun, ImportUndo, Provider, ProviderService

BATCH_ROWS = 200  # rows per transaction: about a tenth of a second of write lock on SQLite
UNDO_DEAD_TASK = "undo_dead_imports"
RUNNING, DONE, UNDONE = "running", "done", "undone"
UNDOING = Actor("annulation d'import", history.IMPORT)
logger = logging.getLogger(__name__)


class Undone(msgspec.Struct):
    """What undoing a run did: providers removed, providers given back their record, and those
    left as someone changed them after the import (or removed since)."""

    run: int
    removed: list[str]
    restored: list[str]
    left: list[str]


def lease_for(lock_timeout_s: float) -> timedelta:
    """How long a run's heartbeat may age before it is taken for dead: a live import refreshes it
    after every batch, and a batch waits at most the lock timeout for its turn."""
    return timedelta(seconds=max(60.0, 6 * lock_timeout_s))


async def import_records(records: list[ProviderRecord], actor: Actor, lease: timedelta,
                         batch_rows: int = BATCH_ROWS,
                         on_batch: Callable[[int], Awaitable[None]] | None = None) -> providers.Saved:
    """Write ``records`` in batches of ``batch_rows``, all of them or, if one batch fails, none.

    ``on_batch(written)`` is awaited after each committed batch but the last, with the number
    of records written so far (a progress report; nothing is locked meanwhile). Imports that
    died (see ``dead_runs``) are undone first.
    """
    run = await start_run(actor, lease)
    saved = providers.Saved([], [], {})
    try:
        for start in range(0, len(records), batch_rows):
            part = await write_batch(run, records[start:start + batch_rows], actor)
            saved.created += part.created
            saved.updated += part.updated
            saved.refused |= {start + position: reason for position, reason in part.refused.items()}
            if start + batch_rows < len(records):
                await let_writers_in(Provider._meta.db)
                if on_batch is not None:
                    await on_batch(start + batch_rows)
    except BaseException:
        try:
            await undo(run)
        except Exception:  # noqa: BLE001 - the batch's own error is the one to report
            logger.warning("import run %s could not be undone now; the next import undoes it", run, exc_info=True)
        raise
    await _finish(run)
    return saved


class RunUndone(RuntimeError):
    """A run's batch found it undone: its process was taken for dead (frozen past its lease)."""


async def start_run(actor: Actor, lease: timedelta) -> int:
    """Undo the runs that died, then open a run."""
    await undo_dead(lease)
    now = clock.now()
    [row] = await ImportRun.insert(ImportRun(actor=actor.label, state=RUNNING, started_at=now,
                                             heartbeat_at=now)).returning(ImportRun.id)
    return row["id"]


async def dead_runs(lease: timedelta) -> list[int]:
    """The runs left ``running`` whose heartbeat is older than ``lease``: their process died."""
    rows = await ImportRun.select(ImportRun.id).where(
        (ImportRun.state == RUNNING) & (ImportRun.heartbeat_at <= clock.now() - lease)).order_by(ImportRun.id)
    return [row["id"] for row in rows]


async def undo_dead(lease: timedelta) -> list[Undone]:
    """Undo every run that died (see ``dead_runs``), oldest first."""
    done = []
    for run in await dead_runs(lease):
        done.append(undone := await undo(run))
        logger.warning("import run %s died mid-way and was undone: %s removed, %s restored, %s left as changed since",
                       run, len(undone.removed), len(undone.restored), len(undone.left))
    return done


async def write_batch(run: int, records: list[ProviderRecord], actor: Actor) -> providers.Saved:
    """One batch of a run in one transaction, with the journal of what it replaced."""
    async with write_transaction(Provider._meta.db, [PROVIDERS_QUEUE]):
        alive = await ImportRun.update({ImportRun.heartbeat_at: clock.now()}).where(
            (ImportRun.id == run) & (ImportRun.state == RUNNING)).returning(ImportRun.id)
        if not alive:
            raise RunUndone(f"import run {run} was taken for dead and undone: nothing more is written")
        before = await providers.replaced_records(records)
        saved = await providers.write_records(records, actor)
        touched = saved.created + saved.updated
        written = {row["slug"]: row["updated_at"] for row in await Provider.select(
            Provider.slug, Provider.updated_at).where(Provider.slug.is_in(touched or [""]))}
        journaled = {row["slug"] for row in await ImportUndo.select(ImportUndo.slug).where(
            (ImportUndo.run == run) & ImportUndo.slug.is_in(touched or [""]))}
        for slug in journaled:  # written twice by this run: the first record before it is the one to keep
            await ImportUndo.update({ImportUndo.written_at: written[slug]}).where(
                (ImportUndo.run == run) & (ImportUndo.slug == slug))
        entries = [ImportUndo(run=run, slug=slug, written_at=written[slug],
                              record=msgspec.json.encode(before[slug]).decode() if slug in before else "")
                   for slug in touched if slug not in journaled]
        if entries:
            await ImportUndo.insert(*entries)
    return saved


async def undo(run: int, batch_rows: int = BATCH_ROWS) -> Undone:
    """Take back what ``run`` wrote, newest first, ``batch_rows`` providers per transaction."""
    undone, more = Undone(run, [], [], []), True
    while more:
        # Read inside the transaction: two imports finding one dead run never undo an entry twice.
        async with write_transaction(Provider._meta.db, [PROVIDERS_QUEUE]):
            entries = await ImportUndo.select().where(ImportUndo.run == run).order_by(
                ImportUndo.id, ascending=False).limit(batch_rows)
            more = bool(entries)
            if more:
                await _undo_entries(entries, undone)
                await ImportUndo.delete().where(ImportUndo.id.is_in([entry["id"] for entry in entries]))
        if more:
            await let_writers_in(Provider._meta.db)
    await ImportRun.update({ImportRun.state: UNDONE}).where(ImportRun.id == run)
    return undone


async def _undo_entries(entries: list[dict], undone: Undone) -> None:
    current = {row["slug"]: row["updated_at"] for row in await Provider.select(
        Provider.slug, Provider.updated_at).where(Provider.slug.is_in([entry["slug"] for entry in entries]))}
    unchanged = [entry for entry in entries if current.get(entry["slug"]) == entry["written_at"]]
    undone.left += [entry["slug"] for entry in entries if entry not in unchanged]
    removed = [entry["slug"] for entry in unchanged if not entry["record"]]
    restored = [msgspec.json.decode(entry["record"], type=ProviderRecord)
                for entry in unchanged if entry["record"]]
    if removed:
        ids = [row["id"] for row in await Provider.select(Provider.id).where(Provider.slug.is_in(removed))]
        await ProviderService.delete().where(ProviderService.provider.is_in(ids))
        await Provider.delete().where(Provider.id.is_in(ids))
        await events.record(events.PROVIDER_DELETED, removed, actor=UNDOING.label)
    if restored:
        await providers.write_records(restored, UNDOING)
    undone.removed += removed
    undone.restored += [record.slug for record in restored]


async def _finish(run: int) -> None:
    async with write_transaction(ImportRun._meta.db):
        await ImportUndo.delete().where(ImportUndo.run == run)
        await ImportRun.update({ImportRun.state: DONE, ImportRun.heartbeat_at: clock.now()}).where(
            ImportRun.id == run)
