"""The pytest kit that ships with the directory, as a plugin author's project uses it."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from directory.platform import jobs, mail
from directory.tables import Job
from directory.testing import add_account, csrf_token, sign_in
from tests.conftest import install_plugin

HELLO = """
    from litestar import get
    from directory.plugin_api import PUBLIC, hookimpl

    @get("/bonjour", include_in_schema=False, opt=PUBLIC)
    async def bonjour() -> str:
        return "bonjour"

    @hookimpl
    def register_routes(register):
        register(bonjour)
"""


async def test_the_outbox_delivers_and_returns_what_the_site_sent(settings, outbox, manual_clock):
    await mail.send("ada@example.fr", "mot-de-passe", {"link": "https://exemple.fr/lien", "minutes": 60})
    [message] = await outbox()
    assert message["To"] == "ada@example.fr" and "https://exemple.fr/lien" in message.get_body(("plain",)).get_content()


async def test_run_jobs_runs_what_is_due_and_only_that(settings, run_jobs, manual_clock):
    await jobs.enqueue(mail.DELIVER_TASK, {"message": 0}, at=manual_clock.now() + timedelta(days=1))
    assert await run_jobs() > 0  # the recurring tasks, due at once
    [waiting] = await Job.select(Job.state).where(Job.task == mail.DELIVER_TASK)
    assert waiting["state"] == "ready"  # not due: left alone
    assert await run_jobs() == 0  # nothing more is due


async def test_the_app_loads_the_built_in_plugins_and_no_other_installed_one(tmp_path, monkeypatch, client):
    install_plugin(tmp_path, monkeypatch, "ce_bonjour", HELLO)
    assert (await client.get("/bonjour")).status_code == 404  # installed, but not under test


@pytest.mark.channel_expert_plugins("bonjour")
async def test_a_test_names_the_installed_plugins_it_is_about(tmp_path, monkeypatch, settings, request):
    install_plugin(tmp_path, monkeypatch, "ce_bonjour", HELLO)
    manager = request.getfixturevalue("plugin_manager")
    assert manager.has_plugin("bonjour") and manager.has_plugin("plugins.leads")


async def test_signing_in_through_the_kit(client, network):
    await add_account("ada@example.fr", provider=network[0])
    await sign_in(client, "ada@example.fr")
    assert await csrf_token(client, "/compte")


def test_a_plugin_authors_project_tests_its_plugin_with_the_shipped_fixtures_alone(pytester, tmp_path, monkeypatch):
    """A project with no conftest: its plugin, its pytest settings, a test on both sides of the site."""
    folder = tmp_path / "site-packages"
    folder.mkdir()
    install_plugin(folder, monkeypatch, "ce_bonjour", HELLO)
    pytester.makepyprojecttoml(textwrap.dedent("""
        [tool.pytest.ini_options]
        channel_expert_plugins = ["bonjour"]
        asyncio_mode = "auto"
        asyncio_default_fixture_loop_scope = "session"
        asyncio_default_test_loop_scope = "session"
    """))
    pytester.makepyfile(test_hello=textwrap.dedent("""
        from directory.testing import add_account, sign_in

        async def test_the_page_answers(client):
            assert (await client.get("/bonjour")).text == "bonjour"

        async def test_a_member_signs_in(client, network, manual_clock):
            await add_account("ada@example.fr", provider=network[0])
            await sign_in(client, "ada@example.fr")
    """))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
