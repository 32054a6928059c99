"""A plugin installed through an entry point, with its own settings, tables and migrations."""

from __future__ import annotations

import contextvars
import json
import os
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from directory.platform import current, plugin_settings
from directory.platform.services import prepare_database, start_platform
from directory.plugin_manager import PluginError, get_plugin_manager
from directory.tables import Provider
from directory.testing import add_providers, provider_row
from tests.conftest import COMMAND, install_plugin

FORUM = Path(__file__).with_name("forum_plugin")


@pytest.fixture
def forum(tmp_path, monkeypatch):
    """``ce-forum`` installed as pip would, with its API key set."""
    monkeypatch.syspath_prepend(str(FORUM))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(FORUM), os.environ.get("PYTHONPATH", "")]))
    monkeypatch.setenv("CHANNEL_EXPERT_FORUM_API_KEY", "s3cret-key")
    monkeypatch.setenv("CHANNEL_EXPERT_FORUM_MODERATORS", "ada, bob")
    return install_plugin(tmp_path, monkeypatch, "ce_forum", version="0.3.0")


async def test_the_core_migrates_then_the_plugin_whose_tables_reference_the_core(settings, forum):
    manager = get_plugin_manager(settings)
    await prepare_database(settings, manager)
    from ce_forum.tables import ForumPost

    assert await ForumPost.table_exists()
    assert await prepare_database(settings, manager) == []  # nothing left to apply
    [slug] = await add_providers(provider_row())
    provider = await Provider.select(Provider.id).where(Provider.slug == slug).first()
    await ForumPost.insert(ForumPost(provider=provider["id"], body="Bonjour le réseau"))
    assert await ForumPost.count() == 1
    await Provider.delete().where(Provider.slug == slug)
    assert await ForumPost.count() == 0  # the foreign key cascades, on both engines


async def test_a_disabled_plugin_leaves_its_tables_and_data_alone(settings, forum):
    await prepare_database(settings, get_plugin_manager(settings))
    from ce_forum.tables import ForumPost

    [slug] = await add_providers(provider_row())
    provider = await Provider.select(Provider.id).where(Provider.slug == slug).first()
    await ForumPost.insert(ForumPost(provider=provider["id"], body="Toujours là"))
    disabled = replace(settings, disabled_plugins=("forum",))
    manager = get_plugin_manager(disabled)
    assert not manager.has_plugin("forum")
    await prepare_database(disabled, manager)
    assert [row["body"] for row in await ForumPost.select(ForumPost.body)] == ["Toujours là"]


def test_plugin_settings_are_typed_and_read_from_namespaced_variables(settings, forum):
    manager = get_plugin_manager(settings)
    with current.within(start_platform(settings, manager)):  # as the app's requests and jobs read them
        values = plugin_settings.settings_of("forum")
    assert (values.api_key, values.max_posts, values.moderators) == ("s3cret-key", 10, ["ada", "bob"])
    assert manager.plugin_settings["forum"] is values
    with pytest.raises(current.NoPlatformError):  # outside every app, no settings to guess from
        contextvars.Context().run(plugin_settings.settings_of, "forum")


@pytest.mark.parametrize("environ, variable", [
    ({}, "CHANNEL_EXPERT_FORUM_API_KEY est obligatoire"),
    ({"CHANNEL_EXPERT_FORUM_API_KEY": "k", "CHANNEL_EXPERT_FORUM_MAX_POSTS": "beaucoup"},
     "CHANNEL_EXPERT_FORUM_MAX_POSTS : valeur invalide"),
])
def test_a_bad_plugin_setting_names_its_variable(settings, forum, environ, variable):
    with pytest.raises(PluginError, match=f"forum : {variable}"):
        get_plugin_manager(replace(settings, strict_plugins=True), environ)
    lenient = get_plugin_manager(settings, environ)  # the directory starts without it, and says why
    assert not lenient.has_plugin("forum") and variable in lenient.left_out["forum"]


def test_the_plugins_command_shows_migrations_and_masks_secrets(environment, forum):
    environment = {**environment, **{k: v for k, v in os.environ.items() if k.startswith(("CHANNEL_EXPERT_FORUM",
                                                                                               "PYTHONPATH"))}}
    subprocess.run([*COMMAND, "migrate"], env=environment, check=True, capture_output=True)
    listed = subprocess.run([*COMMAND, "plugins", "--json"], env=environment, capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    described = {plugin["name"]: plugin for plugin in json.loads(listed.stdout)}
    assert described["forum"]["version"] == "0.3.0"
    assert described["forum"]["migrations"] == [{"app": "ce_forum", "applied": 1, "pending": 0}]
    assert described["forum"]["settings"]["CHANNEL_EXPERT_FORUM_API_KEY"] == "********"
    assert described["forum"]["settings"]["CHANNEL_EXPERT_FORUM_MAX_POSTS"] == 10
    assert "s3cret-key" not in listed.stdout

    bad = {**environment, "CHANNEL_EXPERT_FORUM_MAX_POSTS": "x"}
    lenient = subprocess.run([*COMMAND, "plugins"], env=bad, capture_output=True, text=True)
    assert lenient.returncode == 0 and "forum (installé, NON CHARGÉ) : Le plugin forum : " \
        "CHANNEL_EXPERT_FORUM_MAX_POSTS : valeur invalide" in lenient.stdout
    strict = subprocess.run([*COMMAND, "plugins"], env={**bad, "CHANNEL_EXPERT_STRICT_PLUGINS": "true"},
                            capture_output=True, text=True)
    assert strict.returncode == 1
    assert strict.stderr.strip().startswith("Configuration invalide : Le plugin forum : CHANNEL_EXPERT_FORUM_MAX_POSTS")
    assert "Traceback" not in strict.stderr


PREPARE_THEN_READ = """
import asyncio
from directory.platform.plugin_settings import settings_of
from directory.platform.services import prepare_database
from directory.plugin_manager import get_plugin_manager
from directory.settings import Settings

settings = Settings(database_url={url!r})
manager = get_plugin_manager(settings, {{"CHANNEL_EXPERT_LEADS_OFFERS_AT_ONCE": "7"}})


async def prepare_then_read():
    await prepare_database(settings, manager)  # the first bind of the process, and Piccolo's runner
    print(settings_of("plugins.leads").offers_at_once, manager.plugin_settings["plugins.leads"].offers_at_once)

asyncio.run(prepare_then_read())
"""


def test_the_first_database_bind_of_a_process_keeps_the_plugin_settings_it_was_given(environment, tmp_path):
    """Binding once imported Piccolo's configuration module, which read the environment again and
    built a second plugin manager over the first one's settings."""
    script = PREPARE_THEN_READ.format(url=f"sqlite:///{tmp_path / 'first.sqlite3'}")
    environment = {key: value for key, value in environment.items()
                   if key != "CHANNEL_EXPERT_LEADS_OFFERS_AT_ONCE"}
    printed = subprocess.run([COMMAND[0], "-c", script], env=environment, capture_output=True, text=True,
                             check=True)
    assert printed.stdout.split() == ["7", "7"]
