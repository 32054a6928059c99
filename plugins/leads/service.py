"""A lead's routing on the database: submitted, offered, answered or expired, re-offered, assigned by staff.

Each step is one transaction that writes the lead's rows, its timeline, its routing run, its
mail (the outbox) and its deadline jobs together: a lead that was acknowledged is never lost,
and its notifications leave once it is committed, at least once. Routing reads the database,
never the search index. What reads a lead, and what its TPE does with it once sent (details,
closing, erasure), is in ``follow_up``: it uses the states, the timeline's steps and the
errors defined here, and never routes.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import msgspec

from directory.plugin_api import (
    LEADS_QUEUE,
    PluginManager,
    catalogue,
    clock,
    events,
    jobs,
    mail,
    public_url,
    settings_of,
    tables,
    tell_provider,
    write_transaction,
)
from geo import ServiceArea
from plugins.leads import changes, deadlines, network, routing
from plugins.leads.forms import LeadRequest
from plugins.leads.tables import Lead, LeadStep, Offer, RoutingRun

DEADLINE_TASK = "leads.deadline"
OPEN, UNASSIGNED, CLOSED, DELETED = "open", "unassigned", "closed", "deleted"
OFFERED, ACCEPTED, DECLINED, EXPIRED, WITHDRAWN = "offered", "accepted", "declined", "expired", "withdrawn"
OFFER_STATES = {OFFERED: "En attente de réponse", ACCEPTED: "Acceptée", DECLINED: "Déclinée",
                EXPIRED: "Sans réponse", WITHDRAWN: "Retirée"}
LEAD_STATES = {OPEN: "En cours", UNASSIGNED: "En attente d'un prestataire", CLOSED: "Close",
               DELETED: "Supprimée"}


class LeadSettings(msgspec.Struct, kw_only=True):
    """The ``CHANNEL_EXPERT_LEADS_…`` settings."""

    offers_at_once: int = 3  # providers a request is offered to at once
    deadline_hours: int = 48  # to accept or decline an offer
    # count the deadline in the provider's working hours (Mon–Fri, 9–18)
    business_hours: bool = False
    # anonymise a lead this long after the last contact (3 years: the CNIL's advice)
    retention_days: int = 1095
    distance_scale_km: float = 25.0  # where the distance component halves
    requests_per_client_hour: int = 10  # form submissions from one address per hour
    requests_per_email_day: int = 5  # requests for one e-mail address per day


def lead_settings() -> LeadSettings:
    return settings_of("plugins.leads")


class AlreadySubmitted(Exception):
    """The same form was sent again: its lead exists."""


class Gone(LookupError):
    """No such lead or offer in a state that allows this."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def link_hash(token: str) -> str:
    """What is stored of a private link's token (routes look leads and offers up by it)."""
    return _hash(token) if len(token) <= 100 else ""


STEP_EVENT = "leads.step"


class LeadStepped(msgspec.Struct, forbid_unknown_fields=True):
    """A step of a lead's timeline that the TPE sees, for other plugins (its ``source`` says
    who brought the lead: an ambassador's plugin follows the leads it referred)."""

    kind: str
    detail: str
    source: str


async def add_step(lead_id: int, kind: str, detail: str, public: bool = True,
                   source: str | None = None) -> None:
    """Add a step to the lead's timeline; one the TPE sees is also an event in the outbox.

    ``source`` is the lead's, when the caller holds it (else it is read): a submission writes
    several steps while holding the write lock, and each statement saved shortens that hold.
    """
    await LeadStep.insert(LeadStep(lead=lead_id, kind=kind, detail=detail, public=public,
                                   created_at=clock.now()))
    if public:
        if source is None:
            source = (await Lead.select(Lead.source).where(Lead.id == lead_id).first())["source"]
        await events.record(STEP_EVENT, [str(lead_id)], {"kind": kind, "detail": detail, "source": source})


@dataclass(frozen=True)
class Submitted:
    lead_id: int
    token: str  # the private follow-up link's token: shown once, mailed, never stored
    offered: list[str]  # trade names


async def submit(request: LeadRequest, key: str, manager: PluginManager, source: str = "",
                 first_choice: int | None = None) -> Submitted:
    """Write a request and its first offers; ``key`` (the form's) makes a second sending a no-op.

    The choice is made before the write lock is taken (it only reads): writers queue for the
    inserts alone, so a burst of requests does not wait on each other's routing.
    """
    token, now = secrets.token_urlsafe(32), clock.now()
    place = request.place
    values = dict(
        follow_hash=_hash(token), idempotency_key=key, services=list(request.services),
        postal_code=place.postal_codes[0] if place.postal_codes else "", commune=place.name,
        insee_code=place.insee_code, departement=place.departement, latitude=request.lat,
        longitude=request.lon,
        budget=request.budget, start=request.start, company_size=request.company_size, sector=request.sector,
        description=request.description, company_name=request.company_name, contact_name=request.contact_name,
        contact_email=request.contact_email, contact_phone=request.contact_phone, first_choice=first_choice,
        source=source[:100], created_at=now, last_contact_at=now)
    decided = await _decide({**values, "id": None}, "submitted", lead_settings().offers_at_once, manager)
    async with write_transaction(Lead._meta.db, [LEADS_QUEUE]):
        if await Lead.exists().where(Lead.idempotency_key == key):
            raise AlreadySubmitted(key)
        [row] = await Lead.insert(Lead(**values)).returning(Lead.id)
        await add_step(row["id"], "recue", "Demande reçue.", source=values["source"])
        await changes.tell(manager, changes.RECEIVED, {**values, "id": row["id"]}, now)
        offered = await _offer(row["id"], "submitted", lead_settings().offers_at_once, manager,
                               decided=decided)
        await mail.send(request.contact_email, "leads/demande-recue", {
            "name": request.contact_name, "link": f"{mail.site_url()}/devis/suivi/{token}",
            "offered": offered, "hours": lead_settings().deadline_hours})
    return Submitted(row["id"], token, offered)


Decided = tuple[routing.Decision, list[routing.Scored], list[routing.Candidate]]


async def _decide(lead: dict[str, Any], trigger: str, wanted: int, manager: PluginManager,
                  widen_km: float | None = None) -> Decided:
    """Route a lead (reads only): the decision, the providers chosen, and the candidates seen."""
    need = routing.Need(frozenset(lead["services"]), lead["latitude"], lead["longitude"], lead["departement"])
    asked = {row["provider"]: f"déjà sollicité ({OFFER_STATES[row['state']].lower()})"
             for row in await Offer.select(Offer.provider, Offer.state).where(Offer.lead == lead["id"])
             } if lead["id"] else {}
    current = await network.network(manager)
    found: list[routing.Candidate] | routing.Network = current
    if widen_km:
        found = [_widened(c, widen_km) for c in current.candidates]
    weights = routing.Weights(distance_scale_km=lead_settings().distance_scale_km)
    decision = network.strategy(manager)(need, found, wanted, weights, exclude=asked, place=lead["commune"],
                                  extra=await network.extras(manager))
    chosen = (_first_choice_first(decision, lead["first_choice"], wanted) if trigger == "submitted"
              else decision.chosen)
    return decision, chosen, current.candidates


async def _offer(lead_id: int, trigger: str, wanted: int, manager: PluginManager,
                 widen_km: float | None = None, decided: Decided | None = None) -> list[str]:
    """Offer the lead to up to ``wanted`` more providers (as ``decided``, or routed now); returns their
    names. Inside a transaction."""
    lead = await Lead.select().where(Lead.id == lead_id).first()
    decision, chosen, found = decided or await _decide(lead, trigger, wanted, manager, widen_km)
    names = await _still_listed(chosen)
    if decided and len(names) < len(chosen):  # chosen before the lock, removed meanwhile: route again
        decision, chosen, found = await _decide(lead, trigger, wanted, manager, widen_km)
        names = await _still_listed(chosen)
    chosen = [scored for scored in chosen if scored.candidate.provider_id in names]
    now = clock.now()
    await RoutingRun.insert(RoutingRun(lead=lead_id, trigger=trigger, created_at=now, ranked=json.dumps([
        {"provider": s.candidate.provider_id, "slug": s.candidate.slug, "score": s.score,
         "distance_km": s.distance_km, "components": s.components, "partial": s.partial, "remote": s.remote,
         "chosen": any(s.candidate.provider_id == c.candidate.provider_id for c in chosen)}
        for s in decision.ranked]), excluded=json.dumps(
        {"providers": _named(decision.excluded, found), "counted": decision.counted}, ensure_ascii=False)))
    rank = await Offer.count().where(Offer.lead == lead_id)
    for scored in chosen:
        rank += 1
        await _make_offer(lead, scored, rank, now, manager, names[scored.candidate.provider_id])
    if chosen and lead["state"] == UNASSIGNED:
        await Lead.update({Lead.state: OPEN}).where(Lead.id == lead_id)
    if not chosen and not await Offer.exists().where(
            (Offer.lead == lead_id) & Offer.state.is_in([OFFERED, ACCEPTED])):
        await Lead.update({Lead.state: UNASSIGNED}).where(Lead.id == lead_id)
        await changes.tell(manager, changes.UNASSIGNED, lead, now)
        await add_step(lead_id, "sans-prestataire",
                       "Aucun prestataire disponible pour l'instant : l'équipe du réseau cherche qui peut "
                       "vous répondre et revient vers vous.", source=lead["source"])
        for address in await _staff_addresses():
            await mail.send(address, "leads/sans-prestataire", {
                "commune": lead["commune"], "lead": lead_id,
                "link": f"{mail.site_url()}/equipe/demandes/{lead_id}"})
    return [names[scored.candidate.provider_id] for scored in chosen]


async def _still_listed(chosen: list[routing.Scored]) -> dict[int, str]:
    """The trade names of the chosen providers still published, read under the write lock: an
    import's undo, an erasure or staff may have removed one since routing read the network."""
    Provider = tables.Provider
    rows = await Provider.select(Provider.id, Provider.trade_name).where(
        Provider.id.is_in([s.candidate.provider_id for s in chosen] or [0])
        & (Provider.state == catalogue.PUBLISHED))
    return {row["id"]: row["trade_name"] for row in rows}


def _widened(candidate: routing.Candidate, km: float) -> routing.Candidate:
    """Staff widen a search: the candidate counts as coming ``km`` around its office."""
    area = candidate.area
    return replace(candidate, area=ServiceArea(area.lat, area.lon, area.departement,
                                               max(area.radius_km or 0, km), area.departements, True))


def _first_choice_first(decision: routing.Decision, first_choice: int | None,
                        wanted: int) -> list[routing.Scored]:
    """The provider the TPE asked from comes first, if it is eligible."""
    preferred = next((s for s in decision.ranked if s.candidate.provider_id == first_choice), None)
    if preferred is None:
        return decision.chosen
    return [preferred, *[s for s in decision.chosen if s is not preferred]][:wanted]


def _named(excluded: dict[int, str], candidates: list[routing.Candidate]) -> dict[str, str]:
    slugs = {c.provider_id: c.slug for c in candidates}
    return {slugs.get(provider_id, str(provider_id)): reason for provider_id, reason in excluded.items()}


async def _make_offer(lead: dict[str, Any], scored: routing.Scored, rank: int, now: datetime,
                      manager: PluginManager, trade_name: str, by_hand: bool = False) -> None:
    settings = lead_settings()
    token = secrets.token_urlsafe(32)
    office = scored.candidate.area.departement
    due = deadlines.deadline(now, settings.deadline_hours, settings.business_hours, office)
    [offer] = await Offer.insert(Offer(
        lead=lead["id"], provider=scored.candidate.provider_id, rank=rank, score=scored.score,
        distance_km=scored.distance_km if scored.distance_km != float("inf") else 0.0,
        partial=scored.partial, remote=scored.remote, by_hand=by_hand, offered_at=now, deadline_at=due,
        answer_hash=_hash(token),
    )).returning(Offer.id)
    await add_step(lead["id"], "proposee", f"Proposée à {trade_name} (réponse attendue avant le "
                                           f"{deadlines.local_time(due, lead['departement'])}).",
                   source=lead["source"])
    await tell_provider(scored.candidate.provider_id, "leads/nouvelle-demande", {
        "trade_name": trade_name, "commune": lead["commune"],
        "due": deadlines.local_time(due, office),
        "services": [catalogue.SERVICE_LABELS.get(s, s) for s in lead["services"]],
        "link": f"{mail.site_url()}/demandes/reponse/{token}",
        "dashboard": f"{mail.site_url()}/compte/demandes"})
    await jobs.enqueue(DEADLINE_TASK, {"offer": offer["id"]}, at=due, key=f"{DEADLINE_TASK}:{offer['id']}")
    await changes.tell(manager, changes.OFFERED, lead, now, provider_id=scored.candidate.provider_id,
                       offered_at=now)


async def _staff_addresses() -> list[str]:
    Account = tables.Account
    return [row["email"] for row in await Account.select(Account.email).where(
        (Account.is_staff == True) & (Account.active == True))]


async def answer(offer_id: int, accept: bool, actor: str, manager: PluginManager, reason: str = "") -> None:
    """A provider accepts (the TPE's contact is released, the TPE told) or declines (the lead goes on)."""
    async with write_transaction(Lead._meta.db, [LEADS_QUEUE]):
        offer = await Offer.select(Offer.all_columns(), Offer.provider.trade_name.as_alias("trade_name"),
                                   Offer.provider.email.as_alias("provider_email"),
                                   Offer.provider.phone.as_alias("provider_phone"),
                                   Offer.provider.slug.as_alias("provider_slug")).where(
            (Offer.id == offer_id) & (Offer.state == OFFERED)).first()
        if offer is None:
            raise Gone(offer_id)
        lead = await Lead.select().where(Lead.id == offer["lead"]).first()
        if lead["state"] in (CLOSED, DELETED):
            raise Gone(offer_id)
        now = clock.now()
        await Offer.update({Offer.state: ACCEPTED if accept else DECLINED, Offer.answered_at: now,
                            Offer.reason: reason.strip()[:1000]}).where(Offer.id == offer_id)
        told = {"provider_id": offer["provider"], "offered_at": offer["offered_at"]}
        if accept:
            told.update(contact_email=lead["contact_email"], contact_name=lead["contact_name"])
        await changes.tell(manager, changes.ACCEPTED if accept else changes.DECLINED, lead, now, **told)
        if accept:
            await Lead.update({Lead.last_contact_at: now}).where(Lead.id == lead["id"])
            await add_step(lead["id"], "acceptee",
                           f"{offer['trade_name']} a accepté votre demande et va vous contacter.",
                           source=lead["source"])
            await add_step(lead["id"], "acceptee-par", f"Acceptée par {actor}.", public=False)
            await mail.send(lead["contact_email"], "leads/acceptee", {
                "name": lead["contact_name"], "trade_name": offer["trade_name"],
                "email": offer["provider_email"], "phone": offer["provider_phone"],
                "url": mail.site_url() + public_url(offer["provider_slug"])})
        else:
            await add_step(lead["id"], "declinee", f"{offer['trade_name']} ne peut pas donner suite.",
                           source=lead["source"])
            await add_step(lead["id"], "motif", f"Motif de {actor} : {reason.strip()[:1000] or '—'}",
                           public=False)
            await _offer(lead["id"], "declined", 1, manager)


async def expire(payload: dict[str, Any], manager: PluginManager) -> None:
    """The deadline job: an offer still unanswered expires, and the lead goes to the next provider."""
    async with write_transaction(Lead._meta.db, [LEADS_QUEUE]):
        offer = await Offer.select(Offer.id, Offer.lead, Offer.provider, Offer.offered_at, Offer.deadline_at,
                                   Offer.provider.trade_name.as_alias("name")
                                   ).where((Offer.id == payload["offer"]) & (Offer.state == OFFERED)).first()
        if offer is None:
            return
        if clock.now() < offer["deadline_at"]:  # run early (a clock moved back): come back at the deadline
            await jobs.enqueue(DEADLINE_TASK, payload, at=offer["deadline_at"])
            return
        await Offer.update({Offer.state: EXPIRED}).where(Offer.id == offer["id"])
        await add_step(offer["lead"], "expiree", f"{offer['name']} n'a pas répondu à temps.")
        lead = await Lead.select(Lead.id, Lead.state, Lead.departement, Lead.services).where(
            Lead.id == offer["lead"]).first()
        await changes.tell(manager, changes.EXPIRED, lead, clock.now(), provider_id=offer["provider"],
                           offered_at=offer["offered_at"])
        if lead["state"] in (OPEN, UNASSIGNED):
            await _offer(offer["lead"], "expired", 1, manager)


async def staff_assign(lead_id: int, provider_slug: str, manager: PluginManager,
                       widen_km: float | None = None) -> list[str]:
    """Staff offer a lead by hand to one provider, or route it again over a wider area."""
    async with write_transaction(Lead._meta.db, [LEADS_QUEUE]):
        lead = await Lead.select().where(Lead.id == lead_id).first()
        if lead is None or lead["state"] in (CLOSED, DELETED):
            raise Gone(lead_id)
        if widen_km:
            return await _offer(lead_id, "widened", lead_settings().offers_at_once, manager,
                                widen_km=widen_km)
        provider = await tables.Provider.select(tables.Provider.id, tables.Provider.trade_name).where(
            (tables.Provider.slug == provider_slug) & (tables.Provider.state == catalogue.PUBLISHED)).first()
        if provider is None:
            raise Gone(provider_slug)
        candidate = routing.Candidate(provider["id"], provider_slug,
                                      ServiceArea(None, None, "", None, (), False), False,
                                      frozenset(lead["services"]))
        scored = routing.Scored(candidate, 0.0, {}, 0.0)
        rank = await Offer.count().where(Offer.lead == lead_id) + 1
        await _make_offer(lead, scored, rank, clock.now(), manager, provider["trade_name"], by_hand=True)
        await Lead.update({Lead.state: OPEN}).where(Lead.id == lead_id)
        await add_step(lead_id, "attribuee", f"Attribuée à la main à {provider_slug}.", public=False)
        return [provider["trade_name"]]

