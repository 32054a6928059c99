"""What a provider may ask of the directory about its data: a copy of it all, and to leave.

Leaving hides the listing at once (pages, search, API: it is no longer published) and keeps
the data ``ERASE_AFTER`` so that a mistake can still be undone by staff. Then ``erase``, the
one erasure path, removes the provider and everything about it: its profile, history, logo,
pending changes and reports; its members' accounts (unless they still speak for another
provider or are staff), their sessions, API tokens and links; the mail outbox's messages to
its addresses, and the messages they sent through the contact page; its name in the event
outbox; and, through the ``provider.deleted`` event,
its document in the search index.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from litestar.stores.base import NamespacedStore

from directory import catalogue, events, history, providers
from directory.accounts import sessions
from directory.database import write_transaction
from directory.history import Actor
from directory.platform import clock
from directory.records import record_to_row
from directory.tables import (
    Account,
    AccountToken,
    ApiToken,
    ContactMessage,
    Event,
    Logo,
    MailMessage,
    Membership,
    PendingChange,
    ProfileChange,
    Provider,
    Report,
)

ERASE_AFTER = timedelta(days=30)
ERASE_TASK = "providers.erase_departed"
ERASED = "compte supprimé"


async def export(provider_id: int, reader: dict[str, Any]) -> dict[str, Any]:
    """Everything the directory holds about a provider and its members, as JSON-ready data.

    Its mail is what was sent for the provider (``members.tell``) while ``reader``, the member
    asking, managed it (staff see it all): never messages that merely went to an address the
    listing or a member has, which a member could set to someone else's.
    """
    provider = await Provider.select(Provider.slug, Provider.state, Provider.created_at, Provider.updated_at,
                                     Provider.left_at).where(Provider.id == provider_id).first()
    _, record = await providers.record_of(provider["slug"])
    members = await Membership.select(Membership.account, Membership.role, Membership.created_at,
                                      Membership.account.email.as_alias("email"),
                                      Membership.account.created_at.as_alias("account_created_at"),
                                      ).where(Membership.provider == provider_id).order_by(Membership.id)
    account_ids = [member.pop("account") for member in members] or [0]
    joined = await Membership.select(Membership.created_at).where(
        (Membership.provider == provider_id) & (Membership.account == reader["id"])).first()
    mail_for_provider = MailMessage.provider == provider_id
    if not reader["is_staff"]:
        mail_for_provider &= MailMessage.created_at >= (joined["created_at"] if joined else clock.now())
    return {
        "exported_at": clock.now(),
        "profile": {**record_to_row(record), "created_at": provider["created_at"],
                    "updated_at": provider["updated_at"], "left_at": provider["left_at"]},
        "members": members,
        "api_tokens": await ApiToken.select(ApiToken.name, ApiToken.hint, ApiToken.created_at, ApiToken.last_used_at,
                                            ApiToken.revoked_at, ApiToken.account.email.as_alias("account")).where(
            ApiToken.account.is_in(account_ids)),
        "history": await ProfileChange.select(ProfileChange.actor, ProfileChange.channel, ProfileChange.field,
                                              ProfileChange.old_value, ProfileChange.new_value,
                                              ProfileChange.created_at).where(
            ProfileChange.provider == provider_id).order_by(ProfileChange.id),
        "pending_changes": [{**change, "changes": json.loads(change["changes"])} for change in
                            await PendingChange.select(PendingChange.changes, PendingChange.state, PendingChange.reason,
                                                       PendingChange.created_at, PendingChange.decided_at).where(
                                PendingChange.provider == provider_id).order_by(PendingChange.id)],
        # Reports keep their author's contact out: it is someone else's data.
        "reports": await Report.select(Report.message, Report.created_at, Report.resolved_at).where(
            Report.provider == provider_id).order_by(Report.id),
        "mail": await MailMessage.select(MailMessage.recipient, MailMessage.subject, MailMessage.created_at,
                                         MailMessage.sent_at).where(mail_for_provider).order_by(MailMessage.id),
        "contact_messages": await _contact_messages(reader, [member["email"] for member in members]),
    }


async def _contact_messages(reader: dict[str, Any], member_addresses: list[str]) -> list[dict[str, Any]]:
    """The contact page's messages sent from the reader's own address (its account's, confirmed),
    or, for staff, from the provider's members': never a colleague's messages to a member."""
    senders = member_addresses if reader["is_staff"] else [reader["email"]]
    return await ContactMessage.select(
        ContactMessage.name, ContactMessage.email, ContactMessage.subject, ContactMessage.message,
        ContactMessage.created_at, ContactMessage.handled_at).where(
        ContactMessage.email.is_in(senders or [""])).order_by(ContactMessage.id)


async def leave(provider_id: int, slug: str, actor: Actor) -> None:
    """The provider leaves: unlisted at once, erased after ``ERASE_AFTER``."""
    async with write_transaction(Provider._meta.db):
        current = await Provider.select(Provider.state).where(Provider.id == provider_id).first()
        await Provider.update({Provider.state: catalogue.LEFT, Provider.left_at: clock.now(),
                               Provider.updated_at: clock.now()}).where(Provider.id == provider_id)
        await history.record(provider_id, actor, {"state": (current["state"], catalogue.LEFT)})
        await events.record(events.PROVIDER_SAVED, [slug], {"created": False}, actor.label)


async def erase(provider_id: int, store: NamespacedStore, left_before: datetime | None = None) -> bool:
    """Remove a provider and all personal data about it and its members (see the module's doc).

    With ``left_before``, only if it still is a provider that left before then: staff may have
    restored it since it was found due. Reads and deletes in one transaction, so a member who
    joins another provider meanwhile keeps its account. Returns whether it was erased.
    """
    async with write_transaction(Provider._meta.db):
        provider = await Provider.select(Provider.slug, Provider.email, Provider.state, Provider.left_at).where(
            Provider.id == provider_id).first()
        if provider is None or left_before is not None and not (
                provider["state"] == catalogue.LEFT and provider["left_at"] and provider["left_at"] < left_before):
            return False
        members = await Membership.select(Membership.account, Membership.account.email.as_alias("email"),
                                          Membership.account.is_staff.as_alias("is_staff")).where(
            Membership.provider == provider_id)
        elsewhere = {row["account"] for row in await Membership.select(Membership.account).where(
            Membership.account.is_in([m["account"] for m in members] or [0]) & (Membership.provider != provider_id))}
        leaving = [m for m in members if m["account"] not in elsewhere and not m["is_staff"]]
        await forget_addresses(sorted({provider["email"], *(m["email"] for m in leaving)} - {""}))
        await Logo.delete().where(Logo.provider == provider_id)
        await Provider.delete().where(Provider.id == provider_id)  # its rows in other tables cascade
        await Account.delete().where(Account.id.is_in([m["account"] for m in leaving] or [0]))
        await events.record(events.PROVIDER_DELETED, [provider["slug"]], actor="erasure")
    for member in leaving:
        await sessions.end_all(member["account"], store)
    return True


async def forget_addresses(addresses: list[str]) -> None:
    """Remove e-mail addresses from what outlives their owner: the mail outbox, mail links, the
    messages they sent through the contact page, and the actors named in the event outbox and the
    profiles' history. Call inside the erasure's transaction.
    """
    if not addresses:
        return
    await ContactMessage.delete().where(ContactMessage.email.is_in(addresses))
    await MailMessage.delete().where(MailMessage.recipient.is_in(addresses))
    await AccountToken.delete().where(AccountToken.email.is_in(addresses))
    for table in (Event, ProfileChange, PendingChange):
        await table.update({table.actor: ERASED}).where(table.actor.is_in(addresses))


async def erase_departed(store: NamespacedStore) -> int:
    """Erase every provider that left more than ``ERASE_AFTER`` ago; returns how many."""
    cutoff = clock.now() - ERASE_AFTER
    due = await Provider.select(Provider.id).where((Provider.state == catalogue.LEFT) & (Provider.left_at < cutoff))
    return sum([await erase(provider["id"], store, left_before=cutoff) for provider in due])
