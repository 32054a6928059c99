"""Durable background jobs in the database, on SQLite and PostgreSQL alike.

Why not a library: procrastinate runs on PostgreSQL only; huey, SAQ and arq keep their queue
in Redis (or, for huey, in a SQLite file of its own), so a job could not be written in the
same transaction as the data it concerns, and the embedded default would need a server. The
design is Rails' Solid Queue, kept small:

- ``enqueue`` inserts a ``Job`` row in the caller's transaction: rolled back, the job never was.
- A worker claims ready jobs in one statement that marks them ``running`` with a lease:
  ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers never take the same row; on
  SQLite the statement runs in a ``BEGIN IMMEDIATE`` transaction, which one writer holds at a
  time. A worker that dies leaves its jobs to be claimed again once their lease runs out.
- A job that raises is retried after 10 s, 20 s, 40 s... (at most an hour between tries) up to
  its task's ``max_attempts``, then kept as ``failed`` with its error for ``channel-expert jobs``.
- A finished job is deleted. Jobs run at least once: a task must be safe to run twice.
- Recurring tasks: each period has a start (``every`` minutes since the epoch, or a daily time
  in Paris); the worker that moves ``RecurringTask.slot`` to a new period enqueues that
  period's job, in the same transaction, so workers and restarts never double a period.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import socket
import traceback
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from directory.database import row_lock_transaction
from directory.platform import clock
from directory.tables import Job, RecurringTask

logger = logging.getLogger("directory.jobs")
PARIS = ZoneInfo("Europe/Paris")
FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(hours=1)
LEASE_MARGIN = timedelta(seconds=30)
READY, RUNNING, FAILED = "ready", "running", "failed"


class TaskError(ValueError):
    """A task declared twice, or declared with contradictory options."""


@dataclass(frozen=True)
class Task:
    """A kind of job: what runs it, how often it may fail, and (for recurring ones) when."""

    name: str
    run: Callable[[dict[str, Any]], Awaitable[None]]
    max_attempts: int = 8
    timeout_s: float = 60.0
    every: timedelta | None = None
    daily_at: time | None = None

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.timeout_s) + LEASE_MARGIN

    def slot(self, now: datetime) -> datetime | None:
        """The start of the period ``now`` falls in, for a recurring task (else None)."""
        if self.every:
            step = self.every.total_seconds()
            return datetime.fromtimestamp(math.floor(now.timestamp() / step) * step, UTC)
        if self.daily_at:
            local = now.astimezone(PARIS)
            start = datetime.combine(local.date(), self.daily_at, PARIS)
            if start > local:
                start = datetime.combine(local.date() - timedelta(days=1), self.daily_at, PARIS)
            return start.astimezone(UTC)
        return None


class Tasks:
    """The tasks this process knows, from the core and the plugins' ``register_jobs`` hooks."""

    def __init__(self) -> None:
        self._tasks: dict[str, Task] = {}

    def register(self, name: str, run: Callable[[dict[str, Any]], Awaitable[None]], *, max_attempts: int = 8,
                 timeout_s: float = 60.0, every: timedelta | None = None, daily_at: time | None = None) -> None:
        """Declare a task; ``every`` or ``daily_at`` (Paris time) make it recurring."""
        if name in self._tasks:
            raise TaskError(f"the job task {name!r} is declared twice")
        if every and daily_at:
            raise TaskError(f"the job task {name!r} cannot be both 'every' and 'daily_at'")
        if every is not None and every < timedelta(minutes=1):
            raise TaskError(f"the job task {name!r} cannot recur more often than every minute")
        self._tasks[name] = Task(name, run, max_attempts, timeout_s, every, daily_at)

    def get(self, name: str) -> Task | None:
        return self._tasks.get(name)

    def names(self) -> list[str]:
        return sorted(self._tasks)

    def recurring(self) -> list[Task]:
        return [task for task in self._tasks.values() if task.every or task.daily_at]


async def enqueue(task: str, payload: dict[str, Any] | None = None, *, at: datetime | None = None,
                  key: str | None = None) -> bool:
    """Add a job, inside the caller's transaction when there is one.

    ``at`` delays it (a deadline, a reminder); ``key`` keeps at most one waiting job with
    that key (the later enqueue is dropped). Returns whether a job was added.
    """
    job = Job(task=task, payload=msgspec.json.encode(payload or {}).decode(), key=key,
              run_at=at or clock.now(), created_at=clock.now())
    query = Job.insert(job)
    if key is not None:
        query = query.on_conflict(target=Job.key, action="DO NOTHING")
    return bool(await query.returning(Job.id))


def retry_delay(attempts: int) -> timedelta:
    """The wait before the next try of a job that failed ``attempts`` times."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


@dataclass(frozen=True)
class Claimed:
    id: int
    task: str
    payload: dict[str, Any]
    attempts: int


def _placeholders(count: int) -> str:
    return ", ".join(["{}"] * count)


async def claim(tasks: Tasks, worker: str, limit: int = 10) -> list[Claimed]:
    """Take up to ``limit`` jobs that are due (or whose worker's lease ran out) for ``worker``."""
    now = clock.now()
    names = tasks.names()
    if not names:
        return []
    lease = max(tasks.get(name).lease for name in names)
    due = (f"SELECT id FROM job WHERE task IN ({_placeholders(len(names))}) "
           f"AND ((state = {{}} AND run_at <= {{}}) OR (state = {{}} AND lease_until < {{}}))")
    due_values = (*names, READY, now, RUNNING, now)
    # A plain read first: an idle queue costs no write lock (SQLite has one for the whole
    # database, which imports and sign-ins need too).
    if not await Job.raw(f"{due} LIMIT 1", *due_values):
        return []
    skip_locked = "FOR UPDATE SKIP LOCKED" if Job._meta.db.engine_type == "postgres" else ""
    sql = (f"UPDATE job SET state = {{}}, claimed_by = {{}}, lease_until = {{}}, attempts = attempts + 1 "
           f"WHERE id IN ({due} ORDER BY run_at, id LIMIT {{}} {skip_locked}) RETURNING id, task, payload, attempts")
    async with row_lock_transaction(Job._meta.db):
        rows = await Job.raw(sql, RUNNING, worker, now + lease, *due_values, limit)
    rows.sort(key=lambda row: row["id"])
    return [Claimed(row["id"], row["task"], msgspec.json.decode(row["payload"]), row["attempts"]) for row in rows]


async def _finish(job: Claimed, worker: str) -> None:
    await Job.delete().where((Job.id == job.id) & (Job.claimed_by == worker))


async def _fail(job: Claimed, worker: str, task: Task | None, error: str) -> None:
    max_attempts = task.max_attempts if task else job.attempts
    gave_up = job.attempts >= max_attempts
    values = {Job.state: FAILED if gave_up else READY, Job.last_error: error, Job.lease_until: None,
              Job.claimed_by: ""}
    if not gave_up:
        values[Job.run_at] = clock.now() + retry_delay(job.attempts)
    await Job.update(values).where((Job.id == job.id) & (Job.claimed_by == worker))
    level = logging.ERROR if gave_up else logging.WARNING
    logger.log(level, "job %s #%d failed (attempt %d of %d)%s: %s", job.task, job.id, job.attempts, max_attempts,
               ", given up" if gave_up else "", error.strip().splitlines()[-1] if error.strip() else "")


async def schedule_recurring(tasks: Tasks, seen: dict[str, datetime]) -> list[str]:
    """Enqueue each recurring task's job for the current period, once across every worker.

    ``seen`` is the period this worker last settled per task: within a period there is
    nothing to do, and no write lock is taken.
    """
    now = clock.now()
    enqueued = []
    for task in tasks.recurring():
        slot = task.slot(now)
        if seen.get(task.name) == slot:
            continue
        async with row_lock_transaction(Job._meta.db):
            moved = await RecurringTask.update({RecurringTask.slot: slot}).where(
                (RecurringTask.task == task.name) & (RecurringTask.slot < slot)
            ).returning(RecurringTask.id)
            if not moved:
                moved = await RecurringTask.insert(RecurringTask(task=task.name, slot=slot)).on_conflict(
                    target=RecurringTask.task, action="DO NOTHING").returning(RecurringTask.id)
            if moved:
                await enqueue(task.name, {"period": slot.isoformat()}, at=slot)
                enqueued.append(task.name)
        seen[task.name] = slot  # settled, by this worker or another
    return enqueued


class Worker:
    """Runs due jobs one at a time; as many workers as wanted may share a database."""

    def __init__(self, tasks: Tasks, *, batch: int = 10, poll_s: float = 1.0) -> None:
        self.tasks = tasks
        self.batch = batch
        self.poll_s = poll_s
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._periods: dict[str, datetime] = {}  # the recurring tasks' periods already settled

    async def run_once(self) -> int:
        """Schedule recurring tasks, then claim and run one batch; returns how many jobs ran."""
        await schedule_recurring(self.tasks, self._periods)
        claimed = await claim(self.tasks, self.name, self.batch)
        for job in claimed:
            await self.run(job)
        return len(claimed)

    async def run(self, job: Claimed) -> None:
        task = self.tasks.get(job.task)
        try:
            if task is None:
                raise TaskError(f"no task named {job.task!r} in this process")
            await asyncio.wait_for(task.run(job.payload), timeout=task.timeout_s)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - any failure of a task is recorded and retried
            detail = "timed out" if isinstance(error, asyncio.TimeoutError) else traceback.format_exc()
            await _fail(job, self.name, task, detail)
        else:
            await _finish(job, self.name)

    async def run_until(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, polling when the queue is empty; a failing poll is retried."""
        while not stop.is_set():
            try:
                busy = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database may be away for a moment; keep going
                logger.exception("job worker %s could not poll the queue", self.name)
                busy = 0
            if not busy:
                try:
                    await asyncio.wait_for(stop.wait(), timeout=self.poll_s)
                except TimeoutError:
                    pass


@dataclass(frozen=True)
class JobRow:
    """A job as ``channel-expert jobs`` lists it."""

    id: int
    task: str
    state: str
    run_at: datetime
    attempts: int
    last_error: str
    payload: str


async def listing(states: Iterable[str]) -> list[JobRow]:
    """The jobs in ``states``, oldest first."""
    rows = await Job.select(Job.id, Job.task, Job.state, Job.run_at, Job.attempts, Job.last_error, Job.payload).where(Job.state.is_in(list(states))).order_by(Job.id)
    return [JobRow(**row) for row in rows]


async def retry(ids: Iterable[int] | None = None) -> int:
    """Make failed jobs (these ``ids``, or all) ready to run now with fresh attempts; returns how many."""
    condition = Job.state == FAILED
    if ids is not None:
        condition &= Job.id.is_in(list(ids) or [-1])
    updated = await Job.update({Job.state: READY, Job.attempts: 0, Job.run_at: clock.now()}).where(
        condition).returning(Job.id)
    return len(updated)
