"""Who may call a route: every route says it, and what is not said is refused.

Each route handler (or its controller or router) carries ``opt={"access": …}``: ``public``
(anyone), ``account`` (a signed-in account) or ``staff``. The app's one guard checks it on
every request, before the handler runs, and leaves the signed-in account in
``request.state.account``. A route that says nothing answers 403, and a test lists every route
of the app, plugins' included, and fails on any that says nothing.
"""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from directory.accounts import sessions

ACCESS = "access"
PUBLIC = {ACCESS: "public"}
ACCOUNT = {ACCESS: "account"}
STAFF = {ACCESS: "staff"}
LEVELS = ("public", "account", "staff")
ACCOUNTS_STORE = "accounts"


class SignInRequired(NotAuthorizedException):
    """A page that needs an account, asked without one: pages send people to the sign-in form."""


def declared(handler: BaseRouteHandler) -> str | None:
    """The access a handler declares; Litestar's own routes (the API documents) are public."""
    access = handler.opt.get(ACCESS)
    if access is None and getattr(handler.fn, "__module__", "").startswith("litestar."):
        return "public"
    return access if access in LEVELS else None


async def enforce_access(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    """The app's guard: refuse what a route does not allow, and undeclared routes altogether."""
    access = declared(handler)
    if access == "public":
        return
    if access is None:
        raise PermissionDeniedException("Cette adresse n'est ouverte à personne.")
    account = await sessions.current_account(connection, connection.app.stores.get(ACCOUNTS_STORE))
    if account is None:
        raise SignInRequired("Connectez-vous pour accéder à cette page.")
    if access == "staff" and not account["is_staff"]:
        raise PermissionDeniedException("Cette page est réservée à l'équipe du réseau.")
    connection.state.account = account


def sign_in_first(request, exc: SignInRequired):  # noqa: ANN001, ANN201 - Litestar's exception handler
    """A page asked without an account leads to the sign-in form; anything else gets a 401."""
    from litestar.response import Redirect

    from directory.problems import http_exception_handler

    if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
        return Redirect("/compte/connexion", status_code=303)
    return http_exception_handler(request, exc)
