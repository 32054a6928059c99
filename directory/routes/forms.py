"""What the public forms and sign-in share: the listing a form is about, and rate limits.

Limits are counted in the store every process shares (the database, or Redis), per client
address or per target (an account, a listing, a mailbox), in fixed windows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request

from directory import providers
from directory.accounts.guards import ACCOUNTS_STORE
from directory.platform.store import count_hit
from directory.problems import ProblemError

NOT_PUBLISHED = "Ce prestataire n'existe pas ou n'est plus publié."
CSRF_COOKIE = "ce_csrf"  # the forms' CSRF token, with the session the only cookies the site sets


async def listing_or_404(slug: str) -> dict[str, Any]:
    """The published listing a page or form is about (id, trade name, e-mail), or a 404."""
    listing = await providers.published_listing(slug)
    if listing is None:
        raise ProblemError(404, NOT_PUBLISHED)
    return listing


def client_key(request: Request) -> str:
    """The rate limits' key for the client: the address that connects, or the one a trusted proxy
    forwards (``CHANNEL_EXPERT_TRUSTED_PROXIES``); never a header anyone else can set."""
    return f"client:{request.client.host if request.client else 'unknown'}"


async def over_limit(request: Request, *limits: tuple[str, int, timedelta]) -> bool:
    """Count one hit on each ``(key, limit, window)``; True as soon as one is over its limit."""
    store = request.app.stores.get(ACCOUNTS_STORE)
    for key, limit, window in limits:
        if await count_hit(store, key, window) > limit:
            return True
    return False
