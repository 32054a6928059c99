"""Durable background jobs in the database, on SQLite and PostgreSQL alike.

Why not a library: procrastinate runs on PostgreSQL only; huey, SAQ and arq keep their queue
in Redis (or, for huey, in a SQLite file of its own), so a job could not be written in the
same transaction as the data it concerns, and the embedded default would need a server. The
design is Rails' Solid Queue, kept small:

- ``enqueue`` inserts a ``Job`` row in the caller's transaction: rolled back, the job never was.
- A worker claims ready jobs in one statement that marks them ``running`` with a 30 s lease,
  renewed every 10 s while they run: ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so two workers
  never take the same row; on SQLite the statement runs in a ``BEGIN IMMEDIATE`` transaction,
  which one writer holds at a time. A worker that dies leaves its jobs to be claimed again once
  their lease runs out; a worker that only lost its connection takes its own back at its next
  poll (see ``claim``).
- A worker runs its jobs in lanes (``directory.platform.lanes``), each with its own loop: mail
  waiting on a hung server never delays a lead's deadline.
- A job that raises is retried after 10 s, 20 s, 40 s... (at most an hour between tries) up to
  its task's ``max_attempts``, then kept as ``failed`` with its error for ``channel-expert jobs``.
- A finished job is deleted. Jobs run at least once: a task must be safe to run twice.
- Recurring tasks: each period has a start (``every`` minutes since the epoch, or a daily time
  in Paris); the worker that moves ``RecurringTask.slot`` to a new period enqueues that
  period's job, in the same transaction, so workers and restarts never double a period.
"""

from __future__ import annotations

import asyncio
import contextlib
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

from directory.database import GroupCommit, row_lock_transaction
from directory.engines import pooled
from directory.platform import clock
from directory.platform.lanes import Lane
from directory.tables import Job, RecurringTask

logger = logging.getLogger("directory.jobs")
PARIS = ZoneInfo("Europe/Paris")
FIRST_RETRY = timedelta(seconds=10)
LONGEST_RETRY = timedelta(hours=1)
LEASE = timedelta(seconds=30)  # renewed while the job runs (``Worker.renew_s``): ends when the worker does
RENEW_S = 10.0
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


async def claim(tasks: Tasks, worker: str, limit: int = 10,
                names: Iterable[str] | None = None) -> list[Claimed]:
    """Take up to ``limit`` jobs of ``names`` (every task by default) for ``worker``.

    Due jobs, jobs whose worker's lease ran out, and the jobs still marked as ``worker``'s own:
    a worker claims only when it holds none of these tasks' jobs, so any it finds were left
    behind by a claim whose answer, or a run whose end, never reached the database (a lost
    connection). They are taken back at once instead of when their lease runs out.
    """
    now = clock.now()
    names = sorted(tasks.names() if names is None else names)
    if not names:
        return []
    due = (f"SELECT id FROM job WHERE task IN ({_placeholders(len(names))}) "
           f"AND ((state = {{}} AND run_at <= {{}}) "
           f"OR (state = {{}} AND (lease_until < {{}} OR claimed_by = {{}})))")
    due_values = (*names, READY, now, RUNNING, now, worker)
    # A plain read first: an idle queue costs no write lock (SQLite has one for the whole
    # database, which imports and sign-ins need too).
    if not await Job.raw(f"{due} LIMIT 1", *due_values):
        return []
    skip_locked = "FOR UPDATE SKIP LOCKED" if Job._meta.db.engine_type == "postgres" else ""
    sql = (f"UPDATE job SET state = {{}}, claimed_by = {{}}, lease_until = {{}}, attempts = attempts + 1 "
           f"WHERE id IN ({due} ORDER BY run_at, id LIMIT {{}} {skip_locked}) RETURNING id, task, payload, attempts")
    async with row_lock_transaction(Job._meta.db):
        rows = await Job.raw(sql, RUNNING, worker, now + LEASE, *due_values, limit)
    rows.sort(key=lambda row: row["id"])
    return [Claimed(row["id"], row["task"], msgspec.json.decode(row["payload"]), row["attempts"]) for row in rows]


async def _finish(ids: list[int], worker: str) -> None:
    await Job.delete().where(Job.id.is_in(ids) & (Job.claimed_by == worker))


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


async def _all(runs: Iterable[Awaitable[Any]]) -> list[Any]:
    """Await every one of ``runs``, then raise the first failure: one lost update stops no other job."""
    outcomes = await asyncio.gather(*runs, return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome
    return outcomes


class Worker:
    """Runs due jobs, each lane apart; as many workers as wanted may share a database.

    ``lanes`` take their tasks out of the default lane, which runs the others ``batch`` at a
    time, one after the other. A lane's loop claims only once its previous jobs have ended.
    """

    def __init__(self, tasks: Tasks, *, batch: int = 10, poll_s: float = 1.0, renew_s: float = RENEW_S,
                 lanes: Iterable[Lane] = ()) -> None:
        self.tasks = tasks
        self.poll_s = poll_s
        self.renew_s = renew_s
        self.lanes = [*lanes, Lane("default", batch=batch)]
        self.name = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._periods: dict[str, datetime] = {}  # the recurring tasks' periods already settled
        self._finished = GroupCommit(lambda ids: _finish(ids, self.name))  # jobs of every lane

    def names(self, lane: Lane) -> list[str]:
        """The tasks ``lane`` claims."""
        if lane.tasks is not None:
            return [name for name in self.tasks.names() if name in lane.tasks]
        apart = {name for other in self.lanes if other.tasks for name in other.tasks}
        return [name for name in self.tasks.names() if name not in apart]

    def connected(self) -> contextlib.AbstractAsyncContextManager[object]:
        """A pool of database connections for the worker's lanes, open for the block (PostgreSQL)."""
        return pooled(Job._meta.db, sum(lane.concurrency for lane in self.lanes) + 1)

    async def run_once(self) -> int:
        """Schedule recurring tasks, then claim and run one batch per lane; returns how many jobs ran."""
        await schedule_recurring(self.tasks, self._periods)
        return sum(await _all(self._run_lane(lane) for lane in self.lanes))

    async def _run_lane(self, lane: Lane) -> int:
        """Claim what ``lane`` admits and run it, ``lane.concurrency`` jobs at once."""
        wanted = lane.admits()
        claimed = await claim(self.tasks, self.name, wanted, self.names(lane)) if wanted else []
        lane.claimed(len(claimed))
        if not claimed:
            return 0
        slots = asyncio.Semaphore(lane.concurrency)

        async def run(job: Claimed) -> None:
            async with slots:
                outcome: BaseException | None = None
                try:
                    outcome = await self.run(job)
                except BaseException as lost:  # its end was not written: a breaker's probe must still end
                    outcome = lost
                    raise
                finally:
                    lane.record(outcome)
        renewing = asyncio.create_task(self._renew([job.id for job in claimed]))
        try:
            await _all(run(job) for job in claimed)
        finally:
            renewing.cancel()
        return len(claimed)

    async def _renew(self, ids: list[int]) -> None:
        """Extend the leases of the jobs in hand every ``renew_s`` until they end (cancelled then)."""
        while True:
            await asyncio.sleep(self.renew_s)
            try:
                await Job.update({Job.lease_until: clock.now() + LEASE}).where(
                    Job.id.is_in(ids) & (Job.claimed_by == self.name) & (Job.state == RUNNING))
            except Exception:  # noqa: BLE001 - the database may be away: the next renewal may pass
                logger.warning("job worker %s could not renew its leases", self.name, exc_info=True)

    async def run(self, job: Claimed) -> BaseException | None:
        """Run one claimed job, then delete it or schedule its retry; returns its failure, if any."""
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
            return error
        await self._finished.add(job.id)
        return None

    async def run_until(self, stop: asyncio.Event) -> None:
        """Work until ``stop`` is set, each lane in a loop of its own."""
        await asyncio.gather(*(self._loop(lane, stop) for lane in self.lanes))

    async def _loop(self, lane: Lane, stop: asyncio.Event) -> None:
        """Poll for ``lane``'s jobs, waiting when there are none; a failing poll is retried."""
        while not stop.is_set():
            try:
                if lane is self.lanes[-1]:  # the default lane settles the recurring periods
                    await schedule_recurring(self.tasks, self._periods)
                busy = await self._run_lane(lane)
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the database may be away for a moment; keep going
                logger.exception("job worker %s could not poll the %s lane", self.name, lane.name)
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
