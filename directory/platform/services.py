"""An app's or a command's platform (settings, plugins, database, mail, job tasks), its database made ready."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from piccolo.engine.base import Engine

from directory import contact, data_rights, imports, providers
from directory.accounts.guards import ACCOUNTS_STORE
from directory.database import bind, bound_engine, migrate, migration_state, register_apps
from directory.engines import engine_for
from directory.platform import current, jobs, mail
from directory.platform.precedence import Precedence
from directory.platform.store import DatabaseStore, shared_store
from directory.plugin_manager import PluginManager, get_plugin_manager
from directory.settings import Settings
from directory.templating import template_loader
from geo import Gazetteer, Geocoder, build_geocoder

PURGE_STORE_TASK = "store.purge"


async def purge_store(payload: dict[str, Any]) -> None:
    """Drop the shared store's expired sessions and counters."""
    await DatabaseStore().delete_expired()


@dataclass(frozen=True, eq=False)
class Platform:
    """What an app (or a command, or a separate worker) runs with, entered as the current
    platform around its work (``directory.platform.current``): its settings, plugins, database,
    mail, job tasks, what plugins keep for its lifetime, and which writes go ahead of reads."""

    settings: Settings
    plugin_manager: PluginManager
    engine: Engine
    mailer: mail.Mailer
    tasks: jobs.Tasks
    kept: dict[str, Any] = field(default_factory=dict)
    precedence: Precedence = field(default_factory=Precedence)

    def worker(self) -> jobs.Worker:
        """The worker that ``channel-expert worker`` and the app run: mail in a lane of its own,
        so that a hung SMTP server delays no deadline."""
        return jobs.Worker(self.tasks, lanes=[mail.lane(self.settings)])

    def keep(self, name: str, make: Callable[[], Any]) -> Any:  # noqa: ANN401 - whatever ``make`` builds
        """The object ``make`` built for this app the first time ``name`` was asked for (a cache
        of database state): it lives and dies with the app, never with the process."""
        if name not in self.kept:
            self.kept[name] = make()
        return self.kept[name]


def start_platform(settings: Settings, manager: PluginManager, engine: Engine | None = None) -> Platform:
    """The platform of an app or a command: its mail, and the job tasks of the core and of every
    plugin, on ``engine`` (by default the one queries go to here)."""
    tasks = jobs.Tasks()
    tasks.register(mail.DELIVER_TASK, mail.deliver, max_attempts=12)
    if not settings.redis_url:  # Redis expires its keys itself
        tasks.register(PURGE_STORE_TASK, purge_store, every=timedelta(minutes=15))
    accounts_store = shared_store(settings).with_namespace(ACCOUNTS_STORE)
    tasks.register(data_rights.ERASE_TASK, lambda payload: data_rights.erase_departed(accounts_store),
                   every=timedelta(hours=1))
    tasks.register(contact.RETENTION_TASK, contact.apply_retention, every=timedelta(days=1))
    lease = imports.lease_for(settings.lock_timeout_s)
    tasks.register(imports.UNDO_DEAD_TASK, lambda payload: imports.undo_dead(lease), every=timedelta(minutes=1))
    manager.hook.register_jobs(register=tasks.register, plugin_manager=manager)
    engine = engine or bound_engine()
    if engine is None:
        raise RuntimeError("start_platform needs an engine: bind the database first (use_database)")
    return Platform(settings, manager, engine, mail.Mailer(settings, template_loader(manager)), tasks)


def geocoder_for(settings: Settings, gazetteer: Gazetteer) -> Geocoder:
    """The geocoder the settings describe: offline unless ``GEOCODERS`` names services.

    Built once per app or command: with online services it holds its cache's connection.
    """
    return build_geocoder(
        gazetteer, settings.geocoders, ban_domain=settings.ban_domain,
        nominatim_domain=settings.nominatim_domain, nominatim_user_agent=settings.nominatim_user_agent,
        cache_path=settings.geocode_cache,
        timeout=settings.geocode_timeout_s,
    )


def plugin_apps(manager: PluginManager) -> dict[str, list[str]]:
    """Each plugin's Piccolo app modules, from ``register_piccolo_apps``, in registration order."""
    apps: dict[str, list[str]] = {}
    def register_of(plugin: str) -> dict[str, Any]:
        return {"register": lambda module: apps.setdefault(plugin, []).append(module)}

    for _ in manager.answers("register_piccolo_apps", register_of):
        pass  # each module is kept as it is registered
    return apps


def use_database(settings: Settings, manager: PluginManager) -> tuple[Engine, list[str]]:
    """Bind the core's tables and the enabled plugins' to the settings' database.

    Returns the engine and the Piccolo apps to migrate, the core's first. A disabled plugin's
    app is left out: its tables and data stay as they are.
    """
    names = register_apps(module for modules in plugin_apps(manager).values() for module in modules)
    engine = engine_for(settings.database_url, settings.lock_timeout_s)
    bind(engine)
    return engine, ["directory", *names]


async def prepare_database(settings: Settings, manager: PluginManager | None = None) -> list[str]:
    """Create or upgrade the schema (the core's, then each enabled plugin's) and the service
    catalogue, and enter a platform for these settings in the running task, so that a command can
    write and send messages; returns the migrations applied."""
    manager = manager or get_plugin_manager(settings)
    engine, apps = use_database(settings, manager)
    current.enter(start_platform(settings, manager, engine))
    applied = await migrate(engine, apps)
    await providers.sync_catalogue()
    return applied


async def plugin_migrations(settings: Settings, manager: PluginManager) -> dict[str, list[dict[str, Any]]]:
    """Each plugin's Piccolo apps with how many migrations ran and wait, on the settings' database."""
    use_database(settings, manager)
    states: dict[str, list[dict[str, Any]]] = {}
    for plugin, modules in plugin_apps(manager).items():
        for name in register_apps(modules):
            applied, pending = await migration_state(name)
            states.setdefault(plugin, []).append({"app": name, "applied": applied, "pending": pending})
    return states
