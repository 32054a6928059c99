"""``/compte/jetons``: a member's personal API tokens, created (shown once) and revoked."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from directory.accounts import api_tokens
from directory.accounts.guards import ACCOUNT
from directory.problems import ProblemError


class TokenForm(msgspec.Struct):
    name: Annotated[str, msgspec.Meta(max_length=100)] = ""


async def _page(request: Request, created: str = "", error: str = "", status_code: int = 200) -> Template:
    return Template(template_name="account/tokens.html", status_code=status_code, context={
        "tokens": await api_tokens.listing(request.state.account["id"]), "created": created, "error": error,
        "prefix": api_tokens.PREFIX})


class ApiTokenController(Controller):
    path = "/compte/jetons"
    include_in_schema = False
    opt = ACCOUNT

    @get("/", name="api-tokens")
    async def page(self, request: Request) -> Template:
        return await _page(request)

    @post("/", status_code=200)
    async def create(self, request: Request,
                     data: Annotated[TokenForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
        """A new token, shown on this page only: it is never shown again."""
        try:
            token = await api_tokens.create(request.state.account["id"], data.name)
        except api_tokens.TooManyTokens as error:
            return await _page(request, error=str(error), status_code=400)
        return await _page(request, created=token)

    @post("/{token_id:int}/revoquer", status_code=303)
    async def revoke(self, request: Request, token_id: FromPath[int]) -> Redirect:
        """Revoke one of one's own live tokens; any other id is unknown here."""
        if not await api_tokens.revoke(request.state.account["id"], token_id):
            raise ProblemError(404, "Vous n'avez pas de jeton actif sous ce numéro.")
        return Redirect("/compte/jetons", status_code=303)
