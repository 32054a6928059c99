"""``/api/me``: the account a personal API token acts for (to check a token, and find one's providers)."""

from __future__ import annotations

from litestar import Request, get

from directory import schemas
from directory.accounts import claims
from directory.accounts.guards import ACCOUNT
from directory.problems import problem_responses

BEARER = [{"bearer": []}]


@get("/api/me", summary="Le compte du jeton", tags=["profiles"], opt=ACCOUNT, security=BEARER,
     responses=problem_responses(401))
async def me(request: Request) -> schemas.Me:
    """The account the token acts for and the slugs of the providers it manages."""
    account = request.state.account
    return schemas.Me(account["email"], [row["provider.slug"] for row in await claims.providers_of(account["id"])])
