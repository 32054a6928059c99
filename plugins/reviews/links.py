"""Private links: a random token mailed once, of which only a SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets

MAX_TOKEN = 100  # longer tokens are never ours: refused before hashing


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = secrets.token_urlsafe(32)
    return token, token_hash(token)


def token_hash(token: str) -> str:
    """What is stored of a token; "" (which no row holds) for what cannot be one."""
    return hashlib.sha256(token.encode()).hexdigest() if 0 < len(token) <= MAX_TOKEN else ""

