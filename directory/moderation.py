"""What staff decide about profiles: new profiles, identity changes, suspensions.

Each decision is one transaction: the profile's new values or state, its history rows, its
event (the search index follows) and the e-mail that tells the provider, with staff's reason
when they refuse or suspend.
"""

from __future__ import annotations

import json
from typing import Any

from directory import catalogue, events, history, reports
from directory.accounts import members
from directory.database import write_transaction
from directory.history import Actor
from directory.platform import clock, mail
from directory.tables import PendingChange, Provider

APPROVED, REJECTED = "approved", "rejected"
REASON_REQUIRED = "Donnez la raison : le prestataire la recevra par e-mail."
FIELD_LABELS = {"legal_name": "Raison sociale", "trade_name": "Nom commercial", "siret": "SIRET"}


class DecisionError(ValueError):
    """A decision that cannot be taken (already decided, wrong state, no reason); ``str()`` is French."""


async def queue() -> dict[str, list[dict[str, Any]]]:
    """What waits for staff: new profiles, identity changes and reports, oldest first."""
    new_profiles = await Provider.select(Provider.slug, Provider.trade_name, Provider.kind, Provider.commune,
                                         Provider.updated_at).where(
        Provider.state == catalogue.PENDING_REVIEW).order_by(Provider.updated_at)
    changes = await PendingChange.select(
        PendingChange.id, PendingChange.actor, PendingChange.channel, PendingChange.changes, PendingChange.created_at,
        PendingChange.provider.slug.as_alias("slug"), PendingChange.provider.trade_name.as_alias("trade_name"),
        PendingChange.provider.legal_name.as_alias("legal_name"), PendingChange.provider.siret.as_alias("siret"),
    ).where(PendingChange.state == "pending").order_by(PendingChange.created_at)
    for change in changes:
        wanted = json.loads(change["changes"])
        change["fields"] = [(FIELD_LABELS[name], change[name], value) for name, value in wanted.items()]
    return {"profiles": new_profiles, "changes": changes, "reports": await reports.open_reports()}


async def _tell(provider_id: int, trade_name: str, decision: str, reason: str = "") -> None:
    await members.tell(provider_id, "moderation", {"trade_name": trade_name, "decision": decision, "reason": reason,
                                                   "link": f"{mail.site_url()}/compte"})


async def decide_change(change_id: int, staff: Actor, approve: bool, reason: str = "") -> None:
    """Approve (the values go live) or reject (with ``reason``) a waiting identity change."""
    reason = reason.strip()
    if not approve and not reason:
        raise DecisionError(REASON_REQUIRED)
    async with write_transaction(Provider._meta.db):
        change = await PendingChange.select(PendingChange.all_columns(), PendingChange.provider.slug.as_alias("slug"),
                                            ).where((PendingChange.id == change_id)
                                                    & (PendingChange.state == "pending")).first()
        if change is None:
            raise DecisionError("Cette demande a déjà été traitée.")
        provider_id = change["provider"]
        wanted: dict[str, str] = json.loads(change["changes"])
        current = await Provider.select(Provider.legal_name, Provider.trade_name, Provider.siret).where(
            Provider.id == provider_id).first()
        if approve and "siret" in wanted and await Provider.exists().where(
                (Provider.siret == wanted["siret"]) & (Provider.id != provider_id)):
            raise DecisionError("Ce SIRET est entre-temps devenu celui d'un autre prestataire : refusez la demande.")
        await PendingChange.update({PendingChange.state: APPROVED if approve else REJECTED, PendingChange.reason: reason,
                                    PendingChange.decided_at: clock.now(), PendingChange.decided_by: staff.label,
                                    }).where(PendingChange.id == change_id)
        requester = Actor(change["actor"], change["channel"], change["account"])
        if approve:
            await Provider.update({**{getattr(Provider, name): value for name, value in wanted.items()},
                                   Provider.updated_at: clock.now()}).where(Provider.id == provider_id)
            await history.record(provider_id, requester,
                                 {name: (current[name], value) for name, value in wanted.items()})
            await events.record(events.PROVIDER_SAVED, [change["slug"]], {"created": False}, staff.label)
        verdict = "modification d'identité validée" if approve else f"modification d'identité refusée : {reason}"
        await history.record(provider_id, staff, {history.WHOLE: ("", verdict)})
        trade_name = wanted.get("trade_name", current["trade_name"]) if approve else current["trade_name"]
        await _tell(provider_id, trade_name, "identity-approved" if approve else "identity-rejected", reason)


# What each decision on a profile needs and does: (states it applies to, new state, mail, reason required).
PROFILE_DECISIONS = {
    "publier": ((catalogue.PENDING_REVIEW,), catalogue.PUBLISHED, "published", False),
    "refuser": ((catalogue.PENDING_REVIEW,), catalogue.DRAFT, "rejected", True),
    "suspendre": ((catalogue.PUBLISHED, catalogue.PENDING_REVIEW), catalogue.SUSPENDED, "suspended", True),
    # Also undoes a provider's departure during ``data_rights.ERASE_AFTER``.
    "retablir": ((catalogue.SUSPENDED, catalogue.LEFT), catalogue.PUBLISHED, "restored", False),
}


async def decide_profile(slug: str, decision: str, staff: Actor, reason: str = "") -> str:
    """Publish or send back a new profile, suspend or restore a listing; returns the new state."""
    allowed, state, message, needs_reason = PROFILE_DECISIONS[decision]
    reason = reason.strip()
    if needs_reason and not reason:
        raise DecisionError(REASON_REQUIRED)
    async with write_transaction(Provider._meta.db):
        provider = await Provider.select(Provider.id, Provider.state, Provider.trade_name).where(
            Provider.slug == slug).first()
        if provider is None or provider["state"] not in allowed:
            current = catalogue.STATES.get(provider["state"], "") if provider else "inconnue"
            raise DecisionError(f"Impossible dans l'état actuel de la fiche ({current.lower()}).")
        await Provider.update({Provider.state: state, Provider.left_at: None, Provider.updated_at: clock.now()}
                              ).where(Provider.id == provider["id"])
        await history.record(provider["id"], staff, {"state": (provider["state"], state)}
                             | ({history.WHOLE: ("", f"motif : {reason}")} if reason else {}))
        await events.record(events.PROVIDER_SAVED, [slug], {"created": False}, staff.label)
        await _tell(provider["id"], provider["trade_name"], message, reason)
    return state

