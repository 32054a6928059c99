"""The network learns its TPEs' words: unheard searches counted off the request's path, phrasings
staff add, live in every server through the event outbox."""

from __future__ import annotations

from dataclasses import replace

import pytest

from directory.app import create_app
from directory.tables import Account
from directory.testing import add_account, add_providers, csrf_token, provider_row, serve, sign_in
from plugins.needs import LEXICON, UNHEARD, follow_lexicon, learning
from plugins.needs.tables import NeedPhrasing, UnheardSearch
from tests.following import caught_up

STAFF = "equipe@example.fr"


@pytest.fixture
async def staff_site(apps, settings, plugin_manager):
    for table in (NeedPhrasing, UnheardSearch, Account):
        await table.delete(force=True)
    await add_providers(provider_row(trade_name="Fournil Numérique", services="e-commerce;site-vitrine"))
    await add_account(STAFF, staff=True)
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with serve(app) as client:
        client.app = app
        yield client


def test_only_words_are_kept_never_what_looks_like_an_address_or_a_number():
    assert learning.kept_text("  Vendre   mes Gâteaux ") == "vendre mes gateaux"
    assert learning.kept_text("jean.dupont@example.fr site") is None
    assert learning.kept_text("rappelez moi au 06 12 34 56 78") is None
    assert learning.kept_text("siret 12345678901234") is None
    assert learning.kept_text("je mon pour") is None  # nothing but stop words: nothing to learn


async def test_searches_that_find_nobody_or_are_taken_back_are_counted_then_written(staff_site):
    client = staff_site
    for _ in range(3):
        assert (await client.get("/recherche", params={"q": "gâteaux de mariage"})).status_code == 200
    await client.get("/recherche", params={"q": "vendre mes tartes", "ignore": "e-commerce"})
    await client.get("/recherche", params={"q": "vendre mes tartes"})  # found: not counted
    await client.get("/recherche", params={"q": "plomberie zinguerie"}, headers={"X-Search-Live": "1"})
    await client.get("/api/search", params={"q": "zinguerie"})
    assert await UnheardSearch.count() == 0  # nothing written on the request's path
    assert await client.app.state[UNHEARD].flush() == 3
    rows = {(row["outcome"], row["text"]): row["times"] for row in await learning.unheard()}
    assert rows == {("nothing", "gateaux de mariage"): 3, ("corrected", "vendre mes tartes"): 1,
                    ("nothing", "zinguerie"): 1}


async def test_staff_add_a_phrasing_and_every_server_understands_it(staff_site, settings, plugin_manager):
    client = staff_site
    await client.get("/recherche", params={"q": "gâteaux de mariage"})
    await client.app.state[UNHEARD].flush()
    [unheard] = await learning.unheard()
    other = create_app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with serve(other) as second:
        position = await learning.events.latest()
        assert not (await second.get("/api/search", params={"q": "gâteaux de mariage"})).json()["understood"]
        await sign_in(client, STAFF)
        page = await client.get("/equipe/besoins")
        assert page.status_code == 200 and "gateaux de mariage" in page.text
        answer = await client.post("/equipe/besoins/formulations", data={
            "service": "e-commerce", "text": "gâteaux de mariage", "unheard": str(unheard["id"]),
            "_csrf_token": await csrf_token(client, "/equipe/besoins")})
        assert answer.status_code == 303 and answer.headers["location"] == "/equipe/besoins?fait=ajoutee"
        assert "Formulation ajoutée" in (await client.get(answer.headers["location"])).text
        assert await learning.unheard() == []  # answered: off the list
        # The other server learns it from the event outbox (its follower does this every second),
        # and its kept results go with the lexicon they were understood with.
        await caught_up(other)
        body = (await second.get("/api/search", params={"q": "gâteaux de mariage"})).json()
        assert [need["slug"] for need in body["understood"]] == ["e-commerce"] and body["total"] == 1
    await follow_lexicon(client.app, position)
    assert client.app.state[LEXICON].understand("des gâteaux de mariage").services == ("e-commerce",)


async def test_a_phrasing_staff_cannot_add_is_said_in_french_and_changes_nothing(staff_site):
    client = staff_site
    await sign_in(client, STAFF)
    token = await csrf_token(client, "/equipe/besoins")
    for data, message in (
        ({"service": "gateaux", "text": "vendre"}, "Choisissez un service du catalogue."),
        ({"service": "e-commerce", "text": "je mon pour"}, "n'a que des mots vides"),
        ({"service": "e-commerce", "text": "x" * 101}, "de 2 à 100 caractères"),
        ({"service": "e-commerce", "text": "ligne\u2028coupée"}, "de 2 à 100 caractères"),
        ({"service": "e-commerce", "text": "vendre en ligne"}, "désigne déjà ce service"),
        ({"service": "logiciels-gestion-caisse", "text": "besoin de caisse"}, "mot de remplissage"),
    ):
        answer = await client.post("/equipe/besoins/formulations", data={**data, "_csrf_token": token})
        assert answer.status_code == 400 and message in answer.text.replace("&#39;", "'"), data
        assert 'aria-invalid="true"' in answer.text
    assert await NeedPhrasing.count() == 0


@pytest.mark.parametrize("unheard", [str(2**31), "9" * 40])
async def test_a_phrasing_answering_a_search_past_any_id_is_added_and_answers_none(staff_site, unheard):
    client = staff_site
    await client.get("/recherche", params={"q": "gâteaux de mariage"})
    await client.app.state[UNHEARD].flush()
    await sign_in(client, STAFF)
    answer = await client.post("/equipe/besoins/formulations", data={
        "service": "e-commerce", "text": "gâteaux de mariage", "unheard": unheard,
        "_csrf_token": await csrf_token(client, "/equipe/besoins")})
    assert answer.status_code == 303 and answer.headers["location"] == "/equipe/besoins?fait=ajoutee"
    assert await NeedPhrasing.count() == 1 and len(await learning.unheard()) == 1


async def test_only_staff_reach_the_page_and_its_actions(staff_site):
    client = staff_site
    assert (await client.get("/equipe/besoins")).status_code in (302, 303, 401, 403)
    await add_account("membre@example.fr")
    await sign_in(client, "membre@example.fr")
    assert (await client.get("/equipe/besoins")).status_code == 403
    answer = await client.post("/equipe/besoins/formulations", data={
        "service": "e-commerce", "text": "gâteaux", "_csrf_token": await csrf_token(client, "/compte")})
    assert answer.status_code == 403 and await NeedPhrasing.count() == 0


async def test_staff_remove_a_phrasing_and_servers_forget_it(staff_site):
    client = staff_site
    await sign_in(client, STAFF)
    position = await learning.events.latest()
    account = (await Account.select(Account.id).where(Account.email == STAFF).first())["id"]
    await learning.add_phrasing("e-commerce", "gâteaux de mariage", False, account)
    await follow_lexicon(client.app, position)
    assert client.app.state[LEXICON].understand("gâteaux de mariage").services == ("e-commerce",)
    [phrasing] = await learning.phrasings()
    assert phrasing["added_by"] == STAFF
    answer = await client.post(f"/equipe/besoins/formulations/{phrasing['id']}/retirer",
                               data={"_csrf_token": await csrf_token(client, "/equipe/besoins")})
    assert answer.status_code == 303
    await follow_lexicon(client.app, position)
    assert client.app.state[LEXICON].understand("gâteaux de mariage").services == ()


async def test_results_are_kept_only_once_the_lexicon_has_read_the_new_phrasing(staff_site):
    client, app = staff_site, staff_site.app
    await caught_up(app)
    assert not (await client.get("/api/search", params={"q": "gâteaux de mariage"})).json()["understood"]
    staff = await Account.select(Account.id).where(Account.email == STAFF).first()
    await learning.add_phrasing("e-commerce", "gâteaux de mariage", False, staff["id"])
    app.state.page_cache.seen(await learning.events.latest())  # the cache has looked, the lexicon not yet
    assert not (await client.get("/api/search", params={"q": "gâteaux de mariage"})).json()["understood"]
    assert len(app.state.page_cache) == 0  # understood with the old lexicon: not kept
    await caught_up(app)
    for _ in range(2):
        body = (await client.get("/api/search", params={"q": "gâteaux de mariage"})).json()
        assert [need["slug"] for need in body["understood"]] == ["e-commerce"]
    assert len(app.state.page_cache) == 1
