"""Fixtures of the shared services: an empty job queue and mail outbox, and a
real SMTP server on 127.0.0.1 (aiosmtpd) that can go down and come back."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller

from directory.plugin_api import hookimpl
from directory.plugin_manager import get_plugin_manager
from directory.settings import Settings
from directory.tables import Job, MailMessage, RecurringTask
from directory.templating import template_loader
from tests.conftest import free_port


@pytest.fixture
async def queue(settings: Settings):
    """The test database with no job, no recurring period and no mail."""
    for table in (Job, RecurringTask, MailMessage):
        await table.delete(force=True)
    return Job._meta.db


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: ANN001 - aiosmtpd's signature
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 Message accepted for delivery"


class SmtpServer:
    """An SMTP server on a fixed port, which can go down and come back with the same inbox."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


class MailTemplates:
    """A plugin named ``courrier`` whose template folder holds its mail."""

    def __init__(self, folder) -> None:
        self.folder = folder

    @hookimpl
    def register_templates(self, register):
        register(self.folder)


@pytest.fixture
def templates(tmp_path, settings):
    """The templates a process would use, with the ``courrier/bienvenue`` message."""
    folder = tmp_path / "templates" / "mail"
    folder.mkdir(parents=True)
    (folder / "bienvenue.txt").write_text(
        "Subject: Bienvenue, {{ name }}\n\nBonjour {{ name }},\nvotre fiche est en ligne.\n", encoding="utf-8")
    (folder / "bienvenue.html").write_text(
        '{% extends "mail/layout.html" %}{% block content %}<p>Bonjour {{ name }},</p>{% endblock %}',
        encoding="utf-8")
    manager = get_plugin_manager(settings)
    manager.register(MailTemplates(folder.parent), name="courrier")
    return template_loader(manager)
