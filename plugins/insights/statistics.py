"""A provider's figures per week over the last 12 months, each beside comparable providers'.

Comparable providers are the other published providers of the same kind whose office is in the
same département; their figure is their mean per provider (every comparable provider counts,
those at zero too), and the mean answer time is their answers' pooled mean. Every figure is read
from the daily counts, never from raw events: one grouped query for the provider, one for its
comparables.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from directory.plugin_api import catalogue, tables
from plugins.insights import counting
from plugins.insights.charts import Chart, Series
from plugins.insights.tables import ProviderCount
from plugins.insights.weeks import ratio, weekly, weeks_ending

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
ANSWER_TIME = ("delai", "Délai moyen de réponse aux demandes", "heures")


@dataclass(frozen=True)
class Statistics:
    """What the page shows: the charts, and how many providers the comparison holds."""

    charts: tuple[Chart, ...]
    peers: int
    kind_label: str
    departement: str


Daily = dict[str, dict[date, float]]


def _daily(rows: list[dict[str, Any]]) -> Daily:
    found: Daily = {}
    for row in rows:
        found.setdefault(row["counter"], {})[row["day"]] = float(row["total"])
    return found


async def of_provider(provider_id: int, today: date) -> Statistics:
    """The provider's weekly figures and its comparables' for the 52 weeks ending with ``today``'s."""
    Provider = tables.Provider
    weeks = weeks_ending(today, WEEKS)
    own = await ProviderCount.select(ProviderCount.day, ProviderCount.counter,
                                     ProviderCount.value.as_alias("total")).where(
        (ProviderCount.provider == provider_id) & (ProviderCount.day >= weeks[0]))
    me = await Provider.select(Provider.kind, Provider.departement).where(Provider.id == provider_id).first()
    peers = (Provider.kind == me["kind"]) & (Provider.departement == me["departement"]) & (
        Provider.state == catalogue.PUBLISHED) & (Provider.id != provider_id)
    count = await Provider.count().where(peers)
    theirs = await ProviderCount.raw(
        "SELECT c.day AS day, c.counter AS counter, SUM(c.value) AS total FROM provider_count c "
        "JOIN provider p ON p.id = c.provider WHERE p.kind = {} AND p.departement = {} AND p.state = {} "
        "AND p.id <> {} AND c.day >= {} GROUP BY c.day, c.counter",
        me["kind"], me["departement"], catalogue.PUBLISHED, provider_id, weeks[0]) if count else []
    charts = build(weeks, _daily(own), _daily(theirs), count)
    return Statistics(charts, count, catalogue.KINDS.get(me["kind"], me["kind"]), me["departement"])


def build(weeks: tuple[date, ...], own: Daily, theirs: Daily, peers: int) -> tuple[Chart, ...]:
    """The page's charts from daily sums: the provider's own and its ``peers`` comparables' total."""

    def series(daily: Daily, counter: str) -> tuple[float, ...]:
        return weekly(daily.get(counter, {}), weeks)

    charts = []
    for counter, key, title, unit in COUNTED:
        compared = (Series(PEERS, ratio(series(theirs, counter), [peers] * len(weeks))),) if peers else ()
        charts.append(Chart(key, title, unit, weeks, (Series(OWN, series(own, counter)), *compared),
                            decimals=1 if peers else 0, line=True))
    key, title, unit = ANSWER_TIME
    hours = [Series(label, ratio(series(daily, counting.ANSWER_SECONDS), series(daily, counting.ANSWERED), 1 / 3600))
             for label, daily in ((OWN, own), (PEERS, theirs)) if daily is own or peers]
    charts.append(Chart(key, title, unit, weeks, tuple(hours), decimals=1, line=True))
    return tuple(charts)
