"""The kit's apps, built once and handed again to later tests.

Building an app costs a tenth of a second of CPU (Litestar parses the signature of each of its
hundreds of handlers), more than most tests cost themselves. So the ``plugin_manager`` and
``app`` fixtures keep one manager, and its app, for each settings, set of plugins under test and
``CHANNEL_EXPERT_*`` environment, and the next test with the same ones gets them again.

Only what a test leaves as it found it is handed again: a test that registers or blocks a
plugin, changes a plugin's settings or makes a plugin fail (a recorded fault) drops both. What an
app keeps of the database is forgotten before each test, since each starts from an emptied
database: its page cache, the copies in memory that follow the outbox (made again by the next
start-up) and whatever plugins keep on its platform. A test that needs an app of its own builds
it with ``create_app``.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from typing import Any

from litestar import Litestar

from directory.app import create_app
from directory.platform.cache import KEPT_STATE
from directory.plugin_manager import PluginManager, get_plugin_manager
from directory.settings import Settings

MOST_MANAGERS = 8  # kept at once, the least recently used dropped: modules with settings of their own
MOST_APPS = 12  # likewise: a manager's apps for other settings (``replace(settings, …)``) count too
ENVIRONMENT_PREFIX = "CHANNEL_EXPERT_"  # where plugins read their settings


def _fingerprint(manager: PluginManager) -> tuple[Any, ...]:
    """What a test could change of a manager: its plugins (blocked ones too), their settings, their faults."""
    return (tuple((name, id(plugin)) for name, plugin in manager.list_name_plugin()),
            repr(manager.plugin_settings), tuple(manager.event_types), tuple(manager.faults.totals().items()))


class Apps:
    """The managers and apps of one test process (the session fixture ``apps``)."""

    def __init__(self) -> None:
        self._managers: OrderedDict[tuple[Any, ...], tuple[PluginManager, tuple[Any, ...]]] = OrderedDict()
        self._apps: OrderedDict[tuple[int, Settings], Litestar] = OrderedDict()

    def manager(self, settings: Settings, plugins: tuple[str, ...] | None) -> PluginManager:
        """The manager of the built-in plugins and of the installed ``plugins`` (None: all) that a
        previous test left untouched, or a new one."""
        environment = tuple(sorted((name, value) for name, value in os.environ.items()
                                   if name.startswith(ENVIRONMENT_PREFIX)))
        key = (settings, plugins, environment)
        if key not in self._managers:
            manager = get_plugin_manager(settings, only=plugins)
            self._managers[key] = (manager, _fingerprint(manager))
            while len(self._managers) > MOST_MANAGERS:
                self._drop(self._managers.popitem(last=False)[1][0])
        self._managers.move_to_end(key)
        return self._managers[key][0]

    def app(self, settings: Settings, manager: PluginManager) -> Litestar:
        """The app of ``manager`` for ``settings`` (the test's, or ``replace(settings, …)``), the
        database state it kept forgotten; a new app for a manager the kit did not make or that
        the test changed (a plugin registered before the app is built)."""
        if not any(kept is manager and fingerprint == _fingerprint(manager)
                   for kept, fingerprint in self._managers.values()):
            return create_app(settings, manager)
        key = (id(manager), settings)
        app = self._apps.get(key)
        if app is None:
            app = self._apps[key] = create_app(settings, manager)
            while len(self._apps) > MOST_APPS:
                self._apps.popitem(last=False)
        else:
            _forget(app)
        self._apps.move_to_end(key)
        return app

    def release(self, manager: PluginManager) -> None:
        """After a test: drop ``manager`` and its apps if the test changed it."""
        for key, (kept, fingerprint) in list(self._managers.items()):
            if kept is manager and _fingerprint(manager) != fingerprint:
                del self._managers[key]
                self._drop(manager)

    def _drop(self, manager: PluginManager) -> None:
        for key in [key for key in self._apps if key[0] == id(manager)]:
            del self._apps[key]


def _forget(app: Litestar) -> None:
    """Forget what ``app`` kept of the previous test's database."""
    page_cache = app.state[KEPT_STATE]
    page_cache.forget()
    page_cache.copies.clear()  # each start-up adds its own
    kept = app.state.platform.kept
    for name in [name for name, value in kept.items() if value is not page_cache]:
        del kept[name]
