"""Counting appearances, visits and a lead's steps: off the request's path, summed across servers
and restarts, robots left out, and nothing stored about who looked."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from directory.app import create_app
from directory.platform import clock
from directory.plugin_manager import get_plugin_manager
from directory.testing import csrf_token, serve, sign_in
from plugins.insights import answer_times, counting, visits
from plugins.insights.counting import Tally
from plugins.insights.tables import TABLES, NetworkCount, ProviderCount
from tests.plugins.leads.test_flow import ask, network  # noqa: F401 - the Quimper network, with its members

BROWSER = {"user-agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"}
ROBOT = {"user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"}


@pytest.fixture(autouse=True)
async def no_counts(settings):
    for table in TABLES:
        await table.delete(force=True)


def a_server(settings, name: str):
    """One server of the site: its own app, plugins and memory, on the shared database."""
    configured = replace(settings, secret_key=name * 40, worker_in_app=False, public_url="http://annuaire.example.fr")
    return create_app(configured, get_plugin_manager(configured))


async def counts() -> dict[tuple[str, str], int]:
    rows = await ProviderCount.select(ProviderCount.provider.slug.as_alias("slug"), ProviderCount.counter,
                                      ProviderCount.value)
    found: dict[tuple[str, str], int] = {}
    for row in rows:
        found[(row["slug"], row["counter"])] = found.get((row["slug"], row["counter"]), 0) + row["value"]
    return found


async def network_counts() -> dict[str, int]:
    return {row["counter"]: row["value"] for row in await NetworkCount.select(NetworkCount.counter, NetworkCount.value)}


async def search(client, words: str, headers=BROWSER) -> list[str]:
    found = await client.get("/api/search", params={"q": words}, headers=headers)
    assert found.status_code == 200, found.text
    return [hit["slug"] for hit in found.json()["hits"]]


async def visit(client, slug: str, headers=BROWSER) -> int:
    return (await client.get(f"/prestataires/{slug}", headers=headers)).status_code


async def test_two_servers_and_a_restart_add_up_their_counts_without_doubling(settings, network, manual_clock):
    odet, kerf = network["odet"], network["kerf"]
    first, second = a_server(settings, "a"), a_server(settings, "b")
    async with serve(first) as one, serve(second) as two:
        assert odet in await search(one, "Agence Odet")
        assert odet in await search(two, "Agence Odet")
        assert await search(two, "zinguerie funéraire") == []
        assert [await visit(one, odet), await visit(two, odet), await visit(two, kerf)] == [200, 200, 200]
        assert await counts() == {}  # nothing written on the request's path
    # Each server wrote its own counts at its shutdown; the rows add up.
    assert (await counts())[(odet, "shown")] == 2
    assert (await counts())[(odet, "visits")] == 2 and (await counts())[(kerf, "visits")] == 1
    assert await network_counts() == {"searches": 3, "searches_empty": 1}

    async with serve(a_server(settings, "a")) as restarted:
        await visit(restarted, odet)
    assert (await counts())[(odet, "visits")] == 3
    assert await network_counts() == {"searches": 3, "searches_empty": 1}


async def test_robots_missing_listings_and_later_pages_count_nothing(settings, network, manual_clock):
    async with serve(a_server(settings, "a")) as client:
        await search(client, "Agence Odet", headers=ROBOT)
        assert await visit(client, network["odet"], headers=ROBOT) == 200
        assert await visit(client, network["odet"], headers={"user-agent": ""}) == 200
        assert await visit(client, network["odet"], headers={"user-agent": "curl/8.5.0"}) == 200
        assert await visit(client, "fiche-inconnue") == 404
        second_page = await client.get("/api/search", params={"q": "e-commerce", "page": 2}, headers=BROWSER)
        assert second_page.status_code == 200
    assert await counts() == {} and await network_counts() == {}


async def test_a_day_is_a_french_day(settings, network, manual_clock):
    manual_clock._now = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)  # already the 10th in Paris
    async with serve(a_server(settings, "a")) as client:
        await visit(client, network["odet"])
    [row] = await ProviderCount.select(ProviderCount.day)
    assert row["day"] == date(2026, 3, 10)


async def test_a_failed_write_keeps_the_counts_for_the_next_one(settings, network, manual_clock, monkeypatch):
    tally = Tally()
    tally.note_visit(network["odet"])
    tally.note_visit("fiche-inconnue")

    async def unreachable(rows):
        raise ConnectionError("database away")

    monkeypatch.setattr(counting, "add", unreachable)
    with pytest.raises(ConnectionError):
        await tally.flush()
    monkeypatch.undo()
    tally.note_visit(network["odet"])
    assert await tally.flush() == 1
    assert await counts() == {(network["odet"], "visits"): 2}  # the slug of no listing counts for nobody
    assert await tally.flush() == 0


async def test_a_leads_steps_count_for_its_providers_with_their_answer_time(settings, network, manual_clock):
    async with serve(a_server(settings, "a")) as client:
        await ask(client, manual_clock)
        manual_clock.advance(hours=2)
        await sign_in(client, "membre.odet@example.fr")
        dashboard = await client.get("/compte/demandes")
        offer_id = re.search(r'action="/compte/demandes/(\d+)"', dashboard.text)[1]
        await client.post(f"/compte/demandes/{offer_id}", data={
            "decision": "accepter", "_csrf_token": await csrf_token(client, "/compte/demandes")})
    found = await counts()
    assert found[(network["odet"], "offered")] == 1 and found[(network["odet"], "accepted")] == 1
    two_hours = answer_times.counter(2 * 3600)  # the bucket of 7,200 s: 6,970 to 7,667 s
    assert found[(network["odet"], two_hours)] == 1 and found[(network["odet"], "answered")] == 1
    assert found[(network["kerf"], "offered")] == 1 and (network["kerf"], "accepted") not in found
    assert await network_counts() == {
        "received": 1, "received@29": 1, "offered": 3, "accepted": 1, "answered": 1, two_hours: 1}


async def test_nothing_stored_names_a_visitor(settings, network, manual_clock):
    """Every table the plugin writes holds counts per listing (or network) and day, nothing else."""
    async with serve(a_server(settings, "a")) as client:
        await search(client, "Agence Odet")
        await search(client, "anne@ty-anne.fr zinguerie")
        await visit(client, network["odet"])
        await ask(client, manual_clock)
    allowed = {ProviderCount: {"id", "provider", "day", "counter", "value"},
               NetworkCount: {"id", "day", "counter", "value"}}
    for table, columns in allowed.items():  # the weekly tables hold their sums only
        assert {column._meta.name for column in table._meta.columns} == columns
        rows = await table.select()
        assert rows
        for row in rows:
            assert isinstance(row["day"], date) and isinstance(row["value"], int)
            counter, _, where = row["counter"].partition("@")  # "received@29": where TPEs asked
            assert counter in {*counting.STEP_COUNTERS.values(), counting.SHOWN, counting.VISITS,
                               counting.SEARCHES, counting.SEARCHES_EMPTY, counting.ANSWERED}
            assert where in ("", "29")


def test_robots_are_told_by_their_user_agent():
    assert visits.is_robot("Mozilla/5.0 (compatible; bingbot/2.0)") and visits.is_robot("")
    assert visits.is_robot("python-httpx/0.28") and not visits.is_robot(BROWSER["user-agent"])


def test_a_page_served_again_counts_again_and_midnight_in_paris_starts_another_day():
    with clock.use(clock.ManualClock(datetime(2026, 1, 5, 22, 58, tzinfo=UTC))) as moved:  # 23:58 in Paris
        tally, page, empty = Tally(), ("alpha", "beta"), ()
        for _ in range(3):  # one answer, served twice more from memory
            tally.note_search(2, page)
        tally.note_search(0, empty)
        moved.advance(minutes=3)  # 00:01 in Paris: the 6th
        tally.note_search(2, page)
        tally.fold()
    first, second = date(2026, 1, 5), date(2026, 1, 6)
    assert tally.listings == {(first, counting.SHOWN): {"alpha": 3, "beta": 3},
                              (second, counting.SHOWN): {"alpha": 1, "beta": 1}}
    assert tally.network == {(first, counting.SEARCHES): 4, (first, counting.SEARCHES_EMPTY): 1,
                             (second, counting.SEARCHES): 1}
    assert tally.pages == {}
