"""The weekly digest: on Monday morning, the members who asked for it get their listing's last
week in one line ("Cette semaine : 12 apparitions, 40 visites, 2 demandes").

Off by default: a member turns it on or off on its listing's statistics page (a form with its
CSRF token). The job runs every morning at 8:00 (Paris) and sends the last full week, from the
weekly sums, to each subscription that has not had it, marking it sent in the transaction that
writes the message: a missed Monday is caught up the next morning, and a second run sends
nothing twice. A member who no longer manages the listing gets nothing.

Each message carries an unsubscribe link that needs no sign-in: a random token of its own, of
which only the hash is kept (``DigestLink``), valid while the subscription lasts. Following
any of them ends the subscription and, with it, every link: each works once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import date, time, timedelta
from typing import Any

from directory.plugin_api import clock, mail, tables, write_transaction
from plugins.insights import counting
from plugins.insights.charts import french_date, french_number
from plugins.insights.tables import DigestLink, DigestSubscription, ProviderWeek
from plugins.insights.weeks import monday

TASK = "insights.digest"
SEND_AT = time(8, 0)
TEMPLATE = "insights/resume"
UNSUBSCRIBE = "/resume-hebdomadaire/{token}"
FIGURES = (counting.SHOWN, counting.VISITS, counting.OFFERED)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def last_full_week(today: date) -> date:
    """The Monday of the last week that ended before ``today``."""
    return monday(today) - timedelta(weeks=1)


async def is_on(account_id: int, provider_id: int) -> bool:
    """Whether the member gets the listing's weekly digest."""
    return await DigestSubscription.exists().where(
        (DigestSubscription.account == account_id) & (DigestSubscription.provider == provider_id))


async def turn(account_id: int, provider_id: int, on: bool) -> None:
    """Turn the member's digest of the listing on (from next Monday) or off."""
    async with write_transaction(DigestSubscription._meta.db):
        await DigestSubscription.delete().where(
            (DigestSubscription.account == account_id) & (DigestSubscription.provider == provider_id))
        if on:  # the week already over is not sent: the first digest is next Monday's
            await DigestSubscription.insert(DigestSubscription(
                account=account_id, provider=provider_id, sent_week=last_full_week(counting.today()),
                created_at=clock.now()))


async def unsubscribe(token: str) -> bool:
    """End the subscription of an unsubscribe link; returns whether the link was still valid."""
    async with write_transaction(DigestLink._meta.db):
        link = await DigestLink.select(DigestLink.subscription).where(
            DigestLink.token_hash == _hash(token)).first()
        if link is None:
            return False
        await DigestSubscription.delete().where(DigestSubscription.id == link["subscription"])
    return True


async def send(payload: dict[str, Any]) -> int:
    """The daily job: send the last full week to every subscription that has not had it; returns how many."""
    week = last_full_week(counting.today())
    Membership = tables.Membership
    sent = 0
    async with write_transaction(DigestSubscription._meta.db):
        due = await DigestSubscription.select(
            DigestSubscription.id, DigestSubscription.account, DigestSubscription.provider,
            DigestSubscription.account.email.as_alias("email"),
            DigestSubscription.provider.slug.as_alias("slug"),
            DigestSubscription.provider.trade_name.as_alias("trade_name")).where(
            DigestSubscription.sent_week.is_null() | (DigestSubscription.sent_week < week))
        members = {(row["account"], row["provider"]) for row in await Membership.select(
            Membership.account, Membership.provider).where(
            Membership.provider.is_in([row["provider"] for row in due] or [0]))}
        for row in due:
            if (row["account"], row["provider"]) in members:
                await _send_one(row, week)
                sent += 1
            await DigestSubscription.update({DigestSubscription.sent_week: week}).where(
                DigestSubscription.id == row["id"])
    return sent


async def _send_one(row: dict[str, Any], week: date) -> None:
    figures = {counter: 0 for counter in FIGURES}
    for found in await ProviderWeek.select(ProviderWeek.counter, ProviderWeek.value).where(
            (ProviderWeek.provider == row["provider"]) & (ProviderWeek.week == week)
            & ProviderWeek.counter.is_in(list(FIGURES))):
        figures[found["counter"]] = found["value"]
    token = secrets.token_urlsafe(24)
    await DigestLink.insert(DigestLink(subscription=row["id"], token_hash=_hash(token),
                                       created_at=clock.now()))
    site = mail.site_url()
    await mail.send(row["email"], TEMPLATE, {
        "trade_name": row["trade_name"], "week": french_date(week),
        **{name: french_number(figures[counter]) for name, counter in
           (("shown", counting.SHOWN), ("visits", counting.VISITS), ("asked", counting.OFFERED))},
        "statistics": f"{site}/compte/prestataires/{row['slug']}/statistiques",
        "unsubscribe": site + UNSUBSCRIBE.format(token=token)}, provider=row["provider"])


async def exported(provider_id: int) -> list[dict[str, Any]]:
    """The listing's digest subscriptions, for its data export (the messages are in its mail)."""
    return await DigestSubscription.select(
        DigestSubscription.account.email.as_alias("member"), DigestSubscription.created_at.as_alias("since"),
        DigestSubscription.sent_week.as_alias("last_week_sent")).where(
        DigestSubscription.provider == provider_id)
