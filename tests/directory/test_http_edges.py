"""Odd requests a real server meets: each answers as documented, never a 500, never a forged log line."""

from __future__ import annotations

import logging

import pytest

from directory.app import create_app
from directory.settings import Settings
from directory.testing import serve


class ListHandler(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


@pytest.mark.parametrize("query", ["page=%C2%B2", "q=web&radius_km=%C2%B2", "near=33000&page=" + "9" * 5000,
                                   "near=33000&radius_km=" + "9" * 5000, "page=-1", "radius_km=1e3"])
async def test_the_search_page_reads_odd_numbers_as_no_number(network, client, query):
    response = await client.get(f"/recherche?{query}")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/static/style.css%00.js", "/prestataires/a%00b", "/api/providers/%0a"])
async def test_paths_with_control_characters_are_404s(client, path):
    response = await client.get(path)
    assert response.status_code == 404 and response.json()["status"] == 404


async def test_a_path_cannot_forge_a_log_line(settings, plugin_manager):
    captured = ListHandler()
    app = create_app(settings, plugin_manager)
    async with serve(app) as client:
        root = logging.getLogger()
        captured.setFormatter(root.handlers[0].formatter)  # the app's own formatter
        root.addHandler(captured)
        try:
            await client.get("/nothing%0aINFO - forged line%1b[2J")
        finally:
            root.removeHandler(captured)
    [line] = [line for line in captured.lines if "directory.access" in line]
    assert "\n" not in line and "\x1b" not in line and "\\nINFO - forged line" in line


@pytest.mark.parametrize("path", ["/", "/api/providers", "/recherche", "/health", "/static/style.css", "/sitemap.xml",
                                  "/prestataires/pixel-gironde-bordeaux"])
async def test_head_is_answered_wherever_get_is(network, client, path):
    get, head = await client.get(path), await client.head(path)
    assert head.status_code == get.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


async def test_sitemap_and_robots_use_the_configured_address_not_the_host_header(settings, plugin_manager, network):
    configured = Settings(database_url=settings.database_url, public_url="https://annuaire.channel-expert.fr")
    async with serve(create_app(configured, plugin_manager)) as client:
        headers = {"Host": "evil.example"}
        robots = (await client.get("/robots.txt", headers=headers)).text
        sitemap = (await client.get("/sitemap.xml", headers=headers)).text
    assert "Sitemap: https://annuaire.channel-expert.fr/sitemap.xml" in robots
    assert "evil.example" not in robots + sitemap
    assert "<loc>https://annuaire.channel-expert.fr/prestataires/" in sitemap


async def test_responses_are_compressed_when_the_client_asks(network, client):
    brotli = await client.get("/api/providers", headers={"Accept-Encoding": "br"})
    gzip = await client.get("/api/providers", headers={"Accept-Encoding": "gzip"})
    plain = await client.get("/api/providers", headers={"Accept-Encoding": "identity"})
    assert brotli.headers["content-encoding"] == "br" and gzip.headers["content-encoding"] == "gzip"
    assert "content-encoding" not in plain.headers
    assert brotli.json() == gzip.json() == plain.json()


async def test_pages_link_fingerprinted_static_files_cached_for_a_year(client):
    page = (await client.get("/")).text
    stylesheet = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert stylesheet.startswith("/static/style.css?v=")
    cached = await client.get(stylesheet)
    assert cached.status_code == 200 and "immutable" in cached.headers["cache-control"]
    assert (await client.get("/static/style.css")).headers["cache-control"] == "no-cache"
    icon = page.split('rel="icon" href="')[1].split('"')[0]
    assert (await client.get(icon)).headers["content-type"].startswith("image/svg+xml")
    assert (await client.get("/favicon.ico")).status_code == 301


async def test_pages_allow_no_inline_script_and_only_the_api_docs_do(client):
    page_policy = (await client.get("/")).headers["content-security-policy"]
    docs_policy = (await client.get("/schema")).headers["content-security-policy"]
    assert "script-src 'self';" in page_policy and "unsafe-inline" not in page_policy
    assert "script-src 'self' 'unsafe-inline'" in docs_policy


async def test_the_french_404_page_is_french_and_a_page_past_the_end_is_a_404(network, client):
    missing = await client.get("/nulle-part", headers={"Accept": "text/html"})
    assert missing.status_code == 404 and "Not Found" not in missing.text
    assert "Cette adresse ne correspond à aucune page" in missing.text
    past = await client.get("/?page=999", headers={"Accept": "text/html"})
    assert past.status_code == 404 and "1 page(s)" in past.text


@pytest.mark.parametrize("path", ["/", "/api/providers", "/nulle-part", "/api/providers?limit=0", "/static/none.css"])
async def test_every_response_carries_a_request_id_that_the_access_log_repeats(settings, plugin_manager, path):
    captured = ListHandler()
    async with serve(create_app(settings, plugin_manager)) as client:
        logging.getLogger().addHandler(captured)
        try:
            response = await client.get(path)
        finally:
            logging.getLogger().removeHandler(captured)
    request_id = response.headers["x-request-id"]
    assert len(request_id) >= 8
    [line] = [line for line in captured.lines if request_id in line]
    assert f" {response.status_code} " in line and path.split("?")[0] in line


async def test_a_proxys_request_id_is_kept_and_a_hostile_one_replaced(client):
    kept = await client.get("/health", headers={"X-Request-ID": "proxy-4f2a9c01"})
    assert kept.headers["x-request-id"] == "proxy-4f2a9c01"
    replaced = await client.get("/health", headers={"X-Request-ID": "bad id\r\nx"})
    assert replaced.headers["x-request-id"] != "bad id\r\nx"
