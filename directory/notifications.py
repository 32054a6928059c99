"""Telling plugins what changed, after the change is committed."""

from __future__ import annotations

from directory import providers, schemas
from directory.plugin_manager import PluginManager, call_each
from geo import Gazetteer


def _listened(manager: PluginManager, hook_name: str) -> bool:
    return bool(getattr(manager.hook, hook_name).get_hookimpls())


async def notify_saved(manager: PluginManager, created: list[str], updated: list[str]) -> None:
    """Call ``provider_saved`` for each provider just written (nothing is loaded if nobody listens)."""
    if not _listened(manager, "provider_saved"):
        return
    new = set(created)
    for provider in await providers.profiles(Gazetteer.default(), created + updated):
        await call_each(manager, "provider_saved", provider=provider, created=provider.slug in new)


async def snapshot_all(manager: PluginManager) -> list[schemas.Provider]:
    """Every provider's profile, taken before a bulk delete, if a plugin listens to deletions."""
    if not _listened(manager, "provider_deleted"):
        return []
    return await providers.profiles(Gazetteer.default())


async def notify_deleted(manager: PluginManager, removed: list[schemas.Provider]) -> None:
    """Call ``provider_deleted`` for each provider just removed."""
    for provider in removed:
        await call_each(manager, "provider_deleted", provider=provider)
