"""Single-use links sent by mail: a random token in the link, only its SHA-256 in the database.

A link is consumed in the transaction of the change it allows (``consume`` marks it used and
returns what it was for, or None when it is unknown, used or expired), so it can never serve
twice, even when two requests race.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from directory.platform import clock
from directory.tables import AccountToken

CLAIM = "claim"  # manage a listing: sent to the listing's address
RESET = "reset"  # choose a new password: sent to the account's address
INVITE = "invite"  # join a provider's members: sent to the invited address
EMAIL = "email"  # confirm an account's new address: sent to that address
LISTING_EMAIL = "listing-email"  # confirm a listing's new public address: sent to that address
WELCOME = "welcome"  # open an account that manages no provider (a plugin's own users): sent to its address
JOINS = frozenset({CLAIM, INVITE})  # links that make their holder a member of a provider
CREATES = JOINS | {WELCOME}  # links that open an account when the address has none
SETS_PASSWORD = CREATES | {RESET}  # links whose page asks for a password


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue(purpose: str, email: str, valid_for: timedelta, provider_id: int | None = None,
                account_id: int | None = None, sent_by: int | None = None) -> str:
    """A new link's token, for ``purpose``, sent to ``email``; call inside the change's transaction.

    ``sent_by`` is the account that asked for it on someone else's behalf (an invitation).
    """
    token = secrets.token_urlsafe(32)
    now = clock.now()
    await AccountToken.insert(AccountToken(token_hash=_hash(token), purpose=purpose, email=email, provider=provider_id,
                                           account=account_id, sent_by=sent_by, created_at=now,
                                           expires_at=now + valid_for))
    return token


def outstanding(*purposes: str):  # noqa: ANN201 - a Piccolo condition
    """The links for one of ``purposes`` that are neither used nor expired."""
    return (AccountToken.purpose.is_in(list(purposes)) & AccountToken.used_at.is_null()
            & (AccountToken.expires_at > clock.now()))


async def revoke(condition) -> None:  # noqa: ANN001 - a Piccolo condition
    """Make the outstanding links that match ``condition`` unusable (as if used now)."""
    await AccountToken.update({AccountToken.used_at: clock.now()}).where(
        condition & AccountToken.used_at.is_null())


def _usable(token: str):  # noqa: ANN202 - a Piccolo condition
    return ((AccountToken.token_hash == _hash(token)) & AccountToken.used_at.is_null()
            & (AccountToken.expires_at > clock.now()))


async def peek(token: str) -> dict[str, Any] | None:
    """What a usable link is for (purpose, e-mail, provider, account), without using it."""
    if len(token) > 100:
        return None
    return await AccountToken.select(AccountToken.purpose, AccountToken.email, AccountToken.provider,
                                     AccountToken.account, AccountToken.provider.trade_name.as_alias("trade_name"),
                                     ).where(_usable(token)).first()


async def consume(token: str) -> dict[str, Any] | None:
    """Use the link: what it was for, or None when it is unknown, used or expired."""
    if len(token) > 100:
        return None
    used = await AccountToken.update({AccountToken.used_at: clock.now()}).where(_usable(token)).returning(
        AccountToken.purpose, AccountToken.email, AccountToken.provider, AccountToken.account, AccountToken.sent_by)
    return used[0] if used else None
