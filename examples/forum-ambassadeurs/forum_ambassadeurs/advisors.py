"""Advisors: registered by staff, invited to open an account, credited with the requests they refer.

A signed-in advisor fills the directory's quote form with a TPE; the ``lead_source`` hook
records ``ambassadeur:<id>`` as the request's source. The leads plugin writes each public step
of a request to the event outbox (``leads.step``); ``follow``, a job, reads them with its own
cursor and keeps each advisor's ``Referral`` up to date, so the advisor sees what became of the
requests it referred without this plugin reading another plugin's tables.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import msgspec

from directory.plugin_api import (
    clock,
    events,
    invite_to_sign_up,
    mail,
    settings_of,
    validation,
    write_transaction,
)
from forum_ambassadeurs.tables import Advisor, Referral
from geo import Gazetteer

PLUGIN = "ambassadeurs"
KINDS = {
    "cci": "Chambre de commerce et d'industrie",
    "cma": "Chambre de métiers et de l'artisanat",
    "expert-comptable": "Cabinet d'expertise comptable",
    "banque": "Banque",
    "agence-publique": "Agence publique",
}
SOURCE_PREFIX = "ambassadeur:"
CURSOR = "ambassadeurs"  # this plugin's position in the event outbox
STEP_EVENT = "leads.step"  # declared by the leads plugin
FOLLOW_TASK, DIGEST_TASK = "ambassadeurs.follow", "ambassadeurs.digest"
DIGEST_PERIOD = timedelta(days=7)


class AmbassadorSettings(msgspec.Struct, kw_only=True):
    """The ``CHANNEL_EXPERT_AMBASSADEURS_…`` settings."""

    shown_on_profiles: int = 5  # advisors of its région a provider's page shows
    digest: bool = True  # the weekly e-mail to each advisor


def ambassador_settings() -> AmbassadorSettings:
    return settings_of(PLUGIN)


class AdvisorError(ValueError):
    """A registration that cannot be made, said in French."""


def regions() -> dict[str, str]:
    """The régions by INSEE code, as the gazetteer names them."""
    return dict(sorted(Gazetteer.default().regions().items(), key=lambda item: item[1]))


async def register(*, email: str, name: str, organisation: str, kind: str, region: str) -> int:
    """Register an advisor and send it the link that opens its account; returns its id."""
    try:
        address = validation.email(email)
    except validation.InvalidValue as error:
        raise AdvisorError(str(error)) from None
    name, organisation = name.strip(), organisation.strip()
    if not address or not name or not organisation:
        raise AdvisorError("Donnez l'adresse e-mail, le nom et l'organisme du conseiller.")
    if kind not in KINDS:
        raise AdvisorError(f"Type d'organisme inconnu « {kind} » : {', '.join(KINDS)}.")
    known = regions()
    code = region if region in known else next((c for c, label in known.items() if label.lower() == region.lower()),
                                                None)
    if code is None:
        raise AdvisorError(f"Région inconnue « {region} » : donnez son nom ou son code INSEE.")
    async with write_transaction(Advisor._meta.db):
        if await Advisor.exists().where(Advisor.email == address):
            raise AdvisorError(f"{address} est déjà un conseiller du forum.")
        [row] = await Advisor.insert(Advisor(email=address, name=name[:200], organisation=organisation[:200],
                                             kind=kind, region=code, created_at=clock.now())).returning(Advisor.id)
        await invite_to_sign_up(address, "ambassadeurs/bienvenue", {"name": name, "organisation": organisation})
    return row["id"]


async def advisor_for(account: dict[str, Any] | None) -> dict[str, Any] | None:
    """The active advisor an account is, or None."""
    if not account:
        return None
    return await Advisor.select().where((Advisor.email == account["email"]) & (Advisor.active == True)).first()


def source_of(advisor_id: int) -> str:
    return f"{SOURCE_PREFIX}{advisor_id}"


def advisor_of(source: str) -> int | None:
    number = source.removeprefix(SOURCE_PREFIX)
    return int(number) if source.startswith(SOURCE_PREFIX) and number.isdigit() else None


async def follow(payload: dict[str, Any]) -> int:
    """Apply the leads' steps written since the last run to the advisors' referrals (safe to run twice)."""
    if await events.latest() <= await events.position(CURSOR):
        return 0  # nothing new: no write, so no lock taken every minute for nothing
    applied = 0
    async with write_transaction(Referral._meta.db):
        start = await events.position(CURSOR)
        while True:
            read, position = await events.since(start, names={STEP_EVENT})
            for event in read:
                applied += await _apply(event)
            if position == start:
                break
            start = position
        await events.advance(CURSOR, start)
    return applied


async def _apply(event: events.Event) -> int:
    advisor_id = advisor_of(event.payload["source"])
    if advisor_id is None or not await Advisor.exists().where(Advisor.id == advisor_id):
        return 0
    lead, now = int(event.subject), event.created_at
    values = {Referral.last_step: event.payload["detail"], Referral.last_kind: event.payload["kind"],
              Referral.updated_at: now}
    if not await Referral.update(values).where(Referral.lead == lead).returning(Referral.id):
        await Referral.insert(Referral(lead=lead, advisor=advisor_id, last_step=event.payload["detail"],
                                       last_kind=event.payload["kind"], created_at=now, updated_at=now))
    return 1


async def referrals_of(advisor_id: int) -> list[dict[str, Any]]:
    return await Referral.select().where(Referral.advisor == advisor_id).order_by(Referral.created_at, ascending=False)


async def in_region(region: str, limit: int) -> list[dict[str, Any]]:
    """Active advisors of a région, for a provider's page."""
    return await Advisor.select(Advisor.name, Advisor.organisation, Advisor.kind).where(
        (Advisor.region == region) & (Advisor.active == True)).order_by(Advisor.organisation).limit(limit)


async def send_digests(payload: dict[str, Any]) -> int:
    """The weekly e-mail: each advisor with requests that moved this week gets their news."""
    if not ambassador_settings().digest:
        return 0
    await follow({})
    since, sent = clock.now() - DIGEST_PERIOD, 0
    async with write_transaction(Advisor._meta.db):
        for advisor in await Advisor.select().where(Advisor.active == True):
            moved = await Referral.select().where((Referral.advisor == advisor["id"]) & (Referral.updated_at >= since))
            if moved:
                await mail.send(advisor["email"], "ambassadeurs/recapitulatif", {
                    "name": advisor["name"], "referrals": moved, "link": f"{mail.site_url()}/ambassadeurs"})
                sent += 1
    return sent
