"""Build the plugin manager, check every plugin at start-up, and call hooks so that one
plugin's failure never takes a page, a search document or another plugin down.

Built-in plugins come first, then those installed under the ``channel_expert`` entry-point
group; plugins named in ``CHANNEL_EXPERT_DISABLED_PLUGINS`` are blocked before loading. An
installed plugin that cannot be imported, registered or configured is left out and reported
(the log, ``/health``, ``channel-expert plugins``), and the directory starts without it, unless
``CHANNEL_EXPERT_STRICT_PLUGINS`` asks to refuse to start; a built-in plugin that fails is a bug
of the directory and always stops the start.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
import inspect
import logging
import os
import re
from typing import Any, Collection, Mapping

import pluggy

from directory import __version__, events, hookspecs
from directory.platform import plugin_settings
from directory.plugin_faults import PluginFaults
from directory.settings import Settings, SettingsError

ENTRY_POINT_GROUP = "channel_expert"
logger = logging.getLogger("directory.plugins")
BUILTIN_PLUGINS = ("plugins.sitemap", "plugins.needs", "plugins.geosearch", "plugins.leads", "plugins.badges")


class PluginError(ValueError):
    """A plugin that cannot run as written; the message names the plugin and the hook."""


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, plus isolated calls and the record of plugins' recent failures."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.faults = PluginFaults()
        self.distributions: dict[str, importlib.metadata.Distribution] = {}  # of installed plugins
        self.left_out: dict[str, str] = {}  # installed plugins that could not load, with why

    def call_isolated(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call each implementation of a hook on its own; a failing one is recorded and skipped.

        What a failing implementation registered (through a ``register`` argument) or changed
        in a dict argument (a search document) is dropped with it, so the page or document is
        built as if that plugin had not taken part.
        """
        results = []
        for impl in reversed(getattr(self.hook, hook_name).get_hookimpls()):
            call = _IsolatedCall(impl, kwargs)
            try:
                results.append(impl.function(*call.arguments))
            except Exception as error:  # noqa: BLE001 - any plugin failure is isolated and recorded
                self.faults.record(impl.plugin_name, hook_name, error)
                continue
            call.keep()
        return results

    def first_isolated(self, hook_name: str, **kwargs: Any) -> Any:
        """The first non-None answer of ``call_isolated``, as pluggy's ``firstresult`` gives it, or None."""
        return next((answer for answer in self.call_isolated(hook_name, **kwargs) if answer is not None), None)

    async def acall_isolated(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """``call_isolated`` for hooks that may await (``hookspecs.MAY_AWAIT``): each answer is
        awaited before what it registered or changed is kept."""
        results = []
        for impl in reversed(getattr(self.hook, hook_name).get_hookimpls()):
            call = _IsolatedCall(impl, kwargs)
            try:
                results.append(await maybe_await(impl.function(*call.arguments)))
            except Exception as error:  # noqa: BLE001 - any plugin failure is isolated and recorded
                self.faults.record(impl.plugin_name, hook_name, error)
                continue
            call.keep()
        return results


class _IsolatedCall:
    """One implementation's call on copies of the dict arguments and a staging ``register``,
    so that nothing it did reaches the caller unless ``keep`` is called."""

    def __init__(self, impl: Any, kwargs: dict[str, Any]) -> None:
        self.impl, self.kwargs = impl, kwargs
        self.registered: list[tuple[tuple, dict]] = []
        self.copied = [name for name in impl.argnames if isinstance(kwargs[name], dict)]
        self.staged = kwargs  # arguments it cannot change are passed as they are (a search's hooks have none)
        if self.copied or "register" in impl.argnames:
            self.staged = {**kwargs, **{name: kwargs[name].copy() for name in self.copied}}
        if "register" in impl.argnames:
            self.staged["register"] = lambda *args, **options: self.registered.append((args, options))

    @property
    def arguments(self) -> list[Any]:
        return [self.staged[arg] for arg in self.impl.argnames]

    def keep(self) -> None:
        for name in self.copied:
            self.kwargs[name].clear()
            self.kwargs[name].update(self.staged[name])
        for args, options in self.registered:
            self.kwargs["register"](*args, **options)


def _closest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" ; vouliez-vous dire / did you mean {close[0]} ?" if close else ""


def _register(manager: PluginManager, plugin: object, name: str) -> None:
    """Register one plugin, turning pluggy's validation error into one line that says what to fix."""
    try:
        manager.register(plugin, name=name)
    except pluggy.PluginValidationError as error:
        message = str(error)
        hook = re.search(r"for hook '(\w+)'", message)
        unknown = re.search(r"Argument\(s\) \{(.*?)\}", message)
        if hook and unknown:
            spec = getattr(manager.hook, hook[1]).spec
            allowed = list(spec.argnames) if spec else []
            wrong = unknown[1].replace("'", "")
            raise PluginError(
                f"Le plugin {name}, hook {hook[1]} : argument(s) inconnu(s) / unknown argument(s) {wrong} "
                f"(arguments : {', '.join(allowed)}){_closest(wrong.split(',')[0].strip(), allowed)}") from None
        raise PluginError(f"Le plugin {name} ne peut pas être chargé / cannot be loaded: {message}") from None


def _check(manager: PluginManager, plugin_name: str) -> None:
    """Refuse a plugin's implementations of unknown hooks, and ``async def`` ones of synchronous hooks."""
    known = sorted(name for name in vars(hookspecs) if hasattr(getattr(hookspecs, name), f"{hookspecs.PROJECT}_spec"))
    for name in sorted(vars(manager.hook)):
        caller = getattr(manager.hook, name)
        for impl in caller.get_hookimpls():
            if impl.plugin_name != plugin_name:
                continue
            if not caller.has_spec() and not impl.optionalhook:
                raise PluginError(f"Le plugin {impl.plugin_name} implémente {name}, qui n'est pas un hook / "
                                  f"is not a hook{_closest(name, known)}")
            if name not in hookspecs.MAY_AWAIT and (inspect.iscoroutinefunction(impl.function)
                                                   or inspect.isasyncgenfunction(impl.function)):
                raise PluginError(f"Le plugin {impl.plugin_name} : le hook {name} doit être une fonction ordinaire, "
                                  f"pas async def / the {name} hook must be a plain function, not async def")


def _add(manager: PluginManager, name: str, load: Any, environ: Mapping[str, str]) -> None:
    """Import, register and check one plugin, its settings and its event types; a ``PluginError``
    (the plugin then left unregistered) says what is wrong."""
    try:
        plugin = load()
    except Exception as error:  # noqa: BLE001 - whatever importing it raised, say which plugin
        raise PluginError(f"Le plugin {name} ne peut pas être importé / cannot be imported: "
                          f"{type(error).__name__}: {error}") from None
    _register(manager, plugin, name)
    try:
        _check(manager, name)
        plugin_settings.load_one(manager, name, environ)
        for impl in manager.hook.register_event_types.get_hookimpls():
            if impl.plugin_name == name:
                impl.function(register=events.declare)
    except (SettingsError, events.EventError, PluginError) as error:
        manager.unregister(name=name)
        plugin_settings.forget(name)
        raise error if isinstance(error, PluginError) else PluginError(f"Le plugin {name} : {error}") from None


def get_plugin_manager(settings: Settings, environ: Mapping[str, str] | None = None,
                       only: Collection[str] | None = None) -> PluginManager:
    """A new plugin manager with the built-in and installed plugins that settings allow.

    Each plugin is checked, and its own settings read from ``environ`` (the process
    environment). A built-in plugin's problem raises ``PluginError`` with a one-line message;
    an installed plugin's too in strict mode, else it is left out and reported. ``only`` limits
    the installed plugins to those named (the test kit loads the plugins under test).
    """
    environ = os.environ if environ is None else environ
    manager = PluginManager()
    manager.add_hookspecs(hookspecs)
    for name in settings.disabled_plugins:
        manager.set_blocked(name)
    plugin_settings.forget()
    for module_name in BUILTIN_PLUGINS:
        if not manager.is_blocked(module_name):
            _add(manager, module_name, lambda module=module_name: importlib.import_module(module), environ)
    for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if manager.is_blocked(entry_point.name) or manager.has_plugin(entry_point.name) \
                or (only is not None and entry_point.name not in only):
            continue
        try:
            _add(manager, entry_point.name, entry_point.load, environ)
        except PluginError as error:
            if settings.strict_plugins:
                raise
            manager.left_out[entry_point.name] = str(error)
            logger.error("plugin %s left out: %s", entry_point.name, error)
            continue
        manager.distributions[entry_point.name] = entry_point.dist
    return manager


async def maybe_await(value: Any) -> Any:
    """Await ``value`` if a hook implementation returned an awaitable."""
    if inspect.isawaitable(value):
        return await value
    return value


async def call_each(manager: PluginManager, hook_name: str, **kwargs: Any) -> list[str]:
    """Call every implementation of a side-effect hook, one at a time, recording failures.

    One plugin's failure must not stop the others nor undo what the core already committed.
    Returns what failed, one line per plugin (strict mode refuses to start on a ``startup`` failure).
    """
    failed = []
    for impl in reversed(getattr(manager.hook, hook_name).get_hookimpls()):
        try:
            await maybe_await(impl.function(*[kwargs[arg] for arg in impl.argnames]))
        except Exception as error:  # noqa: BLE001 - any plugin failure is isolated and recorded
            manager.faults.record(impl.plugin_name, hook_name, error)
            failed.append(f"Le plugin {impl.plugin_name}, hook {hook_name} : {type(error).__name__}: {error}")
    return failed


def describe_plugins(manager: PluginManager) -> list[dict[str, Any]]:
    """Each loaded plugin's name, version, hooks and settings (secrets masked), for ``channel-expert plugins``."""
    described = []
    for name, plugin in sorted(manager.list_name_plugin(), key=lambda item: item[0]):
        if plugin is None:
            continue
        dist = manager.distributions.get(name)
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
