"""The search index never drifts from the database: the outbox, its cursor, and the checks."""

import asyncio
from datetime import timedelta

import msgspec
import pytest

from directory import events
from directory.app import create_app
from directory.database import write_transaction
from directory.platform import current
from directory.plugin_api import hookimpl
from directory.plugin_manager import get_plugin_manager
from directory.tables import Event, Provider
from directory.testing import add_providers, provider_row, serve
from geo import Gazetteer
from plugins.geosearch.check import SILENT_AFTER
from plugins.geosearch.index import CONSUMER, SearchIndex
from search import SearchError, SearchQuery, create_backend


async def subjects(start: int, limit: int = events.BATCH) -> tuple[list[str], int]:
    """The subjects of the events after ``start``, and the position they lead to."""
    read, position = await events.since(start, limit)
    return [event.subject for event in read], position


async def test_every_write_records_an_event_in_the_same_transaction(settings):
    before = await events.latest()
    [slug] = await add_providers(provider_row())
    slugs, position = await subjects(before)
    assert slugs == [slug] and position > before
    with pytest.raises(RuntimeError):
        async with write_transaction(Provider._meta.db):
            await events.record(events.PROVIDER_SAVED, ["ghost"], {"created": True})
            raise RuntimeError("rolled back")
    assert "ghost" not in [row["subject"] for row in await Event.select(Event.subject)]


class FlakyBackend:
    """An engine that fails its writes until told to recover."""

    def __init__(self):
        self.inner = create_backend("embedded")
        self.name = "flaky"
        self.failing = True

    def __getattr__(self, name):
        return getattr(self.inner, name)

    async def upsert(self, documents):
        if self.failing:
            raise SearchError("engine down")
        await self.inner.upsert(documents)


async def test_changes_wait_in_the_outbox_until_the_engine_takes_them(settings, plugin_manager):
    index = SearchIndex(FlakyBackend(), plugin_manager, Gazetteer.default())
    await index.configure()
    index.position = await events.latest()
    await add_providers(provider_row(trade_name="Agence Colibri"))
    with pytest.raises(SearchError):
        await index.sync()
    assert (await subjects(index.position))[0] == ["agence-colibri-bordeaux"]  # nothing lost
    index.backend.failing = False
    assert await index.sync() == 1
    assert (await subjects(index.position))[0] == []
    assert [h.id for h in (await index.backend.search(SearchQuery(text="colibri"))).hits] == ["agence-colibri-bordeaux"]


async def test_changes_made_while_the_server_is_down_are_there_after_a_restart(settings, plugin_manager):
    await add_providers(provider_row(trade_name="Agence Avant"))
    async with serve(create_app(settings, plugin_manager)):
        pass
    await add_providers(provider_row(trade_name="Agence Pendant"))  # the server is stopped
    async with serve(create_app(settings, plugin_manager)) as client:
        names = {h["trade_name"] for h in (await client.get("/api/search", params={"q": "agence"})).json()["hits"]}
    assert names == {"Agence Avant", "Agence Pendant"}


def test_reindex_and_search_check_never_move_the_shared_cursor(settings, invoke):
    asyncio.run(add_providers(provider_row(), provider_row(trade_name="Studio Galet")))
    asyncio.run(events.advance(CONSUMER, 1))
    reindexed = invoke("reindex")
    assert reindexed.exit_code == 0 and "2 prestataires indexés" in reindexed.output
    checked = invoke("search-check", "--wait", "0")
    assert checked.exit_code == 0 and "Aucun serveur inscrit" in checked.output
    assert asyncio.run(events.position(CONSUMER)) == 1


async def _server(plugin_manager) -> SearchIndex:
    """An in-memory index as a server holds it, reported to the followers' table."""
    index = SearchIndex(create_backend("embedded"), plugin_manager, Gazetteer.default())
    await index.open()
    await index.report()
    return index


async def test_search_check_fails_while_a_server_is_behind_and_passes_once_it_caught_up(settings, plugin_manager,
                                                                                         invoke):
    await add_providers(provider_row())
    first, second = await _server(plugin_manager), await _server(plugin_manager)
    await add_providers(provider_row(trade_name="Studio Galet"))
    await first.sync()
    await first.report()
    checked = await asyncio.to_thread(invoke, "search-check", "--wait", "0")
    assert checked.exit_code == 1
    assert checked.output.count("à jour") == 1 and checked.output.count("en retard") == 1
    await second.sync()
    await second.report()
    checked = await asyncio.to_thread(invoke, "search-check", "--wait", "0")
    assert checked.exit_code == 0 and checked.output.count("à jour") == 2, checked.output
    for index in (first, second):
        await index.stop()
    assert "Aucun serveur" in (await asyncio.to_thread(invoke, "search-check")).output


class ExtraField:
    """A plugin that the other server does not run: its documents differ."""

    @hookimpl
    def provider_document(self, provider, document):
        document["extra"] = 1


async def test_search_check_tells_a_server_whose_documents_differ(settings, plugin_manager, invoke):
    await add_providers(provider_row())
    other = get_plugin_manager(settings)
    other.register(ExtraField(), name="extra-field")
    server = await _server(other)
    checked = await asyncio.to_thread(invoke, "search-check", "--wait", "0")
    assert checked.exit_code == 1 and "index différent" in checked.output
    await server.stop()


async def test_search_check_finds_drift_both_ways(settings, plugin_manager):
    await add_providers(provider_row(), provider_row(trade_name="Studio Galet"))
    index = SearchIndex(create_backend("embedded"), plugin_manager, Gazetteer.default())
    await index.open()
    await index.backend.delete(["studio-galet-bordeaux"])
    await index.backend.upsert([{"id": "ghost", "kind": "reseller", "trade_name": "Fantôme"}])
    assert await index.check() == (["studio-galet-bordeaux"], ["ghost"])


async def test_a_reader_never_passes_a_change_committed_after_a_larger_one(settings):
    """Outbox ids are handed out before commit: writers must commit in the order they take ids."""
    engine = Provider._meta.db
    start = await events.latest()
    first_open, release = asyncio.Event(), asyncio.Event()

    async def slow_writer() -> None:
        async with write_transaction(engine):
            await events.record(events.PROVIDER_SAVED, ["first"], {"created": True})
            first_open.set()
            await release.wait()

    async def fast_writer() -> None:
        await first_open.wait()
        async with write_transaction(engine):
            await events.record(events.PROVIDER_SAVED, ["second"], {"created": True})

    slow, fast = asyncio.create_task(slow_writer()), asyncio.create_task(fast_writer())
    await first_open.wait()
    for _ in range(20):  # give the second writer every chance to commit first
        await asyncio.sleep(0.01)
    seen, position = await subjects(start)
    release.set()
    await asyncio.gather(slow, fast)
    rest, _ = await subjects(position)
    assert seen == [] and rest == ["first", "second"]


async def test_concurrent_writers_lose_no_change_for_a_reader_that_follows_them(settings):
    start = position = await events.latest()
    seen: list[str] = []
    writers_done = asyncio.Event()

    async def writer(number: int) -> None:
        for batch in range(5):
            async with write_transaction(Provider._meta.db):
                await events.record(events.PROVIDER_SAVED, [f"w{number}-{batch}-{item}" for item in range(3)], {"created": True})
                await asyncio.sleep(0)

    async def reader() -> None:
        nonlocal position
        while True:
            done = writers_done.is_set()
            slugs, position = await subjects(position, 7)
            seen.extend(slugs)
            if done and not slugs:
                return
            await asyncio.sleep(0)

    reading = asyncio.create_task(reader())
    await asyncio.gather(*(writer(number) for number in range(8)))
    writers_done.set()
    await reading
    assert len(seen) == 8 * 5 * 3 == len(set(seen)) and position > start


async def test_the_index_reads_past_events_that_are_not_about_providers(settings, plugin_manager):
    index = await _server(plugin_manager)
    current.platform().plugin_manager.declare_event_type("test.noise", NoisePayload)
    async with write_transaction(Provider._meta.db):
        await events.record("test.noise", [str(n) for n in range(events.BATCH + 5)], {})
    [slug] = await add_providers(provider_row(trade_name="Atelier Écume"))
    assert await index.sync() == 1  # a whole batch of other events, then the provider's
    assert index.position == await events.latest()
    assert slug in (await index.backend.ids())


class NoisePayload(msgspec.Struct):
    pass


async def test_a_server_that_stops_reporting_is_a_fault_until_it_reports_again_or_staff_remove_it(
        settings, plugin_manager, invoke, manual_clock):
    """A stalled server used to drop out of the check, which then said all was well."""
    await add_providers(provider_row())
    server = await _server(plugin_manager)
    manual_clock.advance(seconds=SILENT_AFTER.total_seconds() + 1)
    checked = await asyncio.to_thread(invoke, "search-check", "--wait", "0")
    assert checked.exit_code == 1 and "ne se signale plus" in checked.output, checked.output
    assert f"id {server.follower.instance}" in checked.output and "1 en défaut" in checked.output
    await server.report()  # it comes back
    checked = await asyncio.to_thread(invoke, "search-check", "--wait", "0")
    assert checked.exit_code == 0 and "à jour" in checked.output, checked.output
    manual_clock.advance(seconds=SILENT_AFTER.total_seconds() + 1)  # then dies without leaving
    unknown = await asyncio.to_thread(invoke, "search-check", "--forget", "f" * 32)
    assert unknown.exit_code == 1 and "Aucun serveur inscrit n'a l'identifiant" in unknown.output
    forgotten = await asyncio.to_thread(invoke, "search-check", "--forget", server.follower.instance)
    assert forgotten.exit_code == 0 and "Aucun serveur inscrit" in forgotten.output, forgotten.output


async def test_a_server_whose_sync_keeps_failing_still_reports_and_shows_behind(
        settings, plugin_manager, invoke, monkeypatch, manual_clock):
    """The report came from the loop that follows the outbox: a failing sync made the server vanish."""
    await add_providers(provider_row())
    index = SearchIndex(create_backend("embedded"), plugin_manager, Gazetteer.default(),
                        report_every=timedelta(milliseconds=10))

    async def broken_sync() -> int:
        raise RuntimeError("the documents cannot be built")

    await index.start()
    monkeypatch.setattr(index, "sync", broken_sync)
    await add_providers(provider_row(trade_name="Studio Galet"))
    manual_clock.advance(seconds=SILENT_AFTER.total_seconds() + 1)
    for _ in range(500):  # the report loop's next turn
        if index.follower is not None and index.follower.seen_at == manual_clock.now():
            break
        await asyncio.sleep(0.01)
    checked = await asyncio.to_thread(invoke, "search-check", "--wait", "0")
    assert checked.exit_code == 1 and "en retard" in checked.output, checked.output
    await index.stop()
