"""``/compte``: signing in and out, claiming a listing, the account's page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from directory import validation
from directory.accounts import api_tokens, claims, links, listing_addresses, passwords, sessions, users
from directory.accounts.guards import ACCOUNT, ACCOUNTS_STORE, PUBLIC
from directory.platform.store import count_hit
from directory.routes.forms import client_key, listing_or_404, over_limit
from directory.tables import Account

WINDOW = timedelta(minutes=15)
ATTEMPTS_PER_CLIENT = 30  # sign-in attempts from one address, whatever the account
FAILURES_PER_ACCOUNT = 5  # wrong passwords for one account, from anywhere
REFUSED = "Adresse e-mail ou mot de passe incorrect."
TOO_MANY = "Trop de tentatives de connexion. Réessayez dans un quart d'heure."


# What the account page says after a change, by the ``fait`` query parameter of the redirect.
NOTICES = {
    "mot-de-passe": "Votre mot de passe a changé ; vos autres connexions ont pris fin.",
    "adresse": "Votre adresse e-mail a changé.",
    "fiche-retiree": "La fiche est retirée de l'annuaire ; ses données seront effacées dans 30 jours.",
    "jetons-revoques": "Vos jetons d'API sont révoqués : créez-en de nouveaux pour vos outils.",
}
LINKS_PER_CLIENT = 10  # claim or reset links asked from one client per window
LINKS_PER_MAILBOX = 3  # links sent to one listing's or account's address per hour


class SignInForm(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    password: Annotated[str, msgspec.Meta(max_length=256)] = ""


def _failures_key(email: str) -> str:
    """Wrong passwords given for one account, from anywhere (sign-in and password change)."""
    return f"sign-in:account:{email}"


async def _locked(store, email: str) -> bool:  # noqa: ANN001 - a Litestar store
    return int(await store.get(_failures_key(email)) or 0) >= FAILURES_PER_ACCOUNT


def _reset_after_lockout_key(email: str) -> str:
    """A reset asked while the account was locked: its API tokens go with the old password."""
    return f"reset-after-lockout:{email}"


def _form(email: str = "", error: str = "", status_code: int = 200) -> Template:
    return Template(template_name="account/sign_in.html", context={"email": email, "error": error},
                    status_code=status_code)


class EmailForm(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""


class PasswordForm(msgspec.Struct):
    password: Annotated[str, msgspec.Meta(max_length=256)] = ""
    revoke_tokens: Annotated[str, msgspec.Meta(max_length=10)] = ""  # "oui": the reset page's box, checked


class EndSessionsForm(msgspec.Struct):
    session: Annotated[str, msgspec.Meta(max_length=40)] = ""
    revoke_tokens: Annotated[str, msgspec.Meta(max_length=10)] = ""  # "oui": with all the others, the API tokens


class ChangeEmailForm(msgspec.Struct):
    current: Annotated[str, msgspec.Meta(max_length=256)] = ""
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""


class ChangePasswordForm(msgspec.Struct):
    current: Annotated[str, msgspec.Meta(max_length=256)] = ""
    new: Annotated[str, msgspec.Meta(max_length=256)] = ""


async def _home(request: Request, account: dict, error: str = "", status_code: int = 200, sent_to: str = "",
                ) -> Template:
    store = request.app.stores.get(ACCOUNTS_STORE)
    return Template(template_name="account/home.html", status_code=status_code, context={
        "account": account, "providers": await claims.providers_of(account["id"]),
        "sessions": await sessions.listing(account["id"], store), "this_session": sessions.this_session(request),
        "notice": NOTICES.get(request.query_params.get("fait", "")), "error": error, "sent_to": sent_to})


def _claim_page(slug: str, trade_name: str, sent: str | None = None, error: str = "", status_code: int = 200) -> Template:
    return Template(template_name="account/claim.html", status_code=status_code,
                    context={"slug": slug, "trade_name": trade_name, "sent": sent, "error": error})


def _password_page(token: str, email: str = "", error: str = "", status_code: int = 200, joining: str = "",
                   reset: bool = False) -> Template:
    return Template(template_name="account/set_password.html", status_code=status_code,
                    context={"token": token, "email": email, "error": error, "joining": joining, "reset": reset})


class AccountController(Controller):
    path = "/compte"
    include_in_schema = False
    opt = PUBLIC  # the pages of a signed-in account say so one by one

    @get("/connexion", name="sign-in")
    async def sign_in_page(self, request: Request) -> Template | Redirect:
        if await sessions.current_account(request, request.app.stores.get(ACCOUNTS_STORE)):
            return Redirect("/compte")
        return _form()

    @post("/connexion", status_code=200)
    async def sign_in(self, request: Request,
                      data: Annotated[SignInForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        """Sign in: the same answer, after the same work, for an unknown address and a wrong password."""
        store = request.app.stores.get(ACCOUNTS_STORE)
        email = data.email.strip().lower()
        if await over_limit(request, (f"sign-in:{client_key(request)}", ATTEMPTS_PER_CLIENT, WINDOW)) \
                or await _locked(store, email):
            return _form(email, TOO_MANY, 429)
        account = await Account.select(Account.id, Account.password_hash, Account.active).where(
            Account.email == email).first()
        stored = account["password_hash"] if account and account["active"] and account["password_hash"] else None
        matches = passwords.verify(stored or passwords.decoy_hash(), data.password) and stored is not None
        if not matches:
            await count_hit(store, _failures_key(email), WINDOW)
            return _form(email, REFUSED, 400)
        if passwords.needs_rehash(stored):
            await Account.update({Account.password_hash: passwords.hash_password(data.password)}).where(
                Account.id == account["id"])
        await sessions.sign_in(request, account, store)
        return Redirect("/compte", status_code=303)

    @post("/deconnexion", status_code=303, opt=ACCOUNT)
    async def sign_out(self, request: Request) -> Redirect:
        await sessions.sign_out(request, request.app.stores.get(ACCOUNTS_STORE))
        return Redirect("/", status_code=303)

    @get("/", name="account", opt=ACCOUNT)
    async def home(self, request: Request) -> Template:
        return await _home(request, request.state.account)

    @post("/sessions", status_code=303, opt=ACCOUNT)
    async def end_sessions(self, request: Request,
                           data: Annotated[EndSessionsForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Redirect:
        """End one other session, or all the others ("tout"); this one goes on, under a new id."""
        store, account = request.app.stores.get(ACCOUNTS_STORE), request.state.account
        if data.session == "tout":
            await sessions.end_all(account["id"], store)
            await sessions.sign_in(request, account, store)
            if data.revoke_tokens == "oui" and await api_tokens.revoke_all(account["id"]):
                return Redirect("/compte?fait=jetons-revoques", status_code=303)
        elif data.session != sessions.this_session(request):
            await sessions.end(account["id"], {data.session}, store)
        return Redirect("/compte", status_code=303)

    @post("/mot-de-passe", status_code=200, opt=ACCOUNT)
    async def change_password(self, request: Request,
                              data: Annotated[ChangePasswordForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                              ) -> Template | Redirect:
        """A new password, given the current one: every other session ends, this one goes on."""
        store, account = request.app.stores.get(ACCOUNTS_STORE), request.state.account
        if await _locked(store, account["email"]):
            return await _home(request, account, TOO_MANY, 429)
        try:
            await users.change_password(account["id"], data.current, data.new)
        except users.WrongPassword:
            await count_hit(store, _failures_key(account["email"]), WINDOW)
            return await _home(request, account, "Le mot de passe actuel n'est pas le bon.", 400)
        except passwords.WeakPassword as error:
            return await _home(request, account, str(error), 400)
        await sessions.end_all(account["id"], store)
        await sessions.sign_in(request, account, store)
        return Redirect("/compte?fait=mot-de-passe", status_code=303)

    @post("/adresse", status_code=200, opt=ACCOUNT)
    async def change_email(self, request: Request,
                           data: Annotated[ChangeEmailForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                           ) -> Template:
        """Send a confirmation link to the new address; the address changes when it is opened."""
        store, account = request.app.stores.get(ACCOUNTS_STORE), request.state.account
        if await _locked(store, account["email"]) or await over_limit(
                request, (f"email-change:{account['id']}", LINKS_PER_MAILBOX, timedelta(hours=1))):
            return await _home(request, account, TOO_MANY, 429)
        try:
            sent = await users.request_email_change(account["id"], data.current, data.email)
        except users.WrongPassword:
            await count_hit(store, _failures_key(account["email"]), WINDOW)
            return await _home(request, account, "Le mot de passe actuel n'est pas le bon.", 400)
        except validation.InvalidValue as error:
            return await _home(request, account, str(error), 400)
        return await _home(request, account, sent_to=sent)

    @get("/mot-de-passe-oublie", name="forgot-password")
    async def forgot_page(self) -> Template:
        return Template(template_name="account/forgot.html", context={"sent": False, "error": ""})

    @post("/mot-de-passe-oublie", status_code=200)
    async def forgot(self, request: Request,
                     data: Annotated[EmailForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
        """The same answer whether the address has an account or not; rate-limited per client and address."""
        email = data.email.strip().lower()
        if await over_limit(request, (f"reset:{client_key(request)}", LINKS_PER_CLIENT, WINDOW),
                            (f"reset:address:{email}", LINKS_PER_MAILBOX, timedelta(hours=1))):
            return Template(template_name="account/forgot.html", status_code=429,
                            context={"sent": False, "error": "Trop de demandes : réessayez plus tard."})
        store = request.app.stores.get(ACCOUNTS_STORE)
        if await _locked(store, email):
            await store.set(_reset_after_lockout_key(email), "1", expires_in=users.RESET_VALID_FOR)
        await users.request_reset(email, request.app.state.settings.public_url)
        return Template(template_name="account/forgot.html", context={"sent": True, "error": ""})

    @get("/revendiquer/{slug:str}", name="claim")
    async def claim_page(self, slug: FromPath[str]) -> Template:
        return _claim_page(slug, (await listing_or_404(slug))["trade_name"])

    @post("/revendiquer/{slug:str}", status_code=200)
    async def claim(self, request: Request, slug: FromPath[str]) -> Template:
        """Send the listing's own address a link to manage it (rate-limited per client and per listing)."""
        listing = await listing_or_404(slug)
        if await over_limit(request, (f"claim:{client_key(request)}", LINKS_PER_CLIENT, WINDOW),
                            (f"claim:provider:{slug}", LINKS_PER_MAILBOX, timedelta(hours=1))):
            return _claim_page(slug, listing["trade_name"], error="Trop de demandes : réessayez plus tard.",
                               status_code=429)
        masked = await claims.request_claim(listing, request.app.state.settings.public_url)
        return _claim_page(slug, listing["trade_name"], sent=masked)

    @get("/lien/{token:str}", name="account-link")
    async def link_page(self, token: FromPath[str]) -> Template:
        """A link's page: confirm a new address, or choose a password (claim, invitation, reset)."""
        pending = await links.peek(token)
        if pending is None:
            return _password_page(token, error=users.LINK_GONE, status_code=410)
        if pending["purpose"] == links.EMAIL:
            return Template(template_name="account/confirm_email.html", context={"token": token, **pending})
        if pending["purpose"] == links.LISTING_EMAIL:
            return Template(template_name="account/confirm_listing_email.html",
                            context={"token": token, "confirmed": False, **pending})
        return _password_page(token, pending["email"], joining=pending["trade_name"] or "",
                              reset=pending["purpose"] == links.RESET)

    @post("/lien/{token:str}", status_code=200)
    async def use_link(self, request: Request, token: FromPath[str],
                       data: Annotated[PasswordForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        pending = await links.peek(token)
        if pending is not None and pending["purpose"] == links.EMAIL:
            try:
                await users.change_email_from_link(token)
            except (users.LinkGone, validation.InvalidValue) as error:
                return _password_page(token, error=str(error), status_code=410)
            return Redirect("/compte?fait=adresse", status_code=303)
        if pending is not None and pending["purpose"] == links.LISTING_EMAIL:
            try:
                confirmed = await listing_addresses.confirm(token)
            except users.LinkGone as error:
                return _password_page(token, error=str(error), status_code=410)
            return Template(template_name="account/confirm_listing_email.html",
                            context={"confirmed": True, **confirmed})
        store = request.app.stores.get(ACCOUNTS_STORE)
        email = pending["email"] if pending else ""
        # After a lockout, whoever tried the passwords may also hold a token: the box cannot be unchecked.
        compromised = bool(email) and (await _locked(store, email)
                                       or await store.get(_reset_after_lockout_key(email)) is not None)
        try:
            account = await users.set_password_from_link(token, data.password,
                                                         revoke_tokens=data.revoke_tokens == "oui" or compromised)
        except users.LinkGone as error:
            return _password_page(token, error=str(error), status_code=410)
        except passwords.WeakPassword as error:
            return _password_page(token, email, str(error), 400, reset=bool(pending) and pending["purpose"] == links.RESET)
        await store.delete(_reset_after_lockout_key(email))
        await sessions.sign_in(request, account, store)
        return Redirect("/compte?fait=jetons-revoques" if account["tokens_revoked"] else "/compte", status_code=303)
