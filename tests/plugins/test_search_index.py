"""The search index never drifts from the database: the outbox, its cursor, and the checks."""

import asyncio

import pytest
from click.testing import CliRunner

from directory import changes
from directory.app import create_app
from directory.cli import cli
from directory.database import write_transaction
from directory.tables import Provider, ProviderChange
from geo import Gazetteer
from plugins.geosearch.index import CONSUMER, SearchIndex
from search import SearchError, SearchQuery, create_backend
from tests.conftest import add_providers, provider_row, serve


async def test_every_write_records_a_change_in_the_same_transaction(settings):
    before = await changes.latest()
    await changes.advance("probe", before)
    [slug] = await add_providers(provider_row())
    slugs, position = await changes.pending("probe")
    assert slugs == [slug] and position > before
    with pytest.raises(RuntimeError):
        async with write_transaction(Provider._meta.db):
            await changes.record(["ghost"])
            raise RuntimeError("rolled back")
    assert "ghost" not in [row["slug"] for row in await ProviderChange.select(ProviderChange.slug)]


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
    await changes.advance(CONSUMER, await changes.latest())
    await add_providers(provider_row(trade_name="Agence Colibri"))
    with pytest.raises(SearchError):
        await index.sync()
    assert (await changes.pending(CONSUMER))[0] == ["agence-colibri-bordeaux"]  # nothing lost
    index.backend.failing = False
    assert await index.sync() == 1
    assert (await changes.pending(CONSUMER))[0] == []
    assert [h.id for h in (await index.backend.search(SearchQuery(text="colibri"))).hits] == ["agence-colibri-bordeaux"]


async def test_changes_made_while_the_server_is_down_are_there_after_a_restart(settings, plugin_manager):
    await add_providers(provider_row(trade_name="Agence Avant"))
    async with serve(create_app(settings, plugin_manager)):
        pass
    await add_providers(provider_row(trade_name="Agence Pendant"))  # the server is stopped
    async with serve(create_app(settings, plugin_manager)) as client:
        names = {h["trade_name"] for h in (await client.get("/api/search", params={"q": "agence"})).json()["hits"]}
    assert names == {"Agence Avant", "Agence Pendant"}


def test_reindex_and_search_check_commands(settings, plugin_manager):
    asyncio.run(add_providers(provider_row(), provider_row(trade_name="Studio Galet")))
    runner = CliRunner()
    obj = {"settings": settings, "plugin_manager": plugin_manager}
    plugin_manager.hook.register_commands(cli=cli)
    reindexed = runner.invoke(cli, ["reindex"], obj=obj, catch_exceptions=False)
    assert reindexed.exit_code == 0 and "2 prestataires indexés" in reindexed.output
    checked = runner.invoke(cli, ["search-check"], obj=obj, catch_exceptions=False)
    assert checked.exit_code == 0 and "0 absents, 0 en trop" in checked.output


async def test_search_check_finds_drift_both_ways(settings, plugin_manager):
    await add_providers(provider_row(), provider_row(trade_name="Studio Galet"))
    index = SearchIndex(create_backend("embedded"), plugin_manager, Gazetteer.default())
    await index.open()
    await index.backend.delete(["studio-galet-bordeaux"])
    await index.backend.upsert([{"id": "ghost", "kind": "reseller", "trade_name": "Fantôme"}])
    assert await index.check() == (["studio-galet-bordeaux"], ["ghost"])
