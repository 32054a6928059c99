"""A listing's public address: a member's new one goes live only once its mailbox confirms it.

The listing's address receives the claim links and, when the provider has no member, its
mail; an address that went live unconfirmed would be one a member could read someone else's
mail through. So a member's new address gets a single-use link (``links.LISTING_EMAIL``) and
the old one stays live until it is opened; a newer request, or clearing the address, cancels
the older one. Staff and imports are trusted: what they set goes live at once.
"""

from __future__ import annotations

from datetime import timedelta

from directory import catalogue, events, history
from directory.accounts import links
from directory.accounts.users import LINK_GONE, LinkGone
from directory.database import write_transaction
from directory.history import Actor
from directory.platform import clock, mail
from directory.records import RecordError
from directory.tables import Account, AccountToken, Provider

VALID_FOR = timedelta(hours=24)
REQUESTS_PER_HOUR = 3  # confirmation mails one listing may send, whoever asks
TOO_MANY = "Trop de demandes de confirmation pour cette fiche : réessayez dans une heure."


def _requests_of(provider_id: int):  # noqa: ANN202 - a Piccolo condition
    return (AccountToken.purpose == links.LISTING_EMAIL) & (AccountToken.provider == provider_id)


async def request_change(provider_id: int, trade_name: str, address: str, actor: Actor) -> None:
    """Send ``address`` a link that makes it the listing's address; call inside the edit's transaction.

    Raises ``RecordError`` (on ``email``) past ``REQUESTS_PER_HOUR``: the link goes to an
    address a member typed, so it must not become a way to flood someone's mailbox.
    """
    recent = await AccountToken.count().where(_requests_of(provider_id)
                                              & (AccountToken.created_at > clock.now() - timedelta(hours=1)))
    if recent >= REQUESTS_PER_HOUR:
        raise RecordError({"email": TOO_MANY})
    await cancel_requests(provider_id)
    token = await links.issue(links.LISTING_EMAIL, address, VALID_FOR, provider_id, sent_by=actor.account_id)
    await mail.send(address, "adresse-fiche", {
        "trade_name": trade_name, "link": f"{mail.site_url()}/compte/lien/{token}",
        "hours": int(VALID_FOR.total_seconds() // 3600)}, provider=provider_id)


async def cancel_requests(provider_id: int) -> None:
    """Cancel the listing's address change waiting for confirmation, if any."""
    await links.revoke(_requests_of(provider_id))


async def unconfirmed(provider_id: int) -> str:
    """The new address waiting for its confirmation ("" when none waits)."""
    waiting = await AccountToken.select(AccountToken.email).where(
        _requests_of(provider_id) & links.outstanding(links.LISTING_EMAIL)).order_by(
        AccountToken.id, ascending=False).first()
    return waiting["email"] if waiting else ""


async def confirm(token: str) -> dict[str, str]:
    """Use a confirmation link: the address it went to becomes the listing's (unless it left).

    Returns the listing's slug, trade name and new address; raises ``LinkGone``.
    """
    async with write_transaction(Provider._meta.db):
        used = await links.consume(token)
        if used is None or used["purpose"] != links.LISTING_EMAIL:
            raise LinkGone(LINK_GONE)
        provider = await Provider.select(Provider.slug, Provider.trade_name, Provider.email, Provider.state).where(
            Provider.id == used["provider"]).first()
        if provider is None or provider["state"] == catalogue.LEFT:
            raise LinkGone(LINK_GONE)
        asker = await Account.select(Account.email).where(Account.id == used["sent_by"]).first()
        actor = Actor(asker["email"] if asker else used["email"], history.WEB, used["sent_by"] if asker else None)
        if provider["email"] != used["email"]:
            await Provider.update({Provider.email: used["email"], Provider.updated_at: clock.now()}).where(
                Provider.id == used["provider"])
            await history.record(used["provider"], actor, {"email": (provider["email"], used["email"])})
            await events.record(events.PROVIDER_SAVED, [provider["slug"]], {"created": False}, actor.label)
    return {"slug": provider["slug"], "trade_name": provider["trade_name"], "email": used["email"]}
