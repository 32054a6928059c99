"""Build the plugin manager and call side-effect hooks safely.

Built-in plugins come first, then those installed under the ``channel_expert`` entry-point
group; plugins named in ``CHANNEL_EXPERT_DISABLED_PLUGINS`` are blocked before loading.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import os
from typing import Any, Mapping

import pluggy

from directory import hookspecs
from directory.platform import plugin_settings
from directory.settings import Settings

ENTRY_POINT_GROUP = "channel_expert"
BUILTIN_PLUGINS = ("plugins.sitemap", "plugins.geosearch")
logger = logging.getLogger("directory.plugins")


def get_plugin_manager(settings: Settings, environ: Mapping[str, str] | None = None) -> pluggy.PluginManager:
    """A new plugin manager with the built-in and installed plugins that settings allow.

    Each plugin's own settings are read from ``environ`` (the process environment) and checked.
    """
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    for name in settings.disabled_plugins:
        manager.set_blocked(name)
    for module_name in BUILTIN_PLUGINS:
        if not manager.is_blocked(module_name):
            manager.register(importlib.import_module(module_name), name=module_name)
    manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    manager.check_pending()
    plugin_settings.load(manager, os.environ if environ is None else environ)
    return manager


async def maybe_await(value: Any) -> Any:
    """Await ``value`` if a hook implementation returned an awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


async def call_each(manager: pluggy.PluginManager, hook_name: str, **kwargs: Any) -> None:
    """Call every implementation of a side-effect hook, one at a time, logging failures.

    One plugin's failure must not stop the others nor undo what the core already committed.
    """
    for impl in reversed(getattr(manager.hook, hook_name).get_hookimpls()):
        try:
            await maybe_await(impl.function(*[kwargs[arg] for arg in impl.argnames]))
        except Exception:
            logger.exception("plugin %r failed in hook %s", impl.plugin_name, hook_name)


def describe_plugins(manager: pluggy.PluginManager) -> list[dict[str, Any]]:
    """Each loaded plugin's name, version, hooks and settings (secrets masked), for ``channel-expert plugins``."""
    distributions = {id(plugin): dist for plugin, dist in manager.list_plugin_distinfo()}
    from directory import __version__

    described = []
    for name, plugin in sorted(manager.list_name_plugin(), key=lambda item: item[0]):
        if plugin is None:
            continue
        dist = distributions.get(id(plugin))
        described.append(
            {
                "name": name,
                "version": dist.version if dist else __version__,
                "builtin": name in BUILTIN_PLUGINS,
                "hooks": sorted(impl.name for impl in manager.get_hookcallers(plugin) or []),
                "settings": plugin_settings.shown(name, plugin_settings.settings_of(name))
                if name in plugin_settings.loaded() else {},
            }
        )
    return described
