"""The Jinja templates of pages and mail: the core's, then each plugin's in its own namespace.

A plugin's folder (``register_templates``) is reached under the plugin's short name: the
``search.html`` of ``plugins.geosearch`` is ``geosearch/search.html``. A plugin therefore cannot
replace the core's pages nor another plugin's by giving a template the same name. Templates
extend the core's ``base.html`` and may import its ``macros.html``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2

from directory.plugin_manager import PluginError, PluginManager
from geo import of_name

CORE_TEMPLATES = Path(__file__).resolve().parent / "templates"
PARIS = ZoneInfo("Europe/Paris")


def paris_time(moment: datetime, zone: ZoneInfo = PARIS) -> str:
    """A moment as people in France read it: « 27/11/2026 à 12:03 », on Paris's clock unless
    ``zone`` names another (an overseas office's)."""
    return moment.astimezone(zone).strftime("%d/%m/%Y à %H:%M")


CORE_FILTERS: dict[str, Callable[..., str]] = {"de": of_name, "paris": paris_time}
"""The filters every template has, pages and mail alike: ``de`` ("d'Agence Pixel") and ``paris``."""


def namespace(plugin_name: str) -> str:
    """The short name a plugin's templates live under: ``plugins.geosearch`` → ``geosearch``."""
    return plugin_name.rsplit(".", 1)[-1]


def template_loader(manager: PluginManager) -> jinja2.BaseLoader:
    """The core's templates by their own names, each plugin's under ``<namespace>/``."""
    folders: dict[str, list[str]] = {}

    def register_of(plugin: str) -> dict[str, Any]:
        return {"register": lambda folder: folders.setdefault(namespace(plugin), []).append(str(folder))}

    for _ in manager.answers("register_templates", register_of):
        pass  # each folder is kept as it is registered
    plugins = {name: jinja2.FileSystemLoader(paths) for name, paths in folders.items()}
    return jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(CORE_TEMPLATES)), jinja2.PrefixLoader(plugins)])


def page_environment(manager: PluginManager, reload: bool = False, **core_globals: Any) -> jinja2.Environment:
    """The pages' environment: autoescaped, with the core's helpers and the plugins' own.

    ``reload`` checks each template's file for changes at every use (in debug only: in
    production that is a ``stat`` of every template and macro file a page renders, per request).

    The core gives ``static_url``, ``navigation``, the ``de`` filter ("d'Aurillac", "du Fournil") and the
    ``paris`` filter (a moment in French time); a
    plugin adds globals and filters through ``register_template_helpers``, and may not replace
    a name the core or another plugin already gave.
    """
    environment = jinja2.Environment(loader=template_loader(manager), autoescape=True, auto_reload=reload)
    environment.globals.update(core_globals)
    environment.filters.update(CORE_FILTERS)
    owners = {f"global {name}": "le cœur / the core" for name in core_globals} | {
        f"filter {name}": "le cœur / the core" for name in CORE_FILTERS}

    def adder(plugin: str, kind: str, table: dict[str, Any]) -> Callable[[str, Any], None]:
        def add(name: str, value: Any) -> None:
            owner = owners.get(f"{kind} {name}") or ("Jinja" if name in table else None)
            if owner:
                raise PluginError(f"Le plugin {plugin} redéfinit le {kind} de gabarit « {name} » de {owner} / "
                                  f"redefines the template {kind} {name!r}")
            owners[f"{kind} {name}"] = f"{plugin}"
            table[name] = value
        return add

    def helpers_of(plugin: str) -> dict[str, Any]:
        return {"add_global": adder(plugin, "global", environment.globals),
                "add_filter": adder(plugin, "filter", environment.filters)}

    for _ in manager.answers("register_template_helpers", helpers_of):
        pass  # each helper is checked and kept as it is added
    return environment
