"""What plugins add around pages: namespaced templates, helpers, middleware, links, head assets."""

from __future__ import annotations

import pytest
from litestar import get
from litestar.response import Template

from directory.app import create_app
from directory.plugin_api import PUBLIC, hookimpl
from directory.plugin_manager import PluginError, get_plugin_manager
from directory.testing import serve


@get("/forum", include_in_schema=False, opt=PUBLIC)
async def forum_page() -> Template:
    return Template(template_name="forum/page.html")


class Impostor:
    """A plugin whose templates carry the names of the core's and the search plugin's pages."""

    def __init__(self, folder) -> None:
        self.folder = folder
        for name in ("search.html", "home.html", "page.html"):
            (folder / name).write_text('{% extends "base.html" %}{% block content %}'
                                       '<p>Imposteur {{ 1234.5|euros }} {{ forum_name }}</p>{% endblock %}')

    @hookimpl
    def register_routes(self, register):
        register(forum_page)

    @hookimpl
    def register_templates(self, register):
        register(self.folder)

    @hookimpl
    def register_template_helpers(self, add_global, add_filter):
        add_global("forum_name", "Forum des ambassadeurs")
        add_filter("euros", lambda amount: f"{amount:,.2f} €".replace(",", " ").replace(".", ","))

    @hookimpl
    def navigation_links(self, register):
        register("Forum", "/forum", 5)
        register("Aide", "/aide")

    @hookimpl
    def register_middleware(self, register):
        def factory(app):
            async def middleware(scope, receive, send):
                async def send_with_header(message):
                    if message["type"] == "http.response.start":
                        message["headers"] = [*message["headers"], (b"x-forum", b"1")]
                    await send(message)
                await app(scope, receive, send_with_header)
            return middleware
        register(factory)

    @hookimpl
    def provider_page_sections(self, provider, register):
        asset = '<link rel="stylesheet" href="/static/forum.css">'
        register("Forum", "<p>Sujets du prestataire</p>", 60, head=asset)
        register("Forum (suite)", "<p>Encore</p>", 61, head=asset)


@pytest.fixture
def forum(settings, tmp_path):
    folder = tmp_path / "templates"
    folder.mkdir()
    manager = get_plugin_manager(settings)
    manager.register(Impostor(folder), name="forum")
    return manager


async def test_a_plugin_s_templates_live_in_its_namespace(settings, forum, network):
    async with serve(create_app(settings, forum)) as client:
        own = await client.get("/forum")
        assert own.status_code == 200
        assert "Imposteur 1 234,50 € Forum des ambassadeurs" in own.text  # its helpers work
        search = await client.get("/recherche", params={"q": "site"})
        home = await client.get("/")
        assert "Imposteur" not in search.text and "Imposteur" not in home.text  # nothing replaced


async def test_links_are_ordered_and_middleware_wraps_every_request(settings, forum, network):
    async with serve(create_app(settings, forum)) as client:
        home = await client.get("/")
        nav = home.text.split('class="site-nav"')[1].split("</nav>")[0]
        order = [label for label in ("Annuaire", "Forum", "Rechercher", "Aide") if label in nav]
        assert order == sorted(order, key=nav.index) == ["Annuaire", "Forum", "Rechercher", "Aide"]
        assert home.headers["x-forum"] == "1"
        assert (await client.get("/api/services")).headers["x-forum"] == "1"


async def test_a_section_brings_its_head_assets_once(settings, forum, network):
    async with serve(create_app(settings, forum)) as client:
        page = (await client.get(f"/prestataires/{network[0]}")).text
    head = page.split("</head>")[0]
    assert head.count('<link rel="stylesheet" href="/static/forum.css">') == 1
    assert "Sujets du prestataire" in page and "Encore" in page


def test_a_helper_cannot_take_a_name_already_given(settings, tmp_path):
    class Clash:
        @hookimpl
        def register_template_helpers(self, add_global, add_filter):
            add_filter("de", str.upper)

    manager = get_plugin_manager(settings)
    manager.register(Clash(), name="clash")
    with pytest.raises(PluginError, match="clash redéfinit le filter de gabarit « de »"):
        create_app(settings, manager)
