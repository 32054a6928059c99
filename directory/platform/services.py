"""The shared services of one process, the app's or a command's: mail, job tasks, the worker."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pluggy

from directory import providers
from directory.database import bind, migrate
from directory.platform import jobs, mail
from directory.settings import Settings

CORE_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def template_folders(manager: pluggy.PluginManager) -> list[Path]:
    """The core's template folder, then each plugin's, in registration order."""
    folders = [CORE_TEMPLATES]
    manager.hook.register_templates(register=folders.append)
    return folders


@dataclass(frozen=True)
class Platform:
    settings: Settings
    tasks: jobs.Tasks

    def worker(self) -> jobs.Worker:
        return jobs.Worker(self.tasks)


def start_platform(settings: Settings, manager: pluggy.PluginManager) -> Platform:
    """Configure mail and gather the job tasks of the core and of every plugin."""
    mail.configure(settings, template_folders(manager))
    tasks = jobs.Tasks()
    tasks.register(mail.DELIVER_TASK, mail.deliver, max_attempts=12)
    manager.hook.register_jobs(register=tasks.register)
    return Platform(settings, tasks)


async def prepare_database(settings: Settings) -> list[str]:
    """Create or upgrade the schema and the service catalogue; returns the migrations applied."""
    engine = settings.engine()
    bind(engine)
    applied = await migrate(engine)
    await providers.sync_catalogue()
    return applied
