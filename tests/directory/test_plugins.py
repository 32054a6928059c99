"""Plugin loading: built-ins, entry points, blocking by name, typo detection, failure isolation."""

import logging
from dataclasses import replace

import pytest

from directory import providers
from directory.app import create_app
from directory.notifications import notify_saved
from directory.plugin_api import hookimpl
from directory.plugin_manager import PluginError, describe_plugins, get_plugin_manager
from directory.settings import Settings
from directory.testing import add_providers, provider_row, serve
from tests.conftest import install_plugin


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    return install_plugin(tmp_path, monkeypatch, "ce_hello", '''
        from litestar import get
        from directory.plugin_api import PUBLIC, hookimpl

        @get("/hello", include_in_schema=False, opt=PUBLIC)
        async def hello() -> str:
            return "bonjour"

        @hookimpl
        def register_routes(register):
            register(hello)
    ''', version="1.2.3")


def test_builtin_plugins_are_loaded():
    manager = get_plugin_manager(Settings())
    assert manager.has_plugin("plugins.sitemap")


def test_an_entry_point_plugin_is_loaded_with_its_version(installed_plugin):
    manager = get_plugin_manager(Settings())
    described = {p["name"]: p for p in describe_plugins(manager)}
    assert described[installed_plugin]["version"] == "1.2.3"
    assert described[installed_plugin]["hooks"] == ["register_routes"]
    assert described[installed_plugin]["builtin"] is False


async def test_an_entry_point_plugin_adds_its_routes(installed_plugin, settings):
    
    from directory.app import create_app

    async with serve(create_app(settings)) as client:
        assert (await client.get("/hello")).text == "bonjour"


def test_blocked_plugins_are_not_loaded(installed_plugin):
    manager = get_plugin_manager(Settings(disabled_plugins=(installed_plugin, "plugins.sitemap")))
    assert not manager.has_plugin(installed_plugin)
    assert not manager.has_plugin("plugins.sitemap")


def test_an_implementation_of_an_unknown_hook_fails_at_start_up(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "ce_typo", """
        from directory.plugin_api import hookimpl

        @hookimpl
        def register_route(register):
            pass
    """)
    with pytest.raises(PluginError, match="register_route, qui n.est pas un hook .*register_routes"):
        get_plugin_manager(Settings(strict_plugins=True))


def test_an_installed_plugin_that_cannot_load_is_left_out_and_reported_unless_strict(
        settings, tmp_path, monkeypatch, caplog):
    install_plugin(tmp_path, monkeypatch, "ce_broken", """
        import does_not_exist
    """)
    with pytest.raises(PluginError, match="broken ne peut pas être importé .*ModuleNotFoundError"):
        get_plugin_manager(Settings(strict_plugins=True))
    with caplog.at_level(logging.ERROR, logger="directory.plugins"):
        manager = get_plugin_manager(settings)
    assert "plugin broken left out: Le plugin broken ne peut pas être importé" in caplog.text
    assert manager.has_plugin("plugins.badges") and not manager.has_plugin("broken")
    assert "ModuleNotFoundError" in manager.left_out["broken"]


async def test_the_directory_starts_without_a_left_out_plugin_and_health_names_it(settings, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "ce_broken", """
        raise RuntimeError("configuration absente")
    """)
    async with serve(create_app(settings, get_plugin_manager(settings))) as client:
        assert (await client.get("/")).status_code == 200
        health = await client.get("/health")
    assert health.status_code == 503
    assert health.json()["checks"]["plugin broken"] == {"ok": False, "detail": {
        "error": "Le plugin broken ne peut pas être importé / cannot be imported: RuntimeError: configuration absente",
        "loaded": False}}


async def test_in_strict_mode_a_plugin_raising_at_start_up_stops_the_start(settings, tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "ce_fragile", """
        from directory.plugin_api import hookimpl

        @hookimpl
        def startup(app):
            raise ConnectionError("service injoignable")
    """)
    lenient = get_plugin_manager(settings)
    async with serve(create_app(settings, lenient)) as client:  # a failure recorded, the site up
        assert (await client.get("/health")).json()["checks"]["plugin fragile"]["ok"] is False
    strict = replace(settings, strict_plugins=True)
    with pytest.raises(ExceptionGroup) as stopped:  # raised inside the lifespan's task group
        async with serve(create_app(strict, get_plugin_manager(strict))):
            pass
    assert stopped.group_contains(PluginError, match="fragile, hook startup : ConnectionError: service injoignable",
                                  depth=None)


class Failing:
    @hookimpl
    def provider_saved(self, provider, created):
        raise RuntimeError("index down")


class Recording:
    def __init__(self):
        self.seen = []

    @hookimpl
    async def provider_saved(self, provider, created):
        self.seen.append((provider.slug, created))


async def test_a_failing_side_effect_hook_is_logged_and_loses_nothing(settings, caplog):
    manager = get_plugin_manager(settings)
    recording = Recording()
    manager.register(recording, name="recording")
    manager.register(Failing(), name="failing")  # registered last, so called first
    created = await add_providers(provider_row())
    with caplog.at_level(logging.ERROR, logger="directory.plugins"):
        await notify_saved(manager, created, [])
    assert recording.seen == [(created[0], True)]
    assert "'failing'" in caplog.text and "provider_saved" in caplog.text
    assert (await providers.list_providers(providers.ProviderFilters())).total == 1
