"""A TPE's request when plugins take part or fail, and when the database or the mail server does:
no lead is lost, and the routing goes on with what still works."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace

from directory.app import create_app
from directory.platform import current, jobs
from directory.plugin_api import hookimpl
from directory.tables import MailMessage, Provider
from directory.testing import csrf_token, serve, sign_in
from plugins.leads import routes
from plugins.leads.routes import submission_queue
from plugins.leads.tables import Lead, Offer
from tests.plugins.leads.test_flow import ask, network, offers, site  # noqa: F401 - network, site: fixtures


class Raising:
    @hookimpl
    def lead_score_components(self, register):
        register(lambda candidate, need, km: 1 / 0)

    @hookimpl
    def valid_badges(self, provider_ids):
        raise RuntimeError("badges down")


async def test_a_raising_plugin_never_loses_a_lead(settings, plugin_manager, network, manual_clock):
    plugin_manager.register(Raising(), name="raising")
    app = create_app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with serve(app) as client:
        assert (await ask(client, manual_clock)).status_code == 303
    assert await Lead.count() == 1 and await Offer.count() == 3
    hooks = {hook for report in plugin_manager.faults.recent().values() for hook in report["hooks"]}
    assert hooks >= {"lead_score_components", "valid_badges"}


class FarthestFirst:
    """A strategy that keeps the built-in ranking but offers the lead to the last ones first."""

    @hookimpl
    def lead_routing_strategy(self):
        from plugins.leads import routing

        def farthest(need, candidates, wanted, *args, **options):
            decision = routing.route(need, candidates, len(candidates), *args, **options)
            return replace(decision, chosen=list(reversed(decision.ranked))[:wanted])

        return farthest


class BrokenStrategy:
    @hookimpl
    def lead_routing_strategy(self):
        def broken(*args, **kwargs):
            raise RuntimeError("strategy down")

        return broken


async def test_a_plugin_replaces_the_routing_strategy_and_a_broken_one_falls_back(settings, plugin_manager, network,
                                                                                 manual_clock):
    plugin_manager.register(FarthestFirst(), name="farthest")
    app = create_app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with serve(app) as client:
        assert (await ask(client, manual_clock)).status_code == 303
    assert network["brest"] in {row["slug"] for row in await offers()}  # the farthest eligible one, now asked
    plugin_manager.unregister(name="farthest")
    plugin_manager.register(BrokenStrategy(), name="broken")
    async with serve(create_app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)) as client:
        assert (await ask(client, manual_clock, contact_email="autre@ty-anne.fr")).status_code == 303
    assert await Lead.count() == 2
    assert "lead_routing_strategy" in {hook for report in plugin_manager.faults.recent().values()
                                       for hook in report["hooks"]}


async def test_notifications_survive_a_restart_and_an_smtp_outage(settings, plugin_manager, network, manual_clock,
                                                                 smtp):
    configured = replace(settings, secret_key="k" * 40, worker_in_app=False, mail_transport="smtp",
                         smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none", smtp_timeout_s=1)
    smtp.stop()
    async with serve(create_app(configured, plugin_manager)) as client:
        assert (await ask(client, manual_clock)).status_code == 303
    # Another process, the SMTP server still down: deliveries fail and wait for their retry.
    elsewhere = create_app(configured, plugin_manager).state.platform
    worker = jobs.Worker(elsewhere.tasks)
    with current.within(elsewhere):
        while await worker.run_once():
            pass
        assert await Lead.count() == 1 and await MailMessage.count().where(MailMessage.state == "pending") == 4
        smtp.start()
        manual_clock.advance(minutes=5)
        while await worker.run_once():
            pass
    assert sorted(message["To"] for message in smtp.inbox.messages) == [
        "anne@ty-anne.fr", "membre.dz@example.fr", "membre.kerf@example.fr", "membre.odet@example.fr"]


async def test_members_and_staff_find_the_leads_pages_from_their_own(site, network, manual_clock):
    await sign_in(site, "membre.odet@example.fr")
    assert 'href="/compte/demandes"' in (await site.get("/compte")).text
    await site.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(site, "/compte")})
    await sign_in(site, "equipe@example.fr")
    queue = (await site.get("/equipe")).text
    assert '<a href="/equipe" aria-current="page">' in queue and 'href="/equipe/demandes"' in queue
    assert '<a href="/equipe/demandes" aria-current="page">' in (await site.get("/equipe/demandes")).text


def test_submissions_queue_on_both_engines_and_each_app_has_its_own_queue():
    """A module-level semaphore served every app of the process. Unqueued on PostgreSQL, submissions
    piled up on the writers' advisory lock under load and ran out of lock timeout (500)."""
    first = submission_queue()
    assert isinstance(first, asyncio.Semaphore)
    assert submission_queue() is not first
    assert isinstance(submission_queue(), asyncio.Semaphore)


def test_an_app_makes_its_submission_queue_on_first_use_even_without_its_lifespan(settings, plugin_manager):
    """The queue was made by the plugin's start-up: an app served without it failed every request."""
    first, second = create_app(settings, plugin_manager), create_app(settings, plugin_manager)
    queue = routes._submissions(first)
    assert routes._submissions(first) is queue and routes._submissions(second) is not queue
    assert isinstance(queue, asyncio.Semaphore)


class Listening:
    """A plugin that hears of every step, and adds a section to the TPE's follow-up page."""

    def __init__(self):
        self.heard = []

    @hookimpl
    async def lead_changed(self, change):
        assert await Lead.exists().where(Lead.id == change.lead_id)  # inside the step's transaction
        self.heard.append(change)

    @hookimpl
    def lead_follow_up_sections(self, lead_id, register):
        register("Votre avis", f"<p>Avis sur la demande {lead_id} &amp; suite</p>")


async def test_plugins_hear_each_step_of_a_lead_and_add_to_its_follow_up_page(settings, plugin_manager, network,
                                                                              manual_clock):
    listening = Listening()
    plugin_manager.register(listening, name="listening")
    app = create_app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with serve(app) as client:
        follow = (await ask(client, manual_clock)).headers["location"].removesuffix("?nouvelle=1")
        page = (await client.get(follow)).text
        assert "<h2>Votre avis</h2>" in page and "Avis sur la demande" in page and "&amp; suite" in page
        assert [c.kind for c in listening.heard] == ["received", "offered", "offered", "offered"]
        assert all(c.contact_email == "" for c in listening.heard)  # no personal data on these steps
        manual_clock.advance(hours=2)
        await sign_in(client, "membre.odet@example.fr")
        dashboard = await client.get("/compte/demandes")
        offer_id = re.search(r'action="/compte/demandes/(\d+)"', dashboard.text)[1]
        await client.post(f"/compte/demandes/{offer_id}", data={
            "decision": "accepter", "_csrf_token": await csrf_token(client, "/compte/demandes")})
        accepted = listening.heard[-1]
        assert accepted.kind == "accepted" and accepted.contact_email == "anne@ty-anne.fr"
        assert accepted.departement == "29" and accepted.services == ("e-commerce",)
        assert (accepted.at - accepted.offered_at).total_seconds() == 2 * 3600
        token = await csrf_token(client, follow)
        await client.post(f"{follow}/cloturer", data={"_csrf_token": token})
        await client.post(f"{follow}/supprimer", data={"_csrf_token": token, "confirm": "oui"})
    assert [c.kind for c in listening.heard[-2:]] == ["closed", "forgotten"]


class Unlisting:
    """Staff unpublish the nearest agency while a request is being routed (between routing's
    reads and the request's write)."""

    def __init__(self, slug):
        self.slug = slug

    @hookimpl
    async def valid_badges(self, provider_ids):
        await Provider.update({Provider.state: "draft"}).where(Provider.slug == self.slug)
        return {}


async def test_a_provider_removed_while_a_request_is_routed_is_not_offered_it(settings, plugin_manager, network,
                                                                             manual_clock):
    plugin_manager.register(Unlisting(network["odet"]), name="unlisting")
    app = create_app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)
    async with serve(app) as client:
        sent = await ask(client, manual_clock)
    assert sent.status_code == 303
    offered = {row["slug"] for row in await offers()}
    assert network["odet"] not in offered and offered  # the others still get it
