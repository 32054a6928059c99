"""A network around Quimper where a TPE's request was accepted by Agence Odet, ready to follow up."""

from __future__ import annotations

import re
from dataclasses import replace

import pytest

from directory.tables import Account, Job, MailMessage, Membership, ProfileChange, StoreEntry
from directory.testing import add_account, add_providers, csrf_token, provider_row, serve
from plugins.leads.tables import Lead, LeadPreferences, LeadStep, Offer, RoutingRun
from plugins.reviews.tables import Engagement, Review, ReviewReport
from tests.plugins.leads.test_flow import QUIMPER, ask

TPE = "anne@ty-anne.fr"
ODET = "membre.odet@example.fr"
SITE = "http://annuaire.example.fr"


@pytest.fixture
async def network(settings, manual_clock):
    """Three e-commerce agencies in Quimper, each with its owner, and a staff member."""
    for table in (ReviewReport, Review, Engagement, Offer, RoutingRun, LeadStep, Lead, LeadPreferences, Job,
                  MailMessage, ProfileChange, Membership, Account, StoreEntry):
        await table.delete(force=True)
    slugs = await add_providers(*(provider_row(trade_name=name, email=f"{short}@example.fr", **QUIMPER,
                                               services="e-commerce")
                                  for name, short in (("Agence Odet", "odet"), ("Studio Kerfeunteun", "kerf"),
                                                      ("Atelier Steir", "steir"))))
    for slug, short in zip(slugs, ("odet", "kerf", "steir")):
        await add_account(f"membre.{short}@example.fr", provider=slug)
    await add_account("equipe@example.fr", staff=True)
    return dict(zip(("odet", "kerf", "steir"), slugs))


@pytest.fixture
async def site(apps, settings, plugin_manager, network):
    app = apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False, public_url=SITE), plugin_manager)
    async with serve(app) as client:
        client.app = app
        client.worker = app.state.platform.worker()
        yield client


async def mails_to(address: str) -> list[dict]:
    return await MailMessage.select().where(MailMessage.recipient == address).order_by(MailMessage.id)


def link_in(message: dict, path: str) -> str:
    """The path of the first link to ``path`` in a message's text."""
    return re.search(rf"{re.escape(SITE)}({re.escape(path)}\S+)", message["text"])[1]


async def post_form(client, path: str, data: dict | None = None, page: str | None = None):
    """Submit a form as a browser does: with the CSRF token of the page that shows it."""
    return await client.post(path, data={**(data or {}), "_csrf_token": await csrf_token(client, page or path)})


async def run_due(client) -> None:
    while await client.worker.run_once():
        pass


@pytest.fixture
async def accepted(site, network, manual_clock):
    """A TPE's request, accepted by Agence Odet from its e-mail's link; returns the follow-up path."""
    follow = (await ask(site, manual_clock, contact_email=TPE)).headers["location"]
    [offer_mail] = await mails_to(ODET)
    answer = link_in(offer_mail, "/demandes/reponse/")
    assert (await post_form(site, answer, {"decision": "accepter"})).status_code == 303
    return follow.removesuffix("?nouvelle=1")


async def outcome_link(address: str, nth: int = -1) -> str:
    asks = [m for m in await mails_to(address) if "/avis/situation/" in m["text"]]
    return link_in(asks[nth], "/avis/situation/")


async def review_link_after_answer(site, manual_clock, outcome: str = "commande") -> str:
    """Ten days on, the TPE answers its outcome ask and lands on its review form; returns its path."""
    manual_clock.advance(days=10)
    await run_due(site)
    answered = await post_form(site, await outcome_link(TPE), {"outcome": outcome})
    assert answered.status_code == 303
    return answered.headers["location"].removesuffix("?merci=1")


REVIEW = {"rating": "5", "quality": "5", "deadlines": "4", "price": "4", "support": "5",
          "text": "Boutique livrée en trois semaines, équipe à l'écoute et de bon conseil.", "worked_on": ""}
