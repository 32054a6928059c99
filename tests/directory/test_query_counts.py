"""The pages people land on read the database in a small, bounded number of queries, however
many providers there are: a query per provider (an N+1) fails here, on both engines."""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

import pytest

from directory.testing import add_providers, provider_row

# Queries per request: what each reads today, with no room for one per provider or per service.
BOUNDS = {
    "/": 3,  # the first providers, their count, their services
    "/prestataires/{slug}": 5,  # the provider, its services, and what plugins add (badges, a section)
    "/recherche?q=site+vitrine&near=33000": 0,  # the search index answers
    "/api/services": 1,
    "/api/providers/{slug}": 2,
    "/api/providers?limit=20": 3,
    "/api/search?q=site&near=33000": 0,
    "/sitemap.xml": 2,
}


# Set inside the block only: the app's background loops (the search follower's report, the
# outbox) started before it and do not see it, so what they write does not count against a page.
_COUNTING: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("counting", default=None)


@contextlib.contextmanager
def counted(engine) -> Iterator[list[str]]:
    """The statements ``engine`` runs for the code inside the block (Piccolo's queries and raw ones
    alike), whatever the app's background tasks run meanwhile."""
    statements: list[str] = []
    run = engine.run_querystring

    async def counting(querystring, in_pool: bool = True):  # noqa: ANN202 - Piccolo's own signature
        if (into := _COUNTING.get()) is not None:
            into.append(str(querystring))
        return await run(querystring, in_pool=in_pool)

    engine.run_querystring = counting
    token = _COUNTING.set(statements)
    try:
        yield statements
    finally:
        _COUNTING.reset(token)
        del engine.run_querystring  # the class's method again


@pytest.fixture
async def many(settings) -> list[str]:
    return await add_providers(*[provider_row(trade_name=f"Agence Numéro {n}", services="site-vitrine;e-commerce;referencement")
                                 for n in range(25)])


@pytest.mark.parametrize("path", list(BOUNDS))
async def test_a_page_reads_the_database_a_bounded_number_of_times(app, client, many, path):
    address = path.format(slug=many[0])
    assert (await client.get(address)).status_code == 200  # warm: what start-up loads lazily is loaded
    with counted(app.state.platform.engine) as statements:
        response = await client.get(address)
    assert response.status_code == 200
    assert len(statements) <= BOUNDS[path], "\n".join(statement[:160] for statement in statements)
