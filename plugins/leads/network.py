"""The network as routing sees it: the published providers (kept per app until a provider
changes), today's counters, and what plugins add to the choice (a strategy, score components)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from directory.plugin_api import PluginManager, catalogue, clock, events, kept, tables
from geo import ServiceArea
from plugins.leads import deadlines, routing
from plugins.leads.tables import LeadPreferences, Offer

FAIRNESS_WINDOW = timedelta(days=90)
RESPONSIVENESS_WINDOW = timedelta(days=180)


class NetworkCache:
    """The published providers as routing sees them (offices, areas, services), kept between routings.

    Reading and arranging every provider costs more than choosing among them, and changes
    rarely: the copy follows the event outbox, reading again only the providers changed since
    it was made. An import changes providers by the hundred while quote requests come in:
    reading all of them again for every request took seconds on a loaded server. What changes
    with every lead (counters, preferences, badges) is read at each routing and laid over the copy.
    """

    # More changed providers than this since the last look: read them all, in two queries.
    REREAD_ALL_AFTER = 1000

    def __init__(self) -> None:
        self.position: int | None = None
        self.candidates: dict[str, routing.Candidate] = {}
        self.network: routing.Network | None = None

    async def get(self) -> routing.Network:
        Event = tables.Event
        latest = await Event.select(Event.id).where(Event.name.is_in(list(events.PROVIDER_EVENTS))).order_by(
            Event.id, ascending=False).first()
        position = latest["id"] if latest else 0
        if self.network is not None and position == self.position:
            return self.network
        changed = set() if self.network is None else {row["subject"] for row in await Event.select(
            Event.subject).distinct().where((Event.id > self.position) & (Event.id <= position) & Event.name.is_in(
                list(events.PROVIDER_EVENTS))).limit(self.REREAD_ALL_AFTER + 1)}
        if self.network is None or len(changed) > self.REREAD_ALL_AFTER:
            self.candidates = {candidate.slug: candidate for candidate in await published()}
        else:  # slugs never change: a provider's events name it by its slug
            fresh = {candidate.slug: candidate for candidate in await published(changed)}
            for slug in changed:
                self.candidates.pop(slug, None)
            self.candidates.update(fresh)
        # The position read first: a change committed meanwhile is read again at the next look.
        self.network = routing.Network(sorted(self.candidates.values(), key=lambda c: c.provider_id))
        self.position = position
        return self.network


async def published(slugs: Collection[str] | None = None) -> list[routing.Candidate]:
    """Every published provider offering a service (of ``slugs``, if given), with no counters."""
    Provider, ProviderService = tables.Provider, tables.ProviderService
    links = ProviderService.select(ProviderService.provider, ProviderService.service.slug.as_alias("slug")).where(
        ProviderService.provider.state == catalogue.PUBLISHED)
    rows = Provider.select(Provider.id, Provider.slug, Provider.latitude, Provider.longitude, Provider.departement,
                           Provider.service_radius_km, Provider.service_departements, Provider.on_site,
                           Provider.remote).where(Provider.state == catalogue.PUBLISHED).order_by(Provider.id)
    if slugs is not None:
        links, rows = (links.where(ProviderService.provider.slug.is_in(list(slugs))),
                       rows.where(Provider.slug.is_in(list(slugs))))
    offered: dict[int, set[str]] = {}
    for link in await links:
        offered.setdefault(link["provider"], set()).add(link["slug"])
    return [routing.Candidate(
        row["id"], row["slug"], ServiceArea(row["latitude"], row["longitude"], row["departement"],
                                            row["service_radius_km"], tuple(row["service_departements"] or ()),
                                            bool(row["on_site"])),
        bool(row["remote"]), frozenset(offered[row["id"]])) for row in await rows if row["id"] in offered]


async def network(manager: PluginManager) -> routing.Network:
    """The published providers with today's counters, preferences and badges, ready for routing."""
    cached = await kept("plugins.leads.network", NetworkCache).get()
    updates: dict[int, dict[str, Any]] = {}
    for provider_id, today in (await counters()).items():
        updates.setdefault(provider_id, {}).update(today)
    for preference in await LeadPreferences.select():
        updates.setdefault(preference["provider"], {}).update(
            paused=bool(preference["paused"]), capacity=preference["monthly_capacity"])
    for answer in await manager.acall_isolated("valid_badges", provider_ids=list(cached.position)):
        for provider_id, count in (answer or {}).items():
            fields = updates.setdefault(provider_id, {})
            fields["badges"] = fields.get("badges", 0) + int(count)
    return cached.with_changes(updates)


async def counters() -> dict[int, dict[str, int]]:
    """Per provider with recent offers: offers this month, waiting, answered and missed lately, recent ones."""
    now = clock.now()
    month = now.astimezone(deadlines.PARIS).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    fair, responsive = now - FAIRNESS_WINDOW, now - RESPONSIVENESS_WINDOW
    rows = await Offer.raw(
        "SELECT provider, "
        "SUM(CASE WHEN offered_at >= {} THEN 1 ELSE 0 END) AS offers_this_month, "
        "SUM(CASE WHEN state = 'offered' THEN 1 ELSE 0 END) AS open_offers, "
        "SUM(CASE WHEN offered_at >= {} THEN 1 ELSE 0 END) AS recent_offers, "
        "SUM(CASE WHEN offered_at >= {} AND state IN ('accepted', 'declined') THEN 1 ELSE 0 END) AS answered, "
        "SUM(CASE WHEN offered_at >= {} AND state = 'expired' THEN 1 ELSE 0 END) AS missed "
        "FROM offer WHERE offered_at >= {} OR state = 'offered' GROUP BY provider",
        month, fair, responsive, responsive, min(fair, responsive, month))
    return {row.pop("provider"): {name: int(value or 0) for name, value in row.items()} for row in rows}


def strategy(manager: PluginManager):  # noqa: ANN202 - a routing function
    """A plugin's strategy, or the built-in one; a strategy that raises is recorded, and the built-in one used."""
    strategy = manager.first_isolated("lead_routing_strategy")
    if strategy is None:
        return routing.route

    def guarded(*args: Any, **kwargs: Any) -> routing.Decision:
        try:
            return strategy(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - a plugin's failure must not lose the lead
            manager.faults.record(getattr(strategy, "__module__", "?"), "lead_routing_strategy", error)
            return routing.route(*args, **kwargs)

    return guarded


async def extras(manager: PluginManager) -> list[routing.Extra]:
    """The plugins' score components, each guarded: one that raises adds nothing."""
    registered: list[routing.Extra] = []
    await manager.acall_isolated("lead_score_components", register=registered.append)

    def guard(component: routing.Extra) -> routing.Extra:
        def safe(candidate, need, km):
            try:
                return component(candidate, need, km)
            except Exception as error:  # noqa: BLE001
                manager.faults.record(getattr(component, "__module__", "?"), "lead_score_components", error)
                return {}
        return safe

    return [guard(component) for component in registered]
