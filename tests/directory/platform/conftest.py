"""Fixtures of the shared services: an empty job queue and mail outbox, mail templates, and a platform
whose mail uses them."""

from __future__ import annotations

from dataclasses import replace

import jinja2
import pytest

from directory.platform import mail
from directory.platform.services import Platform, start_platform
from directory.plugin_api import hookimpl
from directory.plugin_manager import get_plugin_manager
from directory.settings import Settings
from directory.tables import Job, MailMessage, RecurringTask
from directory.templating import template_loader


@pytest.fixture
async def queue(settings: Settings):
    """The test database with no job, no recurring period and no mail."""
    for table in (Job, RecurringTask, MailMessage):
        await table.delete(force=True)
    return Job._meta.db


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


def with_mail(configured: Settings, templates: jinja2.BaseLoader) -> Platform:
    """A platform on the test database whose mail leaves as ``configured`` says, with ``templates``."""
    return replace(start_platform(configured, get_plugin_manager(configured)), mailer=mail.Mailer(configured, templates))
