"""Who speaks for a provider: checking it on every request, inviting colleagues, removing them.

The first member of a provider is its owner (the claimant, or the contact staff invited);
any member may invite colleagues by e-mail and remove members other than the owner, and
anyone but the owner may leave. Staff may act on every provider. An invitation speaks for
the member who sent it: the owner or its sender may cancel it, and it dies when its sender
is removed (or leaves).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar.exceptions import PermissionDeniedException

from directory import catalogue, validation
from directory.accounts import links
from directory.database import write_transaction
from directory.platform import mail
from directory.problems import ProblemError
from directory.tables import AccountToken, Membership, Provider

OWNER, MEMBER = "owner", "member"
INVITE_VALID_FOR = timedelta(days=7)
NOT_YOURS = "Vous ne gérez pas cette fiche."
GONE = "Cette fiche n'existe pas ou a été retirée de l'annuaire."


class MemberError(ValueError):
    """A membership change that is not allowed; ``str()`` says why in French."""


async def provider_for(account: dict[str, Any], slug: str) -> dict[str, Any]:
    """The provider ``slug`` if ``account`` may manage it: 404 when there is none, 403 when not its member."""
    provider = await Provider.select(Provider.id, Provider.slug, Provider.trade_name, Provider.state,
                                     Provider.email).where(Provider.slug == slug).first()
    if provider is None or provider["state"] == catalogue.LEFT:
        raise ProblemError(404, GONE)
    if not account["is_staff"] and not await Membership.exists().where(
            (Membership.provider == provider["id"]) & (Membership.account == account["id"])):
        raise PermissionDeniedException(NOT_YOURS)
    return provider


async def managed_by(account_id: int) -> list[dict[str, Any]]:
    """The slug and trade name of each listing ``account_id`` is a member of (those that left
    excepted), by trade name: a member area's way to a plugin's page about each listing."""
    return await Membership.select(Membership.provider.slug.as_alias("slug"),
                                   Membership.provider.trade_name.as_alias("trade_name")).where(
        (Membership.account == account_id) & (Membership.provider.state != catalogue.LEFT)).order_by(
        Membership.provider.trade_name)


async def listing(provider_id: int) -> list[dict[str, Any]]:
    """The members of a provider with their address and role, first members first."""
    return await Membership.select(Membership.id, Membership.role, Membership.created_at,
                                   Membership.account.email.as_alias("email")).where(
        Membership.provider == provider_id).order_by(Membership.id)


async def addresses(provider_id: int) -> list[str]:
    """Who hears about a provider (decisions, leads): its active members, else the listing's address."""
    members = await Membership.select(Membership.account.email.as_alias("email")).where(
        (Membership.provider == provider_id) & (Membership.account.active == True))
    if members:
        return sorted({member["email"] for member in members})
    listing = await Provider.select(Provider.email).where(Provider.id == provider_id).first()
    return [listing["email"]] if listing and listing["email"] else []


async def tell(provider_id: int, template: str, context: dict[str, Any]) -> list[str]:
    """Mail ``template`` to whoever hears about a provider (``addresses``), as sent for that provider.

    The messages are tied to the provider, not to the addresses, so its data export lists
    them and nothing else that ever went to one of its addresses. Returns the addresses.
    """
    sent_to = await addresses(provider_id)
    for address in sent_to:
        await mail.send(address, template, context, provider=provider_id)
    return sent_to


async def invite(provider: dict[str, Any], email: str, sender: dict[str, Any]) -> str:
    """Send a link that makes ``email`` a member of ``provider`` (its owner if it has none); returns the address.

    ``sender`` is the account inviting: the invitation lasts only as long as it is a member (or staff).
    """
    address = validation.email(email)
    if not address:
        raise validation.InvalidValue("Donnez l'adresse e-mail de la personne à inviter.")
    if await Membership.exists().where((Membership.provider == provider["id"])
                                       & (Membership.account.email == address)):
        raise MemberError("Cette personne gère déjà la fiche.")
    async with write_transaction(Provider._meta.db):
        token = await links.issue(links.INVITE, address, INVITE_VALID_FOR, provider["id"], sent_by=sender["id"])
        await mail.send(address, "invitation", {
            "trade_name": provider["trade_name"], "link": f"{mail.site_url()}/compte/lien/{token}",
            "days": INVITE_VALID_FOR.days}, provider=provider["id"])
    return address


async def invitations(provider_id: int) -> list[dict[str, Any]]:
    """The provider's invitations not yet used nor expired: address, sender, when sent, until when."""
    return await AccountToken.select(AccountToken.id, AccountToken.email, AccountToken.sent_by,
                                     AccountToken.sent_by.email.as_alias("sender"), AccountToken.created_at,
                                     AccountToken.expires_at).where(
        links.outstanding(links.INVITE) & (AccountToken.provider == provider_id)).order_by(AccountToken.id)


async def cancel_invitation(provider_id: int, invitation_id: int, account: dict[str, Any]) -> str:
    """Cancel one of the provider's outstanding invitations; only its owner, its sender or staff may."""
    async with write_transaction(Provider._meta.db):
        invitation = await AccountToken.select(AccountToken.email, AccountToken.sent_by).where(
            links.outstanding(links.INVITE) & (AccountToken.provider == provider_id)
            & (AccountToken.id == invitation_id)).first()
        if invitation is None:
            raise MemberError("Cette invitation a déjà servi, expiré ou été annulée.")
        owner = await Membership.exists().where((Membership.provider == provider_id) & (Membership.role == OWNER)
                                                & (Membership.account == account["id"]))
        if not (account["is_staff"] or owner or invitation["sent_by"] == account["id"]):
            raise PermissionDeniedException("Seuls le responsable de la fiche et l'auteur de l'invitation "
                                            "peuvent l'annuler.")
        await links.revoke(AccountToken.id == invitation_id)
    return invitation["email"]


async def remove(provider_id: int, membership_id: int, account: dict[str, Any]) -> str:
    """Remove a member (or oneself); returns its address. The owner is removed by staff only."""
    async with write_transaction(Provider._meta.db):
        member = await Membership.select(Membership.id, Membership.role, Membership.account,
                                         Membership.account.email.as_alias("email")).where(
            (Membership.id == membership_id) & (Membership.provider == provider_id)).first()
        if member is None:
            raise MemberError("Ce membre ne fait plus partie de la fiche.")
        if member["role"] == OWNER and not account["is_staff"]:
            raise MemberError("Le propriétaire de la fiche ne peut être retiré que par l'équipe du réseau.")
        await Membership.delete().where(Membership.id == membership_id)
        # What it invited on this provider's behalf no longer speaks for anyone here.
        await links.revoke(links.outstanding(links.INVITE) & (AccountToken.provider == provider_id)
                           & (AccountToken.sent_by == member["account"]))
    return member["email"]
