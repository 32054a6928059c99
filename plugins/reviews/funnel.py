"""The funnel of outcomes: of the requests providers accepted, how many were asked where things
stand, answered, led to a quote, to an order, or ended not retained or without news.

Counted per provider or per département (the TPE's) from one grouped statement; the tally
itself is a plain function, and the staff page, its CSV and a provider's dashboard show the
same ``Funnel`` rows.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import astuple, dataclass
from typing import Any

from plugins.reviews import outcomes
from plugins.reviews.tables import Engagement

# Column headers, in the order of ``Funnel``'s fields: the page's table and the CSV's first line.
STAGES = ("Acceptées", "Interrogées", "Réponses", "Devis", "Commandes", "Pas retenu", "Sans nouvelles")


@dataclass
class Funnel:
    accepted: int = 0
    asked: int = 0  # at least one outcome ask sent
    answered: int = 0  # the TPE or the provider said where things stand
    quote: int = 0  # a quote received, or the work ordered
    ordered: int = 0
    not_retained: int = 0
    no_news: int = 0  # said so, or neither side answered either ask

    def add(self, row: dict[str, Any]) -> None:
        count, outcome = int(row["count"]), row["outcome"]
        self.accepted += count
        self.asked += count if row["asked"] else 0
        self.answered += count if outcome else 0
        self.quote += count if outcome in (outcomes.QUOTE, outcomes.ORDERED) else 0
        self.ordered += count if outcome == outcomes.ORDERED else 0
        self.not_retained += count if outcome == outcomes.NOT_CHOSEN else 0
        self.no_news += count if outcome == outcomes.NO_NEWS or (not outcome and row["silent"]) else 0

    def counts(self) -> tuple[int, ...]:
        return astuple(self)


def tally(rows: Iterable[dict[str, Any]], key: Callable[[dict[str, Any]], Hashable]) -> dict[Hashable, Funnel]:
    """The funnel of each ``key`` of the grouped ``rows`` (as ``read`` returns them)."""
    funnels: dict[Hashable, Funnel] = {}
    for row in rows:
        funnels.setdefault(key(row), Funnel()).add(row)
    return funnels


_READ = (
    "SELECT engagement.provider AS provider, provider.trade_name AS trade_name, engagement.departement AS departement, "
    "CASE WHEN engagement.asks > 0 THEN 1 ELSE 0 END AS asked, "
    "CASE WHEN engagement.tpe_outcome <> '' THEN engagement.tpe_outcome ELSE engagement.provider_outcome END "
    "AS outcome, CASE WHEN engagement.without_news_at IS NULL THEN 0 ELSE 1 END AS silent, COUNT(*) AS count "
    "FROM engagement JOIN provider ON provider.id = engagement.provider WHERE {} = 0 OR engagement.provider = {} "
    "GROUP BY engagement.provider, provider.trade_name, engagement.departement, asked, outcome, silent")


async def read(provider_id: int | None = None) -> list[dict[str, Any]]:
    """The engagements counted by provider, département and stage (of one provider, if given)."""
    return await Engagement.raw(_READ, provider_id or 0, provider_id or 0)


TOTAL = "Ensemble"
BY_PROVIDER, BY_DEPARTEMENT = "prestataires", "departements"
LABELS = {BY_PROVIDER: "Prestataire", BY_DEPARTEMENT: "Département de la TPE"}


def table(rows: list[dict[str, Any]], by: str) -> list[tuple[str, Funnel]]:
    """The funnel of each provider (by name) or each département (the TPE's, by code), then the total."""
    if by == BY_PROVIDER:
        funnels = tally(rows, lambda row: (row["trade_name"], row["provider"]))
        shown = [(name, funnels[name, provider]) for name, provider in sorted(funnels)]
    else:
        shown = sorted(tally(rows, lambda row: row["departement"] or "?").items())
    return [*shown, (TOTAL, tally(rows, lambda row: TOTAL).get(TOTAL, Funnel()))]


def csv_rows(shown: list[tuple[str, Funnel]], by: str) -> list[list[object]]:
    """The table as its CSV download holds it: the headers, then one line per row of the page."""
    return [[LABELS[by], *STAGES], *([name, *funnel.counts()] for name, funnel in shown)]
