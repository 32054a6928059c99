"""The forum, tested with the fixtures that ship with the directory (``directory.testing``) and nothing else."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from directory.testing import STRONG, add_account, csrf_token, sign_in

FORM = {"services": ["site-vitrine"], "near": "33000", "description": "Un site vitrine pour notre boulangerie.",
        "budget": "1000-3000", "start": "1-mois", "contact_name": "Paul Durand", "company_name": "Boulangerie Durand",
        "contact_email": "paul@boulangerie-durand.fr", "contact_phone": "05 56 11 22 33", "consent": "oui"}


async def _register_advisor(client, outbox) -> str:
    """Staff register Claire; she opens her account from the invitation. Returns her mail's link."""
    await add_account("equipe@example.fr", staff=True)
    await sign_in(client, "equipe@example.fr")
    added = await client.post("/equipe/ambassadeurs", data={
        "email": "claire@cci-gironde.fr", "name": "Claire Martin", "organisation": "CCI Bordeaux Gironde",
        "kind": "cci", "region": "75", "_csrf_token": await csrf_token(client, "/equipe/ambassadeurs")})
    assert added.status_code == 303
    await client.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(client, "/compte")})
    [invitation] = [m for m in await outbox() if m["To"] == "claire@cci-gironde.fr"]
    return re.search(r"http://\S+(/compte/lien/\S+)", invitation.get_body(("plain",)).get_content())[1]


async def _refer(client, outbox, run_jobs, manual_clock) -> None:
    """Claire opens her account, then sends a bakery's request from the quote form."""
    link = await _register_advisor(client, outbox)
    opened = await client.post(link, data={"password": STRONG, "_csrf_token": await csrf_token(client, link)})
    assert opened.status_code == 303  # her account exists, she is signed in
    assert 'href="/ambassadeurs"' in (await client.get("/compte")).text
    form = (await client.get("/devis")).text
    fields = {name: re.search(rf'name="{name}" value="([^"]+)"', form)[1] for name in ("_csrf_token", "formulaire")}
    manual_clock.advance(seconds=60)
    assert (await client.post("/devis", data={**FORM, **fields})).status_code == 303
    await run_jobs()  # among them, the forum following the leads' steps


async def test_an_advisor_refers_a_request_and_follows_what_became_of_it(manual_clock, client, network, outbox,
                                                                         run_jobs):
    await _refer(client, outbox, run_jobs, manual_clock)
    page = (await client.get("/ambassadeurs")).text
    assert "Les demandes que vous avez orientées (1)" in page and "Proposée à Pixel Gironde" in page


async def test_the_weekly_digest_tells_each_advisor_what_moved(manual_clock, client, network, outbox, run_jobs):
    from forum_ambassadeurs import advisors

    await _refer(client, outbox, run_jobs, manual_clock)
    assert await advisors.send_digests({}) == 1
    [digest] = [m for m in await outbox() if m["Subject"] == "Vos demandes orientées cette semaine"]
    assert digest["To"] == "claire@cci-gironde.fr" and "Proposée à Pixel Gironde" in digest.get_body(
        ("plain",)).get_content()
    manual_clock.advance(days=8)
    assert await advisors.send_digests({}) == 0  # nothing moved since


async def test_a_provider_page_shows_the_advisors_of_its_region(client, network, outbox):
    await _register_advisor(client, outbox)
    bordeaux = (await client.get(f"/prestataires/{network[0]}")).text
    assert "Conseillers des TPE en Nouvelle-Aquitaine" in bordeaux and "CCI Bordeaux Gironde" in bordeaux
    lyon = (await client.get(f"/prestataires/{network[2]}")).text
    assert "CCI Bordeaux Gironde" not in lyon


async def test_members_cannot_register_advisors_and_mistakes_are_explained(client, network, outbox):
    await add_account("membre@pixel-gironde.fr", provider=network[0])
    await sign_in(client, "membre@pixel-gironde.fr")
    refused = await client.post("/equipe/ambassadeurs", data={
        "email": "x@example.fr", "name": "X", "organisation": "Y", "kind": "cci", "region": "75",
        "_csrf_token": await csrf_token(client, "/compte")})
    assert refused.status_code == 403
    await client.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(client, "/compte")})
    await add_account("equipe@example.fr", staff=True)
    await sign_in(client, "equipe@example.fr")
    bad = await client.post("/equipe/ambassadeurs", data={
        "email": "pas-une-adresse", "name": "Claire", "organisation": "CCI", "kind": "cci", "region": "75",
        "_csrf_token": await csrf_token(client, "/equipe/ambassadeurs")})
    assert bad.status_code == 400 and "Claire" in bad.text


def test_the_command_registers_an_advisor(settings):
    # The welcome mail holds a link: a command, unlike ``serve``, must be told the site's address.
    environment = {**os.environ, "DATABASE_URL": settings.database_url, "CHANNEL_EXPERT_MAIL_DIR": settings.mail_dir,
                   "CHANNEL_EXPERT_PUBLIC_URL": settings.public_url}
    command = [sys.executable, "-c", "from directory.cli import main; main()", "ambassadeurs"]
    added = subprocess.run([*command, "add", "jean@banque.fr", "--name", "Jean Petit", "--organisation",
                            "Banque Populaire", "--kind", "banque", "--region", "Bretagne"],
                           env=environment, capture_output=True, text=True, timeout=120)
    assert added.returncode == 0, added.stderr
    listed = subprocess.run([*command, "list"], env=environment, capture_output=True, text=True, timeout=120)
    assert "jean@banque.fr\tJean Petit\tBanque Populaire\tbanque\t53" in listed.stdout
    again = subprocess.run(added.args, env=environment, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "déjà un conseiller" in again.stderr
