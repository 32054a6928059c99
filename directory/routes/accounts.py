"""``/compte``: signing in and out (the account pages grow from here)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from directory.accounts import passwords, sessions
from directory.platform.store import count_hit
from directory.tables import Account

ACCOUNTS_STORE = "accounts"
WINDOW = timedelta(minutes=15)
ATTEMPTS_PER_CLIENT = 30  # sign-in attempts from one address, whatever the account
FAILURES_PER_ACCOUNT = 5  # wrong passwords for one account, from anywhere
REFUSED = "Adresse e-mail ou mot de passe incorrect."
TOO_MANY = "Trop de tentatives de connexion. Réessayez dans un quart d'heure."


class SignInForm(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""
    password: Annotated[str, msgspec.Meta(max_length=256)] = ""


def _form(email: str = "", error: str = "", status_code: int = 200) -> Template:
    return Template(template_name="account/sign_in.html", context={"email": email, "error": error},
                    status_code=status_code)


class AccountController(Controller):
    path = "/compte"
    include_in_schema = False

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
        client = request.client.host if request.client else "unknown"
        if await count_hit(store, f"sign-in:client:{client}", WINDOW) > ATTEMPTS_PER_CLIENT:
            return _form(email, TOO_MANY, 429)
        failures_key = f"sign-in:account:{email}"
        if int(await store.get(failures_key) or 0) >= FAILURES_PER_ACCOUNT:
            return _form(email, TOO_MANY, 429)
        account = await Account.select(Account.id, Account.password_hash, Account.active).where(
            Account.email == email).first()
        stored = account["password_hash"] if account and account["active"] and account["password_hash"] else None
        matches = passwords.verify(stored or passwords.DECOY_HASH, data.password) and stored is not None
        if not matches:
            await count_hit(store, failures_key, WINDOW)
            return _form(email, REFUSED, 400)
        if passwords.needs_rehash(stored):
            await Account.update({Account.password_hash: passwords.hash_password(data.password)}).where(
                Account.id == account["id"])
        await sessions.sign_in(request, account, store)
        return Redirect("/compte", status_code=303)

    @post("/deconnexion", status_code=303)
    async def sign_out(self, request: Request) -> Redirect:
        await sessions.sign_out(request, request.app.stores.get(ACCOUNTS_STORE))
        return Redirect("/", status_code=303)

    @get("/", name="account")
    async def home(self, request: Request) -> Template | Redirect:
        account = await sessions.current_account(request, request.app.stores.get(ACCOUNTS_STORE))
        if account is None:
            return Redirect("/compte/connexion")
        return Template(template_name="account/home.html", context={"account": account})
