"""A TPE's request from the form to the providers' answers, with a controlled clock and the real job queue."""

from __future__ import annotations

import re
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest

from directory.tables import Account, Job, MailMessage, Membership, StoreEntry
from directory.testing import add_account, add_providers, csrf_token, provider_row, serve, sign_in
from plugins.leads.tables import Lead, LeadPreferences, LeadStep, Offer, RoutingRun
from tests.statements import counted

QUIMPER = {"postal_code": "29000", "commune": "Quimper"}


@pytest.fixture
async def network(settings, manual_clock):
    """Four e-commerce agencies around Quimper, one far away, a reseller; each with its owner."""
    for table in (Offer, RoutingRun, LeadStep, Lead, LeadPreferences, Job, MailMessage, Membership, Account,
                  StoreEntry):
        await table.delete(force=True)
    slugs = await add_providers(
        provider_row(trade_name="Agence Odet", email="odet@example.fr", **QUIMPER, services="e-commerce"),
        provider_row(trade_name="Studio Kerfeunteun", email="kerf@example.fr", **QUIMPER,
                     services="e-commerce;site-vitrine"),
        provider_row(trade_name="Douarnenez Web", email="dz@example.fr", postal_code="29100", commune="Douarnenez",
                     services="e-commerce", service_radius_km="40"),
        provider_row(trade_name="Brest Digital", email="brest@example.fr", postal_code="29200", commune="Brest",
                     services="e-commerce"),
        provider_row(trade_name="Lyon Shop", email="lyon@example.fr", postal_code="69003",
                     commune="Lyon 3e Arrondissement", services="e-commerce"),
        provider_row(trade_name="Quimper Informatique", kind="reseller", email="qi@example.fr", **QUIMPER,
                     services="postes-materiel"),
    )
    for slug, email in zip(slugs, ("odet@example.fr", "kerf@example.fr", "dz@example.fr", "brest@example.fr",
                                   "lyon@example.fr", "qi@example.fr")):
        await add_account(f"membre.{email}", provider=slug)
    await add_account("equipe@example.fr", staff=True)
    return dict(zip(("odet", "kerf", "dz", "brest", "lyon", "qi"), slugs))


@pytest.fixture
async def site(apps, settings, plugin_manager, network):
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False,
                             public_url="http://annuaire.example.fr"), plugin_manager)
    async with serve(app) as client:
        client.app = app
        yield client


FORM = {"services": ["e-commerce"], "near": "29000", "description": "Une boutique en ligne pour notre crêperie.",
        "budget": "1000-3000", "start": "1-mois", "contact_name": "Anne Le Goff", "company_name": "Crêperie Ty Anne",
        "contact_email": "anne@ty-anne.fr", "contact_phone": "02 98 00 00 00", "consent": "oui"}


async def _form_fields(client, path="/devis"):
    page = (await client.get(path)).text
    stamp = re.search(r'name="formulaire" value="([^"]+)"', page)[1]
    return {"_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', page)[1], "formulaire": stamp}


async def ask(client, manual_clock, path="/devis", **changes):
    fields = await _form_fields(client, path)
    manual_clock.advance(seconds=30)  # a person takes time to fill it
    return await client.post("/devis", data={**FORM, **fields, **changes})


async def offers():
    return await Offer.select(Offer.state, Offer.provider.slug.as_alias("slug")).order_by(Offer.id)


async def _mails_to(address):
    return await MailMessage.select().where(MailMessage.recipient == address).order_by(MailMessage.id)


async def test_a_request_is_offered_to_the_three_best_placed_and_the_tpe_gets_its_link(site, network, manual_clock):
    sent = await ask(site, manual_clock)
    assert sent.status_code == 303 and sent.headers["location"].startswith("/devis/suivi/")
    follow = await site.get(sent.headers["location"])
    assert "Votre demande est enregistrée" in follow.text and "Proposée à" in follow.text
    offered = {row["slug"] for row in await offers()}
    # The three nearest of the four that come to Quimper (Brest Digital covers all Finistère); not Lyon.
    assert offered == {network["odet"], network["kerf"], network["dz"]}
    [confirmation] = await _mails_to("anne@ty-anne.fr")
    link = re.search(r"http://annuaire\.example\.fr(/devis/suivi/\S+)", confirmation["text"])[1]
    assert link == sent.headers["location"].removesuffix("?nouvelle=1")
    [offer_mail] = await _mails_to("membre.odet@example.fr")
    assert "anne@ty-anne.fr" not in offer_mail["text"] and "Quimper" in offer_mail["subject"]
    answer = re.search(r"http://annuaire\.example\.fr/demandes/reponse/\S+", offer_mail["text"])[0]
    assert f'<a href="{answer}"' in offer_mail["html"] and "anne@ty-anne.fr" not in offer_mail["html"]
    assert f'<a href="http://annuaire.example.fr{link}"' in confirmation["html"]
    assert await Job.count().where(Job.task == "leads.deadline") == 3
    [run] = await RoutingRun.select()
    assert "n'intervient pas à Quimper" in run["excluded"]


# A submission holds the database's write lock for its statements: each one saved shortens the
# wait of every other writer. What it writes today, for three offers: the lead and its check, four
# steps and their events, a routing run, three offers with their deadline jobs and the providers'
# addresses (and whether the chosen are still listed), four messages with their delivery jobs, and
# the reads of routing (done before the lock); and the network's figures (plugins.insights: the
# request received, each offer for the network and for the provider); the track record of every
# provider (plugins.reviews: one grouped read).
SUBMISSION_STATEMENTS = 43


async def test_a_submission_runs_a_bounded_number_of_statements(site, network, manual_clock):
    await ask(site, manual_clock)  # warm: the network's copy is made
    with counted(site.app.state.platform.engine) as statements:
        sent = await ask(site, manual_clock, contact_email="autre@ty-anne.fr")
    assert sent.status_code == 303
    # The rate limits' counters are the shared store's (a file of their own on SQLite), outside the lock.
    own = [statement for statement in statements if '"store_entry"' not in statement]
    assert len(own) <= SUBMISSION_STATEMENTS, "\n".join(statement[:100] for statement in own)


async def test_the_same_form_sent_twice_makes_one_lead(site, manual_clock):
    fields = await _form_fields(site)
    manual_clock.advance(seconds=30)
    first = await site.post("/devis", data={**FORM, **fields})
    second = await site.post("/devis", data={**FORM, **fields})
    assert first.status_code == 303 and second.status_code == 200 and "déjà parvenue" in second.text
    assert await Lead.count() == 1 and await Offer.count() == 3


async def test_bad_input_is_explained_in_french_and_keeps_what_was_typed(site, manual_clock):
    refused = await ask(site, manual_clock, services=[], near="", contact_email="pas-une-adresse",
                        description="à voir", consent="")  # too short, and naming no service
    assert refused.status_code == 400
    for field in ("services", "near", "contact_email", "description", "consent"):
        assert f'id="erreur-{field}"' in refused.text
    assert "Anne Le Goff" in refused.text
    assert await Lead.count() == 0


async def test_robots_are_kept_out_without_a_captcha(site, manual_clock):
    trapped = await ask(site, manual_clock, site_web="http://spam.example")
    assert trapped.status_code == 200 and await Lead.count() == 0
    fields = await _form_fields(site)  # sent at once: no person fills a form that fast
    hurried = await site.post("/devis", data={**FORM, **fields})
    assert hurried.status_code == 400 and "Vérifiez vos réponses" in hurried.text and await Lead.count() == 0
    forged = await site.post("/devis", data={**FORM, **fields, "formulaire": "abc.1.def"})
    assert forged.status_code == 400 and await Lead.count() == 0


async def test_requests_are_limited_per_address(site, manual_clock):
    for number in range(5):
        assert (await ask(site, manual_clock, description=f"Projet numéro {number} pour la crêperie.")).status_code == 303
    refused = await ask(site, manual_clock, description="Encore un projet pour la crêperie.")
    assert refused.status_code == 429 and await Lead.count() == 5


async def test_a_provider_accepts_from_its_dashboard_and_the_tpe_sees_who(site, network, manual_clock):
    follow = (await ask(site, manual_clock)).headers["location"]
    await sign_in(site, "membre.odet@example.fr")
    dashboard = await site.get("/compte/demandes")
    assert "Une boutique en ligne pour notre crêperie." in dashboard.text
    assert "anne@ty-anne.fr" not in dashboard.text  # not before accepting
    offer_id = re.search(r'action="/compte/demandes/(\d+)"', dashboard.text)[1]
    accepted = await site.post(f"/compte/demandes/{offer_id}", data={
        "decision": "accepter", "_csrf_token": await csrf_token(site, "/compte/demandes")})
    assert accepted.status_code == 303
    assert "anne@ty-anne.fr" in (await site.get("/compte/demandes")).text
    page = (await site.get(follow)).text
    assert "Agence Odet a accepté votre demande" in page and "odet@example.fr" in page
    subjects = [m["subject"] for m in await _mails_to("anne@ty-anne.fr")]
    assert subjects[-1] == "Agence Odet a accepté votre demande de devis"


async def test_an_overseas_provider_is_told_its_deadline_in_its_own_time(site, manual_clock):
    [reunion] = await add_providers(provider_row(trade_name="Lagon Web", email="lagon@example.re", postal_code="97400",
                                                 commune="Saint-Denis", services="e-commerce"))
    await add_account("membre.lagon@example.re", provider=reunion)
    follow = (await ask(site, manual_clock, near="97400")).headers["location"]
    [offer] = await Offer.select(Offer.deadline_at).where(Offer.provider.slug == reunion)
    local = offer["deadline_at"].astimezone(ZoneInfo("Indian/Reunion")).strftime("%d/%m/%Y à %H:%M")
    told = f"{local}, heure de La Réunion"
    [mail] = await _mails_to("membre.lagon@example.re")
    assert told in mail["text"] and told in mail["html"]
    page = (await site.get(follow)).text
    assert told in page  # the TPE, in Réunion too, and each step on the same clock
    assert "heure de La Réunion</time> — Demande reçue." in page
    await sign_in(site, "membre.lagon@example.re")
    assert f"Répondez avant le {told}." in (await site.get("/compte/demandes")).text


async def test_another_providers_member_cannot_answer_an_offer(site, network, manual_clock):
    await ask(site, manual_clock)
    offer = await Offer.select(Offer.id).where(Offer.provider.slug == network["odet"]).first()
    await sign_in(site, "membre.lyon@example.fr")
    refused = await site.post(f"/compte/demandes/{offer['id']}", data={
        "decision": "accepter", "_csrf_token": await csrf_token(site, "/compte/demandes")})
    assert refused.status_code == 403
    assert (await Offer.select(Offer.state).where(Offer.id == offer["id"]).first())["state"] == "offered"


async def test_a_decline_offers_the_lead_to_the_next_provider(site, network, manual_clock):
    await ask(site, manual_clock)
    [mail] = await _mails_to("membre.dz@example.fr")
    link = re.search(r"http://annuaire\.example\.fr(/demandes/reponse/\S+)", mail["text"])[1]
    page = await site.get(link)
    assert "Accepter et recevoir les coordonnées" in page.text and "anne@ty-anne.fr" not in page.text
    token = await csrf_token(site, link)
    await site.post(link, data={"decision": "refuser", "reason": "Carnet plein", "_csrf_token": token})
    states = {row["slug"]: row["state"] for row in await offers()}
    assert states[network["dz"]] == "declined" and states[network["brest"]] == "offered"  # the next best
    assert "Réponse enregistrée : déclinée." in (await site.get(link)).text
    again = await site.post(link, data={"decision": "accepter", "_csrf_token": token})
    assert again.status_code == 409  # the link served once


async def test_a_missed_deadline_expires_the_offer_and_goes_on(site, network, manual_clock):
    await ask(site, manual_clock)
    worker = site.app.state.platform.worker()
    manual_clock.advance(hours=47)
    await worker.run_once()
    assert {row["state"] for row in await offers()} == {"offered"}
    manual_clock.advance(hours=2)
    while await worker.run_once():
        pass
    states = {row["slug"]: row["state"] for row in await offers()}
    assert states.pop(network["brest"]) == "offered" and set(states.values()) == {"expired"}  # the fourth, now
    manual_clock.advance(hours=49)
    while await worker.run_once():
        pass
    assert {row["state"] for row in await offers()} == {"expired"}
    lead = await Lead.select(Lead.state).first()
    assert lead["state"] == "unassigned"
    steps = [row["detail"] for row in await LeadStep.select(LeadStep.detail).order_by(LeadStep.id)]
    assert any("n'a pas répondu à temps" in step for step in steps)


async def test_nobody_eligible_goes_to_staff_who_widen_the_search(site, network, manual_clock):
    sent = await ask(site, manual_clock, near="Brest", services=["referencement"])
    assert await Offer.count() == 0
    assert (await Lead.select(Lead.state).first())["state"] == "unassigned"
    assert "équipe du réseau cherche" in (await site.get(sent.headers["location"])).text
    lead_id = (await Lead.select(Lead.id).first())["id"]
    assert [m["subject"] for m in await _mails_to("equipe@example.fr")] == \
        [f"Demande de devis {lead_id} sans prestataire (Brest)"]
    await sign_in(site, "equipe@example.fr")
    assert f'href="/equipe/demandes/{lead_id}"' in (await site.get("/equipe/demandes")).text
    detail = f"/equipe/demandes/{lead_id}"
    assigned = await site.post(detail, data={"provider": network["kerf"], "_csrf_token": await csrf_token(site, detail)})
    assert assigned.status_code == 303
    assert [row["slug"] for row in await offers()] == [network["kerf"]]
    assert (await Lead.select(Lead.state).first())["state"] == "open"


async def test_a_paused_or_full_provider_is_skipped(site, network, manual_clock):
    await sign_in(site, "membre.odet@example.fr")
    token = await csrf_token(site, "/compte/demandes")
    await site.post(f"/compte/demandes/preferences/{network['odet']}", data={"paused": "oui", "_csrf_token": token})
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await ask(site, manual_clock)
    assert network["odet"] not in {row["slug"] for row in await offers()}


async def test_the_tpe_adds_details_closes_and_deletes_its_request(site, network, manual_clock):
    follow = (await ask(site, manual_clock)).headers["location"].removesuffix("?nouvelle=1")
    token = await csrf_token(site, follow)
    added = await site.post(f"{follow}/precisions", data={"details": "Avec paiement en ligne.", "_csrf_token": token})
    assert added.status_code == 303, added.text
    assert "Avec paiement en ligne." in (await Lead.select(Lead.description).first())["description"]
    await site.post(f"{follow}/cloturer", data={"_csrf_token": token})
    assert {row["state"] for row in await offers()} == {"withdrawn"}
    unconfirmed = await site.post(f"{follow}/supprimer", data={"_csrf_token": token})
    assert unconfirmed.status_code == 400 and "Cochez la case" in unconfirmed.text
    assert (await Lead.select(Lead.contact_email).first())["contact_email"] == "anne@ty-anne.fr"
    deleted = await site.post(f"{follow}/supprimer", data={"_csrf_token": token, "confirm": "oui"})
    assert deleted.status_code == 200 and "sont effacées" in deleted.text
    lead = await Lead.select().first()
    assert (lead["contact_email"], lead["description"], lead["state"]) == ("", "", "deleted")
    assert await _mails_to("anne@ty-anne.fr") == []  # the outbox forgets the address too
    assert (await site.get(follow)).status_code == 404


async def test_leads_are_anonymised_after_the_retention_period(site, network, manual_clock):
    await ask(site, manual_clock)
    worker = site.app.state.platform.worker()
    manual_clock.advance(days=3 * 365 - 2)
    await worker.run_once()
    assert (await Lead.select(Lead.contact_email).first())["contact_email"] == "anne@ty-anne.fr"
    manual_clock.advance(days=3)
    for _ in range(20):
        await worker.run_once()
    assert (await Lead.select(Lead.contact_email, Lead.state).first()) == {"contact_email": "", "state": "deleted"}
