"""Channel Expert: the directory core (Litestar app, Piccolo tables, plugin hooks)."""

__version__ = "0.1.0"

from directory.hookspecs import hookimpl  # noqa: E402 - the marker plugins import, next to the version

__all__ = ["__version__", "hookimpl"]
