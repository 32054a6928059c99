"""Piccolo's configuration module, for Piccolo's own tools: its migration runner and its CLI.

The directory binds its engine and registers the enabled plugins' Piccolo apps itself
(``directory.database``, when an app or a command prepares its database); this module only
hands them to Piccolo, and builds nothing while they exist. Run on its own, as a plugin author
does with ``PICCOLO_CONF=directory.piccolo_conf piccolo migrations new <app> --auto``, it binds
the database ``DATABASE_URL`` names, with the plugins the environment enables, on first use.
"""

from __future__ import annotations

from typing import Any

from directory import database
from directory.platform.services import use_database
from directory.plugin_manager import get_plugin_manager
from directory.settings import Settings


def __getattr__(name: str) -> Any:  # noqa: ANN401 - Piccolo reads DB and APP_REGISTRY from here
    if name not in ("DB", "APP_REGISTRY"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if database.bound_engine() is None:
        _bind_from_environment()
    return database.bound_engine() if name == "DB" else database.APP_REGISTRY


def _bind_from_environment() -> None:
    """Bind the database and plugins the environment names, as ``channel-expert`` would (only
    Piccolo's own CLI gets here: the directory binds before Piccolo's runner asks)."""
    settings = Settings.from_env()
    use_database(settings, get_plugin_manager(settings))
