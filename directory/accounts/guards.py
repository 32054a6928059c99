"""Who may call a route: every route says it, and what is not said is refused.

Each route handler (or its controller or router) carries ``opt={"access": …}``: ``public``
(anyone), ``account`` (a signed-in account: by its session on pages, by a personal API token
under ``/api/``) or ``staff``. ``AccessMiddleware`` checks it on
every request, after routing and before the handler, and leaves the signed-in account in
``request.state.account``. A route that says nothing answers 403, and a test lists every route
of the app, plugins' included, and fails on any that says nothing. (A middleware rather than a
Litestar guard: guards receive a copy of the handler on every request, which cost more than
the rest of a small request.)
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.types import ASGIApp, Receive, Scope, Send

from directory.accounts import api_tokens, sessions

ACCESS = "access"
PUBLIC = {ACCESS: "public"}
ACCOUNT = {ACCESS: "account"}
STAFF = {ACCESS: "staff"}
LEVELS = ("public", "account", "staff")
ACCOUNTS_STORE = "accounts"
API_PATH = "/api/"  # where an account is named by a bearer token, elsewhere by the session cookie


class SignInRequired(NotAuthorizedException):
    """A page that needs an account, asked without one: pages send people to the sign-in form."""


def declared(handler: BaseRouteHandler) -> str | None:
    """The access a handler declares; Litestar's own routes (the API documents) are public."""
    access = handler.opt.get(ACCESS)
    if access is None and getattr(handler.fn, "__module__", "").startswith("litestar."):
        return "public"
    return access if access in LEVELS else None


class AccessMiddleware:
    """Refuse what a route does not allow, and undeclared routes altogether."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        access = declared(scope["route_handler"]) if scope["type"] == "http" else "public"
        if access != "public":
            await self._check(access, ASGIConnection(scope, receive=receive, send=send))
        await self.app(scope, receive, send)

    @staticmethod
    async def _check(access: str | None, connection: ASGIConnection) -> None:
        if access is None:
            raise PermissionDeniedException("Cette adresse n'est ouverte à personne.")
        if connection.url.path.startswith(API_PATH):
            account = await _bearer_account(connection)
            if account is None:
                raise NotAuthorizedException("Donnez un jeton d'API valide : « Authorization: Bearer … ».",
                                             headers={"WWW-Authenticate": 'Bearer realm="channel-expert"'})
        else:
            account = await sessions.current_account(connection, connection.app.stores.get(ACCOUNTS_STORE))
        if account is None:
            raise SignInRequired("Connectez-vous pour accéder à cette page.")
        if access == "staff" and not account["is_staff"]:
            raise PermissionDeniedException("Cette page est réservée à l'équipe du réseau.")
        connection.state.account = account


async def signed_in(connection: ASGIConnection) -> dict[str, Any] | None:
    """The account signed in through the session cookie, on any page, public ones included
    (a plugin may adapt a public page to its own kind of user); None when signed out."""
    return getattr(connection.state, "account", None) or await sessions.current_account(
        connection, connection.app.stores.get(ACCOUNTS_STORE))


async def _bearer_account(connection: ASGIConnection):  # noqa: ANN202 - an account row or None
    """The account of the request's personal API token: the API never reads the session cookie,
    so a page of another site cannot make a signed-in browser call it (the API has no CSRF token)."""
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    return await api_tokens.account_for(token.strip()) if scheme.lower() == "bearer" else None


def sign_in_first(request, exc: SignInRequired):  # noqa: ANN001, ANN201 - Litestar's exception handler
    """A page asked without an account leads to the sign-in form; anything else gets a 401."""
    from litestar.response import Redirect

    from directory.problems import http_exception_handler

    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        return Redirect("/compte/connexion", status_code=303)
    return http_exception_handler(request, exc)
