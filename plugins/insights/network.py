"""The network's figures for staff, per week over the last 12 months, from the daily counts.

Fairness is the Gini of each week's offers over every published provider (those offered nothing
count as zeros; the providers published today stand for each past week's, an approximation the
page says), and the share of them offered at least one request. Providers per 10,000
inhabitants count the published providers whose office is in the département; populations are
the gazetteer's (INSEE's municipal populations).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from directory.plugin_api import catalogue, kept, tables
from geo import Gazetteer
from plugins.insights import counting
from plugins.insights.charts import Chart, Series, french_number
from plugins.insights.tables import NetworkCount, ProviderCount
from plugins.insights.weeks import gini, monday, ratio, weekly, weeks_ending

WEEKS = 52
FUNNEL = ((counting.RECEIVED, "Demandes reçues"), (counting.OFFERED, "Propositions faites"),
          (counting.ACCEPTED, "Propositions acceptées"), (counting.UNASSIGNED, "Demandes sans prestataire"))


@dataclass(frozen=True)
class Dashboard:
    """The dashboard's charts, its départements and how many providers are published."""

    charts: tuple[Chart, ...]
    departements: list[Departement]
    providers: int


def populations() -> dict[str, int]:
    """Inhabitants per département, summed over its communes (a city's arrondissements once)."""
    totals: dict[str, int] = defaultdict(int)
    for place in Gazetteer.default().places():
        if place.kind != "city":
            totals[place.departement] += place.population
    return dict(totals)


async def dashboard(today: date) -> Dashboard:
    """The figures of the 52 weeks ending with ``today``'s."""
    weeks = weeks_ending(today, WEEKS)
    daily: dict[str, dict[date, float]] = defaultdict(dict)
    for row in await NetworkCount.select(NetworkCount.day, NetworkCount.counter, NetworkCount.value).where(
            NetworkCount.day >= weeks[0]):
        daily[row["counter"]][row["day"]] = float(row["value"])
    offices = {row["departement"]: row["count"] for row in await tables.Provider.raw(
        "SELECT departement, COUNT(*) AS count FROM provider WHERE state = {} GROUP BY departement",
        catalogue.PUBLISHED)}
    published = sum(offices.values())
    offers = await _offers_per_week(weeks)

    def series(counter: str) -> tuple[float, ...]:
        return weekly(daily.get(counter, {}), weeks)

    charts = (
        Chart("entonnoir", "Demandes de devis et propositions", "demandes", weeks,
              tuple(Series(label, series(counter)) for counter, label in FUNNEL), line=True),
        Chart("delai", "Délai moyen de réponse des prestataires", "heures", weeks, (Series(
            "Délai moyen", ratio(series(counting.ANSWER_SECONDS), series(counting.ANSWERED), 1 / 3600)),), decimals=1),
        Chart("gini", "Équité de la répartition : indice de Gini des propositions", "indice", weeks, (Series(
            "Indice de Gini (0 : réparti également)",
            tuple(gini([*offers[week].values(), *[0] * (published - len(offers[week]))]) if offers[week] else None
                  for week in weeks)),), decimals=2),
        Chart("part", "Part des prestataires qui ont reçu au moins une proposition", "%", weeks, (Series(
            "Part des prestataires", ratio([len(offers[week]) for week in weeks], [published] * len(weeks), 100)),),
            decimals=1),
        Chart("recherches", "Recherches faites, et celles qui n'ont rien trouvé", "recherches", weeks,
              (Series("Recherches", series(counting.SEARCHES)),
               Series("Sans résultat", series(counting.SEARCHES_EMPTY))), line=True),
    )
    return Dashboard(charts, _departements(offices, daily), published)


async def _offers_per_week(weeks: tuple[date, ...]) -> dict[date, dict[int, float]]:
    """Each week's offers per provider offered at least one."""
    found: dict[date, dict[int, float]] = {week: defaultdict(float) for week in weeks}
    for row in await ProviderCount.select(ProviderCount.provider, ProviderCount.day,
                                          ProviderCount.value).where(
            (ProviderCount.counter == counting.OFFERED) & (ProviderCount.day >= weeks[0])):
        week = monday(row["day"])
        if week in found:
            found[week][row["provider"]] += row["value"]
    return found


@dataclass(frozen=True)
class Departement:
    """A département's line of the table."""

    code: str
    name: str
    providers: int
    inhabitants: int
    received: int
    unassigned: int

    @property
    def per_10_000(self) -> float | None:
        return self.providers * 10_000 / self.inhabitants if self.inhabitants else None


HEADER = ["Département", "Prestataires", "Habitants", "Prestataires pour 10 000 habitants",
          "Demandes reçues (12 mois)", "Demandes sans prestataire (12 mois)"]


def table(rows: list[Departement]) -> list[list[str]]:
    """The départements as the page's table shows them (French numbers)."""
    return [HEADER, *([f"{row.code} {row.name}", french_number(row.providers), french_number(row.inhabitants),
                       french_number(row.per_10_000, 2), french_number(row.received), french_number(row.unassigned)]
                      for row in rows)]


def table_csv(rows: list[Departement]) -> list[list[str]]:
    """The same table for spreadsheets: plain numbers, a decimal comma."""
    return [["code", *HEADER], *([row.code, row.name, str(row.providers), str(row.inhabitants),
                                  "" if row.per_10_000 is None else f"{row.per_10_000:.2f}".replace(".", ","),
                                  str(row.received), str(row.unassigned)] for row in rows)]


def _departements(offices: dict[str, int], daily: dict[str, dict[date, float]]) -> list[Departement]:
    """One line per département of the gazetteer."""
    inhabitants = kept("plugins.insights.populations", populations)
    names = Gazetteer.default().departements()

    def asked(counter: str, code: str) -> int:
        return round(sum(daily.get(counting.by_departement(counter, code), {}).values()))

    return [Departement(code, names[code][0], offices.get(code, 0), inhabitants.get(code, 0),
                        asked(counting.RECEIVED, code), asked(counting.UNASSIGNED, code)) for code in sorted(names)]
