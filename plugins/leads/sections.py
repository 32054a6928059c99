"""What other plugins add to the leads plugin's pages: sections registered through a hook, in order."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from directory.plugin_api import PluginManager


async def collected(manager: PluginManager, hook: str, **arguments: Any) -> list[tuple[str, Markup]]:
    """The ``(title, html)`` sections the plugins register through ``hook``, by their ``order``;
    a plugin that raises adds none (the page shows without it)."""
    found: list[tuple[int, str, Markup]] = []
    await manager.acall_isolated(hook, **arguments,
                                 register=lambda title, html, order=50: found.append((order, title, Markup(html))))
    return [(title, html) for _, title, html in sorted(found, key=lambda section: section[0])]
