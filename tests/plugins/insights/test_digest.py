"""The weekly digest: off until a member asks, sent on Monday morning once per week, stopped by its
link without signing in, and listed in the listing's data export."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest

from directory.app import create_app
from directory.tables import Membership, Provider
from directory.testing import csrf_token, serve, sign_in
from plugins.insights import counting
from plugins.insights.tables import TABLES
from tests.plugins.leads.test_flow import network as quimper  # noqa: F401 - the Quimper network, with its members

WEDNESDAY = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)
NEXT_MONDAY = datetime(2026, 3, 16, 8, 30, tzinfo=UTC)  # 9:30 in Paris: after the digest's hour
LAST_WEEK = date(2026, 3, 9)


@pytest.fixture
async def site(settings, plugin_manager, quimper, manual_clock, smtp):
    manual_clock._now = WEDNESDAY
    for table in TABLES:
        await table.delete(force=True)
    odet = (await Provider.select(Provider.id).where(Provider.slug == quimper["odet"]).first())["id"]
    await counting.add([(odet, LAST_WEEK, counting.SHOWN, 12), (odet, date(2026, 3, 12), counting.SHOWN, 3),
                        (odet, date(2026, 3, 13), counting.VISITS, 4), (odet, LAST_WEEK, counting.OFFERED, 2),
                        (odet, date(2026, 3, 2), counting.VISITS, 50)])  # the week before: not in the digest
    configured = replace(settings, secret_key="k" * 40, worker_in_app=False, mail_transport="smtp",
                         smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none", smtp_timeout_s=5,
                         public_url="http://annuaire.example.fr")
    app = create_app(configured, plugin_manager)
    async with serve(app) as client:
        client.app = app
        yield client


async def run_jobs(site) -> None:
    worker = site.app.state.platform.worker()
    while await worker.run_once():
        pass


async def turn_on(site, slug: str) -> None:
    page = f"/compte/prestataires/{slug}/statistiques"
    token = await csrf_token(site, page)
    answer = await site.post(f"{page}/resume", data={"recevoir": "oui", "_csrf_token": token})
    assert answer.status_code == 303, answer.text


async def test_nobody_gets_a_digest_without_asking(site, smtp, manual_clock):
    manual_clock._now = NEXT_MONDAY
    await run_jobs(site)
    assert smtp.inbox.messages == []


async def test_a_member_gets_last_weeks_figures_on_monday_once(site, quimper, smtp, manual_clock):
    await sign_in(site, "membre.odet@example.fr")
    page = await site.get(f"/compte/prestataires/{quimper['odet']}/statistiques")
    assert "Recevoir le résumé de la semaine" in page.text
    await turn_on(site, quimper["odet"])
    page = await site.get(f"/compte/prestataires/{quimper['odet']}/statistiques")
    assert "Ne plus recevoir le résumé de la semaine" in page.text
    await run_jobs(site)  # Wednesday: the week already over is not sent
    manual_clock._now = NEXT_MONDAY
    await run_jobs(site)
    assert len(smtp.inbox.messages) == 1
    message = smtp.inbox.messages[0]
    assert message["To"] == "membre.odet@example.fr"
    body = message.get_content()
    assert "Cette semaine : 15 apparitions, 4 visites, 2 demandes." in body
    assert "semaine du 9 mars 2026" in body
    manual_clock.advance(hours=30)  # Tuesday: the same week is not sent again
    await run_jobs(site)
    assert len(smtp.inbox.messages) == 1


async def test_the_link_in_the_digest_stops_it_once_without_signing_in(site, quimper, smtp, manual_clock):
    await sign_in(site, "membre.odet@example.fr")
    await turn_on(site, quimper["odet"])
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    manual_clock._now = NEXT_MONDAY
    await run_jobs(site)
    body = smtp.inbox.messages[0].get_content()
    link = re.search(r"http://annuaire\.example\.fr(/resume-hebdomadaire/\S+)", body)[1]
    confirm = await site.get(link)
    assert confirm.status_code == 200 and "Voulez-vous arrêter" in confirm.text  # scanners stop nothing
    token = await csrf_token(site, link)
    assert "C'est fait" in (await site.post(link, data={"_csrf_token": token})).text
    assert (await site.post(link, data={"_csrf_token": token})).status_code == 404  # single use
    manual_clock.advance(days=7)
    await run_jobs(site)
    assert len(smtp.inbox.messages) == 1


async def test_only_members_turn_it_on_and_a_former_member_gets_nothing(site, quimper, smtp, manual_clock):
    await sign_in(site, "membre.odet@example.fr")
    page = f"/compte/prestataires/{quimper['kerf']}/statistiques/resume"
    token = await csrf_token(site, "/compte")
    refused = await site.post(page, data={"recevoir": "oui", "_csrf_token": token})
    assert refused.status_code == 403
    await turn_on(site, quimper["odet"])
    await Membership.delete().where(Membership.account.email == "membre.odet@example.fr")
    manual_clock._now = NEXT_MONDAY
    await run_jobs(site)
    assert smtp.inbox.messages == []


async def test_the_subscription_is_in_the_listings_data_export(site, quimper):
    await sign_in(site, "membre.odet@example.fr")
    await turn_on(site, quimper["odet"])
    exported = (await site.get(f"/compte/prestataires/{quimper['odet']}/export")).json()
    digest = exported["plugins"]["insights"]["weekly_digest"]
    assert [row["member"] for row in digest] == ["membre.odet@example.fr"]
