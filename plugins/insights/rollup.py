"""Weekly sums of the daily counts, written by a recurring job: the only rows the pages read.

Every run rewrites each week that is not final yet, from the first week after the last final
one up to the current week: it sums the week's daily counts again, ``PROVIDERS_AT_ONCE``
providers per transaction, each sum replacing the one written before (daily counts only grow),
then the week's comparables and network figures in one last transaction. So a run is
idempotent, the first run after a downtime catches up every week it missed, and two workers
running it at once only write the same rows one after the other (each transaction takes the
write lock first and looks again whether the week became final meanwhile). A week is final a
day after its Sunday: by then the last minute's counts of its Sunday are written.

The transactions are short on purpose: on SQLite every other writer (a quote request, a flush
of the counters) waits while one runs, and a week of 100,000 providers summed at once held the
write lock for seconds.

A week also gets what cannot be summed later: the comparables' sums per kind and département of
office (with how many they were), and the fairness of the week's offers over the providers
published then (the Gini coefficient, the share offered at least one request).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from directory.plugin_api import catalogue, tables, write_transaction
from plugins.insights import counting, served
from plugins.insights.tables import NetworkCount, NetworkWeek, PeerWeek, ProviderCount, ProviderWeek, Rollup
from plugins.insights.weeks import gini, monday

TASK = "insights.rollup"
EVERY = timedelta(minutes=10)
NAME = "weeks"
FINAL_AFTER = timedelta(days=8)  # from the week's Monday: a whole day after its Sunday
PROVIDERS, GINI, OFFERED_PROVIDERS, PUBLISHED = "providers", "gini", "offered_providers", "published"
PROVIDERS_AT_ONCE = 2_000  # a few hundred milliseconds of the write lock at most, on this machine


async def run(payload: dict[str, Any]) -> None:
    """The recurring job."""
    await roll_up(counting.today())


async def roll_up(today: date) -> int:
    """Rewrite every week not final yet up to ``today``'s, then today's départements; returns the
    number of weeks written."""
    state = await Rollup.select(Rollup.settled).where(Rollup.name == NAME).first()
    week = state["settled"] if state and state["settled"] else await _first_week(today)
    written = 0
    while week <= monday(today):
        written += await _write_week(week, final=week + FINAL_AFTER <= today)
        week += timedelta(weeks=1)
    await served.refresh()
    return written


async def _first_week(today: date) -> date:
    """The Monday of the first day counted (today's without any count)."""
    firsts = [row["first"] for table in (ProviderCount, NetworkCount)
              for row in await table.raw(f"SELECT MIN(day) AS first FROM {table._meta.tablename}")  # noqa: S608
              if row["first"] is not None]
    return monday(min((_as_date(first) for first in firsts), default=today))


def _as_date(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)  # SQLite's MIN gives the text


def _param() -> str:
    """A date parameter where a column is selected (PostgreSQL cannot guess a bare parameter's type)."""
    return "{}" if ProviderWeek._meta.db.engine_type == "sqlite" else "CAST({} AS DATE)"


async def _write_week(week: date, final: bool) -> int:
    """Sum one week again; returns 1, or 0 when another worker made it final meanwhile."""
    days, param = [week + timedelta(days=day) for day in range(7)], _param()
    bounds = await tables.Provider.raw("SELECT MIN(id) AS first, MAX(id) AS last FROM provider")
    first, last = bounds[0]["first"] or 0, bounds[0]["last"] or 0
    # The days named one by one: each is a range of the (day, provider) index, cut by the chunk.
    in_week = ", ".join([param] * 7)
    for low in range(first - 1, last, PROVIDERS_AT_ONCE):
        async with write_transaction(ProviderWeek._meta.db):
            if await _settled_after(week):
                return 0
            await ProviderWeek.raw(
                f"INSERT INTO provider_week (provider, week, counter, value) SELECT provider, {param}, counter, "
                f"SUM(value) FROM provider_count WHERE day IN ({in_week}) AND provider > {{}} AND provider <= {{}} "
                "GROUP BY provider, counter "
                "ON CONFLICT (provider, week, counter) DO UPDATE SET value = excluded.value",
                week, *days, low, low + PROVIDERS_AT_ONCE)
    async with write_transaction(ProviderWeek._meta.db):
        await Rollup.insert(Rollup(name=NAME, settled=None)).on_conflict(target=Rollup.name,
                                                                         action="DO NOTHING")
        if await _settled_after(week):
            return 0
        for table in (PeerWeek, NetworkWeek):
            await table.delete().where(table.week == week)
        await NetworkWeek.raw(
            f"INSERT INTO network_week (week, counter, value) SELECT {param}, counter, SUM(value) "
            "FROM network_count WHERE day >= {} AND day < {} GROUP BY counter", week, week, week + timedelta(weeks=1))
        await PeerWeek.raw(
            "INSERT INTO peer_week (kind, departement, week, counter, value) "
            f"SELECT p.kind, p.departement, {param}, w.counter, SUM(w.value) "
            "FROM provider_week w JOIN provider p ON p.id = w.provider "
            "WHERE w.week = {} AND p.state = {} GROUP BY p.kind, p.departement, w.counter",
            week, week, catalogue.PUBLISHED)
        await PeerWeek.raw(
            "INSERT INTO peer_week (kind, departement, week, counter, value) "
            f"SELECT kind, departement, {param}, {{}}, COUNT(*) "
            "FROM provider WHERE state = {} GROUP BY kind, departement",
            week, PROVIDERS, catalogue.PUBLISHED)
        await _write_fairness(week)
        if final:
            await Rollup.update({Rollup.settled: week + timedelta(weeks=1)}).where(Rollup.name == NAME)
    return 1


async def _settled_after(week: date) -> bool:
    """Whether ``week`` is final already (another worker settled it): inside a write transaction."""
    state = await Rollup.select(Rollup.settled).where(Rollup.name == NAME).first()
    return state is not None and state["settled"] is not None and state["settled"] > week


async def _write_fairness(week: date) -> None:
    """The week's Gini of offers over today's published providers, and how many were offered one."""
    offers = [row["value"] for row in await ProviderWeek.select(ProviderWeek.value).where(
        (ProviderWeek.week == week) & (ProviderWeek.counter == counting.OFFERED) & (ProviderWeek.value > 0))]
    published = await tables.Provider.count().where(tables.Provider.state == catalogue.PUBLISHED)
    figures = [(PUBLISHED, published), (OFFERED_PROVIDERS, len(offers))]
    if offers:
        figures.append((GINI, gini([*offers, *[0] * max(published - len(offers), 0)])))
    await NetworkWeek.insert(*(NetworkWeek(week=week, counter=name, value=value) for name, value in figures))

