"""Fields other plugins add to the search: searchable, filterable, facets, sortable, ranked, returned."""

from __future__ import annotations

import pytest

from directory.app import create_app
from directory.plugin_api import hookimpl
from directory.plugin_manager import get_plugin_manager
from directory.testing import add_providers, provider_row, serve
from plugins.geosearch.fields import FieldError, collect, index_settings

RATINGS = {"pixel-gironde-bordeaux": 4.2, "studio-galet-bordeaux": 4.9}


class Badges:
    """A certification plugin: who is certified, a rating, and the badge's words."""

    @hookimpl
    def provider_document(self, provider, document):
        certified = provider.slug in RATINGS
        document["badges"] = ["certifie-2026"] if certified else []
        document["certified"] = 1 if certified else 0
        document["badge_text"] = "Certifié Channel Expert" if certified else ""
        if certified:
            document["rating"] = RATINGS[provider.slug]

    @hookimpl
    def search_fields(self, register):
        register("badges", filterable=True, facet=True, returned=True)
        register("certified", rank="desc", rank_order=10)
        register("rating", sortable=True, returned=True)
        register("badge_text", searchable=True)


@pytest.fixture
async def agencies(settings):
    return await add_providers(
        provider_row(trade_name="Pixel Gironde"),
        provider_row(trade_name="Studio Galet"),
        provider_row(trade_name="Atelier Garonne"),
        provider_row(trade_name="Agence Lune"),
    )


@pytest.fixture
def badges(settings):
    manager = get_plugin_manager(settings)
    manager.unregister(name="plugins.badges")  # this test's plugin stands in for the built-in one
    manager.unregister(name="plugins.reviews")  # and is the only one to add search fields
    manager.register(Badges(), name="badges")
    return manager


async def test_a_plugin_field_filters_counts_and_comes_back_with_each_hit(settings, agencies, badges):
    async with serve(create_app(settings, badges)) as client:
        found = (await client.get("/api/search", params={"filter": "badges:certifie-2026"})).json()
        assert {hit["slug"] for hit in found["hits"]} == set(RATINGS)
        assert found["facets"]["badges"] == {"certifie-2026": 2}
        pixel = next(hit for hit in found["hits"] if hit["slug"] == "pixel-gironde-bordeaux")
        assert pixel["fields"] == {"badges": ["certifie-2026"], "rating": 4.2}


async def test_a_ranking_contribution_puts_certified_providers_first_among_equals(settings, agencies, badges):
    async with serve(create_app(settings, badges)) as client:
        found = (await client.get("/api/search", params={"q": "sites vitrines"})).json()
    slugs = [hit["slug"] for hit in found["hits"]]
    assert set(slugs[:2]) == set(RATINGS) and len(slugs) == 4


async def test_a_sortable_plugin_field_orders_and_a_searchable_one_is_found(settings, agencies, badges):
    async with serve(create_app(settings, badges)) as client:
        rated = (await client.get("/api/search", params={"sort": "rating:desc"})).json()
        assert [hit["slug"] for hit in rated["hits"]][:2] == ["studio-galet-bordeaux", "pixel-gironde-bordeaux"]
        worded = (await client.get("/api/search", params={"q": "certifié"})).json()
        assert {hit["slug"] for hit in worded["hits"]} == set(RATINGS)


async def test_unknown_plugin_criteria_are_a_clear_400(settings, agencies, badges):
    async with serve(create_app(settings, badges)) as client:
        unknown = await client.get("/api/search", params={"filter": "couleur:bleu"})
        assert unknown.status_code == 400
        assert "« couleur » n'est pas un critère de recherche : badges." in unknown.json()["detail"]
        bad_sort = await client.get("/api/search", params={"sort": "badges:desc"})
        assert bad_sort.status_code == 400 and "rating:desc" in bad_sort.json()["detail"]
        malformed = await client.get("/api/search", params={"filter": "pas de deux-points"})
        assert malformed.status_code == 400


def test_a_plugin_cannot_take_a_field_of_the_directory_or_of_another_plugin(settings):
    class Thief:
        @hookimpl
        def search_fields(self, register):
            register("kind", filterable=True)

    manager = get_plugin_manager(settings)
    manager.register(Thief(), name="thief")
    with pytest.raises(FieldError, match="thief's search field 'kind' is already the search plugin's"):
        collect(manager)


def test_plugin_fields_extend_the_index_settings_both_engines_read(settings, badges):
    built = index_settings(collect(badges))
    assert built.custom_ranking == (("certified", True), ("completeness", True))
    assert built.searchable[-1] == "badge_text" and "badges" in built.filterable and "badges" in built.facets
    assert "rating" in built.sortable
