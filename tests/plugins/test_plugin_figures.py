"""The figures the built-in plugins add to ``/metrics``: the search servers' lag, the lead funnel."""

from __future__ import annotations

import re

from directory.plugin_api import events, write_transaction
from directory.tables import ChangeFollower, MailMessage
from directory.testing import csrf_token
from plugins.geosearch.index import CONSUMER
from tests.directory.test_metrics import figures, value
from tests.plugins.leads.test_flow import ask, network, site  # noqa: F401 - fixtures of the lead flow


async def _saved(slug: str) -> int:
    async with write_transaction(ChangeFollower._meta.db):
        await events.record(events.PROVIDER_SAVED, [slug], {"created": True})
    return await events.latest()


async def _follower(position: int, clock) -> events.Follower:
    follower = events.new_follower(CONSUMER, clock.now())
    follower.position = position
    await events.report(follower)
    return follower


async def test_each_search_server_shows_its_position_and_how_late_it_is(manual_clock, client):
    first = await _saved("agence-odet")
    manual_clock.advance(seconds=30)
    second = await _saved("studio-kerfeunteun")
    up_to_date, behind = await _follower(second, manual_clock), await _follower(first, manual_clock)
    manual_clock.advance(seconds=12)
    scraped = figures((await client.get("/metrics")).text)

    def of(name: str, follower: events.Follower) -> float:
        return value(scraped, name, server=follower.instance, host=follower.host)

    assert value(scraped, "channel_expert_outbox_position") == second
    assert of("channel_expert_search_index_position", behind) == first
    assert of("channel_expert_search_index_lag_seconds", behind) == 12  # the second event waits for it
    assert of("channel_expert_search_index_lag_seconds", up_to_date) == 0
    assert of("channel_expert_search_index_report_age_seconds", behind) == 12


async def _answer(site, manual_clock, provider_email: str, decision: str) -> None:
    manual_clock.advance(minutes=20)  # a routing's offers carry its moment: answers come later
    [mail] = await MailMessage.select(MailMessage.text).where(MailMessage.recipient == provider_email)
    link = re.search(r"http://annuaire\.example\.fr(/demandes/reponse/\S+)", mail["text"])[1]
    await site.post(link, data={"decision": decision, "reason": "Carnet plein",
                                "_csrf_token": await csrf_token(site, link)})


async def test_the_lead_funnel_counts_what_happened_to_the_requests(site, manual_clock):
    assert (await ask(site, manual_clock)).status_code == 303  # offered to Odet, Kerfeunteun, Douarnenez
    await _answer(site, manual_clock, "membre.dz@example.fr", "refuser")  # offered to Brest Digital next
    await _answer(site, manual_clock, "membre.odet@example.fr", "accepter")
    # Nobody installs workstations in Lyon: staff's queue.
    nobody = await ask(site, manual_clock, services=["postes-materiel"], near="69003",
                       description="Trois postes pour notre cabinet lyonnais.")
    assert nobody.status_code == 303
    scraped = figures((await site.get("/metrics")).text)
    funnel = {name: value(scraped, f"channel_expert_{name}") for name in (
        "leads_received_total", "lead_offers_total", "lead_offers_accepted_total", "lead_reoffers_total",
        "lead_routings_without_provider_total", "leads_waiting_for_provider")}
    assert funnel == {"leads_received_total": 2, "lead_offers_total": 4, "lead_offers_accepted_total": 1,
                      "lead_reoffers_total": 1, "lead_routings_without_provider_total": 1,
                      "leads_waiting_for_provider": 1}
