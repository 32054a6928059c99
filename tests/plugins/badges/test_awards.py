"""Badges from staff's award to the pages, search, routing, reminders and verification, on a real site."""

from __future__ import annotations

import asyncio
import html
import json
import re
import subprocess
from dataclasses import replace
from datetime import timedelta

import pytest

from directory.app import create_app
from directory.tables import Account, Job, MailMessage, Membership, StoreEntry
from directory.testing import add_account, add_providers, csrf_token, provider_row, serve, sign_in
from plugins.badges import awards
from plugins.badges.tables import BadgeAward, BadgeClass, SigningKey, StatusEntry
from plugins.leads import network as routed_network
from tests.conftest import COMMAND

CERTIFIED, CYBER = "channel-expert-certifie", "specialiste-cybersecurite"


@pytest.fixture
async def site(apps, settings, plugin_manager, manual_clock):
    """Three agencies in Bordeaux, two with an owner, and a staff account."""
    for table in (BadgeAward, StatusEntry, Job, MailMessage, Membership, Account, StoreEntry):
        await table.delete(force=True)
    await BadgeClass.delete().where(BadgeClass.slug == "nouveau-badge")
    slugs = await add_providers(*(provider_row(trade_name=name, email=f"contact@{name.split()[0].lower()}.fr",
                                               postal_code="33000", commune="Bordeaux", services="e-commerce")
                                  for name in ("Alpha Web", "Beta Web", "Gamma Web")))
    await add_account("a@alpha.fr", provider=slugs[0])
    await add_account("b@beta.fr", provider=slugs[1])
    await add_account("equipe@example.fr", staff=True)
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False,
                             public_url="http://annuaire.example.fr"), plugin_manager)
    async with serve(app) as client:
        client.app, client.slugs = app, slugs
        yield client


async def _staff_post(site, path, data):
    return await site.post(path, data={**data, "_csrf_token": await csrf_token(site, "/equipe/badges")})


async def _search(site, **params):
    answer = await site.get("/api/search", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _run_jobs(site):
    worker = site.app.state.platform.worker()
    while await worker.run_once():
        pass


async def test_staff_award_a_badge_it_shows_on_the_profile_in_search_and_counts_in_routing(site, manual_clock):
    alpha, beta, gamma = site.slugs
    await sign_in(site, "equipe@example.fr")
    awarded = await _staff_post(site, "/equipe/badges/attributions", {
        "provider": alpha, "badge": CERTIFIED, "expires": "2027-06-30", "evidence_url": "https://alpha.fr/references",
        "note": "Trois références appelées."})
    assert awarded.status_code == 303
    [row] = await BadgeAward.select()
    assert row["expires_at"].astimezone(awards.credentials.PARIS).strftime("%Y-%m-%d %H:%M") == "2027-06-30 23:59"
    [mail] = await MailMessage.select().where(MailMessage.recipient == "a@alpha.fr")
    assert "Channel Expert certifié" in mail["subject"] and "30/06/2027" in mail["text"]

    page = html.unescape((await site.get(f"/prestataires/{alpha}")).text)
    assert "Badges du réseau" in page and "Channel Expert certifié</a> — jusqu'au 30/06/2027" in page
    await site.app.state.search.sync()
    found = await _search(site, q="web", filter="badges:Channel Expert certifié")
    assert [hit["slug"] for hit in found["hits"]] == [alpha]
    assert found["hits"][0]["fields"]["badges"] == ["Channel Expert certifié"]
    everyone = await _search(site, q="web", near="33000")
    assert everyone["facets"]["badges"] == {"Channel Expert certifié": 1}
    assert everyone["hits"][0]["slug"] == alpha  # a valid badge breaks the tie among equals
    results = (await site.get("/recherche", params={"q": "web", "near": "33000"})).text
    assert 'name="filter" value="badges:Channel Expert certifié"' in results and '<span class="chip">Channel Expert certifié</span>' in results

    network = await routed_network.network(site.app.state.plugin_manager)
    counts = {candidate.slug: candidate.badges for candidate in network.candidates}
    assert counts[alpha] == 1 and counts[beta] == counts[gamma] == 0


async def test_an_expired_badge_stops_counting_at_once_and_the_profile_says_so(site, manual_clock):
    alpha = site.slugs[0]
    await awards.award(alpha, CYBER, actor="test", expires_at=manual_clock.now() + timedelta(days=3))
    await site.app.state.search.sync()
    assert (await _search(site, filter="badges:Spécialiste cybersécurité"))["total"] == 1
    manual_clock.advance(days=3)
    network = await routed_network.network(site.app.state.plugin_manager)
    assert {c.slug: c.badges for c in network.candidates}[alpha] == 0  # routing: at once
    await _run_jobs(site)  # the expiry job tells the search indexes
    await site.app.state.search.sync()
    assert (await _search(site, filter="badges:Spécialiste cybersécurité"))["total"] == 0
    page = html.unescape((await site.get(f"/prestataires/{alpha}")).text)
    assert "Spécialiste cybersécurité</a> — expiré le " in page


async def test_a_revoked_badge_stops_counting_and_its_credential_fails_verification(site, manual_clock):
    alpha = site.slugs[0]
    award_id = await awards.award(alpha, CERTIFIED, actor="test")
    credential = json.loads((await BadgeAward.select(BadgeAward.credential).first())["credential"])
    assert (await site.post("/api/badges/verify", json=credential)).json()["valid"] is True
    await sign_in(site, "equipe@example.fr")
    revoked = await _staff_post(site, f"/equipe/badges/attributions/{award_id}/revoquer", {"reason": "Assurance échue"})
    assert revoked.status_code == 303
    answer = (await site.post("/api/badges/verify", json=credential)).json()
    assert answer == {**answer, "valid": False, "reason": "L'attestation a été révoquée par le réseau."}
    listed = (await site.get("/badges/statuts/1")).json()
    assert listed["type"] == ["VerifiableCredential", "BitstringStatusListCredential"] and "proof" in listed
    assert {c.slug: c.badges for c in (await routed_network.network(site.app.state.plugin_manager)).candidates}[alpha] == 0
    [mail] = await MailMessage.select().where(MailMessage.subject.like("%retiré%"))
    assert "Assurance échue" in mail["text"]
    assert "retiré le " in (await site.get(f"/prestataires/{alpha}")).text


async def test_the_verification_page_accepts_a_good_credential_and_explains_a_tampered_one(site):
    award_id = await awards.award(site.slugs[0], CERTIFIED, actor="test")
    credential = (await BadgeAward.select(BadgeAward.credential).where(BadgeAward.id == award_id).first())["credential"]
    token = await csrf_token(site, "/badges/verifier")
    good = await site.post("/badges/verifier", data={"credential": credential, "_csrf_token": token})
    assert good.status_code == 200 and "Badge authentique et valable" in good.text and "Alpha Web" in good.text
    tampered = credential.replace("Alpha Web", "Alpha Wab")
    bad = await site.post("/badges/verifier", data={"_csrf_token": token},
                          files={"file": ("badge.json", tampered.encode(), "application/json")})
    assert bad.status_code == 422 and "modifiée après sa signature" in bad.text
    not_json = await site.post("/badges/verifier", data={"credential": "{", "_csrf_token": token})
    assert "n'est pas du JSON" in html.unescape(not_json.text)
    credential_id = json.loads(credential)["id"]
    linked = await site.get("/badges/verifier", params={"attestation": credential_id})
    assert "Badge authentique et valable" in linked.text  # the providers' snippet links here
    served = await site.get(credential_id.removeprefix("http://annuaire.example.fr"))
    assert served.json() == json.loads(credential) and served.headers["content-type"].startswith("application/ld+json")


async def test_the_issuer_publishes_every_key_so_credentials_survive_a_new_key(site, settings, plugin_manager, tmp_path,
                                                                               monkeypatch):
    first = await awards.award(site.slugs[0], CERTIFIED, actor="test")
    monkeypatch.setenv("CHANNEL_EXPERT_BADGES_SIGNING_KEY_FILE", str(tmp_path / "nouvelle.key"))
    from directory.plugin_manager import get_plugin_manager

    rotated = create_app(replace(settings, secret_key="k" * 40, worker_in_app=False,
                                 public_url="http://annuaire.example.fr"), get_plugin_manager(settings))
    async with serve(rotated) as client:
        second = await awards.award(site.slugs[1], CERTIFIED, actor="test")
        issuer = (await client.get("/badges/emetteur")).json()
        assert len(issuer["verificationMethod"]) == await SigningKey.count() >= 2
        assert issuer["assertionMethod"] == [method["id"] for method in issuer["verificationMethod"]]
        for award_id in (first, second):
            credential = json.loads((await BadgeAward.select(BadgeAward.credential).where(
                BadgeAward.id == award_id).first())["credential"])
            assert (await client.post("/api/badges/verify", json=credential)).json()["valid"] is True
        methods = {json.loads(row["credential"])["proof"]["verificationMethod"] for row in await BadgeAward.select()}
        assert len(methods) == 2


async def test_reminders_go_30_and_7_days_before_expiry_once_each(site, manual_clock):
    await awards.award(site.slugs[0], CERTIFIED, actor="test", expires_at=manual_clock.now() + timedelta(days=40))

    async def reminders():
        return [m["subject"] for m in await MailMessage.select().where(MailMessage.subject.like("%expire dans%"))]

    await awards.send_reminders({})
    assert await reminders() == []
    manual_clock.advance(days=11)
    await awards.send_reminders({})
    await awards.send_reminders({})  # a job run twice sends once
    assert await reminders() == ["Le badge « Channel Expert certifié » d'Alpha Web expire dans 30 jours"]
    manual_clock.advance(days=23)
    await awards.send_reminders({})
    assert len(await reminders()) == 2 and "dans 7 jours" in (await reminders())[1]
    assert site.app.state.platform.tasks.get(awards.REMINDER_TASK) is not None  # run daily by the workers


async def test_a_member_sees_its_badges_downloads_its_credentials_and_copies_the_snippet(site):
    alpha, beta, _ = site.slugs
    await awards.award(alpha, CERTIFIED, actor="test")
    await sign_in(site, "a@alpha.fr")
    page = await site.get(f"/compte/prestataires/{alpha}/badges")
    assert page.status_code == 200 and "Code à coller sur votre site" in page.text
    assert "<h1>Badges d'Alpha Web</h1>" in html.unescape(page.text)
    snippet = re.search(r'<textarea id="code-\d+"[^>]*>([^<]+)</textarea>', page.text)[1]
    assert "http://annuaire.example.fr/badges/verifier?attestation=" in snippet and "image.svg" in snippet
    download = await site.get(f"/compte/prestataires/{alpha}/badges/attestations.json")
    assert download.headers["content-disposition"].startswith("attachment") and len(download.json()) == 1
    assert (await site.get(f"/compte/prestataires/{beta}/badges")).status_code == 403


async def test_members_cannot_award_and_bad_input_is_explained_in_french_keeping_what_was_typed(site):
    alpha = site.slugs[0]
    await sign_in(site, "a@alpha.fr")
    token = await csrf_token(site, "/compte")
    refused = await site.post("/equipe/badges/attributions", data={"provider": alpha, "badge": CERTIFIED,
                                                                  "_csrf_token": token})
    assert refused.status_code == 403 and await BadgeAward.count() == 0
    await site.post("/compte/deconnexion", data={"_csrf_token": token})
    await sign_in(site, "equipe@example.fr")
    bad = await _staff_post(site, "/equipe/badges/attributions", {
        "provider": alpha, "badge": CERTIFIED, "expires": "30/06/2027", "evidence_url": "https://alpha.fr/x",
        "note": "Vérifié au téléphone"})
    assert bad.status_code == 400 and "AAAA-MM-JJ" in bad.text and "Vérifié au téléphone" in bad.text
    unknown = await _staff_post(site, "/equipe/badges/attributions", {"provider": "inconnu", "badge": CERTIFIED})
    assert unknown.status_code == 400 and "Aucun prestataire « inconnu »" in unknown.text
    await _staff_post(site, "/equipe/badges/attributions", {"provider": alpha, "badge": CERTIFIED})
    twice = await _staff_post(site, "/equipe/badges/attributions", {"provider": alpha, "badge": CERTIFIED})
    assert twice.status_code == 400 and "renouvelez-le" in twice.text and await BadgeAward.count() == 1
    no_reason = await _staff_post(site, f"/equipe/badges/attributions/{(await BadgeAward.select().first())['id']}/revoquer",
                                  {"reason": " "})
    assert no_reason.status_code == 400 and "raison" in no_reason.text


async def test_staff_define_a_badge_class_published_with_its_criteria(site):
    await sign_in(site, "equipe@example.fr")
    created = await _staff_post(site, "/equipe/badges/classes", {
        "slug": "nouveau-badge", "name": "Nouveau badge", "description": "Pour essayer.",
        "criteria": "Premier critère.\nSecond critère.", "color": "#aa3300", "validity_months": "6", "active": "oui"})
    assert created.status_code == 303
    page = await site.get("/badges/nouveau-badge")
    assert page.status_code == 200 and "<p>Second critère.</p>" in page.text and "6 mois" in page.text
    image = await site.get("/badges/nouveau-badge/image.svg")
    assert image.headers["content-type"] == "image/svg+xml" and b"Nouveau badge" in image.content
    assert "<script" not in image.text
    bad = await _staff_post(site, "/equipe/badges/classes", {"slug": "Pas Bon", "name": "X", "description": "d",
                                                             "criteria": "c", "color": "#000000"})
    assert bad.status_code == 400 and "lettres minuscules" in bad.text
    assert (await site.get("/badges/inexistant")).status_code == 404


async def run_command(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    """``channel-expert ARGS`` on the site's database and public address, with its ``output``."""
    # In a thread: the site's own writes (its search index follows the awards) must go on
    # while the command waits for the database, or each would wait for the other.
    done = await asyncio.to_thread(subprocess.run, [*COMMAND, *args], capture_output=True, text=True, timeout=120,
                                   env={**environment, "CHANNEL_EXPERT_PUBLIC_URL": "http://annuaire.example.fr"})
    done.exit_code, done.output = done.returncode, done.stdout + done.stderr
    return done


async def test_the_command_line_awards_renews_revokes_exports_and_verifies_offline(site, environment, tmp_path):
    alpha = site.slugs[0]

    async def invoke(*args):
        return await run_command(environment, *args)
    awarded = await invoke("badges", "award", alpha, CYBER, "--expires", "2027-01-31",
                           "--evidence", "https://alpha.fr/anssi")
    assert awarded.exit_code == 0, awarded.output
    award_id = int(re.search(r"n° (\d+)", awarded.output)[1])
    exported = await invoke("badges", "export", alpha)
    (tmp_path / "badges.json").write_text(exported.output, encoding="utf-8")
    (tmp_path / "emetteur.json").write_text((await site.get("/badges/emetteur")).text, encoding="utf-8")
    (tmp_path / "statuts.json").write_text((await site.get("/badges/statuts/1")).text, encoding="utf-8")
    (tmp_path / "suspensions.json").write_text((await site.get("/badges/statuts/suspension/1")).text, encoding="utf-8")
    offline = ["badges", "verify", str(tmp_path / "badges.json"), "--issuer", str(tmp_path / "emetteur.json"),
               "--status-list", str(tmp_path / "statuts.json")]
    without_suspensions = await invoke(*offline)
    assert without_suspensions.exit_code == 1 and "liste des suspensions" in without_suspensions.output
    offline += ["--status-list", str(tmp_path / "suspensions.json")]
    checked = await invoke(*offline)
    assert checked.exit_code == 0 and "VALABLE : « Spécialiste cybersécurité » d'Alpha Web" in checked.output
    assert (await invoke("badges", "renew", str(award_id), "--expires", "2028-01-31")).exit_code == 0
    assert (await invoke("badges", "revoke", str(award_id), "--reason", "Formation non renouvelée")).exit_code == 0
    assert (await invoke(*offline)).exit_code == 0  # the saved list predates the revocation
    (tmp_path / "statuts.json").write_text((await site.get("/badges/statuts/1")).text, encoding="utf-8")
    revoked = await invoke(*offline)
    assert revoked.exit_code == 1 and "révoquée" in revoked.output
    refused = await invoke("badges", "award", "inconnu", CYBER)
    assert refused.exit_code == 1 and "Aucun prestataire" in refused.output


async def test_staff_see_what_each_award_renewal_and_revocation_did(site):
    alpha = site.slugs[0]
    await sign_in(site, "equipe@example.fr")
    awarded = await _staff_post(site, "/equipe/badges/attributions", {"provider": alpha, "badge": CERTIFIED})
    assert awarded.headers["location"] == f"/equipe/badges?fait=attribue&prestataire={alpha}"
    page = html.unescape((await site.get(awarded.headers["location"])).text)
    assert '<p class="notice" role="status">Badge attribué : son attestation est signée' in page
    assert "<h2>Attributions d'Alpha Web</h2>" in page  # the trade name, not the slug
    beta = html.unescape((await site.get(f"/equipe/badges?prestataire={site.slugs[1]}")).text)
    assert "<h2>Attributions de Beta Web</h2>" in beta
    unknown = html.unescape((await site.get("/equipe/badges?prestataire=inconnu")).text)
    assert "<h2>Attributions : aucune fiche « inconnu »</h2>" in unknown
    award_id = (await BadgeAward.select(BadgeAward.id).first())["id"]
    for action, data, said in (("renouveler", {"expires": "2028-01-31"}, "Attribution renouvelée"),
                               ("revoquer", {"reason": "Assurance échue"}, "Attribution révoquée")):
        done = await _staff_post(site, f"/equipe/badges/attributions/{award_id}/{action}", data)
        assert done.status_code == 303
        assert said in html.unescape((await site.get(done.headers["location"])).text)
    assert "role=\"status\"" not in (await site.get("/equipe/badges")).text  # said once, after the action


async def test_the_member_area_leads_to_the_badges_of_its_listing(site):
    alpha = site.slugs[0]
    await sign_in(site, "a@alpha.fr")
    home = (await site.get("/compte")).text
    assert '<a href="/compte/badges">Badges de vos fiches</a>' in home
    reached = await site.get("/compte/badges")
    assert reached.status_code == 303 and reached.headers["location"] == f"/compte/prestataires/{alpha}/badges"
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await sign_in(site, "equipe@example.fr")  # staff manage no listing of their own
    listed = await site.get("/compte/badges")
    assert listed.status_code == 200 and "Votre compte ne gère aucune fiche" in html.unescape(listed.text)
