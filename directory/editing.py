"""A member's edits of its own profile, from the web form or the JSON API: one path for both.

What a member may change is the ``ProfileEdit`` schema and nothing else: publication state,
slug, owner, members and badges are not in it, and the API refuses unknown fields. Each
edit is checked by the import's own rules (``records.clean_record``) so the three channels
accept and refuse the same values in the same words. On a published profile the identity
fields (legal name, trade name, SIRET) wait for staff (``moderation``) while the others go
live at once; a new e-mail address waits for the link sent to it (``listing_addresses``); a
changed address is placed again by the geocoder. The write, its history rows, its pending
identity change, its confirmation mail and its event share one transaction.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec
from litestar.params import KwargDefinition

from directory import catalogue, events, history, providers
from directory.accounts import listing_addresses
from directory.database import write_transaction
from directory.history import Actor
from directory.platform import clock
from directory.records import LIST_SEPARATOR, ProviderRecord, RecordError, clean_record, record_to_row
from directory.tables import PendingChange, Provider, ProviderService, Service
from geo import Gazetteer, Geocoder

IDENTITY_FIELDS = ("legal_name", "trade_name", "siret")
ADDRESS_FIELDS = ("street", "postal_code", "commune")
LIVE_FIELDS = (
    "description", "website", "email", "phone", *ADDRESS_FIELDS, "service_radius_km", "service_departements",
    "on_site", "remote", "services", "sectors", "team_size", "languages", "year_founded",
)
EDITABLE_FIELDS = (*IDENTITY_FIELDS, *LIVE_FIELDS)
LIST_FIELDS = frozenset({"service_departements", "services", "sectors", "languages"})
FLAG_FIELDS = frozenset({"on_site", "remote"})
# Where a moved provider is placed: these go from the record; the gazetteer and the geocoder
# fill them again from the new address.
PLACED_FIELDS = ("insee_code", "latitude", "longitude")
EDITABLE_STATES = frozenset({catalogue.DRAFT, catalogue.PENDING_REVIEW, catalogue.PUBLISHED, catalogue.SUSPENDED})
# Fields an edit may leave as they are without their stored value being checked again: it was
# checked when written (the logo's is the site's own ``/logos/…`` address, which no member
# types), so a value the member did not touch never refuses its edit. The others are needed to
# build the record (the required fields, the address that places it) and are checked each time.
KEPT_AS_STORED = frozenset({"trade_name", "logo_url", *LIVE_FIELDS} - {*ADDRESS_FIELDS})

Short = Annotated[str, msgspec.Meta(max_length=300)]
# msgspec checks each item; Litestar documents an item's bound only from its own KwargDefinition.
Code = Annotated[str, msgspec.Meta(max_length=60), KwargDefinition(max_length=60)]
Codes = Annotated[list[Code], msgspec.Meta(max_length=120)]


class ProfileEdit(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, omit_defaults=True):
    """The fields of a profile its members may change; a field left out keeps its value."""

    legal_name: Short | msgspec.UnsetType = msgspec.UNSET
    trade_name: Short | msgspec.UnsetType = msgspec.UNSET
    siret: Short | msgspec.UnsetType = msgspec.UNSET
    description: Annotated[str, msgspec.Meta(max_length=5000)] | msgspec.UnsetType = msgspec.UNSET
    website: Short | msgspec.UnsetType = msgspec.UNSET
    email: Short | msgspec.UnsetType = msgspec.UNSET
    phone: Short | msgspec.UnsetType = msgspec.UNSET
    street: Short | msgspec.UnsetType = msgspec.UNSET
    postal_code: Short | msgspec.UnsetType = msgspec.UNSET
    commune: Short | msgspec.UnsetType = msgspec.UNSET
    service_radius_km: int | None | msgspec.UnsetType = msgspec.UNSET
    service_departements: Codes | msgspec.UnsetType = msgspec.UNSET
    on_site: bool | msgspec.UnsetType = msgspec.UNSET
    remote: bool | msgspec.UnsetType = msgspec.UNSET
    services: Codes | msgspec.UnsetType = msgspec.UNSET
    sectors: Codes | msgspec.UnsetType = msgspec.UNSET
    team_size: Short | msgspec.UnsetType = msgspec.UNSET
    languages: Codes | msgspec.UnsetType = msgspec.UNSET
    year_founded: int | None | msgspec.UnsetType = msgspec.UNSET

    def as_row(self) -> dict[str, str]:
        """The fields given, as the text the import format uses."""
        row = {}
        for name in self.__struct_fields__:
            value = getattr(self, name)
            if value is msgspec.UNSET:
                continue
            if isinstance(value, list):
                row[name] = LIST_SEPARATOR.join(item.replace(LIST_SEPARATOR, " ") for item in value)
            elif isinstance(value, bool):
                row[name] = "oui" if value else "non"
            else:
                row[name] = "" if value is None else str(value)
        return row


def form_row(form: Mapping[str, str], lists: Mapping[str, list[str]]) -> dict[str, str]:
    """The editable fields of a submitted web form (``lists``: the checked boxes of each list field).

    Every field is given: a box left unchecked means "no", an empty list means none.
    """
    row = {name: (form.get(name) or "") for name in EDITABLE_FIELDS if name not in LIST_FIELDS | FLAG_FIELDS}
    for name in LIST_FIELDS:
        row[name] = LIST_SEPARATOR.join(item.replace(LIST_SEPARATOR, " ") for item in lists.get(name, []))
    for name in FLAG_FIELDS:
        row[name] = "oui" if form.get(name) else "non"
    return row


class ProfileGone(LookupError):
    """No provider with this slug can be edited (none, or it left the directory)."""


@dataclass
class Edited:
    """What an edit did: fields now live, identity fields waiting for staff, the profile's state,
    and the new e-mail address that waits for its confirmation."""

    live: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    state: str = ""
    confirming: str = ""


async def current(slug: str) -> tuple[int, ProviderRecord]:
    """The provider ``slug`` as it stands, if its members may edit it."""
    found = await providers.record_of(slug)
    if found is None or found[1].state not in EDITABLE_STATES:
        raise ProfileGone(slug)
    return found


async def check(record: ProviderRecord, changes: Mapping[str, str], gazetteer: Gazetteer,
                geocoder: Geocoder | None) -> ProviderRecord:
    """``record`` with ``changes``, validated; raises ``RecordError`` naming every bad field.

    Only what ``changes`` changes is checked among ``KEPT_AS_STORED``. A changed address loses
    its coordinates and INSEE code, found again from the new one.
    """
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise RecordError({name: "Ce champ ne se modifie pas ici." for name in sorted(unknown)})
    before = record_to_row(record)
    merged = {**before, **changes}
    if any(merged[name] != before[name] for name in ADDRESS_FIELDS):
        merged.update(dict.fromkeys(PLACED_FIELDS, ""))
    untouched = [name for name in KEPT_AS_STORED if merged[name] == before[name]]
    checked = await asyncio.to_thread(clean_record, {**merged, **dict.fromkeys(untouched, "")}, gazetteer,
                                      geocoder)
    kept = {name: getattr(record, name) for name in untouched}
    return msgspec.structs.replace(checked, slug=record.slug, **kept)


async def apply(slug: str, changes: Mapping[str, str], actor: Actor, gazetteer: Gazetteer,
                geocoder: Geocoder | None = None, submit: bool = False) -> Edited:
    """Validate and write a member's ``changes`` to the profile ``slug``.

    ``submit`` asks for a draft's review: it becomes ``pending_review`` and staff see it in
    their queue. Raises ``ProfileGone`` or ``RecordError``.
    """
    provider_id, record = await current(slug)
    wanted = await check(record, changes, gazetteer, geocoder)
    async with write_transaction(Provider._meta.db):
        provider_id, record = await current(slug)  # as it stands now that writers wait for us
        before, after = record_to_row(record), record_to_row(wanted)
        await _check_siret(provider_id, after["siret"])
        changed = history.differences(before, after, (*EDITABLE_FIELDS, *PLACED_FIELDS))
        held = record.state == catalogue.PUBLISHED
        pending = {name: after[name] for name in IDENTITY_FIELDS if name in changed} if held else {}
        live = {name: values for name, values in changed.items() if name not in pending}
        confirming = await _new_email(provider_id, record, live, actor)
        state = catalogue.PENDING_REVIEW if submit and record.state == catalogue.DRAFT else record.state
        if state != record.state:
            live["state"] = (record.state, state)
        await _write(provider_id, wanted, live)
        await history.record(provider_id, actor, live)
        if pending:
            await _hold(provider_id, pending, actor)
        if live:
            await events.record(events.PROVIDER_SAVED, [slug], {"created": False}, actor.label)
    return Edited([name for name in live if name not in PLACED_FIELDS], list(pending), state, confirming)


async def _new_email(provider_id: int, record: ProviderRecord, live: dict[str, tuple[str, str]],
                     actor: Actor) -> str:
    """A member's new address leaves ``live`` and gets a confirmation link; returns it ("" if none).

    Clearing the address goes live (nobody can read mail through no address), and so does what
    staff set; either way an older request waiting for its confirmation is cancelled.
    """
    if "email" not in live:
        return ""
    new = live["email"][1]
    if not new or actor.channel not in (history.WEB, history.API):
        await listing_addresses.cancel_requests(provider_id)
        return ""
    del live["email"]
    await listing_addresses.request_change(provider_id, record.trade_name, new, actor)
    return new


async def _check_siret(provider_id: int, siret: str) -> None:
    other = await Provider.select(Provider.slug).where((Provider.siret == siret) & (Provider.id != provider_id)).first()
    if other:
        raise RecordError({"siret": "Ce SIRET est déjà celui d'un autre prestataire de l'annuaire."})


async def _write(provider_id: int, wanted: ProviderRecord, live: Mapping[str, tuple[str, str]]) -> None:
    """Write the live fields of ``wanted`` (and the place found for a new address)."""
    values: dict[Any, Any] = {getattr(Provider, name): getattr(wanted, name) for name in live
                              if name not in ("services", "state")}
    if any(name in live for name in ADDRESS_FIELDS):
        for name in ("commune", "insee_code", "departement", "region", "latitude", "longitude"):
            values[getattr(Provider, name)] = getattr(wanted, name)
    if "state" in live:
        values[Provider.state] = live["state"][1]
    await Provider.update({**values, Provider.updated_at: clock.now()}).where(Provider.id == provider_id)
    if "services" in live:
        await ProviderService.delete().where(ProviderService.provider == provider_id)
        ids = {row["slug"]: row["id"] for row in await Service.select(Service.id, Service.slug)}
        if wanted.services:
            await ProviderService.insert(*(ProviderService(provider=provider_id, service=ids[slug])
                                           for slug in wanted.services))


async def _hold(provider_id: int, pending: dict[str, str], actor: Actor) -> None:
    """Keep identity changes for staff; a new request replaces the provider's waiting one."""
    await PendingChange.update({PendingChange.state: "replaced", PendingChange.decided_at: clock.now()}).where(
        (PendingChange.provider == provider_id) & (PendingChange.state == "pending"))
    await PendingChange.insert(PendingChange(
        provider=provider_id, account=actor.account_id, actor=actor.label, channel=actor.channel,
        changes=json.dumps(pending, ensure_ascii=False), created_at=clock.now()))


async def pending_of(provider_id: int) -> dict[str, str]:
    """The identity values a provider's waiting change asks for ({} when none waits)."""
    waiting = await PendingChange.select(PendingChange.changes).where(
        (PendingChange.provider == provider_id) & (PendingChange.state == "pending")).first()
    return json.loads(waiting["changes"]) if waiting else {}
