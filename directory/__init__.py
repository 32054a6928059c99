"""Channel Expert: the directory core (Litestar app, Piccolo tables, plugin hooks).

Plugins import from ``directory.plugin_api`` only.
"""

__version__ = "0.1.0"
