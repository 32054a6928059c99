"""The pages people land on read the database in a small, bounded number of queries, however
many providers there are: a query per provider (an N+1) fails here, on both engines."""

from __future__ import annotations

import pytest

from directory.testing import add_providers, provider_row
from tests.statements import counted

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
