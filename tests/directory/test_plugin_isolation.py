"""A faulty plugin never takes a page, a search or the start-up message down, and is reported."""

from __future__ import annotations

import logging
import subprocess

import pytest

from directory.app import create_app
from directory.plugin_api import hookimpl
from directory.plugin_manager import PluginError, get_plugin_manager
from directory.settings import Settings
from directory.testing import serve
from tests.conftest import COMMAND, install_plugin


class Broken:
    """Registers a part, then raises, in every hook a page or a document calls."""

    @hookimpl
    def provider_page_sections(self, provider, register):
        register("Section cassée", "<p>à moitié</p>", 1)
        raise RuntimeError("section down")

    @hookimpl
    def home_page_templates(self, register):
        raise RuntimeError("fragment down")

    @hookimpl
    def provider_document(self, provider, document):
        document["broken"] = "half-written"
        raise RuntimeError("document down")

    @hookimpl
    def navigation_links(self, register):
        raise RuntimeError("links down")

    @hookimpl
    def health_checks(self, app, register):
        raise RuntimeError("checks down")


class Working:
    @hookimpl
    def provider_page_sections(self, provider, register):
        register("Nos références", "<p>Boulangerie Dupont</p>", 50)


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def plugin_log():
    """What the plugins' logger writes (the app's own logging set-up sends it elsewhere)."""
    collected = Collected()
    logger = logging.getLogger("directory.plugins")
    logger.addHandler(collected)
    yield collected.messages
    logger.removeHandler(collected)


async def test_a_plugin_that_raises_loses_its_part_only_and_is_reported(settings, network, manual_clock, plugin_log):
    manager = get_plugin_manager(settings)
    manager.register(Working(), name="working")
    manager.register(Broken(), name="broken")
    async with serve(create_app(settings, manager)) as client:
        for _ in range(3):
            page = await client.get(f"/prestataires/{network[0]}")
            assert page.status_code == 200
        assert "Boulangerie Dupont" in page.text and "Section cassée" not in page.text
        assert (await client.get("/")).status_code == 200
        search = await client.get("/api/search", params={"q": "Pixel"})
        assert search.status_code == 200 and search.json()["total"] >= 1
        health = await client.get("/health")
        assert health.status_code == 503
        broken = health.json()["checks"]["plugin broken"]
        assert broken["ok"] is False
        assert broken["detail"]["hooks"]["provider_page_sections"]["failures"] == 3
        assert broken["detail"]["hooks"]["provider_page_sections"]["error"] == "RuntimeError: section down"

        manual_clock.advance(minutes=6)  # a hook that stopped failing is no longer reported
        hooks = (await client.get("/health")).json()["checks"]["plugin broken"]["detail"]["hooks"]
        assert set(hooks) == {"health_checks"}  # the one this very request called
    assert [m for m in plugin_log if "provider_page_sections" in m] == [
        "plugin 'broken' failed in hook provider_page_sections"]  # three failures, one line per burst


async def test_a_failed_search_document_is_indexed_without_the_plugin_s_fields(settings, network):
    manager = get_plugin_manager(settings)
    manager.register(Broken(), name="broken")
    document = {"id": "x"}
    manager.call_isolated("provider_document", provider=None, document=document)
    assert document == {"id": "x"}  # what the failing plugin wrote is dropped with it


def test_an_async_implementation_of_a_synchronous_hook_fails_at_start_up(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "ce_hasty", """
        from directory.plugin_api import hookimpl

        @hookimpl
        async def provider_document(provider, document):
            document["trop_tot"] = 1
    """)
    with pytest.raises(PluginError, match="hasty : le hook provider_document doit être une fonction ordinaire"):
        get_plugin_manager(Settings(strict_plugins=True))


def test_a_misspelt_argument_names_the_plugin_the_hook_and_the_right_name(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "ce_sloppy", """
        from directory.plugin_api import hookimpl

        @hookimpl
        def provider_page_sections(provider, registr):
            pass
    """)
    with pytest.raises(PluginError, match="sloppy, hook provider_page_sections .* registr .*register"):
        get_plugin_manager(Settings(strict_plugins=True))


def test_a_broken_plugin_gives_one_line_and_leaves_the_help_readable(tmp_path, monkeypatch, environment):
    install_plugin(tmp_path, monkeypatch, "ce_typo", """
        from directory.plugin_api import hookimpl

        @hookimpl
        def register_route(register):
            pass
    """)
    environment = {**environment, "PYTHONPATH": str(tmp_path), "CHANNEL_EXPERT_STRICT_PLUGINS": "true"}
    failed = subprocess.run([*COMMAND, "plugins"], env=environment, capture_output=True, text=True)
    assert failed.returncode == 1 and "Traceback" not in failed.stderr
    assert failed.stderr.strip().splitlines() == [(
        "Configuration invalide : Le plugin typo implémente register_route, qui n'est pas un hook / is not a hook ; "
        "vouliez-vous dire / did you mean register_routes ?")]
    helped = subprocess.run([*COMMAND, "--help"], env=environment, capture_output=True, text=True)
    assert helped.returncode == 0 and "serve" in helped.stdout and "register_route" in helped.stderr
