"""Results pages and ``/api/search`` from memory: every answer still counted by the plugins that
learn from searches, never a visitor's own position kept, and a change seen by every server."""

from __future__ import annotations

from dataclasses import replace

import pytest

from directory import events
from directory.app import create_app
from directory.plugin_manager import get_plugin_manager
from directory.testing import add_providers, provider_row, serve
from plugins.insights.tables import TABLES
from plugins.needs import learning
from plugins.needs.tables import UnheardSearch
from tests.following import caught_up
from tests.plugins.insights.test_counting import BROWSER, ROBOT, counts, network_counts
from tests.plugins.leads.test_flow import network  # noqa: F401 - the Quimper network, with its members

# What visitors do, in order: (path, query, headers); each more than once, as the cache serves repeats.
VISITS = [
    ("/api/search", {"q": "Agence Odet"}, BROWSER),
    ("/recherche", {"q": "e-commerce", "near": "29000"}, BROWSER),
    ("/recherche", {"q": "e-commerce", "near": "29000"}, {**BROWSER, "X-Search-Live": "1"}),  # as one types
    ("/recherche", {"q": "e-commerce", "near": "29000", "page": "2"}, BROWSER),
    ("/api/search", {"q": "Agence Odet"}, ROBOT),
    ("/recherche", {"q": "zinguerie funéraire"}, BROWSER),
    ("/api/search", {"q": "vendre mes tartes", "ignore": "e-commerce"}, BROWSER),
]


def a_server(settings, cached: bool):
    configured = replace(settings, secret_key="k" * 40, worker_in_app=False, page_cache=cached)
    return create_app(configured, get_plugin_manager(configured))


async def observed(settings, cached: bool) -> tuple[dict, dict, dict, int]:
    """What the plugins counted of ``VISITS`` made three times, and how many answers were kept."""
    for table in (*TABLES, UnheardSearch):
        await table.delete(force=True)
    app = a_server(settings, cached)
    async with serve(app) as client:
        await caught_up(app)
        for _ in range(3):
            for path, query, headers in VISITS:
                assert (await client.get(path, params=query, headers=headers)).status_code == 200
        kept = len(app.state.page_cache)
    unheard = {(row["outcome"], row["text"]): row["times"] for row in await learning.unheard()}
    return await counts(), await network_counts(), unheard, kept  # written at the server's shutdown


async def test_answers_from_memory_are_counted_as_answers_built(settings, network, manual_clock):
    *built, kept = await observed(settings, cached=False)
    *from_memory, kept_with_cache = await observed(settings, cached=True)
    assert kept == 0 and kept_with_cache == 5  # each distinct address once, whoever asks
    assert from_memory == built
    shown, searches, unheard = built
    assert shown[(network["odet"], "shown")] == 6 and searches == {"searches": 12, "searches_empty": 6}
    assert unheard == {("nothing", "zinguerie funeraire"): 3, ("corrected", "vendre mes tartes"): 3}


@pytest.mark.parametrize("path", ["/recherche", "/api/search"])
async def test_a_search_around_the_visitors_own_position_is_never_kept(settings, network, path):
    app = a_server(settings, cached=True)
    async with serve(app) as client:
        await caught_up(app)
        for near in ("47.9960,-4.1020", "47.99, -4.10"):
            answer = await client.get(path, params={"q": "e-commerce", "near": near})
            assert answer.status_code == 200 and "private" in answer.headers["cache-control"]
        assert len(app.state.page_cache) == 0
        assert "private" not in (await client.get(path, params={"near": "29000"})).headers.get(
            "cache-control", ""
        )
        assert len(app.state.page_cache) == 1


@pytest.mark.parametrize("path", ["/recherche", "/api/search"])
async def test_another_server_shows_a_change_in_its_results_once_it_looks(settings, path):
    await add_providers(provider_row(trade_name="Zéphyr Un", services="e-commerce"))
    one, two = a_server(settings, cached=True), a_server(settings, cached=True)
    async with serve(one) as first, serve(two) as second:
        for app in (one, two):
            await caught_up(app)
        assert "Zéphyr Un" in (await first.get(path, params={"q": "zephyr"})).text
        await add_providers(
            provider_row(trade_name="Zéphyr Deux", services="e-commerce")
        )  # written elsewhere
        assert "Zéphyr Deux" not in (await first.get(path, params={"q": "zephyr"})).text  # until it looks
        one.state.page_cache.seen(await events.latest())  # the cache looked, its search index not yet
        assert "Zéphyr Deux" not in (await first.get(path, params={"q": "zephyr"})).text
        assert len(one.state.page_cache) == 0  # built from an index behind the outbox: not kept
        await caught_up(one)
        assert "Zéphyr Deux" in (await first.get(path, params={"q": "zephyr"})).text
        assert len(one.state.page_cache) == 1
        await caught_up(two)
        assert "Zéphyr Deux" in (await second.get(path, params={"q": "zephyr"})).text


async def test_a_results_page_from_memory_answers_304_to_the_browser_holding_it(settings, network):
    app = a_server(settings, cached=True)
    async with serve(app) as client:
        await caught_up(app)
        first = await client.get("/recherche", params={"q": "e-commerce", "near": "29000"})
        client.cookies.clear()  # the first answer set the visitor's CSRF cookie; the kept copy sets none
        kept = await client.get("/recherche", params={"q": "e-commerce", "near": "29000"})
        held = await client.get(
            "/recherche",
            params={"q": "e-commerce", "near": "29000"},
            headers={"if-none-match": kept.headers["etag"]},
        )
    assert kept.content == first.content and "Agence Odet" in kept.text
    assert held.status_code == 304 and len(app.state.page_cache) == 1
