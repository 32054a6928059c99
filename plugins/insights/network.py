"""The network's figures for staff, per week over the last 12 months, from the weekly sums.

Every figure is read from what the rollup job wrote (``rollup``): the network's weekly sums,
each week's fairness (the Gini of its offers over the providers published then, those offered
nothing counting as zeros, and the share of them offered at least one request), and today's
providers per département, by office and by the area they come on site to. Providers per
10,000 inhabitants count those who come on site in the département; populations are the
gazetteer's (INSEE's municipal populations).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from directory.plugin_api import PluginManager, clock, kept
from geo import Gazetteer
from plugins.insights import counting, rollup
from plugins.insights.charts import Chart, Series, french_date, french_number
from plugins.insights.statistics import median_hours
from plugins.insights.tables import DepartementFigure, NetworkWeek
from plugins.insights.weeks import ratio, weeks_ending

WEEKS = 52
EXPIRING_DAYS, EXPIRING_KEY = 90, "badges-a-renouveler"
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
    sums: dict[str, dict[date, float]] = defaultdict(dict)
    for row in await NetworkWeek.select(NetworkWeek.week, NetworkWeek.counter, NetworkWeek.value).where(
            NetworkWeek.week >= weeks[0]):
        sums[row["counter"]][row["week"]] = row["value"]
    figures = {row["departement"]: row for row in await DepartementFigure.select(
        DepartementFigure.departement, DepartementFigure.offices, DepartementFigure.served)}

    def series(counter: str) -> tuple[float | None, ...]:
        return tuple(sums.get(counter, {}).get(week, 0.0) for week in weeks)

    gini = sums.get(rollup.GINI, {})
    charts = (
        Chart("entonnoir", "Demandes de devis et propositions", "demandes", weeks,
              tuple(Series(label, series(counter)) for counter, label in FUNNEL), line=True),
        Chart("delai", "Délai médian de réponse des prestataires", "heures", weeks,
              (Series("Délai médian (à 5 % près)", median_hours(sums, weeks)),), decimals=1),
        Chart("gini", "Équité de la répartition : indice de Gini des propositions", "indice", weeks, (Series(
            "Indice de Gini (0 : réparti également)", tuple(gini.get(week) for week in weeks)),), decimals=2),
        Chart("part", "Part des prestataires qui ont reçu au moins une proposition", "%", weeks, (Series(
            "Part des prestataires",
            ratio(series(rollup.OFFERED_PROVIDERS), series(rollup.PUBLISHED), 100)),),
            decimals=1),
        Chart("recherches", "Recherches faites, et celles qui n'ont rien trouvé", "recherches", weeks,
              (Series("Recherches", series(counting.SEARCHES)),
               Series("Sans résultat", series(counting.SEARCHES_EMPTY))), line=True),
    )
    return Dashboard(charts, _departements(figures, sums), sum(row["offices"] for row in figures.values()))


@dataclass(frozen=True)
class Departement:
    """A département's line of the table."""

    code: str
    name: str
    offices: int  # published providers whose office is there
    served: int  # published providers who come on site there
    inhabitants: int
    received: int
    unassigned: int

    @property
    def per_10_000(self) -> float | None:
        return self.served * 10_000 / self.inhabitants if self.inhabitants else None


HEADER = ["Département", "Prestataires qui y interviennent", "Prestataires dont le siège y est", "Habitants",
          "Prestataires qui y interviennent pour 10 000 habitants", "Demandes reçues (12 mois)",
          "Demandes sans prestataire (12 mois)"]


def table(rows: list[Departement]) -> list[list[str]]:
    """The départements as the page's table shows them (French numbers)."""
    return [HEADER, *([f"{row.code} {row.name}", french_number(row.served), french_number(row.offices),
                       french_number(row.inhabitants), french_number(row.per_10_000, 2),
                       french_number(row.received), french_number(row.unassigned)] for row in rows)]


def table_csv(rows: list[Departement]) -> list[list[str]]:
    """The same table for spreadsheets: plain numbers, a decimal comma."""
    return [["code", *HEADER], *([row.code, row.name, str(row.served), str(row.offices), str(row.inhabitants),
                                  "" if row.per_10_000 is None else f"{row.per_10_000:.2f}".replace(".", ","),
                                  str(row.received), str(row.unassigned)] for row in rows)]


def _departements(figures: dict[str, dict], sums: dict[str, dict[date, float]]) -> list[Departement]:
    """One line per département of the gazetteer."""
    inhabitants = kept("plugins.insights.populations", populations)
    names = Gazetteer.default().departements()

    def asked(counter: str, code: str) -> int:
        return round(sum(sums.get(counting.by_departement(counter, code), {}).values()))

    def providers(code: str, column: str) -> int:
        return figures[code][column] if code in figures else 0

    return [Departement(code, names[code][0], providers(code, "offices"), providers(code, "served"),
                        inhabitants.get(code, 0), asked(counting.RECEIVED, code),
                        asked(counting.UNASSIGNED, code))
            for code in sorted(names)]


async def expiring_awards(manager: PluginManager) -> list[dict[str, Any]]:
    """The awards of every plugin that lapse in the next ``EXPIRING_DAYS`` days, soonest first."""
    now = clock.now()
    until = now + timedelta(days=EXPIRING_DAYS)
    answers = await manager.acall_isolated("expiring_awards", now=now, until=until)
    return sorted((award for answer in answers for award in answer or ()),
                  key=lambda award: award["expires_at"])


def expiring_csv(awards: list[dict[str, Any]]) -> list[list[str]]:
    """The awards to renew for spreadsheets: ISO dates."""
    return [["fiche", "prestataire", "badge", "expire_le"],
            *([award["provider"], award["trade_name"], award["award"],
               counting.today(award["expires_at"]).isoformat()] for award in awards)]


def expiring_rows(awards: list[dict[str, Any]]) -> list[list[str]]:
    """The awards to renew as the page's table shows them."""
    return [["Prestataire", "Badge", "Expire le"],
            *([award["trade_name"], award["award"], french_date(counting.today(award["expires_at"]))]
              for award in awards)]
