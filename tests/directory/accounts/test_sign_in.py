"""Signing in and out: sessions in the database or Redis, renewed at sign-in, CSRF, rate limits."""

from __future__ import annotations

import asyncio
import html
from dataclasses import replace

import pytest

from directory.accounts import sessions, users
from directory.app import create_app
from directory.tables import Account, StoreEntry
from directory.testing import STRONG, csrf_token, serve
from tests.conftest import redis_running, signed_out

EMAIL = "ada.lovelace@example.fr"


@pytest.fixture(params=["database", "redis"])
async def site(apps, request, settings, plugin_manager):
    """The app with one staff account, its sessions in the database or in Redis."""
    if request.param == "redis" and not redis_running():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    await Account.delete(force=True)
    await StoreEntry.delete(force=True)
    await users.add_staff(EMAIL, STRONG)
    configured = replace(settings, secret_key="k" * 40, worker_in_app=False,
                         redis_url="redis://127.0.0.1:6379/14" if request.param == "redis" else "")
    app = apps.app(configured, plugin_manager)
    async with serve(app) as client:
        client.configured = configured  # for a second browser on the same stores
        client.store = request.param
        client.sessions = app.stores.get(sessions.STORE_NAME)
        if request.param == "redis":
            await app.stores.get("sessions").delete_all()
            await app.stores.get("accounts").delete_all()
        yield client


async def _sign_in(client, password=STRONG, email=EMAIL):
    return await client.post("/compte/connexion", data={"email": email, "password": password,
                                                        "_csrf_token": await csrf_token(client, "/compte/connexion")})


async def test_sign_in_renews_the_session_id_and_sign_out_ends_it(site):
    anonymous = await site.get("/")
    assert "ce_session" not in anonymous.cookies  # no session for visitors
    signed = await _sign_in(site)
    assert signed.status_code == 303 and signed.headers["location"] == "/compte"
    first_id = site.cookies["ce_session"]
    assert EMAIL in (await site.get("/compte")).text
    await _sign_in(site)  # signing in again gives another id
    assert site.cookies["ce_session"] != first_id
    stolen = site.cookies["ce_session"]

    out = await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    assert out.status_code == 303
    site.cookies.set("ce_session", stolen)  # the old cookie is worth nothing now
    assert await signed_out(site)


async def test_a_session_dies_after_eight_idle_hours_and_after_seven_days_in_any_case(manual_clock, site):
    await _sign_in(site)
    # Each answer stores the session again for eight hours: in Redis, a real time to live.
    assert 8 * 3600 - 60 <= await site.sessions.expires_in(site.cookies["ce_session"]) <= 8 * 3600
    for _ in range(23):  # a request every seven hours, never idle for eight: 161 hours
        manual_clock.advance(hours=7)
        assert not await signed_out(site)
    manual_clock.advance(hours=6, minutes=59)
    assert not await signed_out(site)
    manual_clock.advance(minutes=2)  # seven days and a minute after signing in
    assert await signed_out(site)
    if site.store == "database":  # Redis counts its time to live on its own clock
        await _sign_in(site)
        manual_clock.advance(hours=7, minutes=59)
        assert not await signed_out(site)
        manual_clock.advance(hours=8, seconds=1)
        assert await signed_out(site)


async def test_unknown_account_and_wrong_password_get_the_same_answer(site):
    wrong = await _sign_in(site, password="pas le bon mot de passe")
    unknown = await _sign_in(site, email="inconnu@example.fr")
    assert wrong.status_code == unknown.status_code == 400
    assert "Adresse e-mail ou mot de passe incorrect." in wrong.text
    assert wrong.text.replace(EMAIL, "X").replace("inconnu@example.fr", "X").split("<main>")[1].split("_csrf_token")[0] \
        == unknown.text.replace(EMAIL, "X").replace("inconnu@example.fr", "X").split("<main>")[1].split("_csrf_token")[0]


async def test_a_form_without_its_csrf_token_is_refused(site):
    refused = await site.post("/compte/connexion", data={"email": EMAIL, "password": STRONG})
    assert refused.status_code == 403 and "ce_session" not in site.cookies
    assert refused.json()["detail"].startswith("Ce formulaire a expiré")


async def test_five_wrong_passwords_lock_the_account_for_a_while_even_with_the_right_one(site):
    for _ in range(5):
        assert (await _sign_in(site, password="pas le bon mot de passe")).status_code == 400
    locked = await _sign_in(site)
    assert locked.status_code == 429 and "Trop de tentatives" in locked.text


async def test_a_password_change_ends_the_sessions_opened_before(site):
    assert (await _sign_in(site)).status_code == 303
    await users.add_staff(EMAIL, STRONG + " encore")  # a new password, set elsewhere
    assert await signed_out(site)


async def test_an_account_sees_its_sessions_and_ends_the_others(site, plugin_manager):
    assert (await _sign_in(site)).status_code == 303
    other = create_app(site.configured, plugin_manager)
    async with serve(other) as laptop:
        await _sign_in(laptop)
        home = (await site.get("/compte")).text
        assert home.count("Depuis le ") == 2 and ": cette connexion" in home
        ended = await site.post("/compte/sessions", data={"session": "tout", "_csrf_token": await csrf_token(site, "/compte")})
        assert ended.status_code == 303
        assert await signed_out(laptop)
        assert EMAIL in (await site.get("/compte")).text  # this one goes on


async def test_a_new_password_needs_the_current_one_and_ends_the_other_sessions(manual_clock, site, plugin_manager):
    await _sign_in(site)
    other = create_app(site.configured, plugin_manager)
    async with serve(other) as laptop:
        await _sign_in(laptop)
        manual_clock.advance(minutes=1)
        wrong = await site.post("/compte/mot-de-passe", data={
            "current": "pas le bon", "new": STRONG + " neuf", "_csrf_token": await csrf_token(site, "/compte")})
        assert wrong.status_code == 400 and "Le mot de passe actuel n'est pas le bon." in html.unescape(wrong.text)
        changed = await site.post("/compte/mot-de-passe", data={
            "current": STRONG, "new": STRONG + " neuf", "_csrf_token": await csrf_token(site, "/compte")})
        assert changed.status_code == 303
        assert "Votre mot de passe a changé" in (await site.get(changed.headers["location"])).text
        assert await signed_out(laptop)
    assert (await _sign_in(site, password=STRONG)).status_code == 400  # the old one no longer works


async def test_two_sign_ins_at_once_both_hold(site, plugin_manager):
    async with serve(create_app(site.configured, plugin_manager)) as laptop:
        tokens = [await csrf_token(client, "/compte/connexion") for client in (site, laptop)]
        answers = await asyncio.gather(*(client.post("/compte/connexion", data={
            "email": EMAIL, "password": STRONG, "_csrf_token": token}) for client, token in zip((site, laptop), tokens)))
        assert [answer.status_code for answer in answers] == [303, 303]
        assert not await signed_out(site) and not await signed_out(laptop)
