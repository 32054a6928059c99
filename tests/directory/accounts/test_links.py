"""Links sent by mail: claiming a listing (a membership) and replacing a forgotten password."""

from __future__ import annotations

import re
from dataclasses import replace

from directory.accounts import api_tokens, users
from directory.app import create_app
from directory.tables import Account, MailMessage, Membership
from directory.testing import STRONG, add_providers, csrf_token, provider_row, serve, sign_in
from tests.conftest import signed_out


async def _ask(client, slug: str):
    return await client.post(f"/compte/revendiquer/{slug}", data={"_csrf_token": await csrf_token(
        client, f"/compte/revendiquer/{slug}")})


async def _link_sent_to(email: str) -> str:
    row = await MailMessage.select(MailMessage.text).where(MailMessage.recipient == email).order_by(
        MailMessage.id, ascending=False).first()
    return re.search(r"http://annuaire\.example\.fr(/compte/lien/\S+)", row["text"])[1]


async def test_a_provider_claims_its_listing_by_the_link_sent_to_its_own_address(site):
    [slug] = await add_providers(provider_row(email="contact@pixel-gironde.fr"))
    assert f"/compte/revendiquer/{slug}" in (await site.get(f"/prestataires/{slug}")).text
    asked = await _ask(site, slug)
    assert "Un lien vient d'être envoyé à l'adresse de la fiche (c•••@pixel-gironde.fr)" in asked.text
    link = await _link_sent_to("contact@pixel-gironde.fr")

    form = await site.get(link)
    assert form.status_code == 200 and "contact@pixel-gironde.fr" in form.text
    token = await csrf_token(site, link)
    weak = await site.post(link, data={"password": "motdepasse123", "_csrf_token": token})
    assert weak.status_code == 400 and "trop facile à deviner" in weak.text
    done = await site.post(link, data={"password": STRONG, "_csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/compte"
    home = (await site.get("/compte")).text
    assert "Pixel Gironde" in home and "(responsable)" in home

    again = await site.get(link)
    assert again.status_code == 410 and "a déjà servi" in again.text


async def test_a_second_claimant_becomes_a_member(site):
    [slug] = await add_providers(provider_row(email="contact@pixel-gironde.fr"))
    for _ in range(2):
        await _ask(site, slug)
        link = await _link_sent_to("contact@pixel-gironde.fr")
        await site.post(link, data={"password": STRONG, "_csrf_token": await csrf_token(site, link)})
    # The same mailbox, twice: one account, one membership.
    assert await Account.count() == 1 and await Membership.count() == 1


async def test_a_link_expires_after_a_day(site, manual_clock):
    [slug] = await add_providers(provider_row(email="contact@pixel-gironde.fr"))
    await _ask(site, slug)
    link = await _link_sent_to("contact@pixel-gironde.fr")
    manual_clock.advance(hours=24, seconds=1)
    assert (await site.get(link)).status_code == 410
    assert await Account.count() == 0


async def test_a_listing_without_address_cannot_be_claimed_by_mail(site):
    [slug] = await add_providers(provider_row(email=""))
    asked = await _ask(site, slug)
    assert "n'indique pas d'adresse e-mail" in asked.text and await MailMessage.count() == 0


async def test_claim_requests_are_rate_limited_per_listing(site):
    [slug] = await add_providers(provider_row(email="contact@pixel-gironde.fr"))
    for _ in range(3):
        assert (await _ask(site, slug)).status_code == 200
    limited = await _ask(site, slug)
    assert limited.status_code == 429 and "Trop de demandes" in limited.text
    assert await MailMessage.count() == 3


async def _forgot(client, email: str):
    return await client.post("/compte/mot-de-passe-oublie", data={
        "email": email, "_csrf_token": await csrf_token(client, "/compte/mot-de-passe-oublie")})


async def test_a_forgotten_password_is_replaced_by_a_link_and_ends_older_sessions(site, settings, plugin_manager,
                                                                                   manual_clock):
    await users.add_staff("ada.lovelace@example.fr", STRONG)
    # Another browser signed in before the reset.
    other = create_app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with serve(other) as elsewhere:
        signed = await elsewhere.post("/compte/connexion", data={
            "email": "ada.lovelace@example.fr", "password": STRONG,
            "_csrf_token": await csrf_token(elsewhere, "/compte/connexion")})
        assert signed.status_code == 303
        manual_clock.advance(minutes=5)

        asked = await _forgot(site, "Ada.Lovelace@example.fr")
        unknown = await _forgot(site, "personne@example.fr")
        assert "Si un compte existe à cette adresse" in asked.text and "Si un compte existe" in unknown.text
        assert await MailMessage.count() == 1
        link = await _link_sent_to("ada.lovelace@example.fr")
        reset = await site.post(link, data={"password": STRONG + " neuf",
                                                        "_csrf_token": await csrf_token(site, link)})
        assert reset.status_code == 303
        assert "ada.lovelace@example.fr" in (await site.get("/compte")).text
        assert await signed_out(elsewhere)  # ended


async def test_a_reset_link_lasts_an_hour(site, manual_clock):
    await users.add_staff("ada.lovelace@example.fr", STRONG)
    await _forgot(site, "ada.lovelace@example.fr")
    link = await _link_sent_to("ada.lovelace@example.fr")
    manual_clock.advance(minutes=61)
    assert (await site.get(link)).status_code == 410


async def _reset(client, link: str, **fields):
    return await client.post(link, data={"password": STRONG + " neuf", "_csrf_token": await csrf_token(client, link),
                                         **fields})


async def _live_tokens(email: str) -> list[str]:
    from directory.tables import ApiToken

    return [row["name"] for row in await ApiToken.select(ApiToken.name).where(
        (ApiToken.account.email == email) & ApiToken.revoked_at.is_null())]


async def test_a_reset_ends_the_older_reset_links_and_a_waiting_address_change(site, two):
    await _forgot(site, "a@alpha.fr")
    older = await _link_sent_to("a@alpha.fr")
    await sign_in(site, "a@alpha.fr")  # or whoever holds the password now
    await site.post("/compte/adresse", data={"current": STRONG, "email": "intrus@example.com",
                                             "_csrf_token": await csrf_token(site, "/compte")})
    moving = await _link_sent_to("intrus@example.com")
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await _forgot(site, "a@alpha.fr")
    newer = await _link_sent_to("a@alpha.fr")

    assert (await _reset(site, newer)).status_code == 303
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    assert (await site.get(older)).status_code == 410
    assert (await site.post(older, data={"password": STRONG + " autre", "_csrf_token": await csrf_token(
        site, "/compte/connexion")})).status_code == 410
    assert (await site.get(moving)).status_code == 410
    moved = await site.post(moving, data={"_csrf_token": await csrf_token(site, "/compte/connexion")})
    assert moved.status_code == 410 and await Account.exists().where(Account.email == "a@alpha.fr")


async def test_the_reset_page_offers_to_revoke_api_tokens_checked_by_default(site, two):
    account = (await Account.select(Account.id).where(Account.email == "a@alpha.fr").first())["id"]
    await api_tokens.create(account, "CRM")
    await _forgot(site, "a@alpha.fr")
    link = await _link_sent_to("a@alpha.fr")
    page = (await site.get(link)).text
    assert re.search(r'<input type="checkbox" name="revoke_tokens" value="oui" checked> Révoquer aussi mes jetons',
                     page)
    kept = await _reset(site, link)  # the box unchecked: the browser sends nothing
    assert kept.headers["location"] == "/compte" and await _live_tokens("a@alpha.fr") == ["CRM"]

    await _forgot(site, "a@alpha.fr")
    revoked = await _reset(site, await _link_sent_to("a@alpha.fr"), revoke_tokens="oui")
    assert revoked.headers["location"] == "/compte?fait=jetons-revoques"
    assert "Vos jetons d&#39;API sont révoqués" in (await site.get(revoked.headers["location"])).text
    assert await _live_tokens("a@alpha.fr") == []


async def test_a_reset_after_a_lockout_revokes_api_tokens_whatever_the_box(site, two, manual_clock):
    account = (await Account.select(Account.id).where(Account.email == "a@alpha.fr").first())["id"]
    await api_tokens.create(account, "CRM")
    for _ in range(5):
        await site.post("/compte/connexion", data={"email": "a@alpha.fr", "password": "pas le bon mot de passe",
                                                   "_csrf_token": await csrf_token(site, "/compte/connexion")})
    await _forgot(site, "a@alpha.fr")
    link = await _link_sent_to("a@alpha.fr")
    manual_clock.advance(minutes=20)  # the lockout is over, the reset it led to still counts
    answer = await _reset(site, link)
    assert answer.headers["location"] == "/compte?fait=jetons-revoques" and await _live_tokens("a@alpha.fr") == []


async def test_ending_every_other_session_may_revoke_api_tokens_too(site, two, settings, plugin_manager,
                                                                   manual_clock):
    account = (await Account.select(Account.id).where(Account.email == "a@alpha.fr").first())["id"]
    await api_tokens.create(account, "CRM")
    other = create_app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with serve(other) as elsewhere:
        await sign_in(elsewhere, "a@alpha.fr")
        manual_clock.advance(minutes=1)
        await sign_in(site, "a@alpha.fr")
        home = (await site.get("/compte")).text
        assert re.search(r'name="revoke_tokens" value="oui" checked> Révoquer aussi mes jetons', home)
        ended = await site.post("/compte/sessions", data={"session": "tout", "revoke_tokens": "oui",
                                                          "_csrf_token": await csrf_token(site, "/compte")})
        assert ended.headers["location"] == "/compte?fait=jetons-revoques"
        assert await signed_out(elsewhere) and await _live_tokens("a@alpha.fr") == []
