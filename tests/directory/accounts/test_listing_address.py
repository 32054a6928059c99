"""A listing's new address goes live only once confirmed, and an export lists only the listing's own mail."""

from __future__ import annotations

import json
import re

from directory import moderation
from directory.accounts import api_tokens
from directory.history import Actor
from directory.tables import Account, MailMessage, ProfileChange, Provider
from directory.testing import add_account, csrf_token, sign_in
from plugins.badges import awards
from tests.directory.accounts.test_profiles import submit
from tests.plugins.leads.test_flow import ask

EXPORT = "/compte/prestataires/{}/export"
TPE = "anne@ty-anne.fr"


async def _bearer(email: str) -> dict[str, str]:
    account = (await Account.select(Account.id).where(Account.email == email).first())["id"]
    return {"authorization": f"Bearer {await api_tokens.create(account, 'test')}"}


async def _email_of(slug: str) -> str:
    return (await Provider.select(Provider.email).where(Provider.slug == slug).first())["email"]


async def _link_to(address: str) -> str:
    row = await MailMessage.select(MailMessage.text).where(MailMessage.recipient == address).order_by(
        MailMessage.id, ascending=False).first()
    return re.search(r"http://annuaire\.example\.fr(/compte/lien/\S+)", row["text"])[1]


async def test_a_member_cannot_read_another_listings_mail_by_giving_its_listing_that_address(site, two, manual_clock):
    a, b = two
    await awards.award(a, "channel-expert-certifie", actor="test")
    await moderation.decide_profile(a, "suspendre", Actor("equipe@example.fr", "staff"), "Vérification du SIRET")
    await moderation.decide_profile(a, "retablir", Actor("equipe@example.fr", "staff"))
    asked = await ask(site, manual_clock, near="33000", contact_email=TPE)
    assert asked.status_code in (200, 303), asked.text
    for_a = await MailMessage.select(MailMessage.subject).where(MailMessage.recipient == "a@alpha.fr")
    assert len(for_a) >= 4 and any("demande" in row["subject"].lower() for row in for_a)  # badge, decisions, lead
    assert await MailMessage.exists().where(MailMessage.recipient == TPE)

    await sign_in(site, "b@beta.fr")
    headers = await _bearer("b@beta.fr")
    for address in ("a@alpha.fr", TPE):
        edited = await site.patch(f"/api/providers/{b}", headers=headers, json={"email": address})
        assert edited.status_code == 200, edited.text
        assert edited.json()["pending"] == {"email": address} and "email" not in edited.json()["live"]
        assert edited.json()["profile"]["email"] == "contact@beta.fr" and await _email_of(b) == "contact@beta.fr"
        await _only_own_mail(site, b)

    # Even an address staff set by mistake (imports are taken as confirmed) reads nothing of A's.
    await Provider.update({Provider.email: "a@alpha.fr"}).where(Provider.slug == b)
    await _only_own_mail(site, b)


async def _only_own_mail(site, b):
    """B's export holds B's own mail: to its member, and the confirmation links its member asked for."""
    exported = json.loads((await site.get(EXPORT.format(b))).content)["mail"]
    assert {row["subject"] for row in exported if row["recipient"] != "b@beta.fr"} == {
        "Confirmez l'adresse de contact de la fiche « Beta Web » sur Channel Expert"}
    assert not [row for row in exported if "Alpha" in row["subject"]]


async def test_the_export_lists_the_listings_mail_from_when_the_member_joined(site, two, manual_clock):
    a, _ = two
    await moderation.decide_profile(a, "suspendre", Actor("equipe@example.fr", "staff"), "Vérification du SIRET")
    manual_clock.advance(minutes=5)
    await add_account("nouveau@alpha.fr", provider=a, role="member")
    manual_clock.advance(minutes=5)
    await moderation.decide_profile(a, "retablir", Actor("equipe@example.fr", "staff"))

    await sign_in(site, "nouveau@alpha.fr")
    exported = json.loads((await site.get(EXPORT.format(a))).content)["mail"]
    assert sorted(row["recipient"] for row in exported) == ["a@alpha.fr", "nouveau@alpha.fr"]
    assert {row["subject"] for row in exported} == {"Votre fiche Alpha Web est de nouveau en ligne"}
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await sign_in(site, "a@alpha.fr")
    assert len(json.loads((await site.get(EXPORT.format(a))).content)["mail"]) == 3


async def test_a_new_listing_address_waits_for_its_link_and_the_form_says_so(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    saved = await submit(site, a, email="Nouveau@Alpha.fr", description="Sites et boutiques en ligne.")
    assert saved.status_code == 200
    assert "Un lien de confirmation a été envoyé à nouveau@alpha.fr" in saved.text
    assert "en attente de confirmation" in saved.text
    assert await _email_of(a) == "contact@alpha.fr"
    assert (await site.get(f"/api/providers/{a}")).json()["email"] == "contact@alpha.fr"
    assert "en attente de confirmation" in (await site.get(f"/compte/prestataires/{a}")).text

    link = await _link_to("nouveau@alpha.fr")
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    page = await site.get(link)
    assert page.status_code == 200 and "utilisera l'adresse <strong>nouveau@alpha.fr</strong>" in page.text
    done = await site.post(link, data={"_csrf_token": await csrf_token(site, link)})
    assert done.status_code == 200 and "est désormais l'adresse de contact" in done.text
    assert await _email_of(a) == "nouveau@alpha.fr"
    [row] = await ProfileChange.select().where(ProfileChange.field == "email")
    assert (row["old_value"], row["new_value"], row["actor"]) == ("contact@alpha.fr", "nouveau@alpha.fr", "a@alpha.fr")
    assert (await site.get(link)).status_code == 410


async def test_a_newer_request_or_a_cleared_address_cancels_the_waiting_one(site, two):
    a, _ = two
    headers = await _bearer("a@alpha.fr")
    await site.patch(f"/api/providers/{a}", headers=headers, json={"email": "premier@alpha.fr"})
    first = await _link_to("premier@alpha.fr")
    await site.patch(f"/api/providers/{a}", headers=headers, json={"email": "second@alpha.fr"})
    assert (await site.get(first)).status_code == 410
    second = await _link_to("second@alpha.fr")
    cleared = await site.patch(f"/api/providers/{a}", headers=headers, json={"email": ""})
    assert cleared.json()["live"] == ["email"] and cleared.json()["pending"] == {}
    assert await _email_of(a) == ""
    assert (await site.get(second)).status_code == 410

    await site.patch(f"/api/providers/{a}", headers=headers, json={"email": "troisieme@alpha.fr"})
    too_many = await site.patch(f"/api/providers/{a}", headers=headers, json={"email": "quatrieme@alpha.fr"})
    assert too_many.status_code == 400
    assert {item["name"]: item["message"] for item in too_many.json()["invalid-params"]} == {
        "email": "Trop de demandes de confirmation pour cette fiche : réessayez dans une heure."}
    assert not await MailMessage.exists().where(MailMessage.recipient == "quatrieme@alpha.fr")


async def test_staff_set_a_listing_address_at_once(site, two):
    a, _ = two
    await sign_in(site, "equipe@example.fr")
    saved = await submit(site, a, email="verifie@alpha.fr")
    assert saved.status_code == 200 and "Modifications publiées." in saved.text
    assert await _email_of(a) == "verifie@alpha.fr"
    assert not await MailMessage.exists().where(MailMessage.recipient == "verifie@alpha.fr")
