"""Sign-in sessions: server-side, in the shared store, renewed at sign-in, killed when they must be.

Litestar's server-side session middleware keeps the data in the store (the database, or
Redis) under a random id that only the ``HttpOnly``, ``SameSite=Lax`` cookie carries
(``Secure`` when the site is served over https). Three things it does not do are done here:

- a new id at sign-in (session fixation): the old id's data is deleted, a new id is issued;
- no session for anonymous visitors: an empty session is neither stored nor given a cookie;
- death: a session ends after ``IDLE`` without a request, after ``ABSOLUTE`` in any case, when
  its account changes password (sessions signed in before are refused), is deactivated, or
  ends all its sessions; the account's sessions are listed in the store for that.
The JSON API never reads the session cookie (it will take bearer tokens), so it is left out.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import msgspec
from litestar import Request
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import NamespacedStore
from litestar.types import Empty

from directory.platform import clock
from directory.settings import Settings
from directory.tables import Account

COOKIE = "ce_session"
IDLE = timedelta(hours=8)
ABSOLUTE = timedelta(days=7)
STORE_NAME = "sessions"
_ROTATE = "channel_expert.rotate_session"
_NEW_ID = "channel_expert.new_session_id"


class _Backend(ServerSideSessionBackend):
    def get_session_id(self, connection) -> str:  # noqa: ANN001 - Litestar's signature
        return connection.scope.get(_NEW_ID) or super().get_session_id(connection)

    async def store_in_message(self, scope_session, message, connection) -> None:
        had_cookie = bool(connection.cookies.get(self.config.key))
        if not scope_session and scope_session is not Empty and not had_cookie:
            return  # an anonymous visitor: nothing to keep, no cookie
        if connection.scope.get(_ROTATE) and scope_session:
            if had_cookie:
                await self.delete(connection.cookies[self.config.key], self.config.get_store_from_app(
                    connection.scope["app"]))
            connection.scope[_NEW_ID] = self.generate_session_id()
        await super().store_in_message(scope_session or Empty, message, connection)


class _Config(ServerSideSessionConfig):
    _backend_class = _Backend


def session_config(settings: Settings) -> ServerSideSessionConfig:
    return _Config(
        # No renew_on_access: every response of a session stores it again with a new max_age,
        # which is the idle limit already; renewing on read too would write twice per request.
        key=COOKIE, max_age=int(IDLE.total_seconds()), httponly=True, samesite="lax",
        secure=settings.served_over_https, store=STORE_NAME,
        exclude=["^/api/", "^/static/", "^/health", "^/schema"],
    )


class SessionInfo(msgspec.Struct):
    """What the account's list of sessions says of each, to show and to end them."""

    signed_in_at: datetime
    client: str
    user_agent: str


def _index_key(account_id: int) -> str:
    return f"account-sessions:{account_id}"


def _alive_key(account_id: int, started: str) -> str:
    return f"session-alive:{account_id}:{started}"


def _since_key(account_id: int) -> str:
    return f"sessions-valid-from:{account_id}"


async def _index(store: NamespacedStore, account_id: int) -> dict[str, SessionInfo]:
    raw = await store.get(_index_key(account_id))
    return msgspec.json.decode(raw, type=dict[str, SessionInfo]) if raw else {}


async def sign_in(request: Request, account: dict[str, Any], store: NamespacedStore) -> None:
    """Start a session for ``account`` under a new id, and list it among the account's sessions."""
    now = clock.now()
    request.scope[_ROTATE] = True
    request.set_session({"account_id": account["id"], "signed_in_at": now.isoformat()})
    # The session lives while its own key does (one atomic write: two sign-ins at once never
    # lose one). The list, read then written, only shows the sessions; a race may hide one there.
    await store.set(_alive_key(account["id"], now.isoformat()), b"1", expires_in=ABSOLUTE)
    sessions = await _index(store, account["id"])
    sessions[now.isoformat()] = SessionInfo(now, request.client.host if request.client else "",
                                            request.headers.get("user-agent", "")[:200])
    cutoff = now - ABSOLUTE
    live = {key: info for key, info in sessions.items() if info.signed_in_at > cutoff}
    await store.set(_index_key(account["id"]), msgspec.json.encode(live), expires_in=ABSOLUTE)


async def sign_out(request: Request, store: NamespacedStore) -> None:
    """End this session: its data is deleted and the browser's cookie expires."""
    account_id, started = request.session.get("account_id"), request.session.get("signed_in_at")
    if account_id is not None:
        await end(account_id, {started}, store)
    request.clear_session()


async def end_all(account_id: int, store: NamespacedStore) -> None:
    """End every session of the account opened until now (a password change, a stolen laptop)."""
    await store.set(_since_key(account_id), clock.now().isoformat().encode(), expires_in=ABSOLUTE)
    await store.delete(_index_key(account_id))


async def listing(account_id: int, store: NamespacedStore) -> list[tuple[str, SessionInfo]]:
    """The account's live sessions, newest first, each with the key that ends it."""
    cutoff = clock.now() - ABSOLUTE
    sessions = await _index(store, account_id)
    return sorted(((key, info) for key, info in sessions.items() if info.signed_in_at > cutoff),
                  key=lambda item: item[1].signed_in_at, reverse=True)


async def end(account_id: int, keys: set[str], store: NamespacedStore) -> None:
    """End these sessions of the account (their next request finds them signed out)."""
    for key in keys:
        await store.delete(_alive_key(account_id, key))
    sessions = await _index(store, account_id)
    kept = {key: info for key, info in sessions.items() if key not in keys}
    await store.set(_index_key(account_id), msgspec.json.encode(kept), expires_in=ABSOLUTE)


def this_session(request: Request) -> str:
    """The key of the session making the request."""
    return request.session.get("signed_in_at", "")


async def current_account(request: Request, store: NamespacedStore) -> dict[str, Any] | None:
    """The signed-in account, or None: no session, a session too old, or one the account ended.

    A session lives while its own key does (``end`` deletes it) and if it began after the
    account last ended all its sessions (``end_all``).
    """
    account_id, started = request.session.get("account_id"), request.session.get("signed_in_at")
    if account_id is None or started is None:
        return None
    signed_in_at = datetime.fromisoformat(started)
    since = await store.get(_since_key(account_id))
    if clock.now() - signed_in_at > ABSOLUTE or not await store.get(_alive_key(account_id, started)) \
            or (since and signed_in_at < datetime.fromisoformat(since.decode())):
        request.clear_session()
        return None
    account = await Account.select(Account.id, Account.email, Account.is_staff, Account.active,
                                   Account.password_changed_at).where(Account.id == account_id).first()
    changed = account and account["password_changed_at"]
    if account is None or not account["active"] or (changed and changed > signed_in_at):
        request.clear_session()
        return None
    return account
