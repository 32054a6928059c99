"""Configuration, read once from the environment into a frozen dataclass.

Every variable takes the ``CHANNEL_EXPERT_`` prefix, except ``DATABASE_URL``, the name
every hosting platform already uses.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

PREFIX = "CHANNEL_EXPERT_"
DEFAULT_DATABASE_URL = "sqlite:///var/channel-expert.sqlite3"


class SettingsError(ValueError):
    """A configuration value is missing or malformed."""


def _bool(name: str, raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise SettingsError(f"{name} must be a boolean (true/false), not {raw!r}")


def _list(raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """Everything that changes between a laptop, the test suite and production."""

    database_url: str = DEFAULT_DATABASE_URL
    debug: bool = False
    disabled_plugins: tuple[str, ...] = ()
    log_level: str = "INFO"

    def __post_init__(self) -> None:
        scheme = self.database_url.split(":", 1)[0]
        if scheme not in ("sqlite", "postgresql", "postgres"):
            raise SettingsError(f"DATABASE_URL must start with sqlite:// or postgresql://, not {scheme!r}")
        if self.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
            raise SettingsError(f"{PREFIX}LOG_LEVEL must be DEBUG, INFO, WARNING, ERROR or CRITICAL")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (the process environment by default)."""
        env = os.environ if environ is None else environ

        def get(name: str, default: str = "") -> str:
            return env.get(PREFIX + name, default)

        return cls(
            database_url=env.get("DATABASE_URL") or DEFAULT_DATABASE_URL,
            debug=_bool(PREFIX + "DEBUG", get("DEBUG")),
            disabled_plugins=_list(get("DISABLED_PLUGINS")),
            log_level=get("LOG_LEVEL", "INFO").upper(),
        )
