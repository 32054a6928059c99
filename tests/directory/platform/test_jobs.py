"""The durable job queue, on SQLite and PostgreSQL: transactions, retries, schedules, races, crashes."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta

import pytest

from directory.platform import jobs
from directory.platform.jobs import Tasks, Worker
from directory.tables import Job


class Recorder:
    """A task that remembers what it ran, and fails its first ``failures`` runs."""

    def __init__(self, failures: int = 0) -> None:
        self.runs: list[dict] = []
        self.failures = failures

    async def __call__(self, payload: dict) -> None:
        self.runs.append(payload)
        if len(self.runs) <= self.failures:
            raise RuntimeError(f"failure number {len(self.runs)}")


def tasks_with(**recorders) -> Tasks:
    tasks = Tasks()
    for name, recorder in recorders.items():
        tasks.register(name, recorder, max_attempts=3)
    return tasks


async def test_a_job_enqueued_in_a_rolled_back_transaction_never_runs(queue, manual_clock):
    recorder = Recorder()
    worker = Worker(tasks_with(note=recorder))
    with pytest.raises(RuntimeError):
        async with queue.transaction():
            await jobs.enqueue("note", {"n": 1})
            raise RuntimeError("the change fails")
    async with queue.transaction():
        await jobs.enqueue("note", {"n": 2})
    assert await worker.run_once() == 1
    assert recorder.runs == [{"n": 2}]
    assert await Job.count() == 0  # finished jobs are deleted


async def test_a_failing_job_is_retried_with_exponential_backoff_then_kept_as_failed(queue, manual_clock):
    recorder = Recorder(failures=5)
    worker = Worker(tasks_with(flaky=recorder))
    await jobs.enqueue("flaky", {"lead": 7})
    assert await worker.run_once() == 1  # first try fails
    manual_clock.advance(seconds=9)
    assert await worker.run_once() == 0  # not before 10 s
    manual_clock.advance(seconds=1)
    assert await worker.run_once() == 1  # second try fails: next in 20 s
    manual_clock.advance(seconds=19)
    assert await worker.run_once() == 0
    manual_clock.advance(seconds=1)
    assert await worker.run_once() == 1  # third and last try
    manual_clock.advance(hours=2)
    assert await worker.run_once() == 0
    [failed] = await jobs.listing([jobs.FAILED])
    assert (failed.task, failed.attempts) == ("flaky", 3)
    assert "failure number 3" in failed.last_error

    assert await jobs.retry([failed.id]) == 1
    recorder.failures = 0
    assert await worker.run_once() == 1
    assert await Job.count() == 0 and len(recorder.runs) == 4


def test_the_backoff_doubles_up_to_an_hour():
    assert [jobs.retry_delay(n).total_seconds() for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert jobs.retry_delay(30) == timedelta(hours=1)


async def test_a_job_scheduled_for_later_waits_for_its_time_and_survives_a_restart(queue, manual_clock):
    recorder = Recorder()
    await jobs.enqueue("reminder", {"lead": 3}, at=manual_clock.now() + timedelta(days=2))
    assert await Worker(tasks_with(reminder=recorder)).run_once() == 0
    manual_clock.advance(days=2)
    # Another process, started later, finds the job in the database.
    assert await Worker(tasks_with(reminder=recorder)).run_once() == 1
    assert recorder.runs == [{"lead": 3}]


async def test_a_key_keeps_one_waiting_job(queue, manual_clock):
    assert await jobs.enqueue("digest", {}, key="digest:ada") is True
    assert await jobs.enqueue("digest", {}, key="digest:ada") is False
    assert await Job.count() == 1


async def test_two_workers_racing_never_run_a_job_twice(queue, manual_clock):
    runs: list[int] = []

    async def record(payload: dict) -> None:
        runs.append(payload["n"])
        await asyncio.sleep(0)  # let the other worker claim meanwhile

    tasks = Tasks()
    tasks.register("count", record)
    for start in range(0, 200, 50):
        async with queue.transaction():
            for n in range(start, start + 50):
                await jobs.enqueue("count", {"n": n})
    first, second = Worker(tasks, batch=7), Worker(tasks, batch=7)

    async def drain(worker: Worker) -> int:
        done = 0
        while ran := await worker.run_once():
            done += ran
        return done

    done = await asyncio.gather(drain(first), drain(second))
    assert sorted(runs) == list(range(200))
    assert sum(done) == 200 and min(done) > 0  # both took part


async def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(queue, manual_clock):
    recorder = Recorder()
    tasks = tasks_with(work=recorder)
    await jobs.enqueue("work", {"n": 1})
    [claimed] = await jobs.claim(tasks, "worker-that-dies")
    assert claimed.attempts == 1
    survivor = Worker(tasks)
    assert await survivor.run_once() == 0  # still leased to the dead worker
    manual_clock.advance(jobs.LEASE + timedelta(seconds=1))
    assert await survivor.run_once() == 1
    assert recorder.runs == [{"n": 1}] and await Job.count() == 0


async def test_a_job_that_runs_too_long_is_stopped_and_retried(queue, manual_clock):
    async def stuck(payload: dict) -> None:
        await asyncio.Event().wait()

    tasks = Tasks()
    tasks.register("stuck", stuck, timeout_s=0.05)
    await jobs.enqueue("stuck", {})
    assert await Worker(tasks).run_once() == 1
    [job] = await jobs.listing([jobs.READY])
    assert job.last_error == "timed out" and job.attempts == 1


async def test_a_recurring_task_runs_once_per_period_whatever_the_number_of_workers(queue, manual_clock):
    recorder = Recorder()
    tasks = Tasks()
    tasks.register("sweep", recorder, every=timedelta(minutes=5))
    workers = [Worker(tasks) for _ in range(3)]
    for _ in range(2):
        await asyncio.gather(*(worker.run_once() for worker in workers))
    assert len(recorder.runs) == 1
    manual_clock.advance(minutes=5)
    await asyncio.gather(*(worker.run_once() for worker in workers))
    await asyncio.gather(*(worker.run_once() for worker in workers))
    assert len(recorder.runs) == 2
    assert recorder.runs[1]["period"] > recorder.runs[0]["period"]


def test_a_daily_task_s_period_starts_at_its_paris_time():
    task = jobs.Task("digest", Recorder(), daily_at=time(8, 0))
    winter = datetime(2026, 1, 5, 6, 59, tzinfo=UTC)  # 07:59 in Paris
    assert task.slot(winter) == datetime(2026, 1, 4, 7, 0, tzinfo=UTC)
    assert task.slot(winter + timedelta(minutes=1)) == datetime(2026, 1, 5, 7, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 6, 0, tzinfo=UTC)  # 08:00 in Paris
    assert task.slot(summer) == summer


def test_tasks_are_declared_once_and_clearly():
    tasks = Tasks()
    tasks.register("a", Recorder())
    with pytest.raises(jobs.TaskError, match="twice"):
        tasks.register("a", Recorder())
    with pytest.raises(jobs.TaskError, match="every minute"):
        tasks.register("b", Recorder(), every=timedelta(seconds=5))
