"""Staff's queue and decisions: identity changes, new profiles, suspensions, each told to the provider by mail."""

from __future__ import annotations

import re

from directory import catalogue
from directory.tables import MailMessage, PendingChange, ProfileChange, Provider
from directory.testing import csrf_token, sign_in
from tests.directory.accounts.test_profiles import submit


async def _ask_identity_change(site, slug, **changes):
    await sign_in(site, "a@alpha.fr")
    await submit(site, slug, **changes)
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await sign_in(site, "equipe@example.fr")


async def _decide(site, decision, reason=""):
    queue = (await site.get("/equipe")).text
    change_id = re.search(r'action="/equipe/modifications/(\d+)"', queue)[1]
    return await site.post(f"/equipe/modifications/{change_id}", data={
        "decision": decision, "reason": reason, "_csrf_token": await csrf_token(site, "/equipe")})


async def _mail_to(address):
    return await MailMessage.select().where(MailMessage.recipient == address).order_by(MailMessage.id)


async def test_staff_approve_an_identity_change_and_it_goes_live_with_its_history(site, two):
    a, _ = two
    await _ask_identity_change(site, a, trade_name="Alpha Digital", siret="73282932000074")
    queue = (await site.get("/equipe")).text
    assert "Changements d'identité (1)" in queue and "Alpha Digital" in queue and "73282932000074" in queue
    assert (await _decide(site, "valider")).status_code == 303
    row = await Provider.select().where(Provider.slug == a).first()
    assert (row["trade_name"], row["siret"]) == ("Alpha Digital", "73282932000074")
    assert "Alpha Digital" in (await site.get(f"/prestataires/{a}")).text
    changed = await ProfileChange.select().where(ProfileChange.field == "trade_name")
    assert [(c["old_value"], c["new_value"], c["actor"]) for c in changed] == [("Alpha Web", "Alpha Digital", "a@alpha.fr")]
    [mail] = await _mail_to("a@alpha.fr")
    assert mail["subject"] == "Modification de votre fiche Alpha Digital validée"
    assert "Changements d'identité (0)" in (await site.get("/equipe")).text


async def test_a_rejection_needs_a_reason_that_the_provider_receives(site, two):
    a, _ = two
    await _ask_identity_change(site, a, legal_name="Autre Société SAS")
    without = await _decide(site, "refuser")
    assert without.status_code == 400 and "Donnez la raison" in without.text
    assert (await _decide(site, "refuser", "Le Kbis joint ne correspond pas.")).status_code == 303
    assert (await Provider.select(Provider.legal_name).where(Provider.slug == a).first())["legal_name"] == \
        "Pixel Gironde SARL"
    [mail] = await _mail_to("a@alpha.fr")
    assert "refusée" in mail["subject"] and "Motif : Le Kbis joint ne correspond pas." in mail["text"]
    assert (await PendingChange.select(PendingChange.state).first())["state"] == "rejected"


async def test_a_decision_is_taken_once(site, two):
    a, _ = two
    await _ask_identity_change(site, a, trade_name="Alpha Digital")
    change_id = re.search(r'action="/equipe/modifications/(\d+)"', (await site.get("/equipe")).text)[1]
    token = await csrf_token(site, "/equipe")
    first = await site.post(f"/equipe/modifications/{change_id}", data={"decision": "valider", "_csrf_token": token})
    again = await site.post(f"/equipe/modifications/{change_id}", data={"decision": "refuser", "reason": "non",
                                                                      "_csrf_token": token})
    assert first.status_code == 303 and again.status_code == 400 and "déjà été traitée" in again.text
    assert (await Provider.select(Provider.trade_name).where(Provider.slug == a).first())["trade_name"] == "Alpha Digital"


async def test_staff_suspend_and_restore_a_listing(site, two):
    a, _ = two
    await sign_in(site, "equipe@example.fr")
    page = f"/equipe/prestataires/{a}"
    refused = await site.post(f"{page}/suspendre", data={"_csrf_token": await csrf_token(site, page)})
    assert refused.status_code == 400 and "Donnez la raison" in refused.text
    done = await site.post(f"{page}/suspendre", data={"reason": "Société radiée.",
                                                      "_csrf_token": await csrf_token(site, page)})
    assert done.status_code == 303
    assert (await site.get(f"/prestataires/{a}")).status_code == 404
    assert (await site.get(f"/api/providers/{a}")).status_code == 404
    restored = await site.post(f"{page}/retablir", data={"_csrf_token": await csrf_token(site, page)})
    assert restored.status_code == 303 and (await site.get(f"/prestataires/{a}")).status_code == 200
    subjects = [mail["subject"] for mail in await _mail_to("a@alpha.fr")]
    assert subjects == ["Votre fiche Alpha Web est suspendue", "Votre fiche Alpha Web est de nouveau en ligne"]
    states = [(r["old_value"], r["new_value"]) for r in await ProfileChange.select().where(ProfileChange.field == "state")]
    assert states == [(catalogue.PUBLISHED, catalogue.SUSPENDED), (catalogue.SUSPENDED, catalogue.PUBLISHED)]
    # A decision that does not fit the state is refused.
    again = await site.post(f"{page}/retablir", data={"_csrf_token": await csrf_token(site, page)})
    assert again.status_code == 400


async def test_staff_find_a_listing_and_read_its_history(site, two):
    a, _ = two
    await sign_in(site, "equipe@example.fr")
    found = await site.get("/equipe/prestataires", params={"q": "alpha"})
    assert f'href="/equipe/prestataires/{a}"' in found.text
    history = await site.get(f"/compte/prestataires/{a}/historique")
    assert history.status_code == 200 and "créé" in history.text and "import" in history.text


async def test_members_do_not_reach_staff_pages(site, two):
    await sign_in(site, "a@alpha.fr")
    assert (await site.get("/equipe")).status_code == 403


async def _shown_after(site, answer) -> list[str]:
    """The notices of the page a decision redirects to, then of that page seen again."""
    assert answer.status_code == 303
    first, again = (await site.get(answer.headers["location"])).text, (await site.get(answer.headers["location"])).text
    return [re.findall(r'<p role="status" class="notice">([^<]+)</p>', page) for page in (first, again)]


async def test_each_staff_decision_is_confirmed_once_on_the_page_it_leads_to(site, two):
    a, _ = two
    await _ask_identity_change(site, a, trade_name="Alpha Digital")
    approved = await _shown_after(site, await _decide(site, "valider"))
    assert approved == [["Changement d&#39;identité validé : la fiche publiée porte les nouvelles valeurs."], []]
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await _ask_identity_change(site, a, legal_name="Autre Société SAS")
    rejected = await _shown_after(site, await _decide(site, "refuser", "Le Kbis ne correspond pas."))
    assert rejected[0] == ["Changement d&#39;identité refusé : le prestataire reçoit le motif par e-mail."]

    page = f"/equipe/prestataires/{a}"
    suspended = await _shown_after(site, await site.post(f"{page}/suspendre", data={
        "reason": "Société radiée.", "_csrf_token": await csrf_token(site, page)}))
    assert suspended == [["La fiche est suspendue : elle n&#39;apparaît plus dans l&#39;annuaire."], []]
    restored = await _shown_after(site, await site.post(f"{page}/retablir", data={
        "_csrf_token": await csrf_token(site, page)}))
    assert restored == [["La fiche est rétablie dans l&#39;annuaire."], []]
    assert "La fiche est rétablie" not in (await site.get("/equipe")).text
