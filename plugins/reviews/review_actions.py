"""What people do with a review: the TPE writes, edits or withdraws it, staff publish or refuse it,
the provider answers it once or reports it. One transaction per action, its mail included.

Reviews are moderated before they are published (``PENDING`` until staff decide): a text
naming a person, or written by a competitor through a forwarded link, never shows, even for
an hour. An edit goes back to moderation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from directory.plugin_api import (
    Actor,
    clock,
    in_pieces,
    mail,
    provider_addresses,
    public_url,
    record_history,
    tables,
    tell_provider,
    write_transaction,
)
from plugins.reviews import engagements, links
from plugins.reviews.forms import ReviewInput
from plugins.reviews.tables import (
    PENDING,
    PUBLISHED,
    REFUSED,
    WITHDRAWN,
    Engagement,
    Review,
    ReviewReport,
)

STATES = {PENDING: "En attente de modération", PUBLISHED: "Publié", REFUSED: "Refusé", WITHDRAWN: "Retiré"}
ANSWER_MAX, REASON_MAX = 2000, 1000


class NotAllowed(Exception):
    """The action is refused; its French message says why."""


async def by_review_link(token: str) -> dict[str, Any]:
    """The engagement a TPE's review link opens."""
    digest = links.token_hash(token)
    engagement = await Engagement.select(
        Engagement.all_columns(), Engagement.provider.trade_name.as_alias("trade_name"),
        Engagement.provider.slug.as_alias("slug")).where(Engagement.review_hash == digest).first() if digest else None
    if engagement is None:
        raise engagements.Gone(token)
    return engagement


async def review_of(engagement_id: int) -> dict[str, Any] | None:
    return await Review.select().where(Review.engagement == engagement_id).first()


async def _is_member(provider_id: int, address: str) -> bool:
    """Whether ``address`` speaks for the provider: one of its members, or its listing's address."""
    Membership, Provider = tables.Membership, tables.Provider
    listing = await Provider.select(Provider.email).where(Provider.id == provider_id).first()
    return address in {listing["email"].lower(), *await provider_addresses(provider_id)} or await Membership.exists(
        ).where((Membership.provider == provider_id) & (Membership.account.email == address))


async def write(token: str, review: ReviewInput) -> str:
    """The TPE writes its review, or rewrites it (back to moderation); returns the review's state."""
    async with write_transaction(Review._meta.db):
        engagement = await by_review_link(token)
        if engagement["forgotten_at"] is not None:
            raise NotAllowed("Votre demande a été supprimée : vous pouvez encore retirer votre avis, mais plus le "
                             "modifier.")
        if await _is_member(engagement["provider"], engagement["contact_email"]):
            raise NotAllowed("Votre adresse est celle d'un membre de ce prestataire : vous ne pouvez pas l'évaluer.")
        existing = await review_of(engagement["id"])
        if existing and existing["state"] == WITHDRAWN:
            raise NotAllowed("Vous avez retiré votre avis sur cette demande : il ne peut pas être publié à nouveau.")
        now = clock.now()
        values = {"rating": review.rating, "quality": review.quality, "deadlines": review.deadlines,
                  "price": review.price, "support": review.support, "text": review.text,
                  "worked_on": review.worked_on, "state": PENDING, "edited_at": now, "refusal": ""}
        if existing:
            await Review.update(values).where(Review.id == existing["id"])
        else:
            await Review.insert(Review(engagement=engagement["id"], provider=engagement["provider"], created_at=now,
                                       **values))
        for address in await engagements.staff_addresses():
            await mail.send(address, "reviews/avis-a-moderer", {
                "trade_name": engagement["trade_name"], "link": f"{mail.site_url()}/equipe/avis"})
    return PENDING


async def withdraw(token: str) -> None:
    """The TPE withdraws its review: it leaves the page at once and its text is erased."""
    async with write_transaction(Review._meta.db):
        engagement = await by_review_link(token)
        await Review.update({Review.state: WITHDRAWN, Review.text: "", Review.answer: "",
                             Review.edited_at: clock.now()}).where(Review.engagement == engagement["id"])
        await engagements.shown_changed([engagement["slug"]])


async def moderate(review_id: int, publish: bool, reason: str, staff: dict[str, Any]) -> None:
    """Staff publish a pending or reported review, or refuse it with a reason mailed to its author."""
    reason = reason.strip()[:REASON_MAX]
    if not publish and not reason:
        raise NotAllowed("Donnez le motif du refus : il est envoyé à l'auteur de l'avis.")
    async with write_transaction(Review._meta.db):
        review = await Review.select(
            Review.id, Review.state, Review.published_at, Review.engagement.contact_email.as_alias("email"),
            Review.engagement.contact_name.as_alias("name"), Review.provider.trade_name.as_alias("trade_name"),
            Review.provider.slug.as_alias("slug"), Review.provider.id.as_alias("provider_id")).where(
            (Review.id == review_id) & Review.state.is_in([PENDING, PUBLISHED])).first()
        if review is None:
            raise NotAllowed("Cet avis a été retiré ou déjà refusé.")
        now = clock.now()
        values = {Review.state: PUBLISHED if publish else REFUSED, Review.moderated_by: staff["email"][:254],
                  Review.refusal: "" if publish else reason}
        if publish and review["published_at"] is None:
            values[Review.published_at] = now
        await Review.update(values).where(Review.id == review_id)
        await ReviewReport.update({ReviewReport.resolved_at: now}).where(
            (ReviewReport.review == review_id) & ReviewReport.resolved_at.is_null())
        await engagements.shown_changed([review["slug"]])
        if publish and review["published_at"] is None:
            await tell_provider(review["provider_id"], "reviews/avis-publie", {
                "trade_name": review["trade_name"], "link": f"{mail.site_url()}/compte/avis"})
        if not publish and review["email"]:
            await mail.send(review["email"], "reviews/avis-refuse", {
                "name": review["name"], "trade_name": review["trade_name"], "reason": reason,
                "charter": f"{mail.site_url()}/avis/charte"})


async def ratings_of(slugs: list[str]) -> dict[str, list[int]]:
    """The published ratings of each of the providers ``slugs`` names (one query per piece of the list:
    a rebuild asks for every provider)."""
    ratings: dict[str, list[int]] = {}
    for piece in in_pieces(slugs):
        for row in await Review.select(Review.rating, Review.provider.slug.as_alias("slug")).where(
                Review.provider.slug.is_in(list(piece)) & (Review.state == PUBLISHED)):
            ratings.setdefault(row["slug"], []).append(row["rating"])
    return ratings


async def _published_of_managed(review_id: int, provider_id: int) -> dict[str, Any]:
    review = await Review.select(Review.id, Review.answer, Review.state).where(
        (Review.id == review_id) & (Review.provider == provider_id)).first()
    if review is None or review["state"] != PUBLISHED:
        raise NotAllowed("Cet avis n'est pas publié sur votre fiche.")
    return review


async def answer(review_id: int, provider_id: int, account: dict[str, Any], text: str) -> None:
    """The provider answers a published review publicly, once; its history keeps who did."""
    text = text.replace("\r\n", "\n").strip()
    if not 2 <= len(text) <= ANSWER_MAX or "\x00" in text:
        raise NotAllowed(f"La réponse fait entre 2 et {ANSWER_MAX} caractères.")
    async with write_transaction(Review._meta.db):
        review = await _published_of_managed(review_id, provider_id)
        if review["answer"]:
            raise NotAllowed("Vous avez déjà répondu à cet avis : une seule réponse est possible.")
        await Review.update({Review.answer: text, Review.answered_at: clock.now(),
                             Review.answered_by: account["email"][:254]}).where(Review.id == review_id)
        await record_history(provider_id, Actor.of(account, "web"), {f"avis {review_id} : réponse": ("", text)})


async def report(review_id: int, provider_id: int, account: dict[str, Any], reason: str) -> None:
    """The provider reports a published review to staff (it stays online until they decide)."""
    reason = reason.replace("\r\n", "\n").strip()
    if not 10 <= len(reason) <= REASON_MAX or "\x00" in reason:
        raise NotAllowed(f"Expliquez le problème en 10 à {REASON_MAX} caractères.")
    async with write_transaction(Review._meta.db):
        await _published_of_managed(review_id, provider_id)
        await ReviewReport.insert(ReviewReport(review=review_id, reason=reason, reported_by=account["email"][:254],
                                               created_at=clock.now()))
        await record_history(provider_id, Actor.of(account, "web"), {f"avis {review_id} : signalement": ("", reason)})
        for address in await engagements.staff_addresses():
            await mail.send(address, "reviews/avis-signale", {"link": f"{mail.site_url()}/equipe/avis"})


_SHOWN = (Review.id, Review.rating, Review.quality, Review.deadlines, Review.price, Review.support, Review.text,
          Review.worked_on, Review.published_at, Review.edited_at, Review.answer, Review.answered_at)


async def published(provider_id: int) -> list[dict[str, Any]]:
    """The provider's published reviews, newest first, as its page shows them."""
    return await Review.select(*_SHOWN).where(
        (Review.provider == provider_id) & (Review.state == PUBLISHED)).order_by(Review.published_at, ascending=False)


async def held_for_tpe(engagement: dict[str, Any]) -> dict[str, Any]:
    """What the TPE gave for one accepted request: its contact, its answer, its review (its data export)."""
    review = await Review.select(Review.state, Review.rating, Review.quality, Review.deadlines, Review.price,
                                 Review.support, Review.text, Review.worked_on, Review.created_at, Review.edited_at,
                                 Review.published_at, Review.refusal).where(
        Review.engagement == engagement["id"]).first()
    return {"exported_at": clock.now(), "provider": engagement["trade_name"],
            "contact": {"email": engagement["contact_email"], "name": engagement["contact_name"]},
            "accepted_at": engagement["accepted_at"], "outcome": engagement["tpe_outcome"],
            "outcome_answered_at": engagement["tpe_answered_at"], "review": review}


async def written_by_provider(provider_id: int) -> dict[str, Any]:
    """What the provider's members wrote about reviews (its data export): answers and reports."""
    return {
        "answers": await Review.select(Review.answer, Review.answered_at, Review.answered_by).where(
            (Review.provider == provider_id) & (Review.answer != "")).order_by(Review.id),
        "reports": await ReviewReport.select(ReviewReport.reason, ReviewReport.reported_by, ReviewReport.created_at,
                                             ReviewReport.resolved_at).where(
            ReviewReport.review.provider == provider_id).order_by(ReviewReport.id),
    }


async def published_of_slug(slug: str) -> list[dict[str, Any]]:
    """``published`` for the provider with ``slug``, in one query (a page asks it for each part)."""
    return await Review.select(*_SHOWN).where(
        (Review.provider.slug == slug) & (Review.state == PUBLISHED)).order_by(Review.published_at, ascending=False)


async def pending() -> list[dict[str, Any]]:
    """What staff have to look at: reviews awaiting moderation and published ones reported."""
    reported = {row["review"] for row in await ReviewReport.select(ReviewReport.review).where(
        ReviewReport.resolved_at.is_null())}
    rows = await Review.select(
        Review.all_columns(), Review.provider.trade_name.as_alias("trade_name"),
        Review.provider.slug.as_alias("slug")).where(
        (Review.state == PENDING) | Review.id.is_in(list(reported) or [0])).order_by(Review.edited_at)
    reports = await ReviewReport.select().where(ReviewReport.review.is_in([r["id"] for r in rows] or [0]))
    for row in rows:
        row["url"] = public_url(row["slug"])
        row["reports"] = [r for r in reports if r["review"] == row["id"] and r["resolved_at"] is None]
    return rows


def french_date(day: date) -> str:
    """A date as people in France read it (the review's work date)."""
    return day.strftime("%d/%m/%Y")

