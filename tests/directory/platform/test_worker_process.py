"""``channel-expert worker`` and ``channel-expert jobs`` as processes of their own, on the test database."""

from __future__ import annotations

import subprocess
from dataclasses import replace

from directory.platform import current, jobs, mail
from directory.tables import Job
from tests.conftest import COMMAND
from tests.directory.platform.conftest import with_mail


def command(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *args], env=environment, capture_output=True, text=True, timeout=60)


async def test_a_worker_process_sends_mail_and_failed_jobs_are_listed_and_retried(
        settings, queue, smtp, templates, environment):
    current.enter(with_mail(replace(settings, mail_transport="smtp", smtp_host="127.0.0.1", smtp_port=smtp.port),
                            templates))
    await mail.send("ops@example.fr", "courrier/bienvenue", {"name": "Ops"})
    environment = {**environment, "CHANNEL_EXPERT_SMTP_HOST": "127.0.0.1", "CHANNEL_EXPERT_SMTP_PORT": str(smtp.port),
                   "CHANNEL_EXPERT_SMTP_TLS": "none"}

    smtp.stop()
    ran = command(environment, "worker", "--once")
    assert ran.returncode == 0, ran.stderr
    assert "travaux traités." in ran.stdout  # the mail, and the recurring purge of the store
    listed = command(environment, "jobs", "list", "--state", "ready")
    assert "mail.deliver ready, 1 essai(s)" in listed.stdout and "SMTPConnectError" in listed.stdout

    await Job.update({Job.state: jobs.FAILED}, force=True)  # as if every attempt had failed
    listed = command(environment, "jobs", "list")
    assert "mail.deliver failed" in listed.stdout

    smtp.start()
    retried = command(environment, "jobs", "retry", "--all")
    assert retried.stdout.strip() == "1 travail(s) relancé(s)."
    assert command(environment, "worker", "--once").returncode == 0
    assert [message["To"] for message in smtp.inbox.messages] == ["ops@example.fr"]
    assert command(environment, "jobs", "list", "--state", "all").stdout.strip() == "Aucun travail."
    missing = command(environment, "jobs", "retry", "999999")
    assert missing.returncode == 1 and "0 travail(s) relancé(s)." in missing.stdout
