"""What the request form knows of where the TPE comes from: the provider it chose first (and the
services that provider offers), the services its own words name, and which ticked services the
first choice does not offer.

Routing passes over a first choice that offers none of the services asked, or fewer than another
provider (``routing``): the form says so before sending rather than letting the choice drop silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from litestar import Litestar

from directory.plugin_api import catalogue, tables


@dataclass(frozen=True)
class FirstChoice:
    """The published provider the TPE asked from, as the form shows it."""

    id: int
    slug: str
    trade_name: str
    commune: str
    services: tuple[str, ...]  # the catalogue's slugs it offers, in the catalogue's order


async def first_choice(slug: str) -> FirstChoice | None:
    """The published provider ``slug`` names, with its services; None for any other slug."""
    if not slug:
        return None
    Provider, ProviderService = tables.Provider, tables.ProviderService
    row = await Provider.select(Provider.id, Provider.slug, Provider.trade_name, Provider.commune).where(
        (Provider.slug == slug[:120]) & (Provider.state == catalogue.PUBLISHED)).first()
    if row is None:
        return None
    offered = {link["slug"] for link in await ProviderService.select(
        ProviderService.service.slug.as_alias("slug")).where(ProviderService.provider == row["id"])}
    return FirstChoice(row["id"], row["slug"], row["trade_name"], row["commune"], known(offered))


def known(slugs: Iterable[str]) -> tuple[str, ...]:
    """The catalogue's services among ``slugs``, once each, in the catalogue's order."""
    wanted = set(slugs)
    return tuple(service.slug for service in catalogue.SERVICES if service.slug in wanted)


def understood(app: Litestar, text: str) -> tuple[str, ...]:
    """The services the TPE's own words name, as the needs plugin (if any) understands them."""
    if not text.strip():
        return ()
    found = app.state.plugin_manager.first_isolated("understand_need", app=app, text=text)
    return known(found.services) if found else ()


def to_tick(need: tuple[str, ...], first: FirstChoice | None) -> tuple[str, ...]:
    """The services to tick: the need, narrowed to what the first choice offers when some of it is;
    without a need, everything the first choice offers."""
    if first is None or not need:
        return need or (first.services if first else ())
    return tuple(slug for slug in need if slug in first.services) or need


def not_offered(services: Iterable[str], first: FirstChoice | None) -> tuple[str, ...]:
    """The ticked services the first choice does not offer (none without a first choice)."""
    return tuple(slug for slug in known(services) if first and slug not in first.services)
