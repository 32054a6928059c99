"""Public pages and API reads from memory: the same bytes without the database, every header the
edges add, never a person's own view, and forgotten by every server once the outbox moves."""

from __future__ import annotations

from dataclasses import replace

from directory.app import create_app
from directory.platform.cache import MOST_ENTRIES, Kept, PageCache
from directory.plugin_api import hookimpl
from directory.testing import add_account, add_providers, provider_row, serve, sign_in
from tests.following import caught_up
from tests.statements import counted


async def _following(app) -> PageCache:
    """The app's cache, as its follower leaves it after a look at the outbox (and the copies it waits for)."""
    await caught_up(app)
    return app.state.page_cache


async def test_a_public_page_is_answered_from_memory_with_fresh_edge_headers(app, client):
    [slug] = await add_providers(provider_row(trade_name="Atelier Mémoire"))
    await _following(app)
    await client.get("/")  # a visitor's first page sets its CSRF cookie: that answer is not kept
    first = await client.get(f"/prestataires/{slug}")
    with counted(app.state.platform.engine) as statements:
        again = await client.get(f"/prestataires/{slug}")
        record = [await client.get(f"/api/providers/{slug}") for _ in range(2)][-1]
    assert again.status_code == 200 and again.content == first.content and "Atelier Mémoire" in again.text
    assert len(statements) == 2  # the record read once (the provider, its services); the page from memory
    assert again.headers["x-request-id"] != first.headers["x-request-id"]
    assert again.headers["content-security-policy"] == first.headers["content-security-policy"]
    assert again.headers["etag"] == first.headers["etag"]
    assert (await client.get(f"/prestataires/{slug}", headers={"if-none-match": first.headers["etag"]})
            ).status_code == 304
    assert record.json()["trade_name"] == "Atelier Mémoire"
    assert (await client.head(f"/prestataires/{slug}")).content == b""


async def test_the_server_that_writes_a_change_serves_it_at_once(app, client):
    [slug] = await add_providers(provider_row(trade_name="Atelier Avant"))
    await _following(app)
    assert "Atelier Avant" in (await client.get(f"/api/providers/{slug}")).text
    await add_providers(provider_row(trade_name="Atelier Après", slug=slug))  # an update, with its event
    assert "Atelier Après" in (await client.get(f"/api/providers/{slug}")).text  # before any look


async def test_a_signed_in_member_never_gets_the_shared_page(app, client):
    [slug] = await add_providers(provider_row())
    await add_account("membre@example.fr", provider=slug)
    await _following(app)
    await client.get("/")
    public = await client.get(f"/prestataires/{slug}")
    await sign_in(client, "membre@example.fr")
    own = await client.get(f"/prestataires/{slug}")
    assert own.text != public.text and f"/compte/prestataires/{slug}" in own.text


async def test_routes_not_marked_and_failed_answers_are_not_kept(app, client):
    await _following(app)
    kept = len(app.state.page_cache)
    assert (await client.get("/prestataires/personne")).status_code == 404
    assert (await client.get("/api/search?near=Xyzzyville")).status_code == 400
    assert (await client.get("/api/places?q=quim")).status_code == 200
    assert len(app.state.page_cache) == kept


async def test_another_server_forgets_its_pages_when_it_sees_the_change(settings):
    [slug] = await add_providers(provider_row(trade_name="Atelier Un"))
    one, two = (create_app(replace(settings, secret_key="k" * 40)) for _ in range(2))
    async with serve(one) as first, serve(two):
        for app in (one, two):
            await _following(app)
        assert "Atelier Un" in (await first.get(f"/api/providers/{slug}")).text
        await add_providers(provider_row(trade_name="Atelier Deux", slug=slug))  # written by the second server
        assert "Atelier Un" in (await first.get(f"/api/providers/{slug}")).text  # until the first one looks
        await _following(one)
        assert "Atelier Deux" in (await first.get(f"/api/providers/{slug}")).text


def test_the_cache_is_bounded_and_forgets_the_least_recently_used():
    cache = PageCache()
    cache.seen(1)
    for n in range(MOST_ENTRIES + 5):
        cache.keep((f"/{n}", b"", ""), Kept({"headers": []}, b""))
    assert len(cache) == MOST_ENTRIES and cache.get(("/0", b"", "")) is None
    assert cache.get((f"/{MOST_ENTRIES + 4}", b"", "")) is not None
    cache.seen(2)
    assert len(cache) == 0


async def test_a_first_visit_is_kept_without_its_csrf_cookie(app, client):
    [slug] = await add_providers(provider_row(trade_name="Atelier Premier"))
    await _following(app)
    first = await client.get(f"/prestataires/{slug}")
    assert "ce_csrf=" in first.headers["set-cookie"]  # the visitor gets its cookie
    client.cookies.clear()
    with counted(app.state.platform.engine) as statements:
        second = await client.get(f"/prestataires/{slug}")
    assert statements == [] and second.content == first.content and "set-cookie" not in second.headers
    assert "etag" in second.headers


class Counting:
    """A plugin counting the answers to a path at the edge, as visit statistics do."""

    def __init__(self):
        self.statuses = []

    @hookimpl
    def register_edge_middleware(self, register):
        def wrap(app):
            async def layer(scope, receive, send):
                async def watch(message):
                    if message["type"] == "http.response.start" and scope["path"].startswith("/prestataires/"):
                        self.statuses.append(message["status"])
                    await send(message)
                await app(scope, receive, watch)
            return layer
        register(wrap)


async def test_an_edge_middleware_sees_the_answers_given_from_memory(settings, plugin_manager):
    counting = Counting()
    plugin_manager.register(counting, name="counting")
    [slug] = await add_providers(provider_row())
    app = create_app(replace(settings, secret_key="k" * 40), plugin_manager)
    async with serve(app) as client:
        await _following(app)
        pages = [await client.get(f"/prestataires/{slug}") for _ in range(3)]
        held = await client.get(f"/prestataires/{slug}", headers={"if-none-match": pages[-1].headers["etag"]})
    assert held.status_code == 304 and counting.statuses == [200, 200, 200, 304]
    assert "x-request-id" in held.headers
