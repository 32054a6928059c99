"""Follow-up of accepted requests: the engagement written with the acceptance, the outcome asks
(jobs), each side's single-use answer, and the erasure of what the TPE gave.

Every action is one transaction that writes its rows, its mail and its next job together.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from directory.plugin_api import (
    clock,
    events,
    forget_addresses,
    jobs,
    mail,
    tables,
    tell_provider,
    write_transaction,
)
from plugins.reviews import links, outcomes
from plugins.reviews.tables import PUBLISHED, Engagement, Review, ReviewReport

ASK_TASK = "reviews.ask"
RETENTION_TASK = "reviews.retention"
TPE, PROVIDER = "tpe", "provider"


class Gone(LookupError):
    """No such link, or it was already used."""


async def _enqueue_round(engagement_id: int, accepted_at: datetime, round_: int) -> None:
    at = outcomes.due(accepted_at, round_, outcomes.review_settings())
    await jobs.enqueue(ASK_TASK, {"engagement": engagement_id, "round": round_}, at=at,
                       key=f"{ASK_TASK}:{engagement_id}:{round_}")


async def lead_changed(change: Any) -> None:
    """An acceptance starts a follow-up (inside the lead's transaction); "forgotten" erases the TPE."""
    if change.kind == "accepted":
        [row] = await Engagement.insert(Engagement(
            lead_id=change.lead_id, provider=change.provider_id, departement=change.departement,
            contact_email=change.contact_email.strip().lower(), contact_name=change.contact_name,
            accepted_at=change.at)).returning(Engagement.id)
        await _enqueue_round(row["id"], change.at, outcomes.FIRST)
    elif change.kind == "forgotten":
        await forget(change.lead_id)


async def forget(lead_id: int) -> None:
    """Erase what the TPE of a lead gave: its address and name, its ask links, and its reviews not
    published (with their reports). A published review stays online, without any name, until
    ``online_days`` after its publication: its lasting link still lets the TPE withdraw it. The
    outcomes stay, anonymous, for the figures. Inside a transaction."""
    rows = await Engagement.select(Engagement.id, Engagement.contact_email).where(Engagement.lead_id == lead_id)
    ids = [row["id"] for row in rows] or [0]
    unpublished = [row["id"] for row in await Review.select(Review.id).where(
        Review.engagement.is_in(ids) & (Review.state != PUBLISHED))]
    await _erase_reviews(unpublished)
    published = [row["engagement"] for row in await Review.select(Review.engagement).where(
        Review.engagement.is_in(ids))]
    await Engagement.update({Engagement.contact_email: "", Engagement.contact_name: "",
                             Engagement.tpe_ask_hash: None, Engagement.forgotten_at: clock.now()}).where(
        Engagement.id.is_in(ids))
    await Engagement.update({Engagement.review_hash: None}).where(
        Engagement.id.is_in(ids) & Engagement.id.not_in(published or [0]))
    await forget_addresses(sorted({row["contact_email"] for row in rows} - {""}))


async def _erase_reviews(review_ids: list[int]) -> None:
    """Delete reviews with their reports, and the lasting links that could write them again."""
    if not review_ids:
        return
    erased = await Review.select(Review.engagement, Review.provider.slug.as_alias("slug")).where(
        Review.id.is_in(review_ids))
    await ReviewReport.delete().where(ReviewReport.review.is_in(review_ids))
    await Review.delete().where(Review.id.is_in(review_ids))
    await Engagement.update({Engagement.review_hash: None}).where(
        Engagement.id.is_in([row["engagement"] for row in erased] or [0])
        & Engagement.forgotten_at.is_not_null())
    await shown_changed(sorted({row["slug"] for row in erased}))


async def expire_reviews(payload: dict[str, Any]) -> None:
    """The daily job: erase reviews published more than ``online_days`` ago, and those never
    published that were last written that long ago."""
    before = clock.now() - timedelta(days=outcomes.review_settings().online_days)
    async with write_transaction(Review._meta.db):
        await _erase_reviews([row["id"] for row in await Review.select(Review.id).where(
            (Review.published_at < before) | (Review.published_at.is_null() & (Review.edited_at < before)))])


async def shown_changed(slugs: list[str]) -> None:
    """The reviews profiles show changed: their search documents (the averages) are rebuilt."""
    await events.record(events.PROVIDER_SAVED, slugs, {"created": False}, actor="reviews")


async def ask(payload: dict[str, Any]) -> None:
    """The ask job: mail each side that has not answered (rounds 1, 2), or mark the request
    without news (round 3)."""
    async with write_transaction(Engagement._meta.db):
        engagement = await Engagement.select(
            Engagement.all_columns(), Engagement.provider.trade_name.as_alias("trade_name")).where(
            Engagement.id == payload["engagement"]).first()
        if engagement is None or engagement["forgotten_at"] is not None:
            return
        round_ = payload["round"]
        if round_ == outcomes.GIVE_UP:
            if not engagement["tpe_outcome"] and not engagement["provider_outcome"]:
                await Engagement.update({Engagement.without_news_at: clock.now()}).where(
                    Engagement.id == engagement["id"])
            return
        await _mail_asks(engagement, round_)
        await Engagement.update({Engagement.asks: round_}).where(Engagement.id == engagement["id"])
        await _enqueue_round(engagement["id"], engagement["accepted_at"], round_ + 1)


async def _mail_asks(engagement: dict[str, Any], round_: int) -> None:
    """A fresh single-use link to each side still silent (the previous ask's link stops working)."""
    context = {"trade_name": engagement["trade_name"], "name": engagement["contact_name"], "again": round_ > 1,
               "accepted_at": engagement["accepted_at"], "choices": outcomes.OUTCOMES}
    updates: dict[Any, Any] = {}
    if not engagement["tpe_outcome"] and engagement["contact_email"]:
        token, updates[Engagement.tpe_ask_hash] = links.new_token()
        await mail.send(engagement["contact_email"], "reviews/ou-en-etes-vous",
                        {**context, "link": f"{mail.site_url()}/avis/situation/{token}"})
    if not engagement["provider_outcome"]:
        token, updates[Engagement.provider_ask_hash] = links.new_token()
        await tell_provider(engagement["provider"], "reviews/suite-demande",
                            {**context, "link": f"{mail.site_url()}/avis/situation/{token}"})
    if updates:
        await Engagement.update(updates).where(Engagement.id == engagement["id"])


async def by_ask_link(token: str) -> tuple[dict[str, Any], str]:
    """The engagement an ask link opens, and whose link it is (``TPE`` or ``PROVIDER``)."""
    digest = links.token_hash(token)
    engagement = await Engagement.select(
        Engagement.all_columns(), Engagement.provider.trade_name.as_alias("trade_name")).where(
        (Engagement.tpe_ask_hash == digest) | (Engagement.provider_ask_hash == digest)).first() if digest else None
    if engagement is None:
        raise Gone(token)
    return engagement, TPE if engagement["tpe_ask_hash"] == digest else PROVIDER


async def answer(token: str, outcome: str) -> tuple[str, str]:
    """Record one side's answer and spend its link, in one transaction; the TPE gets its lasting
    review link back. Returns whose answer it was and that review token (or "")."""
    if outcome not in outcomes.OUTCOMES:
        raise ValueError(outcome)
    async with write_transaction(Engagement._meta.db):
        engagement, side = await by_ask_link(token)
        now, review_token = clock.now(), ""
        if side == TPE:
            review_token, review_hash = links.new_token()
            values = {Engagement.tpe_outcome: outcome, Engagement.tpe_answered_at: now, Engagement.tpe_ask_hash: None,
                      Engagement.review_hash: review_hash}
        else:
            values = {Engagement.provider_outcome: outcome, Engagement.provider_answered_at: now,
                      Engagement.provider_ask_hash: None}
        await Engagement.update({**values, Engagement.without_news_at: None}).where(Engagement.id == engagement["id"])
    return side, review_token


async def send_review_link(engagement_id: int) -> bool:
    """Mail the TPE a fresh review link (asked from its follow-up page); the previous one stops
    working. Returns whether there was someone to write to."""
    async with write_transaction(Engagement._meta.db):
        engagement = await Engagement.select(
            Engagement.id, Engagement.contact_email, Engagement.contact_name,
            Engagement.provider.trade_name.as_alias("trade_name")).where(
            (Engagement.id == engagement_id) & (Engagement.contact_email != "")).first()
        if engagement is None:
            return False
        token, digest = links.new_token()
        await Engagement.update({Engagement.review_hash: digest}).where(Engagement.id == engagement["id"])
        await mail.send(engagement["contact_email"], "reviews/lien-avis", {
            "trade_name": engagement["trade_name"], "name": engagement["contact_name"],
            "link": f"{mail.site_url()}/avis/ecrire/{token}"})
    return True


async def of_lead(lead_id: int) -> list[dict[str, Any]]:
    """The follow-ups of a lead (one per provider that accepted it), with each one's review state."""
    rows = await Engagement.select(Engagement.id, Engagement.tpe_outcome, Engagement.contact_email,
                                   Engagement.provider.trade_name.as_alias("trade_name")).where(
        Engagement.lead_id == lead_id).order_by(Engagement.id)
    reviewed = {row["engagement"]: row["state"] for row in await Review.select(Review.engagement, Review.state).where(
        Review.engagement.is_in([row["id"] for row in rows] or [0]))}
    return [{**row, "review": reviewed.get(row["id"], "")} for row in rows]


async def staff_addresses() -> list[str]:
    Account = tables.Account
    return [row["email"] for row in await Account.select(Account.email).where(
        (Account.is_staff == True) & (Account.active == True))]  # noqa: E712 - Piccolo's column comparison
