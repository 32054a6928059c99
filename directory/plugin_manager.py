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
from collections.abc import Callable, Collection, Generator, Iterator, Mapping
from types import MappingProxyType
from typing import Any

import pluggy

from directory import __version__, events, hookspecs
from directory.platform import plugin_settings
from directory.plugin_faults import PluginFaults
from directory.settings import Settings, SettingsError

ENTRY_POINT_GROUP = "channel_expert"
logger = logging.getLogger("directory.plugins")
NO_ARGUMENTS: Mapping[str, Any] = MappingProxyType({})
# A hook's arguments, or a function giving them for the plugin named (a ``register`` that knows who registers)
Arguments = Mapping[str, Any] | Callable[[str], Mapping[str, Any]]
BUILTIN_PLUGINS = ("plugins.sitemap", "plugins.needs", "plugins.geosearch", "plugins.leads", "plugins.badges",
                   "plugins.reviews", "plugins.insights")


class PluginError(ValueError):
    """A plugin that cannot run as written; the message names the plugin and the hook."""


class PluginManager(pluggy.PluginManager):
    """pluggy's manager, plus isolated calls and the record of plugins' recent failures."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT)
        self.faults = PluginFaults()
        self.distributions: dict[str, importlib.metadata.Distribution] = {}  # of installed plugins
        self.left_out: dict[str, str] = {}  # installed plugins that could not load, with why
        self.plugin_settings: dict[str, Any] = {}  # each plugin's settings (``plugin_settings``), read as it loads
        self.event_types: dict[str, type] = dict(events.CORE_TYPES)  # the core's and each plugin's

    def declare_event_type(self, name: str, payload: type) -> None:
        """The ``register`` of ``register_event_types``: a type declared twice is refused."""
        events.declare(self.event_types, name, payload)

    def answers(self, hook_name: str, arguments: Arguments = NO_ARGUMENTS, *, plugin: str | None = None,
                on_error: Callable[[str, Exception], None] | None = None) -> Iterator[tuple[str, Any]]:
        """Call each implementation of a hook in pluggy's order (the last registered first), one at a time.

        The one walk over a hook's implementations, for callers that need to know which plugin
        answered (a template folder, a search field, a failure to record).

        Args:
            arguments: the hook's arguments, or a function that gives them for the plugin named
                (so that a ``register`` can tell who registers); each implementation takes those it names.
            plugin: call only this plugin's implementation (the checks of a plugin as it loads).
            on_error: if given, an implementation that raises is reported to it with the
                plugin's name and skipped; otherwise the exception propagates.

        Returns:
            ``(plugin name, answer)`` pairs, lazily, in call order.
        """
        for impl in reversed(getattr(self.hook, hook_name).get_hookimpls()):
            if plugin is not None and impl.plugin_name != plugin:
                continue
            given = arguments(impl.plugin_name) if callable(arguments) else arguments
            try:
                answer = impl.function(*[given[name] for name in impl.argnames])
            except Exception as error:
                if on_error is None:
                    raise
                on_error(impl.plugin_name, error)
                continue
            yield impl.plugin_name, answer

    def call_isolated(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """Call each implementation of a synchronous hook on its own; a failing one is recorded and skipped.

        What a failing implementation registered (through a ``register`` argument) or changed
        in a dict argument (a search document) is dropped with it, so the page or document is
        built as if that plugin had not taken part.
        """
        results: list[Any] = []
        for _ in _isolated(self, hook_name, kwargs, results, awaits=False):
            pass  # awaiting nothing, it yields nothing
        return results

    def first_isolated(self, hook_name: str, **kwargs: Any) -> Any:
        """The first non-None answer of ``call_isolated``, as pluggy's ``firstresult`` gives it, or None."""
        return next((answer for answer in self.call_isolated(hook_name, **kwargs) if answer is not None), None)

    async def acall_isolated(self, hook_name: str, **kwargs: Any) -> list[Any]:
        """``call_isolated`` for hooks that may await (declared ``may_await``): each answer is
        awaited before what it registered or changed is kept."""
        results: list[Any] = []
        await _awaiting(_isolated(self, hook_name, kwargs, results, awaits=True))
        return results


def _isolated(manager: PluginManager, hook_name: str, kwargs: dict[str, Any], results: list[Any],
              awaits: bool, fail: Callable[[str, Exception], None] | None = None) -> Generator[Any, Any, None]:
    """The isolated call, written once for both forms: appends the answers kept to ``results``, in call order.

    Each implementation runs on staged arguments (``_Staging``); one that raises is reported to
    ``fail`` (the plugin faults by default) and dropped with what it did. With ``awaits``, an
    awaitable answer is yielded, and ``_awaiting`` sends back its result or throws in its error.
    """
    fail = fail or (lambda plugin, error: manager.faults.record(plugin, hook_name, error))
    staging = _Staging(kwargs) if _undoable(kwargs) else None
    for plugin, answer in manager.answers(hook_name, staging.arguments if staging else kwargs, on_error=fail):
        if awaits and inspect.isawaitable(answer):
            try:
                answer = yield answer
            except Exception as error:  # noqa: BLE001 - any plugin failure is isolated and recorded
                fail(plugin, error)
                continue
        if staging:
            staging.keep()
        results.append(answer)


async def _awaiting(steps: Generator[Any, Any, None]) -> None:
    """Run an isolated call that awaits: await what it yields, hand back the result or the error."""
    try:
        awaitable = next(steps)
        while True:
            try:
                result = await awaitable
            except Exception as error:  # noqa: BLE001 - thrown back into the call, which records it
                awaitable = steps.throw(error)
            else:
                awaitable = steps.send(result)
    except StopIteration:
        pass  # every implementation has answered


def _undoable(kwargs: dict[str, Any]) -> bool:
    """Whether an implementation could leave a trace to undo: a search's hooks cannot, and take no copies.

    A plain loop: this runs twice per search, and a generator expression costs twice as much."""
    for value in kwargs.values():
        if isinstance(value, dict):
            return True
    return "register" in kwargs


class _Staging:
    """Copies of a call's dict arguments and a ``register`` that only takes notes, made afresh for
    each implementation, so that nothing it did reaches the caller unless ``keep`` follows."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        self.kwargs, self.staged = kwargs, kwargs
        self.copied = [name for name, value in kwargs.items() if isinstance(value, dict)]
        self.registered: list[tuple[tuple, dict]] = []

    def arguments(self, plugin: str) -> Mapping[str, Any]:
        """The next implementation's arguments: fresh copies and a fresh ``register``."""
        self.staged = {**self.kwargs, **{name: self.kwargs[name].copy() for name in self.copied}}
        self.registered = registered = []
        if "register" in self.kwargs:
            self.staged["register"] = lambda *args, **options: registered.append((args, options))
        return self.staged

    def keep(self) -> None:
        """Hand what the last implementation did to the caller."""
        for name in self.copied:
            self.kwargs[name].clear()
            self.kwargs[name].update(self.staged[name])
        for args, options in self.registered:
            self.kwargs["register"](*args, **options)


def _closest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1)
    return f" ; vouliez-vous dire / did you mean {close[0]} ?" if close else ""


def _register(manager: PluginManager, plugin: object, name: str) -> None:
    """Register one plugin, turning pluggy's validation error, or an error of its ``add_hooks`` (called as it
    registers), into one line that says what to fix."""
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
    except Exception as error:  # noqa: BLE001 - whatever its add_hooks raised, say which plugin
        if manager.has_plugin(name):
            manager.unregister(name=name)
        raise PluginError(f"Le plugin {name} ne peut pas être chargé / cannot be loaded: "
                          f"{type(error).__name__}: {error}") from None


def _check(manager: PluginManager, plugin_name: str) -> None:
    """Refuse a plugin's implementations of unknown hooks, and ``async def`` ones of hooks not ``may_await``.

    An ``optionalhook`` implementation of a hook nobody declared (the leads plugin's, when it is
    disabled) is never called, so it is not checked."""
    known = sorted(name for name, caller in vars(manager.hook).items() if caller.has_spec())
    for name in sorted(vars(manager.hook)):
        caller = getattr(manager.hook, name)
        for impl in caller.get_hookimpls():
            if impl.plugin_name != plugin_name or (not caller.has_spec() and impl.optionalhook):
                continue
            if not caller.has_spec():
                raise PluginError(f"Le plugin {impl.plugin_name} implémente {name}, qui n'est pas un hook / "
                                  f"is not a hook{_closest(name, known)}")
            if not hookspecs.awaits(caller.spec.function) and (inspect.iscoroutinefunction(impl.function)
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
    declared_before = dict(manager.event_types)
    try:
        _check(manager, name)
        plugin_settings.load_one(manager, name, environ)
        for _ in manager.answers("register_event_types", {"register": manager.declare_event_type}, plugin=name):
            pass  # each declared type is checked as it is registered
    except (SettingsError, events.EventError, PluginError) as error:
        manager.unregister(name=name)
        manager.plugin_settings.pop(name, None)
        manager.event_types = declared_before  # a plugin left out leaves no event type behind
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
    manager.hook.add_hooks.call_historic(kwargs={"plugin_manager": manager})  # each plugin's, as it registers
    for name in settings.disabled_plugins:
        manager.set_blocked(name)
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

    def fail(plugin: str, error: Exception) -> None:
        manager.faults.record(plugin, hook_name, error)
        failed.append(f"Le plugin {plugin}, hook {hook_name} : {type(error).__name__}: {error}")

    await _awaiting(_isolated(manager, hook_name, kwargs, [], awaits=True, fail=fail))
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
                "settings": plugin_settings.shown(name, manager.plugin_settings[name])
                if name in manager.plugin_settings else {},
            }
        )
    return described
