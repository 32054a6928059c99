"""A provider's figures per week over the last 12 months, each beside comparable providers'.

Comparable providers are the other published providers of the same kind whose office is in the
same département; their figure is their mean per provider (every comparable provider counts,
those at zero too), and their median answer time is that of all their answers pooled. Every
figure is read from the weekly sums the rollup job writes (``rollup``), never from daily counts
nor raw events: one indexed query for the provider, one for its group of comparables, whose
sums hold the provider's own, taken back out here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from directory.plugin_api import catalogue, tables
from plugins.insights import answer_times, counting, rollup
from plugins.insights.charts import Chart, Series
from plugins.insights.tables import PeerWeek, ProviderWeek
from plugins.insights.weeks import ratio, weeks_ending

WEEKS = 52
OWN, PEERS = "Votre fiche", "Moyenne des fiches comparables"
# (counter, chart key, title, unit): the counts a provider sees, in the page's order.
COUNTED = (
    (counting.SHOWN, "apparitions", "Apparitions en première page des résultats de recherche", "apparitions"),
    (counting.VISITS, "visites", "Visites de votre fiche", "visites"),
    (counting.OFFERED, "proposees", "Demandes de devis proposées", "demandes"),
    (counting.ACCEPTED, "acceptees", "Demandes acceptées", "demandes"),
    (counting.DECLINED, "declinees", "Demandes déclinées", "demandes"),
    (counting.MISSED, "manquees", "Demandes sans réponse avant l'échéance", "demandes"),
)
ANSWER_TIME = ("delai", "Délai médian de réponse aux demandes", "heures")
MEDIAN_OF = "Comparables (toutes leurs réponses)"


@dataclass(frozen=True)
class Statistics:
    """What the page shows: the charts, and how many providers the comparison holds."""

    charts: tuple[Chart, ...]
    peers: int
    kind_label: str
    departement: str


Weekly = dict[str, dict[date, float]]  # counter → week's Monday → sum


def _weekly(rows: list[dict[str, Any]]) -> Weekly:
    found: Weekly = {}
    for row in rows:
        found.setdefault(row["counter"], {})[row["week"]] = float(row["value"])
    return found


def _without(group: Weekly, own: Weekly) -> Weekly:
    """The group's sums with the provider's own taken out."""
    return {counter: {week: value - own.get(counter, {}).get(week, 0.0) for week, value in weeks.items()}
            for counter, weeks in group.items()}


async def of_provider(provider_id: int, today: date) -> Statistics:
    """The provider's weekly figures and its comparables' for the 52 weeks ending with ``today``'s."""
    Provider = tables.Provider
    weeks = weeks_ending(today, WEEKS)
    own = _weekly(await ProviderWeek.select(
        ProviderWeek.week, ProviderWeek.counter, ProviderWeek.value).where(
        (ProviderWeek.provider == provider_id) & (ProviderWeek.week >= weeks[0])))
    me = await Provider.select(Provider.kind, Provider.departement, Provider.state).where(
        Provider.id == provider_id).first()
    group = _weekly(await PeerWeek.select(PeerWeek.week, PeerWeek.counter, PeerWeek.value).where(
        (PeerWeek.kind == me["kind"]) & (PeerWeek.departement == me["departement"])
        & (PeerWeek.week >= weeks[0])))
    published = me["state"] == catalogue.PUBLISHED  # then its own sums are in its group's
    providers = {week: value - published for week, value in group.pop(rollup.PROVIDERS, {}).items()}
    theirs = _without(group, own) if published else group
    latest = providers[max(providers)] if providers else 0
    charts = build(weeks, own, theirs, providers if latest else {})
    return Statistics(charts, round(latest), catalogue.KINDS.get(me["kind"], me["kind"]), me["departement"])


def build(weeks: tuple[date, ...], own: Weekly, theirs: Weekly, peers: dict[date, float],
          ) -> tuple[Chart, ...]:
    """The page's charts from weekly sums: the provider's own and its comparables' total, ``peers``
    being how many comparables each week had (none: no comparison)."""

    def series(sums: Weekly, counter: str) -> tuple[float, ...]:
        return tuple(sums.get(counter, {}).get(week, 0.0) for week in weeks)

    charts = []
    for counter, key, title, unit in COUNTED:
        compared = (Series(PEERS, ratio(series(theirs, counter), [peers.get(week, 0) for week in weeks])),
                    ) if peers else ()
        charts.append(Chart(key, title, unit, weeks, (Series(OWN, series(own, counter)), *compared),
                            decimals=1 if peers else 0, line=True))
    key, title, unit = ANSWER_TIME
    hours = [Series(label, median_hours(sums, weeks)) for label, sums in ((OWN, own), (MEDIAN_OF, theirs))
             if sums is own or peers]
    charts.append(Chart(key, title, unit, weeks, tuple(hours), decimals=1, line=True))
    return tuple(charts)


def median_hours(sums: Weekly, weeks: tuple[date, ...]) -> tuple[float | None, ...]:
    """Each week's median answer time in hours, from its answers per time bucket (within 5 %)."""
    buckets = answer_times.buckets(sums)
    medians = (answer_times.median_seconds({index: by_week.get(week, 0.0)
                                            for index, by_week in buckets.items()}) for week in weeks)
    return tuple(None if seconds is None else seconds / 3600 for seconds in medians)
