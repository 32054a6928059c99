"""Mail in a lane of its own: a hung SMTP server delays no deadline, a breaker rests the lane, and
a lost database connection does not send a message twice."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest

from directory.platform import current, jobs, mail
from directory.platform.jobs import Tasks, Worker
from directory.platform.lanes import CLOSED, OPEN, Breaker
from directory.settings import Settings, SettingsError
from directory.tables import MailMessage
from tests.directory.platform.conftest import with_mail

MAILS = 12


class HungServer:
    """An SMTP server that accepts connections and never says a word."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self, port: int) -> None:
        async def hang(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.writers.append(writer)
            await reader.read()  # until the client gives up

        self.server = await asyncio.start_server(hang, "127.0.0.1", port)

    async def stop(self) -> None:
        self.server.close()
        for writer in self.writers:
            writer.close()
        await self.server.wait_closed()


@pytest.fixture
async def hung(smtp):
    """The ``smtp`` fixture's port, held by a server that hangs until the test gives it back."""
    smtp.stop()
    server = HungServer()
    await server.start(smtp.port)
    yield server
    if server.server.is_serving():
        await server.stop()


class Deadline:
    """A task standing for the leads' deadlines: it must run on time whatever mail does."""

    def __init__(self) -> None:
        self.ran = asyncio.Event()

    async def __call__(self, payload: dict) -> None:
        self.ran.set()


def lane_worker(settings, smtp, templates, timeout_s: float) -> tuple[Worker, Deadline]:
    configured = replace(settings, mail_transport="smtp", smtp_host="127.0.0.1", smtp_port=smtp.port,
                         smtp_tls="none", smtp_timeout_s=timeout_s, mail_concurrency=4)
    current.enter(with_mail(configured, templates))  # for the rest of the test that calls this
    tasks = Tasks()
    tasks.register(mail.DELIVER_TASK, mail.deliver, max_attempts=12)
    deadline = Deadline()
    tasks.register("leads.deadline", deadline)
    return Worker(tasks, lanes=[mail.lane(configured)], poll_s=0.02), deadline


async def send_all(count: int = MAILS) -> None:
    async with MailMessage._meta.db.transaction():
        for n in range(count):
            await mail.send(f"tpe{n}@example.fr", "courrier/bienvenue", {"name": f"TPE {n}"})


async def attempts() -> list[int]:
    return sorted(job.attempts for job in await jobs.listing([jobs.READY, jobs.RUNNING])
                  if job.task == mail.DELIVER_TASK)


async def in_hand(count: int) -> bool:
    return len(await jobs.listing([jobs.RUNNING])) == count


async def until(condition, timeout_s: float = 10.0) -> None:
    """Wait for ``await condition()`` (which the worker or the SMTP timeouts make true), every 20 ms."""
    async with asyncio.timeout(timeout_s):
        while not await condition():
            await asyncio.sleep(0.02)


async def test_deadlines_run_on_time_while_mail_waits_on_a_hung_server(settings, smtp, hung, templates, queue,
                                                                      manual_clock):
    worker, deadline = lane_worker(settings, smtp, templates, timeout_s=1.0)
    await send_all()
    stop = asyncio.Event()
    running = asyncio.create_task(worker.run_until(stop))
    try:
        await until(lambda: in_hand(4))  # four deliveries hang, the rest wait
        await jobs.enqueue("leads.deadline", {"lead": 1})
        await asyncio.wait_for(deadline.ran.wait(), timeout=0.5)  # well within the SMTP timeout
        assert await attempts() == [0] * (MAILS - 4) + [1] * 4
        breaker = worker.lanes[0].breaker

        async def is_open() -> bool:
            return breaker.state == OPEN
        await until(is_open)
        deadline.ran.clear()
        await jobs.enqueue("leads.deadline", {"lead": 2})
        await asyncio.wait_for(deadline.ran.wait(), timeout=0.5)
        # With the breaker open, the lane tries nothing: the waiting mail keeps its attempts.
        assert await attempts() == [0] * (MAILS - 4) + [1] * 4
        [job] = {job.last_error.strip().splitlines()[-1] for job in await jobs.listing([jobs.READY])
                 if job.attempts}
        assert "MailUnavailable" in job and "Timed out" in job
    finally:
        stop.set()
        await running
    assert await MailMessage.count().where(MailMessage.state == mail.SENT) == 0


async def test_the_breaker_backs_off_while_the_server_hangs_and_closes_once_it_answers(
        settings, smtp, hung, templates, queue, manual_clock):
    worker, _ = lane_worker(settings, smtp, templates, timeout_s=0.2)
    breaker = worker.lanes[0].breaker
    await send_all()
    assert await worker.run_once() == 4  # four deliveries time out together: the breaker opens
    assert breaker.state == OPEN and await attempts() == [0] * (MAILS - 4) + [1] * 4
    assert await worker.run_once() == 0  # open: nothing is tried, no socket waits
    manual_clock.advance(seconds=10)
    assert await worker.run_once() == 1  # one probe, which hangs too: open for twice as long
    assert breaker.state == OPEN and breaker.reopens_at == manual_clock.now() + breaker.first_pause * 2
    manual_clock.advance(seconds=10)
    assert await worker.run_once() == 0

    await hung.stop()
    smtp.start()
    manual_clock.advance(seconds=10)
    assert await worker.run_once() == 1  # the probe goes through: closed again
    assert breaker.state == CLOSED
    while await worker.run_once():
        manual_clock.advance(seconds=40)  # the retries of the deliveries that timed out
    received = [message["To"] for message in smtp.inbox.messages]
    assert sorted(received) == sorted(f"tpe{n}@example.fr" for n in range(MAILS))
    assert await MailMessage.count().where(MailMessage.state == mail.SENT) == MAILS


def test_the_breaker_counts_only_the_server_s_failures_in_a_row(manual_clock):
    breaker = Breaker((ConnectionError,), failures=3)
    for _ in range(2):
        breaker.record(ConnectionError())
    breaker.record(ValueError("a refused address says nothing of the server"))
    assert breaker.admits(5) == 5
    breaker.record(None)
    breaker.record(ConnectionError())
    breaker.record(ConnectionError())
    assert breaker.admits(5) == 5  # two in a row since the last success
    breaker.record(ConnectionError())
    assert breaker.admits(5) == 0
    manual_clock.advance(breaker.first_pause)
    assert breaker.admits(5) == 1 and breaker.admits(5) == 0  # one probe at a time
    breaker.unused()  # the probe found no job: the next claim probes
    assert breaker.admits(5) == 1
    breaker.record(ConnectionError())  # the probe failed: twice the pause
    assert breaker.pause == timedelta(seconds=20)
    for doubled in (40, 80, 160, 300, 300):  # up to five minutes
        manual_clock.advance(breaker.pause - timedelta(seconds=1))
        assert breaker.admits(5) == 0
        manual_clock.advance(seconds=1)
        assert breaker.admits(5) == 1
        breaker.record(ConnectionError())
        assert breaker.pause.total_seconds() == doubled
        assert breaker.reopens_at == manual_clock.now() + breaker.pause
    manual_clock.advance(breaker.pause)
    assert breaker.admits(5) == 1
    breaker.record(None)
    assert breaker.admits(5) == 5 and breaker.pause == breaker.first_pause


async def test_a_message_accepted_when_the_database_fails_is_recorded_not_sent_again(
        settings, smtp, templates, queue, manual_clock, monkeypatch):
    mark_sent = mail._mark_sent
    failures = []

    async def lost_then_back(ids: list[int]) -> None:
        if not failures:
            failures.append(ids)
            raise ConnectionResetError("the database went away")
        await mark_sent(ids)

    monkeypatch.setattr(mail, "_mark_sent", lost_then_back)
    worker, _ = lane_worker(settings, smtp, templates, timeout_s=2.0)
    await send_all(1)
    assert await worker.run_once() == 1  # accepted by the server, not recorded: the job fails
    [received] = smtp.inbox.messages
    [waiting] = await jobs.listing([jobs.READY])
    assert "went away" in waiting.last_error
    manual_clock.advance(seconds=10)
    assert await worker.run_once() == 1  # the retry records what the server accepted
    assert len(smtp.inbox.messages) == 1
    row = await MailMessage.select().first()
    assert row["state"] == mail.SENT and row["message_id"] == received["Message-ID"]


async def test_a_connection_closed_by_a_restarted_server_is_not_reused(settings, smtp, templates, queue,
                                                                       manual_clock):
    worker, _ = lane_worker(settings, smtp, templates, timeout_s=2.0)
    await send_all(1)
    assert await worker.run_once() == 1  # its connection is kept for the next message
    smtp.stop()
    smtp.start()
    await send_all(1)
    assert await worker.run_once() == 1
    assert len(smtp.inbox.messages) == 2 and await jobs.listing([jobs.READY]) == []


def test_the_mail_lane_s_concurrency_is_a_positive_whole_number():
    assert Settings.from_env({"CHANNEL_EXPERT_MAIL_CONCURRENCY": "5"}).mail_concurrency == 5
    for wrong in ("0", "-2", "1.5", "beaucoup", "1001"):
        with pytest.raises(SettingsError, match="MAIL_CONCURRENCY"):
            Settings.from_env({"CHANNEL_EXPERT_MAIL_CONCURRENCY": wrong})
