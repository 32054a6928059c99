"""Members invite colleagues and remove them; staff invite a listing's contact; accounts change their address."""

from __future__ import annotations

import re

from directory.tables import Account, Membership, Provider
from directory.testing import STRONG, add_providers, csrf_token, provider_row, sign_in

MEMBERS = "/compte/prestataires/{}/membres"


async def _link_in_last_mail(address):
    from directory.tables import MailMessage

    row = await MailMessage.select(MailMessage.text).where(MailMessage.recipient == address).order_by(
        MailMessage.id, ascending=False).first()
    return re.search(r"http://annuaire\.example\.fr(/compte/lien/\S+)", row["text"])[1]


async def _sign_out(site):
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})


async def test_a_member_invites_a_colleague_who_joins_then_is_removed(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    sent = await site.post(MEMBERS.format(a), data={"email": "Collegue@Alpha.fr",
                                                    "_csrf_token": await csrf_token(site, MEMBERS.format(a))})
    assert sent.status_code == 200 and "Invitation envoyée à collegue@alpha.fr" in sent.text
    await _sign_out(site)

    link = await _link_in_last_mail("collegue@alpha.fr")
    page = await site.get(link)
    assert "qui pourra gérer la fiche « Alpha Web »" in page.text
    joined = await site.post(link, data={"password": STRONG, "_csrf_token": await csrf_token(site, link)})
    assert joined.status_code == 303
    assert (await site.get(f"/compte/prestataires/{a}")).status_code == 200
    roles = {row["account.email"]: row["role"] for row in await Membership.select(
        Membership.account.email, Membership.role)}
    assert roles["collegue@alpha.fr"] == "member"
    await _sign_out(site)

    await sign_in(site, "a@alpha.fr")
    listing = (await site.get(MEMBERS.format(a))).text
    membership_id = re.findall(r'/membres/(\d+)/retirer', listing)[-1]
    removed = await site.post(f"{MEMBERS.format(a)}/{membership_id}/retirer",
                              data={"_csrf_token": await csrf_token(site, MEMBERS.format(a))})
    assert removed.status_code == 303 and "collegue@alpha.fr" not in (await site.get(MEMBERS.format(a))).text
    await _sign_out(site)
    await sign_in(site, "collegue@alpha.fr")
    assert (await site.get(f"/compte/prestataires/{a}")).status_code == 403


async def test_the_owner_cannot_be_removed_by_a_member_nor_members_of_another_provider(site, two):
    a, b = two
    await sign_in(site, "b@beta.fr")
    owner_id = (await Membership.select(Membership.id).where(Membership.provider.slug == a).first())["id"]
    token = await csrf_token(site, MEMBERS.format(b))
    assert (await site.post(f"{MEMBERS.format(a)}/{owner_id}/retirer", data={"_csrf_token": token})).status_code == 403
    # Through its own provider's address, another provider's member is still out of reach.
    assert (await site.post(f"{MEMBERS.format(b)}/{owner_id}/retirer", data={"_csrf_token": token})).status_code == 400
    assert await Membership.count() == 2


async def test_staff_invite_the_contact_of_a_listing_nobody_manages(site, two):
    [c] = await add_providers(provider_row(trade_name="Gamma Web", email="contact@gamma.fr", state="draft"))
    await sign_in(site, "equipe@example.fr")
    page = f"/equipe/prestataires/{c}"
    sent = await site.post(f"{page}/invitation", data={"email": "dirigeant@gamma.fr",
                                                       "_csrf_token": await csrf_token(site, page)})
    assert "Invitation envoyée à dirigeant@gamma.fr" in sent.text
    await _sign_out(site)
    link = await _link_in_last_mail("dirigeant@gamma.fr")
    await site.post(link, data={"password": STRONG, "_csrf_token": await csrf_token(site, link)})
    [row] = await Membership.select(Membership.role).where(Membership.provider.slug == c)
    assert row["role"] == "owner"


async def test_an_address_another_account_has_gets_the_same_answer_and_a_message_without_link(site, two):
    await sign_in(site, "a@alpha.fr")
    answers = {}
    for address in ("b@beta.fr", "libre@alpha.fr"):
        answers[address] = await site.post("/compte/adresse", data={
            "current": STRONG, "email": address, "_csrf_token": await csrf_token(site, "/compte")})
    assert [answer.status_code for answer in answers.values()] == [200, 200]
    assert [re.sub(r"b@beta\.fr|libre@alpha\.fr", "ADRESSE", re.sub(r'value="[^"]+"', "", answer.text))
            for answer in answers.values()] == 2 * [re.sub(r"libre@alpha\.fr", "ADRESSE", re.sub(
                r'value="[^"]+"', "", answers["libre@alpha.fr"].text))]
    assert "Un lien de confirmation est parti à b@beta.fr" in answers["b@beta.fr"].text

    from directory.tables import MailMessage
    [told] = await MailMessage.select(MailMessage.subject, MailMessage.text).where(MailMessage.recipient == "b@beta.fr")
    assert "déjà celle d'un compte" in told["subject"] and "/compte/lien/" not in told["text"]
    assert await Account.exists().where(Account.email == "a@alpha.fr")
    assert await Account.exists().where(Account.email == "b@beta.fr")


async def test_an_account_changes_its_address_by_a_link_sent_to_the_new_one(site, two):
    await sign_in(site, "a@alpha.fr")
    wrong = await site.post("/compte/adresse", data={"current": "pas le bon mot de passe", "email": "neuf@alpha.fr",
                                                     "_csrf_token": await csrf_token(site, "/compte")})
    assert wrong.status_code == 400
    asked = await site.post("/compte/adresse", data={"current": STRONG, "email": "Neuf@Alpha.fr",
                                                     "_csrf_token": await csrf_token(site, "/compte")})
    assert "Un lien de confirmation est parti à neuf@alpha.fr" in asked.text
    assert await Account.exists().where(Account.email == "a@alpha.fr")  # nothing changes before the link

    from directory.tables import MailMessage
    notice = await MailMessage.select(MailMessage.text).where(MailMessage.recipient == "a@alpha.fr").first()
    assert "neuf@alpha.fr" in notice["text"] and "/compte/lien/" not in notice["text"]
    link = await _link_in_last_mail("neuf@alpha.fr")
    assert "Confirmer cette adresse" in (await site.get(link)).text
    done = await site.post(link, data={"_csrf_token": await csrf_token(site, link)})
    assert done.status_code == 303 and done.headers["location"] == "/compte?fait=adresse"
    assert "Votre adresse e-mail a changé." in (await site.get(done.headers["location"])).text
    assert await Account.exists().where(Account.email == "neuf@alpha.fr")
    await _sign_out(site)
    await sign_in(site, "neuf@alpha.fr")
    # The link served once; it cannot set a password either.
    assert (await site.get(link)).status_code == 410
    assert (await Provider.count()) == 2


async def _invite(site, slug, address):
    answer = await site.post(MEMBERS.format(slug), data={"email": address,
                                                         "_csrf_token": await csrf_token(site, MEMBERS.format(slug))})
    assert answer.status_code == 200 and f"Invitation envoyée à {address}" in answer.text
    return await _link_in_last_mail(address)


async def _join(site, link):
    joined = await site.post(link, data={"password": STRONG, "_csrf_token": await csrf_token(site, link)})
    assert joined.status_code == 303


async def test_invitations_die_with_the_membership_of_whoever_sent_them(site, two):
    a, _ = two
    await sign_in(site, "a@alpha.fr")
    first = await _invite(site, a, "m1@alpha.fr")
    await _sign_out(site)
    await _join(site, first)  # signed in as m1 now
    second = await _invite(site, a, "m2@alpha.fr")
    untouched = await _invite(site, a, "m3@alpha.fr")
    await _sign_out(site)

    await sign_in(site, "a@alpha.fr")
    page = (await site.get(MEMBERS.format(a))).text
    assert "m2@alpha.fr" in page and "envoyée par m1@alpha.fr" in page and "valable jusqu'au" in page
    m1 = (await Membership.select(Membership.id).where(Membership.account.email == "m1@alpha.fr").first())["id"]
    removed = await site.post(f"{MEMBERS.format(a)}/{m1}/retirer",
                              data={"_csrf_token": await csrf_token(site, MEMBERS.format(a))})
    assert removed.status_code == 303
    page = (await site.get(MEMBERS.format(a))).text
    assert "m2@alpha.fr" not in page and "Aucune invitation en attente." in page
    await _sign_out(site)

    for link in (second, untouched):
        assert (await site.get(link)).status_code == 410
        refused = await site.post(link, data={"password": STRONG, "_csrf_token": await csrf_token(site, "/compte/connexion")})
        assert refused.status_code == 410
    assert not await Account.exists().where(Account.email.is_in(["m2@alpha.fr", "m3@alpha.fr"]))
    assert {row["account.email"] for row in await Membership.select(Membership.account.email).where(
        Membership.provider.slug == a)} == {"a@alpha.fr"}


async def _invitation_id(address):
    from directory.tables import AccountToken

    return (await AccountToken.select(AccountToken.id).where(AccountToken.email == address).first())["id"]


async def _cancel(site, slug, invitation, page_slug=None):
    page = MEMBERS.format(page_slug or slug)
    return await site.post(f"/compte/prestataires/{slug}/invitations/{invitation}/annuler",
                           data={"_csrf_token": await csrf_token(site, page)})


async def test_the_owner_and_the_sender_cancel_an_invitation_others_cannot(site, two):
    a, b = two
    await sign_in(site, "a@alpha.fr")
    colleague = await _invite(site, a, "collegue@alpha.fr")
    by_owner = await _invite(site, a, "y@alpha.fr")
    await _sign_out(site)
    await _join(site, colleague)
    by_colleague = await _invite(site, a, "x@alpha.fr")
    page = (await site.get(MEMBERS.format(a))).text
    assert page.count("/annuler") == 1 and "envoyée par collegue@alpha.fr (vous)" in page

    refused = await _cancel(site, a, await _invitation_id("y@alpha.fr"))
    assert refused.status_code == 403 and (await site.get(by_owner)).status_code == 200
    assert (await _cancel(site, a, await _invitation_id("x@alpha.fr"))).status_code == 303
    assert (await site.get(by_colleague)).status_code == 410
    await _sign_out(site)

    await sign_in(site, "b@beta.fr")
    owners_invitation = await _invitation_id("y@alpha.fr")
    assert (await _cancel(site, a, owners_invitation, page_slug=b)).status_code == 403
    # Through its own provider's address, another provider's invitation is still out of reach.
    elsewhere = await _cancel(site, b, owners_invitation)
    assert elsewhere.status_code == 400 and "déjà servi, expiré ou été annulée" in elsewhere.text
    assert (await site.get(by_owner)).status_code == 200
    await _sign_out(site)

    await sign_in(site, "a@alpha.fr")
    assert (await _cancel(site, a, owners_invitation)).status_code == 303
    assert "Aucune invitation en attente." in (await site.get(MEMBERS.format(a))).text
    await _sign_out(site)
    assert (await site.get(by_owner)).status_code == 410
