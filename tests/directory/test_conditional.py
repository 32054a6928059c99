"""Conditional GET: an ``ETag`` on what can be revalidated, 304 for a client that holds it, and
never a stale page: the tag follows the bytes, whatever changed them."""

from __future__ import annotations

import pytest

from directory import events
from directory.conditional import ConditionalGet, held
from directory.testing import add_account, add_providers, provider_row, sign_in


async def test_the_catalogue_answers_304_to_a_client_that_holds_it(client):
    first = await client.get("/api/services")
    tag = first.headers["etag"]
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    again = await client.get("/api/services", headers={"if-none-match": tag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == tag and "content-type" not in again.headers
    assert "content-security-policy" in again.headers  # the edges' headers on a 304 too
    for listed in (f'W/{tag}', f'"autre", {tag}', "*"):
        assert (await client.get("/api/services", headers={"if-none-match": listed})).status_code == 304
    other = await client.get("/api/services", headers={"if-none-match": '"autre"'})
    assert other.status_code == 200 and other.json() == first.json()
    head = await client.head("/api/services", headers={"if-none-match": tag})
    assert head.status_code == 304


async def test_a_provider_page_changes_its_tag_when_the_provider_changes(app, client, settings):
    [slug] = await add_providers(provider_row())
    await client.get("/")  # the visitor's first page sets the CSRF cookie: not tagged
    page = await client.get(f"/prestataires/{slug}")
    tag = page.headers["etag"]
    assert (await client.get(f"/prestataires/{slug}", headers={"if-none-match": tag})).status_code == 304
    await add_providers(provider_row(slug=slug, description="Boutiques en ligne et référencement local."))
    app.state.page_cache.seen(await events.latest())  # as the server's look at the outbox does
    changed = await client.get(f"/prestataires/{slug}", headers={"if-none-match": tag})
    assert changed.status_code == 200 and "référencement local" in changed.text and changed.headers["etag"] != tag
    api = await client.get(f"/api/providers/{slug}")
    assert (await client.get(f"/api/providers/{slug}", headers={"if-none-match": api.headers["etag"]})
            ).status_code == 304


async def test_what_sets_a_cookie_fails_or_is_personal_is_never_shared(client):
    fresh = await client.get("/")
    assert "set-cookie" in fresh.headers and "etag" not in fresh.headers  # a cookie is not a representation
    missing = await client.get("/prestataires/personne-nulle-part")
    assert missing.status_code == 404 and "etag" not in missing.headers
    await add_account("ada@example.fr", staff=True)
    await sign_in(client, "ada@example.fr")
    mine = await client.get("/compte")  # its session is renewed with each page: never tagged
    assert mine.status_code == 200 and "etag" not in mine.headers and "set-cookie" in mine.headers


@pytest.mark.parametrize("value, tag, expected", [
    (b'"a"', b'"a"', True), (b'W/"a"', b'"a"', True), (b'"b" , "a"', b'"a"', True), (b"*", b'"a"', True),
    (b'"b"', b'"a"', False), (b'', b'"a"', False)])
def test_if_none_match_takes_lists_weak_tags_and_a_star(value, tag, expected):
    assert held(value, tag) is expected


async def _streamed(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/csv")]})
    await send({"type": "http.response.body", "body": b"a;b\n", "more_body": True})
    await send({"type": "http.response.body", "body": b"1;2\n"})


async def _no_store(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"cache-control", b"no-store")]})
    await send({"type": "http.response.body", "body": b"secret"})


async def _plain(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b"{}"})


async def _through(app, headers):
    sent = []

    async def send(message):
        sent.append(message)

    await ConditionalGet(app, "ce_session")({"type": "http", "method": "GET", "headers": headers}, None, send)
    return sent


@pytest.mark.parametrize("headers, cache_control", [
    ([], b"no-cache"), ([(b"authorization", b"Bearer ce_x")], b"private, no-cache"),
    ([(b"cookie", b"ce_csrf=1; ce_session=abc")], b"private, no-cache"), ([(b"cookie", b"ce_csrf=1")], b"no-cache")])
async def test_a_response_to_someone_signed_in_is_for_their_browser_only(headers, cache_control):
    [start, _] = await _through(_plain, headers)
    assert (b"cache-control", cache_control) in start["headers"]


@pytest.mark.parametrize("app", [_streamed, _no_store])
async def test_streamed_and_no_store_responses_pass_untouched(app):
    sent = await _through(app, [(b"if-none-match", b"*")])
    assert sent[0]["status"] == 200 and all(name != b"etag" for name, _ in sent[0]["headers"])
    assert b"".join(message.get("body", b"") for message in sent[1:]) in (b"a;b\n1;2\n", b"secret")
