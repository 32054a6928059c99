"""A provider downloads its data, and leaves: unlisted at once, erased everywhere after the documented delay."""

from __future__ import annotations

import asyncio
import json

from directory import contact, data_rights, events
from directory.accounts import api_tokens
from directory.database import write_transaction
from directory.history import Actor
from directory.platform.store import DatabaseStore
from directory.tables import (
    Account,
    AccountToken,
    ApiToken,
    ContactMessage,
    Event,
    MailMessage,
    Membership,
    PendingChange,
    ProfileChange,
    Provider,
)
from directory.testing import add_account, csrf_token, sign_in
from tests.conftest import signed_out
from tests.directory.accounts.test_profiles import submit


async def _search(site, words):
    return (await site.get("/api/search", params={"q": words})).json()["hits"]


async def _until(check) -> None:
    """Wait (at most 3 s) for the search index to follow the outbox."""
    for _ in range(60):
        if await check():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the search index did not follow")


async def test_a_member_downloads_everything_held_about_its_provider(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    await submit(site, a, trade_name="Alpha Digital", description="Une nouvelle description.")
    account = (await Account.select(Account.id).where(Account.email == "a@alpha.fr").first())["id"]
    token = await api_tokens.create(account, "CRM")
    download = await site.get(f"/compte/prestataires/{a}/export")
    assert download.status_code == 200
    assert download.headers["content-disposition"] == f'attachment; filename="channel-expert-{a}.json"'
    data = json.loads(download.content)
    assert data["profile"]["slug"] == a and data["profile"]["description"] == "Une nouvelle description."
    assert [m["email"] for m in data["members"]] == ["a@alpha.fr"]
    assert [t["name"] for t in data["api_tokens"]] == ["CRM"]
    assert {row["field"] for row in data["history"]} >= {"", "description"}
    assert data["pending_changes"][0]["changes"] == {"trade_name": "Alpha Digital"}
    text = download.text
    assert token not in text and "argon2" not in text and "token_hash" not in text


async def test_a_provider_that_leaves_disappears_at_once_and_is_erased_after_the_delay(site, two, manual_clock):
    a, b = two
    await sign_in(site, "a@alpha.fr")
    await _until(lambda: _found(site, "Alpha"))
    account = (await Account.select(Account.id).where(Account.email == "a@alpha.fr").first())["id"]
    await api_tokens.create(account, "CRM")
    await submit(site, a, trade_name="Alpha Digital")  # a pending change, and history rows with the address
    refused = await site.post(f"/compte/prestataires/{a}/quitter",
                              data={"_csrf_token": await csrf_token(site, f"/compte/prestataires/{a}/quitter")})
    assert refused.status_code == 400  # not confirmed
    left = await site.post(f"/compte/prestataires/{a}/quitter", data={
        "confirm": "oui", "_csrf_token": await csrf_token(site, f"/compte/prestataires/{a}/quitter")})
    assert left.status_code == 303
    assert (await site.get(f"/prestataires/{a}")).status_code == 404
    assert (await site.get(f"/api/providers/{a}")).status_code == 404
    assert (await site.get(f"/compte/prestataires/{a}")).status_code == 404
    await _until(lambda: _gone(site, "Alpha"))

    store = DatabaseStore().with_namespace("accounts")
    manual_clock.advance(days=29)
    assert await data_rights.erase_departed(store) == 0
    assert await Provider.exists().where(Provider.slug == a)

    before = await events.latest()  # earlier tests left their own deletions in the outbox
    manual_clock.advance(days=1, seconds=1)
    assert await data_rights.erase_departed(store) == 1
    assert not await Provider.exists().where(Provider.slug == a)
    assert not await Account.exists().where(Account.email == "a@alpha.fr")
    for table in (ApiToken, PendingChange):
        assert await table.count() == 0
    assert not await MailMessage.exists().where(MailMessage.recipient.is_in(["a@alpha.fr", "contact@alpha.fr"]))
    assert not await AccountToken.exists().where(AccountToken.email == "a@alpha.fr")
    assert not await Event.exists().where(Event.actor == "a@alpha.fr")
    assert not await ProfileChange.exists().where(ProfileChange.actor == "a@alpha.fr")
    read, _ = await events.since(before, 10_000, {events.PROVIDER_DELETED})
    assert [event.subject for event in read] == [a]
    assert await signed_out(site)
    # The other provider and its member are untouched.
    assert await Provider.exists().where(Provider.slug == b) and await Account.exists().where(Account.email == "b@beta.fr")
    assert await _found(site, "Beta")


async def test_erasure_keeps_an_account_that_speaks_for_another_provider(site, two, manual_clock):
    a, b = two
    both = await add_account("both@example.fr", provider=b)
    provider_a = (await Provider.select(Provider.id).where(Provider.slug == a).first())["id"]
    await Membership.insert(Membership(account=both, provider=provider_a, role="member", created_at=manual_clock.now()))
    await data_rights.erase(provider_a, DatabaseStore().with_namespace("accounts"))
    assert await Account.exists().where(Account.email == "both@example.fr")
    assert not await Account.exists().where(Account.email == "a@alpha.fr")
    assert await Membership.count().where(Membership.account == both) == 1


async def _found(site, words) -> bool:
    return bool(await _search(site, words))


async def _gone(site, words) -> bool:
    return not await _search(site, words)



async def test_staff_can_undo_a_departure_before_the_erasure(site, two, manual_clock):
    a, _ = two
    provider_a = (await Provider.select(Provider.id).where(Provider.slug == a).first())["id"]
    await data_rights.leave(provider_a, a, Actor("a@alpha.fr", "web"))
    await sign_in(site, "equipe@example.fr")
    page = f"/equipe/prestataires/{a}"
    assert "Retiré par le prestataire" in (await site.get(page)).text
    restored = await site.post(f"{page}/retablir", data={"_csrf_token": await csrf_token(site, page)})
    assert restored.status_code == 303 and (await site.get(f"/prestataires/{a}")).status_code == 200
    manual_clock.advance(days=31)
    assert await data_rights.erase_departed(DatabaseStore().with_namespace("accounts")) == 0


async def _write_to_staff(address: str, subject: str) -> None:
    await contact.send(contact.Contact(name="Quelqu'un", email=address, subject=subject,
                                       message="Une question sur l'annuaire."))


async def test_the_download_lists_the_contact_messages_its_reader_sent_and_staffs_every_members(site,
                                                                                                 two):
    a, _ = two
    await add_account("collegue@alpha.fr", provider=a, role="member")
    await _write_to_staff("a@alpha.fr", "Ma question")
    await _write_to_staff("collegue@alpha.fr", "Celle d'un collègue")
    await _write_to_staff("b@beta.fr", "Celle d'un autre prestataire")
    await sign_in(site, "a@alpha.fr")
    mine = json.loads((await site.get(f"/compte/prestataires/{a}/export")).content)["contact_messages"]
    assert [(m["subject"], m["email"], m["message"]) for m in mine] == [
        ("Ma question", "a@alpha.fr", "Une question sur l'annuaire.")]
    await sign_in(site, "equipe@example.fr")
    staff = json.loads((await site.get(f"/compte/prestataires/{a}/export")).content)["contact_messages"]
    assert [m["subject"] for m in staff] == ["Ma question", "Celle d'un collègue"]


async def test_erasing_a_provider_or_an_address_erases_the_contact_messages_sent_from_it(site, two,
                                                                                           manual_clock):
    a, _ = two
    for address in ("a@alpha.fr", "contact@alpha.fr", "b@beta.fr", "tpe@example.fr"):
        await _write_to_staff(address, f"De {address}")
    provider = (await Provider.select(Provider.id).where(Provider.slug == a).first())["id"]
    assert await data_rights.erase(provider, DatabaseStore().with_namespace("accounts"))
    async with write_transaction(ContactMessage._meta.db):
        await data_rights.forget_addresses(["tpe@example.fr"])  # a lead deleted, for one
    assert [row["email"] for row in await ContactMessage.select(ContactMessage.email)] == ["b@beta.fr"]
