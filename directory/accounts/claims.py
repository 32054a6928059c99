"""Claiming a listing: the link goes to the address already on the listing, never one typed in.

Whoever opens it controls that mailbox, so it may set the account's password (creating the
account when there is none) and becomes a member of the provider, its owner when it is the
first (``users.set_password_from_link``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from directory import catalogue
from directory.accounts import links
from directory.database import write_transaction
from directory.platform import mail
from directory.tables import Membership, Provider

VALID_FOR = timedelta(hours=24)


@dataclass(frozen=True)
class ClaimSent:
    trade_name: str
    masked_email: str  # "" when the listing has no address to send to


def mask(email: str) -> str:
    """Enough of an address for its owner to recognise it: ``c•••@pixel-gironde.fr``."""
    user, _, domain = email.partition("@")
    return f"{user[:1]}•••@{domain}"


async def request_claim(slug: str, public_url: str) -> ClaimSent | None:
    """Send a claim link to the published listing's own address; None if there is no such listing."""
    provider = await Provider.select(Provider.id, Provider.trade_name, Provider.email).where(
        (Provider.slug == slug) & (Provider.state == catalogue.PUBLISHED)).first()
    if provider is None:
        return None
    if not provider["email"]:
        return ClaimSent(provider["trade_name"], "")
    async with write_transaction(Provider._meta.db):
        token = await links.issue(links.CLAIM, provider["email"], VALID_FOR, provider["id"])
        await mail.send(provider["email"], "revendication", {
            "trade_name": provider["trade_name"], "link": f"{public_url}/compte/lien/{token}",
            "hours": int(VALID_FOR.total_seconds() // 3600)})
    return ClaimSent(provider["trade_name"], mask(provider["email"]))


async def providers_of(account_id: int) -> list[dict[str, Any]]:
    """The providers an account speaks for, with its role."""
    return await Membership.select(Membership.role, Membership.provider.slug, Membership.provider.trade_name).where(
        Membership.account == account_id).order_by(Membership.provider.trade_name)
