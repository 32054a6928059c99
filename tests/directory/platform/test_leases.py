"""Leases of claimed jobs: renewed while a job runs, taken back at once by a worker whose
connection dropped, run out 30 s after a worker died (not 90)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from directory.platform import jobs
from directory.platform.jobs import Tasks, Worker
from directory.tables import Job


class Deadline:
    """A task standing for the leads' deadlines: it must run on time."""

    def __init__(self) -> None:
        self.ran = asyncio.Event()

    async def __call__(self, payload: dict) -> None:
        self.ran.set()


def deadline_worker(**options) -> tuple[Worker, Deadline]:
    deadline = Deadline()
    tasks = Tasks()
    tasks.register("leads.deadline", deadline)
    return Worker(tasks, **options), deadline


async def test_jobs_whose_claim_was_lost_are_taken_back_at_once_not_after_their_lease(queue, manual_clock):
    worker, deadline = deadline_worker()
    await jobs.enqueue("leads.deadline", {"lead": 3})
    # The claim was written, but its answer never reached the worker (the connection dropped).
    await jobs.claim(worker.tasks, worker.name)
    assert await Worker(worker.tasks).run_once() == 0  # another worker respects the lease...
    assert await worker.run_once() == 1  # ...the worker that lost the answer takes its job back now
    assert deadline.ran.is_set() and await jobs.listing([jobs.READY, jobs.RUNNING]) == []


async def test_a_worker_whose_connection_dropped_during_a_claim_runs_the_job_a_moment_later(
        queue, manual_clock, monkeypatch):
    worker, deadline = deadline_worker(poll_s=0.02)
    claim, dropped = jobs.claim, []

    async def dropping(*args, **options) -> list[jobs.Claimed]:
        taken = await claim(*args, **options)
        if taken and not dropped:
            dropped.append(taken)
            raise ConnectionResetError("connection lost before the answer")  # the claim was committed
        return taken

    monkeypatch.setattr(jobs, "claim", dropping)
    await jobs.enqueue("leads.deadline", {"lead": 4})
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_until(stop))
    try:
        # The clock stands still, the lease never runs out: the worker takes its job back itself.
        await asyncio.wait_for(deadline.ran.wait(), timeout=2)
    finally:
        stop.set()
        await running
    assert dropped and await jobs.listing([jobs.READY, jobs.RUNNING]) == []


async def test_a_job_whose_end_was_lost_runs_again_at_once(queue, manual_clock, monkeypatch):
    worker, deadline = deadline_worker()
    finish = jobs._finish

    async def connection_lost(ids: list[int], name: str) -> None:
        raise ConnectionResetError("the database went away")

    monkeypatch.setattr(jobs, "_finish", connection_lost)
    await jobs.enqueue("leads.deadline", {"lead": 5})
    with pytest.raises(ConnectionResetError):
        await worker.run_once()
    [left] = await jobs.listing([jobs.RUNNING])  # still leased to the worker
    assert left.attempts == 1 and deadline.ran.is_set()
    deadline.ran.clear()
    monkeypatch.setattr(jobs, "_finish", finish)  # the database is back a moment later
    assert await worker.run_once() == 1  # no wait for the lease: jobs run at least once
    assert deadline.ran.is_set() and await jobs.listing([jobs.READY, jobs.RUNNING]) == []


async def lease_ends() -> object:
    [row] = await Job.select(Job.lease_until).output(as_list=True)
    return row


async def test_a_long_job_keeps_its_lease_and_a_dead_worker_s_job_is_taken_over_after_30_seconds(
        queue, manual_clock):
    started, release = asyncio.Event(), asyncio.Event()

    async def long(payload: dict) -> None:
        started.set()
        await release.wait()

    tasks = Tasks()
    tasks.register("long", long, timeout_s=600)
    worker, other = Worker(tasks, renew_s=0.01), Worker(tasks)
    await jobs.enqueue("long", {})
    running = asyncio.create_task(worker.run_once())
    await asyncio.wait_for(started.wait(), timeout=2)
    for _ in range(4):  # two minutes of the job's run, in steps shorter than its lease
        manual_clock.advance(seconds=29)
        async with asyncio.timeout(2):
            while await lease_ends() != manual_clock.now() + jobs.LEASE:
                await asyncio.sleep(0.01)  # the next renewal, 10 ms away
        assert await other.run_once() == 0
    release.set()
    assert await running == 1 and await Job.count() == 0

    await jobs.enqueue("long", {})
    await jobs.claim(tasks, "worker-that-dies")
    manual_clock.advance(jobs.LEASE - timedelta(seconds=1))
    assert await other.run_once() == 0
    manual_clock.advance(seconds=2)
    started.clear()
    assert await other.run_once() == 1 and started.is_set()
