"""The weekly sums the pages read: rewritten whole, caught up after a downtime, the same when two
workers run at once, and providers counted where they come on site."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import pytest

from directory.tables import Provider
from geo import Gazetteer, ServiceArea
from plugins.insights import counting, rollup, served
from plugins.insights.tables import TABLES, DepartementFigure, NetworkWeek, PeerWeek, ProviderWeek, Rollup
from tests.plugins.leads.test_flow import network as quimper  # noqa: F401 - the Quimper network

MONDAY = date(2026, 3, 2)


@pytest.fixture
async def ids(settings, quimper):
    for table in TABLES:
        await table.delete(force=True)
    slugs = {row["slug"]: row["id"] for row in await Provider.select(Provider.id, Provider.slug)}
    odet, kerf = slugs[quimper["odet"]], slugs[quimper["kerf"]]
    for week in range(3):  # three weeks of counts, Monday and Sunday of each
        for day in (MONDAY + timedelta(weeks=week), MONDAY + timedelta(weeks=week, days=6)):
            await counting.add([(odet, day, counting.SHOWN, 10 + week), (kerf, day, counting.OFFERED, 1)])
            await counting.add_network([(day, counting.SEARCHES, 5)])
    return odet, kerf


async def weekly() -> list[tuple]:
    rows = await ProviderWeek.select(ProviderWeek.provider, ProviderWeek.week, ProviderWeek.counter,
                                     ProviderWeek.value)
    return sorted((row["provider"], row["week"], row["counter"], row["value"]) for row in rows)


async def test_a_second_run_writes_the_same_sums(ids):
    odet, _ = ids
    await rollup.roll_up(MONDAY + timedelta(days=3))
    first = await weekly()
    await rollup.roll_up(MONDAY + timedelta(days=3))
    assert await weekly() == first == sorted([(ids[1], MONDAY, "offered", 2), (odet, MONDAY, "shown", 20)])
    peers = await PeerWeek.select().where(PeerWeek.week == MONDAY)
    assert {(row["counter"], row["value"]) for row in peers if row["departement"] == "29"} >= {
        ("shown", 20), ("offered", 2)}


async def test_a_week_summed_a_few_providers_at_a_time_holds_each_provider_s_latest_sums(ids, monkeypatch):
    odet, kerf = ids
    monkeypatch.setattr(rollup, "PROVIDERS_AT_ONCE", 1)  # a transaction for each provider id
    today = MONDAY + timedelta(days=3)
    await rollup.roll_up(today)
    await counting.add([(odet, MONDAY + timedelta(days=1), counting.SHOWN, 5)])  # counted since
    await rollup.roll_up(today)
    assert await weekly() == sorted([(kerf, MONDAY, "offered", 2), (odet, MONDAY, "shown", 25)])
    peers = await PeerWeek.select().where((PeerWeek.week == MONDAY) & (PeerWeek.counter == counting.SHOWN))
    assert sum(row["value"] for row in peers) == 25


async def test_a_run_after_a_downtime_catches_up_every_week_and_settles_those_past(ids):
    odet, kerf = ids
    assert await rollup.roll_up(MONDAY + timedelta(days=2)) == 1  # the first week only: nothing final
    assert (await Rollup.select(Rollup.settled).first())["settled"] is None
    later = MONDAY + timedelta(weeks=2, days=1)  # no run for two weeks
    assert await rollup.roll_up(later) == 3
    assert await weekly() == sorted([
        *((kerf, MONDAY + timedelta(weeks=week), "offered", 2) for week in range(3)),
        *((odet, MONDAY + timedelta(weeks=week), "shown", 2 * (10 + week)) for week in range(3))])
    # Final: the weeks a whole day after their Sunday; the next runs rewrite only the current week.
    assert (await Rollup.select(Rollup.settled).first())["settled"] == MONDAY + timedelta(weeks=2)
    assert await rollup.roll_up(later) == 1
    searches = await NetworkWeek.select(NetworkWeek.week, NetworkWeek.value).where(
        NetworkWeek.counter == counting.SEARCHES)
    assert sorted((row["week"], row["value"]) for row in searches) == [
        (MONDAY + timedelta(weeks=week), 10) for week in range(3)]


async def test_two_workers_running_at_once_write_each_sum_once(ids):
    today = MONDAY + timedelta(weeks=2, days=3)
    await asyncio.gather(rollup.roll_up(today), rollup.roll_up(today))
    rows = await weekly()
    assert len(rows) == len(set(rows)) == 6
    gini = await NetworkWeek.select(NetworkWeek.value).where(
        (NetworkWeek.counter == rollup.GINI) & (NetworkWeek.week == MONDAY))
    assert len(gini) == 1 and 0 < gini[0]["value"] < 1  # one provider of the six got every offer


async def test_providers_count_in_every_departement_they_come_to(ids):
    await rollup.roll_up(MONDAY)
    figures = {row["departement"]: row for row in await DepartementFigure.select()}
    assert figures["29"]["offices"] == figures["29"]["served"] == 5


def test_a_radius_reaching_over_a_border_serves_both_departements():
    gazetteer = Gazetteer.default()
    morlaix = ServiceArea(48.577, -3.828, "29", 40, (), True)  # Lannion (22) is 35 km away
    quimper = ServiceArea(47.996, -4.102, "29", 20, (), True)
    named = ServiceArea(47.996, -4.102, "29", None, ("56", "35"), True)
    remote = ServiceArea(47.996, -4.102, "29", 50, (), False)
    offices, where = served.count([morlaix, quimper, named, remote], gazetteer)
    assert offices == {"29": 4}
    assert where == {"29": 2, "22": 1, "56": 1, "35": 1}
