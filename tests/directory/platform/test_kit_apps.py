"""The kit hands an app to the next test that asks for the same (``directory.testing.apps``), and
only one that the previous test left as it found it."""

from __future__ import annotations

from dataclasses import replace

from directory.platform.cache import KEPT_AS, KEPT_STATE, Kept
from directory.plugin_api import hookimpl
from directory.testing import add_providers, provider_row, serve
from directory.testing.apps import Apps


class Greeting:
    @hookimpl
    def navigation_links(self, register):
        register("Bonjour", "/bonjour")


async def test_the_next_test_gets_the_same_app_without_what_it_kept_of_the_database(settings):
    apps = Apps()
    manager = apps.manager(settings, ())
    first = apps.app(settings, manager)
    async with serve(first) as client:
        await add_providers(provider_row(trade_name="Agence Gardée"))
        assert "Agence Gardée" in (await client.get("/")).text
    page_cache = first.state[KEPT_STATE]
    page_cache.keep(("/", b"", "br"), Kept({"type": "http.response.start"}, b"Agence Gardee"))
    page_cache.copies.append(lambda: 0)
    first.state.platform.kept["plugins.example.cache"] = {"Agence Gardée": 1}
    apps.release(manager)  # the test ends

    assert apps.manager(settings, ()) is manager
    again = apps.app(settings, manager)
    assert again is first
    assert len(page_cache) == 0 and page_cache.copies == [] and list(again.state.platform.kept) == [KEPT_AS]
    async with serve(again) as client:  # a new lifespan: the app serves the emptied database
        assert (await client.get("/")).status_code == 200
    assert apps.app(replace(settings, secret_key="k" * 40), manager) is not first  # other settings, another app


async def test_a_test_that_registers_a_plugin_gets_an_app_of_its_own_and_the_next_a_new_manager(settings):
    apps = Apps()
    manager = apps.manager(settings, ())
    first = apps.app(settings, manager)
    manager.register(Greeting(), name="greeting")
    own = apps.app(settings, manager)
    assert own is not first
    async with serve(own) as client:
        assert 'href="/bonjour"' in (await client.get("/")).text
    apps.release(manager)
    fresh = apps.manager(settings, ())
    assert fresh is not manager and not fresh.has_plugin("greeting")
    assert apps.app(settings, fresh) is not first


async def test_a_plugin_failure_or_another_environment_means_another_manager(settings, monkeypatch):
    apps = Apps()
    manager = apps.manager(settings, ())
    manager.faults.record("plugins.leads", "startup", RuntimeError("en panne"))
    apps.release(manager)
    assert apps.manager(settings, ()) is not manager

    monkeypatch.setenv("CHANNEL_EXPERT_LEADS_OFFERS_AT_ONCE", "5")
    five = apps.manager(settings, ())
    assert five.plugin_settings["plugins.leads"].offers_at_once == 5
    monkeypatch.delenv("CHANNEL_EXPERT_LEADS_OFFERS_AT_ONCE")
    assert apps.manager(settings, ()).plugin_settings["plugins.leads"].offers_at_once == 3
