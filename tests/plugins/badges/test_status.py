"""Status lists on a real site: a revoked bit outlives its holder, a suspended listing's credentials say
so until it is restored, and both lists answer from the first day."""

from __future__ import annotations

import html
import json

from directory import data_rights
from directory.platform.store import DatabaseStore
from directory.testing import csrf_token, sign_in
from plugins.badges import awards, credentials, issuer, status
from plugins.badges.tables import BadgeAward, StatusEntry
from tests.plugins.badges.test_awards import CERTIFIED, CYBER, _staff_post, run_command, site  # noqa: F401 - the fixture

ERASED = "son titulaire a été retiré de l'annuaire"


async def _credential(award_id: int) -> dict:
    row = await BadgeAward.select(BadgeAward.credential).where(BadgeAward.id == award_id).first()
    return json.loads(row["credential"])


async def _verdict(site, credential: dict) -> dict:
    answer = await site.post("/api/badges/verify", json=credential)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _verify_page(site, credential: dict) -> str:
    page = await site.post("/badges/verifier", data={"credential": json.dumps(credential),
                                                     "_csrf_token": await csrf_token(site, "/badges/verifier")})
    return html.unescape(page.text)


async def _revoked_award(site, slug: str) -> tuple[int, dict]:
    """A badge awarded then revoked by staff, and its credential as the holder saved it."""
    await sign_in(site, "equipe@example.fr")
    await _staff_post(site, "/equipe/badges/attributions", {"provider": slug, "badge": CERTIFIED})
    [row] = await BadgeAward.select(BadgeAward.id).where(BadgeAward.provider.slug == slug)
    saved = await _credential(row["id"])
    revoked = await _staff_post(site, f"/equipe/badges/attributions/{row['id']}/revoquer", {"reason": "Assurance échue"})
    assert revoked.status_code == 303
    verdict = await _verdict(site, saved)
    assert verdict["valid"] is False and verdict["status"] == "revocation" and "révoquée" in verdict["reason"]
    return row["id"], saved


async def test_a_revoked_credential_stays_revoked_once_the_command_line_removes_its_holder(site, environment,
                                                                                         monkeypatch):
    alpha, beta, _ = site.slugs
    _, saved = await _revoked_award(site, alpha)
    index = int(saved["credentialStatus"][0]["statusListIndex"])
    removed = await run_command(environment, "remove", alpha)
    assert removed.exit_code == 0, removed.output
    assert not await BadgeAward.exists().where(BadgeAward.status_index == index)  # the award went with its holder

    verdict = await _verdict(site, saved)
    assert verdict["valid"] is False and verdict["status"] == "revocation" and ERASED in verdict["reason"]
    page = await _verify_page(site, saved)
    assert "Ce badge n'est pas valable" in page and "a été révoquée : son titulaire a été retiré de l'annuaire" in page
    listed = (await site.get("/badges/statuts/1")).json()
    bits = credentials.decode_status_list(listed["credentialSubject"]["encodedList"])
    assert credentials.bit_set(bits, index)

    # The next award is offered the erased holder's bit first: it takes another one.
    offered = iter([index % credentials.STATUS_LIST_BITS, 4242 if index % credentials.STATUS_LIST_BITS != 4242 else 4243])
    monkeypatch.setattr(status.secrets, "randbelow", lambda bound: next(offered))
    new = await awards.award(beta, CERTIFIED, actor="test")
    fresh = await _credential(new)
    assert int(fresh["credentialStatus"][0]["statusListIndex"]) != index
    assert (await _verdict(site, fresh))["valid"] is True
    assert (await _verdict(site, saved))["valid"] is False


async def test_after_a_departure_credentials_are_suspended_then_revoked_by_the_erasure(site, manual_clock):
    alpha = site.slugs[0]
    _, revoked = await _revoked_award(site, alpha)
    kept = await _credential(await awards.award(alpha, CYBER, actor="test"))
    assert (await _verdict(site, kept))["valid"] is True
    await sign_in(site, "a@alpha.fr")
    left = await site.post(f"/compte/prestataires/{alpha}/quitter", data={
        "confirm": "oui", "_csrf_token": await csrf_token(site, f"/compte/prestataires/{alpha}/quitter")})
    assert left.status_code == 303

    during = await _verdict(site, kept)  # unlisted, not yet erased: staff may still restore it
    assert during["valid"] is False and during["status"] == "suspension" and "suspendue" in during["reason"]
    manual_clock.advance(days=data_rights.ERASE_AFTER.days, seconds=1)
    assert await data_rights.erase_departed(DatabaseStore().with_namespace("accounts")) == 1
    assert await BadgeAward.count() == 0 and await StatusEntry.count() == 2  # the tombstones, and nothing else

    for saved in (revoked, kept):
        verdict = await _verdict(site, saved)
        assert verdict["valid"] is False and verdict["status"] == "revocation" and ERASED in verdict["reason"]
    assert "Ce badge n'est pas valable" in await _verify_page(site, kept)


async def test_a_suspended_listing_s_credentials_are_suspended_until_staff_restore_it(site):
    alpha = site.slugs[0]
    award_id = await awards.award(alpha, CERTIFIED, actor="test")
    current = await _credential(award_id)
    assert [entry["statusPurpose"] for entry in current["credentialStatus"]] == ["revocation", "suspension"]
    assert current["credentialStatus"][1]["statusListCredential"] == "http://annuaire.example.fr/badges/statuts/suspension/1"
    # A credential issued before suspension existed names its revocation bit only.
    older = await issuer.sign({**{k: v for k, v in current.items() if k != "proof"},
                               "credentialStatus": current["credentialStatus"][0]})
    assert (await _verdict(site, older))["valid"] is True

    await sign_in(site, "equipe@example.fr")
    token = await csrf_token(site, f"/equipe/prestataires/{alpha}")
    suspended = await site.post(f"/equipe/prestataires/{alpha}/suspendre", data={"reason": "Kbis expiré",
                                                                                 "_csrf_token": token})
    assert suspended.status_code == 303
    verdict = await _verdict(site, current)
    assert verdict == {**verdict, "valid": False, "status": "suspension", "holder": "Alpha Web"}
    assert "suspendue" in verdict["reason"] and "rétablie" in verdict["reason"]
    assert "Ce badge est suspendu" in await _verify_page(site, current)
    assert (await _verdict(site, older))["valid"] is True  # it keeps verifying as before
    index = int(current["credentialStatus"][1]["statusListIndex"])
    listed = (await site.get("/badges/statuts/suspension/1")).json()
    assert listed["credentialSubject"]["statusPurpose"] == "suspension"
    assert credentials.bit_set(credentials.decode_status_list(listed["credentialSubject"]["encodedList"]), index)
    revocations = (await site.get("/badges/statuts/1")).json()["credentialSubject"]["encodedList"]
    assert not credentials.bit_set(credentials.decode_status_list(revocations), index)
    staff_page = (await site.get("/equipe/badges")).text
    assert "suspendu avec la fiche" in staff_page
    await sign_in(site, "a@alpha.fr")
    members_page = html.unescape((await site.get(f"/compte/prestataires/{alpha}/badges")).text)
    assert "Votre fiche est suspendue" in members_page and "Valide, suspendu avec la fiche" in members_page
    await sign_in(site, "equipe@example.fr")

    restored = await site.post(f"/equipe/prestataires/{alpha}/retablir", data={"_csrf_token": token})
    assert restored.status_code == 303
    assert (await _verdict(site, current))["valid"] is True


async def test_both_status_lists_are_published_signed_and_empty_before_the_first_award(site):
    page = await site.get("/badges/verifier")
    for path, purpose in (("/badges/statuts/1", "revocation"), ("/badges/statuts/suspension/1", "suspension")):
        assert f'href="{path}"' in page.text
        answer = await site.get(path)
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/ld+json")
        listed = answer.json()
        assert listed["id"] == f"http://annuaire.example.fr{path}" and "proof" in listed
        assert listed["credentialSubject"]["statusPurpose"] == purpose
        bits = credentials.decode_status_list(listed["credentialSubject"]["encodedList"])
        assert len(bits) * 8 == credentials.STATUS_LIST_BITS and not any(bits)
    for missing in ("/badges/statuts/2", "/badges/statuts/suspension/2", "/badges/statuts/0"):
        answer = await site.get(missing)
        assert answer.status_code == 404 and answer.json()["detail"] == "Cette liste de statuts n'existe pas."


async def test_a_status_index_out_of_its_list_is_refused_with_a_reason(site):
    current = await _credential(await awards.award(site.slugs[0], CERTIFIED, actor="test"))
    for index in ("-1", "99999999999999999999", str(credentials.STATUS_LIST_BITS)):
        entry = dict(current["credentialStatus"][0], statusListIndex=index)
        signed = await issuer.sign({**{k: v for k, v in current.items() if k != "proof"}, "credentialStatus": [entry]})
        verdict = await _verdict(site, signed)
        assert verdict["valid"] is False and "liste de révocation" in verdict["reason"], index
