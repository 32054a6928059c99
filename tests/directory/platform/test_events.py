"""The event outbox: typed events with payload and actor, written with the change, read from a position."""

from __future__ import annotations

import asyncio

import msgspec
import pytest

from directory import events, providers
from directory.database import write_transaction
from directory.platform import current
from directory.platform.services import start_platform
from directory.plugin_api import hookimpl
from directory.plugin_manager import get_plugin_manager
from directory.tables import Event
from directory.testing import add_providers, provider_row
from tests.conftest import csv_text


class PostPublished(msgspec.Struct):
    title: str


class Forum:
    @hookimpl
    def register_event_types(self, register):
        register("forum.post_published", PostPublished)


def declared(settings):
    manager = get_plugin_manager(settings)
    manager.register(Forum(), name="forum")
    for _ in manager.answers("register_event_types", {"register": manager.declare_event_type}):
        pass  # each type is declared as it is registered
    return manager


def with_forum(settings):
    """The test works for an app whose plugins include the forum (event types are a plugin manager's)."""
    return current.within(start_platform(settings, declared(settings)))


async def test_a_plugin_event_is_typed_and_read_with_the_provider_events(settings):
    with with_forum(settings):
        await recorded_in_order()


async def recorded_in_order():
    start = await events.latest()
    [slug] = await add_providers(provider_row())
    async with write_transaction(Event._meta.db):
        await events.record("forum.post_published", ["17"], {"title": "Bienvenue"}, actor="cli:ada")
    await providers.delete_provider(slug, actor="cli:bob")

    read, position = await events.since(start)
    assert [(e.name, e.subject, e.payload, e.actor) for e in read] == [
        ("provider.saved", slug, {"created": True}, ""),
        ("forum.post_published", "17", {"title": "Bienvenue"}, "cli:ada"),
        ("provider.deleted", slug, {}, "cli:bob"),
    ]
    only_forum, same_position = await events.since(start, names={"forum.post_published"})
    assert [e.subject for e in only_forum] == ["17"] and same_position == position  # passed the others too


async def test_an_event_must_be_declared_and_fit_its_type(settings):
    with with_forum(settings):
        with pytest.raises(events.EventError, match="no event type"):
            await events.record("forum.nothing", ["1"])
        with pytest.raises(events.EventError, match="does not fit"):
            await events.record("forum.post_published", ["1"], {"titel": "typo"})
    with pytest.raises(events.EventError, match="no event type"):  # another app, without the forum
        await events.record("forum.post_published", ["1"], {"title": "Bienvenue"})


def test_two_plugins_cannot_declare_one_event_type_differently(settings):
    manager = declared(settings)

    class Other(msgspec.Struct):
        body: str

    with pytest.raises(events.EventError, match="declared twice"):
        manager.declare_event_type("forum.post_published", Other)


def test_the_command_line_records_who_wrote(invoke, settings, tmp_path):
    source = tmp_path / "one.csv"
    source.write_text(csv_text([provider_row()]), encoding="utf-8")
    assert invoke("import", str(source)).exit_code == 0
    row = asyncio.run(Event.select(Event.name, Event.actor).order_by(Event.id, ascending=False).first().run())
    assert row["name"] == "provider.saved" and row["actor"].startswith("cli")
