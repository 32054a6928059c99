"""Personal API tokens: a member's bearer credential for the JSON API, created and revoked by itself.

The token is shown once, at creation; only its SHA-256 is kept, with its first characters
so that its owner can tell tokens apart. A token acts for its account, with the account's
rights, until it is revoked or the account is deactivated.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from directory.platform import clock
from directory.tables import Account, ApiToken

PREFIX = "ce_"
HINT_LENGTH = 10
MAX_PER_ACCOUNT = 20
# How often the last use is written: a busy integration does not write on every call.
LAST_USED_EVERY = timedelta(minutes=5)


class TooManyTokens(ValueError):
    """The account already has ``MAX_PER_ACCOUNT`` live tokens."""


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def create(account_id: int, name: str) -> str:
    """A new token for the account, to show once; ``name`` says what it is for."""
    live = await ApiToken.count().where((ApiToken.account == account_id) & ApiToken.revoked_at.is_null())
    if live >= MAX_PER_ACCOUNT:
        raise TooManyTokens(f"{MAX_PER_ACCOUNT} jetons au plus : révoquez-en un d'abord.")
    token = PREFIX + secrets.token_urlsafe(32)
    await ApiToken.insert(ApiToken(account=account_id, name=name.strip()[:100] or "Jeton", token_hash=_hash(token),
                                   hint=token[:HINT_LENGTH], created_at=clock.now()))
    return token


async def revoke(account_id: int, token_id: int) -> bool:
    """Revoke one of the account's tokens; False when it has no such live token."""
    revoked = await ApiToken.update({ApiToken.revoked_at: clock.now()}).where(
        (ApiToken.id == token_id) & (ApiToken.account == account_id) & ApiToken.revoked_at.is_null(),
    ).returning(ApiToken.id)
    return bool(revoked)


async def revoke_all(account_id: int) -> int:
    """Revoke every live token of the account (a reset after a compromise); returns how many."""
    revoked = await ApiToken.update({ApiToken.revoked_at: clock.now()}).where(
        (ApiToken.account == account_id) & ApiToken.revoked_at.is_null()).returning(ApiToken.id)
    return len(revoked)


async def listing(account_id: int) -> list[dict[str, Any]]:
    """The account's live tokens, newest first (never the token itself)."""
    return await ApiToken.select(ApiToken.id, ApiToken.name, ApiToken.hint, ApiToken.created_at,
                                 ApiToken.last_used_at).where(
        (ApiToken.account == account_id) & ApiToken.revoked_at.is_null()).order_by(ApiToken.id, ascending=False)


async def account_for(token: str) -> dict[str, Any] | None:
    """The active account a live token acts for, or None."""
    if not token.startswith(PREFIX) or len(token) > 100:
        return None
    found = await ApiToken.select(ApiToken.id, ApiToken.last_used_at, ApiToken.account).where(
        (ApiToken.token_hash == _hash(token)) & ApiToken.revoked_at.is_null()).first()
    if found is None:
        return None
    account = await Account.select(Account.id, Account.email, Account.is_staff, Account.active).where(
        Account.id == found["account"]).first()
    if account is None or not account["active"]:
        return None
    now = clock.now()
    if found["last_used_at"] is None or now - found["last_used_at"] > LAST_USED_EVERY:
        await ApiToken.update({ApiToken.last_used_at: now}).where(ApiToken.id == found["id"])
    return account
