"""Awarding, renewing and revoking badges, and what the rest of the site reads of them.

Every change is written in one transaction with its credential, its ``provider.saved`` event
(search indexes rebuild the provider's document: its badges, its rank) and its mail. A badge
counts only while it is valid: awarded, started, not expired, not revoked. Routing and pages
read that at each call; a job at the expiry moment tells the search indexes.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import msgspec

from directory.plugin_api import (
    catalogue,
    clock,
    events,
    jobs,
    public_url,
    tables,
    tell_provider,
    write_transaction,
)
from plugins.badges import credentials, issuer, measures, status
from plugins.badges.issuer import site
from plugins.badges.tables import BadgeAward, BadgeClass

EXPIRY_TASK = "badges.expired"
REMINDER_TASK = "badges.reminders"
REMINDERS = (30, 7)  # days before expiry
ACTIVE, EXPIRED, REVOKED, UPCOMING = "valide", "expiré", "révoqué", "à venir"


class BadgeError(ValueError):
    """A request that cannot be met, with a French message for whoever asked."""


def achievement(badge: dict[str, Any]) -> dict[str, Any]:
    url = f"{site()}/badges/{badge['slug']}"
    return {"id": url, "type": ["Achievement"], "name": badge["name"], "description": badge["description"],
            "criteria": {"id": url, "narrative": measures.narrative(badge["criteria"], measures.stored(badge))},
            "image": {"id": f"{url}/image.svg", "type": "Image"}}


@dataclass(frozen=True)
class Shown:
    """An award as pages show it."""

    id: int
    badge: str
    slug: str
    color: str
    state: str
    valid_from: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    revoked_reason: str
    credential_id: str
    evidence_url: str
    note: str

    @property
    def valid(self) -> bool:
        return self.state == ACTIVE


def state_of(award: dict[str, Any], now: datetime) -> str:
    if award["revoked_at"] is not None:
        return REVOKED
    if award["valid_from"] > now:
        return UPCOMING
    if award["expires_at"] is not None and award["expires_at"] <= now:
        return EXPIRED
    return ACTIVE


def valid_at(now: datetime) -> Any:
    """The awards that count at ``now``: started, not expired, not revoked."""
    return (BadgeAward.revoked_at.is_null()) & (BadgeAward.valid_from <= now) & (
        BadgeAward.expires_at.is_null() | (BadgeAward.expires_at > now))


AWARD_COLUMNS = (BadgeAward.id, BadgeAward.provider, BadgeAward.badge.name.as_alias("badge"),
                 BadgeAward.badge.slug.as_alias("slug"), BadgeAward.badge.color.as_alias("color"),
                 BadgeAward.valid_from, BadgeAward.expires_at, BadgeAward.revoked_at, BadgeAward.revoked_reason,
                 BadgeAward.credential_id, BadgeAward.evidence_url, BadgeAward.note)


PROVIDER_COLUMNS = (BadgeAward.provider.slug.as_alias("provider_slug"),
                    BadgeAward.provider.trade_name.as_alias("trade_name"))


def _shown(row: dict[str, Any], now: datetime) -> Shown:
    return Shown(row["id"], row["badge"], row["slug"], row["color"], state_of(row, now), row["valid_from"],
                 row["expires_at"], row["revoked_at"], row["revoked_reason"], row["credential_id"],
                 row["evidence_url"], row["note"])


async def expiring(now: datetime, until: datetime) -> list[dict[str, Any]]:
    """The awards valid at ``now`` that lapse by ``until``, soonest first (staff renew them)."""
    rows = await BadgeAward.select(*PROVIDER_COLUMNS, BadgeAward.badge.name.as_alias("award"),
                                   BadgeAward.expires_at).where(
        valid_at(now) & (BadgeAward.expires_at <= until)).order_by(BadgeAward.expires_at)
    return [{"provider": row["provider_slug"], "trade_name": row["trade_name"], "award": row["award"],
             "expires_at": row["expires_at"]} for row in rows]


async def awards_of(provider_slug: str) -> list[Shown]:
    """A provider's awards, valid first, then the ones it no longer holds (said as such, never hidden)."""
    now = clock.now()
    rows = await BadgeAward.select(*AWARD_COLUMNS).where(BadgeAward.provider.slug == provider_slug).order_by(
        BadgeAward.id)
    shown = [_shown(row, now) for row in rows]
    return sorted(shown, key=lambda award: (not award.valid, award.badge))


async def valid_counts(provider_ids: list[int]) -> dict[int, int]:
    """How many valid badges each of ``provider_ids`` holds (those with none are left out)."""
    if not provider_ids:
        return {}
    wanted = set(provider_ids)  # often the whole network: filtered here, not in an IN list
    held: dict[int, set[int]] = {}
    for row in await BadgeAward.select(BadgeAward.provider, BadgeAward.badge).where(valid_at(clock.now())):
        if row["provider"] in wanted:
            held.setdefault(row["provider"], set()).add(row["badge"])
    return {provider: len(badges) for provider, badges in held.items()}


async def valid_names(slugs: list[str]) -> dict[str, list[str]]:
    """The names of the valid badges of the providers ``slugs``, by slug."""
    if not slugs:
        return {}
    wanted = set(slugs)  # a rebuild asks for every provider: filtered here, not in an IN list
    rows = await BadgeAward.select(BadgeAward.provider.slug.as_alias("provider"), BadgeAward.badge.name.as_alias("name")
                                   ).where(valid_at(clock.now()))
    names: dict[str, set[str]] = {}
    for row in rows:
        if row["provider"] in wanted:
            names.setdefault(row["provider"], set()).add(row["name"])
    return {slug: sorted(held) for slug, held in names.items()}


# Writing -------------------------------------------------------------------------------------

HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
CLASS_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


async def save_class(*, slug: str, name: str, description: str, criteria: str, color: str, validity_months: str,
                     active: bool, actor: str, thresholds: list[measures.Threshold] | None = None) -> None:
    """Create a badge class, or change the one ``slug`` names (its holders' documents follow)."""
    slug, name, description, criteria = slug.strip(), name.strip(), description.strip(), criteria.strip()
    if not CLASS_SLUG.fullmatch(slug) or len(slug) > 60:
        raise BadgeError("L'identifiant du badge : lettres minuscules, chiffres et tirets (60 au plus).")
    if not name or len(name) > 100:
        raise BadgeError("Donnez au badge un nom de 100 caractères au plus.")
    if not description or not criteria:
        raise BadgeError("La description et les critères sont publiés : ils ne peuvent pas être vides.")
    if not HEX_COLOR.fullmatch(color.strip()):
        raise BadgeError("La couleur s'écrit #RRVVBB (par exemple #0b5cad).")
    months = validity_months.strip()
    if months and (not months.isdigit() or not 1 <= int(months) <= 120):
        raise BadgeError("La durée de validité est un nombre de mois de 1 à 120 (vide : sans expiration).")
    values = {BadgeClass.name: name, BadgeClass.description: description[:5000], BadgeClass.criteria: criteria[:5000],
              BadgeClass.color: color.strip().lower(), BadgeClass.validity_months: int(months) if months else None,
              BadgeClass.active: active, BadgeClass.thresholds: measures.encoded(thresholds or [])}
    async with write_transaction(BadgeClass._meta.db):
        existing = await BadgeClass.select(BadgeClass.id, BadgeClass.name).where(BadgeClass.slug == slug).first()
        if existing is None:
            await BadgeClass.insert(BadgeClass(slug=slug, created_at=clock.now(), **{
                column._meta.name: value for column, value in values.items()}))
            return
        await BadgeClass.update(values).where(BadgeClass.id == existing["id"])
        if existing["name"] != name:  # the holders' search documents carry the name
            holders = await BadgeAward.select(BadgeAward.provider.slug.as_alias("slug")).where(
                (BadgeAward.badge == existing["id"]) & valid_at(clock.now()))
            await events.record(events.PROVIDER_SAVED, sorted({h["slug"] for h in holders}), {"created": False},
                                actor=actor)

async def _provider(slug: str) -> dict[str, Any]:
    provider = await tables.Provider.select(tables.Provider.id, tables.Provider.slug, tables.Provider.trade_name,
                                            tables.Provider.state).where(tables.Provider.slug == slug).first()
    if provider is None or provider["state"] == catalogue.LEFT:
        raise BadgeError(f"Aucun prestataire « {slug} » dans l'annuaire.")
    return provider


async def badge_class(slug: str) -> dict[str, Any]:
    badge = await BadgeClass.select().where(BadgeClass.slug == slug).first()
    if badge is None:
        raise BadgeError(f"Aucun badge « {slug} ». Les badges : "
                         f"{', '.join(row['slug'] for row in await BadgeClass.select(BadgeClass.slug))}.")
    return badge


async def _credential(badge: dict[str, Any], provider: dict[str, Any], status_index: int, valid_from: datetime,
                      expires_at: datetime | None, evidence_url: str) -> tuple[str, str]:
    """A new signed credential for an award: its id and its JSON."""
    credential_id = f"{site()}/badges/attestations/{uuid.uuid4()}"
    document = credentials.open_badge_credential(
        credential_id=credential_id, issuer=issuer.issuer_profile(), achievement=achievement(badge),
        subject_id=site() + public_url(provider["slug"]), subject_name=provider["trade_name"],
        valid_from=valid_from, valid_until=expires_at, evidence=[evidence_url] if evidence_url else [],
        status=status.entries(status_index))
    return credential_id, msgspec.json.encode(await issuer.sign(document)).decode()


def end_of_day(text: str) -> datetime | None:
    """A date typed by staff (``AAAA-MM-JJ``) as the last second of that day in Paris; None if empty."""
    if not text.strip():
        return None
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise BadgeError("Écrivez la date comme AAAA-MM-JJ (par exemple 2027-06-30).") from None
    return datetime.combine(day, time(23, 59, 59), tzinfo=credentials.PARIS)


def _expiry(badge: dict[str, Any], valid_from: datetime, expires_at: datetime | None) -> datetime | None:
    if expires_at is None and badge["validity_months"]:
        expires_at = valid_from + timedelta(days=round(badge["validity_months"] * 30.44))
    if expires_at is not None and expires_at <= valid_from:
        raise BadgeError("La date d'expiration doit suivre la date d'attribution.")
    return expires_at


async def _changed(provider: dict[str, Any], actor: str, expires_at: datetime | None) -> None:
    """Tell the search indexes (and, at its expiry, again) that the provider's badges changed."""
    await events.record(events.PROVIDER_SAVED, [provider["slug"]], {"created": False}, actor=actor)
    if expires_at is not None:
        await jobs.enqueue(EXPIRY_TASK, {"provider": provider["slug"]}, at=expires_at)


async def _tell(provider: dict[str, Any], template: str, context: dict[str, Any]) -> None:
    await tell_provider(provider["id"], template, {
        "trade_name": provider["trade_name"], "site": site(),
        "account": f"{site()}/compte/prestataires/{provider['slug']}/badges", **context})


def _day(moment: datetime | None) -> str:
    return credentials.french_date(moment) if moment else ""


def _check_evidence(url: str) -> str:
    url = url.strip()
    if url and not url.startswith(("https://", "http://")):
        raise BadgeError("La preuve doit être une adresse web (https://…).")
    if len(url) > 500:
        raise BadgeError("L'adresse de la preuve dépasse 500 caractères.")
    return url


async def award(provider_slug: str, badge_slug: str, *, actor: str, expires_at: datetime | None = None,
                evidence_url: str = "", note: str = "", valid_from: datetime | None = None,
                meets: Callable[[dict[str, Any], dict[str, Any]], Awaitable[str]] | None = None) -> int:
    """Award a badge to a provider (not twice while one is valid); returns the award's id.

    ``meets(badge, provider)`` says why the provider falls short of the badge's measured
    thresholds ("" when it does not): a shortfall refuses the award before anything is written.
    """
    evidence_url = _check_evidence(evidence_url)
    async with write_transaction(BadgeAward._meta.db):
        provider, badge = await _provider(provider_slug), await badge_class(badge_slug)
        if not badge["active"]:
            raise BadgeError(f"Le badge « {badge['name']} » n'est plus attribué.")
        now = clock.now()
        if await BadgeAward.exists().where((BadgeAward.provider == provider["id"]) & (BadgeAward.badge == badge["id"])
                                           & BadgeAward.revoked_at.is_null()
                                           & (BadgeAward.expires_at.is_null() | (BadgeAward.expires_at > now))):
            raise BadgeError(f"{provider['trade_name']} détient déjà « {badge['name']} » : renouvelez-le plutôt.")
        if meets is not None and (short := await meets(badge, provider)):
            raise BadgeError(short)
        valid_from = valid_from or now
        expires_at = _expiry(badge, valid_from, expires_at)
        index = await status.new_index()
        credential_id, credential = await _credential(badge, provider, index, valid_from, expires_at, evidence_url)
        [row] = await BadgeAward.insert(BadgeAward(
            badge=badge["id"], provider=provider["id"], status_index=index, evidence_url=evidence_url,
            note=note.strip()[:2000], valid_from=valid_from, expires_at=expires_at, awarded_by=actor[:254],
            credential_id=credential_id, credential=credential, created_at=now)).returning(BadgeAward.id)
        await _changed(provider, actor, expires_at)
        await _tell(provider, "badges/attribue", {"badge": badge["name"], "expires": _day(expires_at)})
    return row["id"]


async def _award(award_id: int) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    row = await BadgeAward.select().where(BadgeAward.id == award_id).first()
    if row is None:
        raise BadgeError(f"Aucune attribution n° {award_id}.")
    provider = await tables.Provider.select(tables.Provider.id, tables.Provider.slug, tables.Provider.trade_name
                                            ).where(tables.Provider.id == row["provider"]).first()
    badge = await BadgeClass.select().where(BadgeClass.id == row["badge"]).first()
    return row, provider, badge


async def renew(award_id: int, *, actor: str, expires_at: datetime | None = None) -> None:
    """Extend an award that is not revoked: a new credential from now, at the same status bit."""
    async with write_transaction(BadgeAward._meta.db):
        row, provider, badge = await _award(award_id)
        if row["revoked_at"] is not None:
            raise BadgeError("Une attribution révoquée ne se renouvelle pas : attribuez le badge à nouveau.")
        now = clock.now()
        start = max(now, row["valid_from"])
        expires_at = _expiry(badge, start, expires_at)
        credential_id, credential = await _credential(badge, provider, row["status_index"], start, expires_at,
                                                      row["evidence_url"])
        await BadgeAward.update({BadgeAward.valid_from: start, BadgeAward.expires_at: expires_at,
                                 BadgeAward.credential_id: credential_id, BadgeAward.credential: credential,
                                 BadgeAward.reminded: 0, BadgeAward.renewed_at: now}).where(BadgeAward.id == award_id)
        await _changed(provider, actor, expires_at)
        await _tell(provider, "badges/renouvele", {"badge": badge["name"], "expires": _day(expires_at)})


async def revoke(award_id: int, *, actor: str, reason: str) -> None:
    """Revoke an award: it stops counting at once, and its credentials fail once the status list is read."""
    reason = reason.strip()
    if not reason:
        raise BadgeError("Donnez la raison de la révocation : le prestataire la reçoit.")
    async with write_transaction(BadgeAward._meta.db):
        row, provider, badge = await _award(award_id)
        if row["revoked_at"] is not None:
            raise BadgeError("Cette attribution est déjà révoquée.")
        await BadgeAward.update({BadgeAward.revoked_at: clock.now(), BadgeAward.revoked_reason: reason[:2000]}).where(
            BadgeAward.id == award_id)
        await status.revoke(row["status_index"])
        await _changed(provider, actor, None)
        await _tell(provider, "badges/revoque", {"badge": badge["name"], "reason": reason})


# Jobs ----------------------------------------------------------------------------------------

async def expired(payload: dict[str, Any]) -> None:
    """At a badge's expiry: the provider's search document drops it (safe to run twice)."""
    async with write_transaction(BadgeAward._meta.db):
        if await tables.Provider.exists().where(tables.Provider.slug == payload["provider"]):
            await events.record(events.PROVIDER_SAVED, [payload["provider"]], {"created": False}, actor="badges")


async def send_reminders(payload: dict[str, Any]) -> None:
    """Remind providers 30 and 7 days before a badge expires, once each (safe to run twice)."""
    now = clock.now()
    async with write_transaction(BadgeAward._meta.db):
        rows = await BadgeAward.select(*AWARD_COLUMNS, BadgeAward.reminded, *PROVIDER_COLUMNS).where(
            valid_at(now) & (BadgeAward.expires_at <= now + timedelta(days=max(REMINDERS))))
        for row in rows:
            due = min((days for days in REMINDERS if row["expires_at"] <= now + timedelta(days=days)), default=None)
            if due is None or (row["reminded"] and row["reminded"] <= due):
                continue
            provider = {"id": row["provider"], "slug": row["provider_slug"], "trade_name": row["trade_name"]}
            await _tell(provider, "badges/rappel", {"badge": row["badge"], "expires": _day(row["expires_at"]),
                                                    "days": (row["expires_at"] - now).days + 1})
            await BadgeAward.update({BadgeAward.reminded: due}).where(BadgeAward.id == row["id"])


# Credentials ---------------------------------------------------------------------------------

async def credentials_of(provider_id: int) -> list[dict[str, Any]]:
    """The current credential of each of a provider's awards, as issued."""
    rows = await BadgeAward.select(BadgeAward.credential).where(BadgeAward.provider == provider_id).order_by(
        BadgeAward.id)
    return [msgspec.json.decode(row["credential"]) for row in rows]


async def credential(credential_id: str) -> dict[str, Any] | None:
    row = await BadgeAward.select(BadgeAward.credential).where(BadgeAward.credential_id == credential_id).first()
    return msgspec.json.decode(row["credential"]) if row else None
