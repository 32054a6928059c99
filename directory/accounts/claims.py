"""Claiming a listing: the link goes to the address already on the listing, never one typed in.

Whoever opens it controls that mailbox, so it may set the account's password (creating the
account when there is none) and becomes a member of the provider, its owner when it is the
first (``users.set_password_from_link``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from directory.accounts import links
from directory.database import write_transaction
from directory.platform import mail
from directory.tables import Membership, Provider

VALID_FOR = timedelta(hours=24)


def mask(email: str) -> str:
    """Enough of an address for its owner to recognise it: ``c•••@pixel-gironde.fr``."""
    user, _, domain = email.partition("@")
    return f"{user[:1]}•••@{domain}"


async def request_claim(listing: dict[str, Any], public_url: str) -> str:
    """Send a claim link to the published ``listing``'s own address (``providers.published_listing``).

    Returns the address as shown to the claimant (masked), or "" when the listing has none.
    """
    if not listing["email"]:
        return ""
    async with write_transaction(Provider._meta.db):
        token = await links.issue(links.CLAIM, listing["email"], VALID_FOR, listing["id"])
        await mail.send(listing["email"], "revendication", {
            "trade_name": listing["trade_name"], "link": f"{public_url}/compte/lien/{token}",
            "hours": int(VALID_FOR.total_seconds() // 3600)}, provider=listing["id"])
    return mask(listing["email"])


async def providers_of(account_id: int) -> list[dict[str, Any]]:
    """The providers an account speaks for, with its role."""
    return await Membership.select(Membership.role, Membership.provider.slug, Membership.provider.trade_name).where(
        Membership.account == account_id).order_by(Membership.provider.trade_name)
