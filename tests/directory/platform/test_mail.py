"""The mail outbox, sending through SMTP to a real server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from directory.platform import current, jobs, mail
from directory.platform.jobs import Tasks, Worker
from directory.tables import MailMessage
from tests.directory.platform.conftest import with_mail


@pytest.fixture
def mailer(settings, smtp, templates, queue, manual_clock):
    configured = replace(settings, mail_transport="smtp", smtp_host="127.0.0.1", smtp_port=smtp.port,
                         smtp_tls="none", smtp_timeout_s=2)
    with current.within(with_mail(configured, templates)):
        tasks = Tasks()
        tasks.register(mail.DELIVER_TASK, mail.deliver, max_attempts=12)
        yield Worker(tasks)


async def test_a_message_is_sent_only_when_its_transaction_commits(mailer, smtp, queue):
    with pytest.raises(RuntimeError):
        async with queue.transaction():
            await mail.send("ada@example.fr", "courrier/bienvenue", {"name": "Ada"})
            raise RuntimeError("the change fails")
    assert await MailMessage.count() == 0

    async with queue.transaction():
        message_id = await mail.send("ada@example.fr", "courrier/bienvenue", {"name": "Ada <& Co>"})
    assert smtp.inbox.messages == []  # nothing leaves before a worker runs
    assert await mailer.run_once() == 1
    [received] = smtp.inbox.messages
    assert received["To"] == "ada@example.fr"
    assert received["Subject"] == "Bienvenue, Ada <& Co>"
    assert "votre fiche est en ligne." in received.get_body(("plain",)).get_content()
    html = received.get_body(("html",)).get_content()
    assert "<p>Bonjour Ada &lt;&amp; Co&gt;,</p>" in html and "au service des TPE" in html  # the core's layout
    row = await MailMessage.select().where(MailMessage.id == message_id).first()
    assert row["state"] == mail.SENT and received["Message-ID"] == row["message_id"]


async def test_mail_waits_for_a_server_that_is_down_and_goes_once_it_is_back(mailer, smtp, manual_clock):
    smtp.stop()
    await mail.send("bob@example.fr", "courrier/bienvenue", {"name": "Bob"})
    assert await mailer.run_once() == 1  # refused: retried later
    [waiting] = await jobs.listing([jobs.READY])
    assert waiting.attempts == 1 and "Connect" in waiting.last_error
    smtp.start()
    manual_clock.advance(seconds=10)
    assert await mailer.run_once() == 1
    assert [m["To"] for m in smtp.inbox.messages] == ["bob@example.fr"]
    manual_clock.advance(hours=1)
    assert await mailer.run_once() == 0
    assert len(smtp.inbox.messages) == 1


async def test_a_worker_that_dies_after_sending_does_not_send_twice(mailer, smtp, manual_clock):
    await mail.send("carla@example.fr", "courrier/bienvenue", {"name": "Carla"})
    [job] = await jobs.claim(mailer.tasks, "worker-that-dies")
    await mail.deliver(job.payload)  # sent, then the worker dies before finishing the job
    manual_clock.advance(jobs.LEASE * 2)
    assert await mailer.run_once() == 1  # the job runs again...
    assert len(smtp.inbox.messages) == 1  # ...and sees the message already left


async def test_a_template_must_exist_and_name_its_subject(mailer, tmp_path):
    with pytest.raises(mail.MailError, match="courrier/mail/inconnu.txt"):
        await mail.send("ada@example.fr", "courrier/inconnu")
    (tmp_path / "templates" / "mail" / "sans-objet.txt").write_text("Bonjour\n", encoding="utf-8")
    with pytest.raises(mail.MailError, match="Subject"):
        await mail.send("ada@example.fr", "courrier/sans-objet")
    assert await MailMessage.count() == 0


async def test_development_sinks_write_files_or_log(settings, templates, queue, manual_clock, tmp_path, caplog):
    current.enter(with_mail(replace(settings, mail_transport="file", mail_dir=str(tmp_path / "out")), templates))
    tasks = Tasks()
    tasks.register(mail.DELIVER_TASK, mail.deliver)
    await mail.send("dev@example.fr", "courrier/bienvenue", {"name": "Dev"})
    await Worker(tasks).run_once()
    [written] = (tmp_path / "out").glob("*.eml")
    assert "Subject: Bienvenue, Dev" in written.read_text(encoding="utf-8")

    current.enter(with_mail(replace(settings, mail_transport="console"), templates))
    await mail.send("dev@example.fr", "courrier/bienvenue", {"name": "Console"})
    with caplog.at_level(logging.INFO, logger="directory.mail"):
        await Worker(tasks).run_once()
    assert "Bienvenue, Console" in caplog.text
