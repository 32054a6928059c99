"""Links sent by mail: claiming a listing (a membership) and replacing a forgotten password."""

from __future__ import annotations

import re
from dataclasses import replace


from directory.accounts import users
from directory.app import create_app
from directory.tables import Account, MailMessage, Membership
from directory.testing import STRONG, add_providers, csrf_token, provider_row, serve
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
