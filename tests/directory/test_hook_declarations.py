"""How hooks are declared and called: in pluggy's order, awaited where their spec allows it,
and the leads plugin's hooks known only where the leads plugin is."""

import pytest

from directory.plugin_api import PluginManager, hookimpl, hookspec, may_await
from directory.plugin_manager import PluginError, get_plugin_manager
from directory.settings import Settings
from tests.conftest import install_plugin

LEAD_HOOKS = ("valid_badges", "lead_score_components", "lead_routing_strategy", "lead_source")


class Specs:
    """A plugin's own hooks: one that may await, one that may not."""

    @hookspec
    @may_await
    def fetched(self, key: str) -> str:
        """Fetch.

        :param key: what to fetch.
        """

    @hookspec
    def named(self, key: str) -> str:
        """Name.

        :param key: what to name.
        """


class Offering:
    """A plugin that adds ``Specs`` as it registers, and answers both."""

    @hookimpl
    def add_hooks(self, plugin_manager):
        plugin_manager.add_hookspecs(Specs)

    @hookimpl
    async def fetched(self, key):
        return f"awaited {key}"

    @hookimpl
    def named(self, key):
        return f"first {key}"


class Second:
    @hookimpl
    def named(self, key):
        return f"second {key}"


def _manager(*plugins: tuple[str, object]) -> PluginManager:
    manager = get_plugin_manager(Settings(disabled_plugins=("plugins.leads", "plugins.badges")), environ={},
                                 only=())
    for name, plugin in plugins:
        manager.register(plugin, name=name)
    return manager


def test_answers_come_with_their_plugin_last_registered_first():
    manager = _manager(("offering", Offering()), ("second", Second()))
    assert list(manager.answers("named", {"key": "k"})) == [("second", "second k"), ("offering", "first k")]
    assert list(manager.answers("named", {"key": "k"}, plugin="offering")) == [("offering", "first k")]


def test_answers_give_each_plugin_its_own_arguments_and_propagate_errors_unless_told():
    manager = _manager(("offering", Offering()), ("second", Second()))
    assert [answer for _, answer in manager.answers("named", lambda plugin: {"key": plugin})] == \
        ["second second", "first offering"]

    class Raising:
        @hookimpl
        def named(self, key):
            raise RuntimeError("boom")

    manager.register(Raising(), name="raising")
    with pytest.raises(RuntimeError, match="boom"):
        list(manager.answers("named", {"key": "k"}))
    failed = []
    answers = list(manager.answers("named", {"key": "k"}, on_error=lambda plugin, _: failed.append(plugin)))
    assert (answers, failed) == ([("second", "second k"), ("offering", "first k")], ["raising"])


async def test_an_async_implementation_of_a_hook_declared_may_await_is_awaited():
    manager = _manager(("offering", Offering()))
    assert await manager.acall_isolated("fetched", key="k") == ["awaited k"]


@pytest.mark.parametrize("hook", ["navigation_links", "named"])
def test_an_async_implementation_of_a_synchronous_hook_is_refused_with_its_message(tmp_path, monkeypatch,
                                                                                    hook):
    """A hook of the core's, or one a plugin declares itself (``named``), without ``may_await``."""
    install_plugin(tmp_path, monkeypatch, f"ce_async_{hook}", """
        from directory.plugin_api import hookimpl, hookspec

        class Specs:
            @hookspec
            def named(self, key: str) -> str:
                '''Name.

                :param key: what to name.
                '''

        @hookimpl
        def add_hooks(plugin_manager):
            plugin_manager.add_hookspecs(Specs)

        @hookimpl
        async def HOOK(ARGUMENT):
            pass
    """.replace("HOOK", hook).replace("ARGUMENT", "key" if hook == "named" else "register"))
    with pytest.raises(PluginError) as refused:
        get_plugin_manager(Settings(strict_plugins=True), environ={})
    assert str(refused.value) == (
        f"Le plugin async_{hook} : le hook {hook} doit être une fonction ordinaire, "
        f"pas async def / the {hook} hook must be a plain function, not async def")


def test_the_lead_hooks_are_known_only_with_the_leads_plugin():
    with_leads = get_plugin_manager(Settings(), environ={}, only=())
    without = get_plugin_manager(Settings(disabled_plugins=("plugins.leads",)), environ={}, only=())
    for name in LEAD_HOOKS:
        assert getattr(with_leads.hook, name).has_spec(), name
        caller = getattr(without.hook, name, None)
        assert caller is None or not caller.has_spec(), name
    # the badges plugin still loads: its valid_badges is optional, and never called
    assert without.has_plugin("plugins.badges")


def test_a_plugin_whose_add_hooks_raises_is_left_out_with_its_name(tmp_path, monkeypatch):
    install_plugin(tmp_path, monkeypatch, "ce_hookless", """
        from directory.plugin_api import hookimpl

        @hookimpl
        def add_hooks(plugin_manager):
            raise RuntimeError("no specs here")
    """)
    with pytest.raises(PluginError, match="hookless ne peut pas être chargé .*RuntimeError: no specs here"):
        get_plugin_manager(Settings(strict_plugins=True), environ={})
    manager = get_plugin_manager(Settings(), environ={})
    assert not manager.has_plugin("hookless") and "hookless" in manager.left_out


async def test_an_awaited_implementation_that_raises_loses_what_it_registered_and_nothing_else():
    class Sections:
        def __init__(self, title, fails=False):
            self.title, self.fails = title, fails

        @hookimpl
        async def provider_page_sections(self, provider, register):
            register(self.title, "<p></p>")
            if self.fails:
                raise RuntimeError("section down")

    manager = _manager(("first", Sections("Premier")), ("broken", Sections("Cassé", fails=True)),
                       ("last", Sections("Dernier")))
    titles = []
    answers = await manager.acall_isolated("provider_page_sections", provider=None,
                                           register=lambda title, html: titles.append(title))
    assert (titles, answers) == (["Dernier", "Premier"], [None, None])
    assert "provider_page_sections" in manager.faults.recent()["broken"]["hooks"]
