"""Telling plugins what changed, after the change is committed."""

from __future__ import annotations

import pluggy

from directory import providers, schemas
from directory.plugin_manager import call_each
from geo import Gazetteer


def _listened(manager: pluggy.PluginManager, hook_name: str) -> bool:
    return bool(getattr(manager.hook, hook_name).get_hookimpls())


async def notify_saved(manager: pluggy.PluginManager, created: list[str], updated: list[str]) -> None:
    """Call ``provider_saved`` for each provider just written (nothing is loaded if nobody listens)."""
    if not _listened(manager, "provider_saved"):
        return
    gazetteer = Gazetteer.default()
    new = set(created)
    for slug in created + updated:
        provider = await providers.get_provider(slug, gazetteer, state=None)
        if provider is not None:
            await call_each(manager, "provider_saved", provider=provider, created=slug in new)


async def snapshot_all(manager: pluggy.PluginManager) -> list[schemas.Provider]:
    """Every provider's profile, taken before a bulk delete, if a plugin listens to deletions."""
    if not _listened(manager, "provider_deleted"):
        return []
    gazetteer = Gazetteer.default()
    slugs = [record.slug for record in await providers.export_records()]
    found = [await providers.get_provider(slug, gazetteer, state=None) for slug in slugs]
    return [provider for provider in found if provider is not None]


async def notify_deleted(manager: pluggy.PluginManager, removed: list[schemas.Provider]) -> None:
    """Call ``provider_deleted`` for each provider just removed."""
    for provider in removed:
        await call_each(manager, "provider_deleted", provider=provider)
