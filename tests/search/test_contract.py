"""The behaviour every search backend promises, checked on each one."""

import pytest

from search import Eq, GeoPoint, In, IndexSettings, Not, Reaches, SearchError, SearchQuery

SETTINGS = IndexSettings(
    searchable=("name", "services", "commune", "description"),
    filterable=("kind", "services", "remote", "_reach_km"),
    facets=("kind", "services"),
    sortable=("completeness",),
    synonyms={"site web": ("site internet",), "site internet": ("site web",), "seo": ("referencement",),
              "referencement": ("seo",)},
    custom_ranking=(("completeness", True),),
    stop_words=frozenset({"je", "mon", "pour", "un", "une", "des", "sur", "le", "la", "de"}),
)
BORDEAUX = GeoPoint(44.8378, -0.5792)
LIBOURNE = GeoPoint(44.9153, -0.2439)  # 28 km from Pixel, 31 from Micro, 76 from Arcachon

DOCUMENTS = [
    {"id": "pixel", "kind": "web_agency", "name": "Agence Pixel", "services": ["Site web", "E-commerce"],
     "commune": "Bordeaux", "description": "Boutiques en ligne pour commerçants.", "remote": True,
     "completeness": 90, "_geo": {"lat": 44.8378, "lng": -0.5792}, "_reach_km": 10},
    {"id": "galet", "kind": "web_agency", "name": "Studio Galet", "services": ["Référencement"],
     "commune": "Mérignac", "description": "Une agence web qui soigne le référencement naturel.", "remote": True,
     "completeness": 80, "_geo": {"lat": 44.8386, "lng": -0.6436}},
    {"id": "micro", "kind": "reseller", "name": "Micro Services Talence", "services": ["Maintenance informatique"],
     "commune": "Talence", "description": "Dépannage et cybersécurité des postes.", "remote": False,
     "completeness": 70, "_geo": {"lat": 44.8080, "lng": -0.5890}, "_reach_km": 80},
    {"id": "lyon", "kind": "web_agency", "name": "Agence Lumen", "services": ["Site web"],
     "commune": "Lyon", "description": "Sites internet pour artisans.", "remote": True,
     "completeness": 60, "_geo": {"lat": 45.7640, "lng": 4.8357}},
    {"id": "arcachon", "kind": "reseller", "name": "Bassin Informatique", "services": ["Maintenance informatique"],
     "commune": "Arcachon", "description": "Le parc informatique des commerces du bassin.", "remote": False,
     "completeness": 50, "_geo": {"lat": 44.6586, "lng": -1.1689}, "_reach_km": 60},
]


@pytest.fixture
async def index(backend):
    await backend.configure(SETTINGS)
    await backend.upsert(DOCUMENTS)
    return backend


async def ids(backend, **query):
    return [hit.id for hit in (await backend.search(SearchQuery(**query))).hits]


async def test_text_search_finds_documents_by_any_searchable_field(index):
    assert await ids(index, text="pixel") == ["pixel"]
    assert await ids(index, text="talence") == ["micro"]
    assert set(await ids(index, text="maintenance informatique")) == {"micro", "arcachon"}


async def test_accents_and_case_do_not_matter(index):
    assert await ids(index, text="CYBERSECURITE") == ["micro"]
    assert await ids(index, text="merignac") == ["galet"]


async def test_the_last_word_is_a_prefix(index):
    assert "galet" in await ids(index, text="referenc")
    assert (await ids(index, text="agence lum"))[0] == "lyon"


async def test_typos_follow_the_one_from_five_two_from_nine_letters_rule(index):
    assert "micro" in await ids(index, text="maintenace informatique")  # 11 letters, one typo
    assert "galet" in await ids(index, text="referencment naturel")  # one typo
    assert "micro" in await ids(index, text="cybersecuirte")  # a swap counts as one typo
    assert await ids(index, text="pixol") == ["pixel"]  # five letters: one typo allowed
    assert await ids(index, text="lumon") == ["lyon"]
    assert await ids(index, text="tlnce xyz") == []  # no typo under five letters, and no word dropped for it


async def test_synonyms_find_the_other_wording(index):
    assert "lyon" in await ids(index, text="site web")  # "Sites internet" in its description
    assert "pixel" in await ids(index, text="site internet")  # "Site web" in its services
    assert "galet" in await ids(index, text="seo")


async def test_stop_words_are_ignored_in_queries(index):
    # Without "un", "pour" and "mon", "dépannage" is the first word, which "last" requires.
    assert await ids(index, text="un dépannage pour mon parc") == ["micro"]
    assert await ids(index, text="pour mon parc informatique", matching="frequency") == ["arcachon"]
    assert await ids(index, text="le référencement") == ["galet"]  # "le" is no longer the required first word


async def test_the_frequency_strategy_leaves_out_words_that_match_nothing(index):
    # "gateaux" and "vendre" match no document: with "last" nothing is found, with "frequency" they are left out.
    assert await ids(index, text="gateaux boutiques") == []
    assert await ids(index, text="gateaux vendre boutiques", matching="frequency") == ["pixel"]
    assert await ids(index, text="gateaux vendre", matching="frequency") == []  # no word matches: nothing


async def test_the_frequency_strategy_drops_the_most_frequent_words_first(index):
    # "informatique" is in three documents, "bassin" in one: the rare word is kept, the frequent one dropped.
    found = await ids(index, text="informatique bassin", matching="frequency")
    assert found == ["arcachon"]
    # Documents that match every word still come first; then those that match the rarer words.
    found = await ids(index, text="talence informatique", matching="frequency")
    assert found[0] == "micro" and set(found) == {"micro"}
    result = await index.search(SearchQuery(text="agence artisans", matching="frequency"))
    assert result.hits[0].id == "lyon"  # both words; "agence" alone would also take the others
    assert result.total == 1  # the rarest word, "artisans", is required


async def test_an_unknown_matching_strategy_is_an_error(index):
    with pytest.raises(SearchError):
        await index.search(SearchQuery(text="agence", matching="sometimes"))


async def test_filters_with_and_or_not_and_booleans(index):
    assert set(await ids(index, filter=Eq("kind", "reseller"))) == {"micro", "arcachon"}
    assert set(await ids(index, filter=In("services", ["E-commerce", "Référencement"]))) == {"pixel", "galet"}
    assert set(await ids(index, filter=Eq("kind", "web_agency") & Not(Eq("services", "Site web")))) == {"galet"}
    assert set(await ids(index, filter=Eq("remote", False) | Eq("services", "E-commerce"))) == {"micro", "arcachon",
                                                                                                  "pixel"}


async def test_facet_counts_follow_the_query(index):
    result = await index.search(SearchQuery(text="agence", facets=("kind", "services")))
    assert result.facets["kind"] == {"web_agency": 3}
    assert result.facets["services"]["Site web"] == 2


async def test_geo_radius_and_nearest_first_with_distances(index):
    result = await index.search(SearchQuery(near=BORDEAUX, radius_km=20, sort="distance"))
    assert [hit.id for hit in result.hits] == ["pixel", "micro", "galet"]
    assert result.total == 3
    distances = [hit.distance_km for hit in result.hits]
    assert distances[0] == pytest.approx(0, abs=0.05)
    assert distances[1] == pytest.approx(3.3, abs=0.2) and distances == sorted(distances)
    assert await ids(index, near=BORDEAUX, radius_km=60, sort="distance", filter=Eq("kind", "reseller")) == [
        "micro", "arcachon"]


async def test_reaches_finds_the_documents_whose_own_radius_covers_the_point(index):
    assert await ids(index, filter=Reaches(LIBOURNE.lat, LIBOURNE.lon)) == ["micro"]  # 80 km covers 31 km
    assert set(await ids(index, filter=Reaches(BORDEAUX.lat, BORDEAUX.lon))) == {"pixel", "micro", "arcachon"}
    assert await ids(index, filter=Reaches(45.75, 4.85)) == []  # Lyon: nobody comes that far, nor has a reach


async def test_reaches_combines_with_other_filters_text_and_distances(index):
    served = Reaches(LIBOURNE.lat, LIBOURNE.lon) | Eq("remote", True)
    assert set(await ids(index, filter=served)) == {"micro", "pixel", "galet", "lyon"}
    assert await ids(index, filter=served & Not(Eq("remote", True))) == ["micro"]
    result = await index.search(SearchQuery(text="maintenance", filter=Reaches(LIBOURNE.lat, LIBOURNE.lon),
                                            near=LIBOURNE, facets=("kind",)))
    assert [hit.id for hit in result.hits] == ["micro"] and result.facets["kind"] == {"reseller": 1}
    assert result.hits[0].distance_km == pytest.approx(30.6, abs=1.5)


async def test_several_queries_at_once_answer_as_each_alone(index):
    served = Reaches(LIBOURNE.lat, LIBOURNE.lon) | Eq("remote", False)
    queries = [SearchQuery(text="informatique", near=LIBOURNE, filter=served, facets=("kind",)),
               SearchQuery(text="informatique", near=LIBOURNE, filter=Eq("remote", True) & Not(served), limit=1),
               SearchQuery(text="agence", sort="distance", near=BORDEAUX, offset=1, limit=1)]
    assert await index.search_many(queries) == [await index.search(query) for query in queries]


async def test_a_reach_follows_updates(index):
    await index.upsert([{**DOCUMENTS[4], "_reach_km": 90}])  # Arcachon now comes to Libourne
    assert set(await ids(index, filter=Reaches(LIBOURNE.lat, LIBOURNE.lon))) == {"micro", "arcachon"}


async def test_with_a_point_a_close_good_match_beats_a_far_equally_good_one(index):
    # Both match "informatique" without typo; Arcachon has it in its name, Talence in its services.
    assert (await ids(index, text="informatique"))[0] == "arcachon"  # no place: the better field wins
    assert await ids(index, text="informatique", near=BORDEAUX) == ["micro", "arcachon"]  # 3 km before 56 km
    assert await ids(index, text="informatique", near=GeoPoint(44.66, -1.17)) == ["arcachon", "micro"]


async def test_sorting_by_distance_keeps_the_documents_that_match_every_word(index):
    assert await ids(index, text="agence web", near=BORDEAUX) == ["pixel", "galet", "lyon"]
    assert await ids(index, text="agence web", near=BORDEAUX, sort="distance") == ["pixel", "galet", "lyon"]
    assert await ids(index, text="maintenance lyon", near=BORDEAUX) == ["micro", "arcachon"]  # "lyon" dropped
    assert await ids(index, text="maintenance lyon", near=BORDEAUX, sort="distance") == []


async def test_distance_sort_without_radius_orders_everything(index):
    assert (await ids(index, near=GeoPoint(45.75, 4.85), sort="distance"))[0] == "lyon"


async def test_pagination_and_total(index):
    first = await index.search(SearchQuery(limit=2, offset=0))
    second = await index.search(SearchQuery(limit=2, offset=2))
    assert first.total == second.total == 5
    assert not {h.id for h in first.hits} & {h.id for h in second.hits}


async def test_ranking_prefers_all_words_fewer_typos_better_fields_then_custom_ranking(index):
    assert (await ids(index, text="agence pixel"))[0] == "pixel"  # both words first, then "agence" alone
    assert (await ids(index, text="agence"))[:2] == ["pixel", "lyon"]  # in the name; completeness breaks the tie
    assert (await ids(index, text="informatique"))[0] == "arcachon"  # in the name beats in the services


async def test_updates_and_deletes_are_visible_at_once(index):
    await index.upsert([{**DOCUMENTS[0], "name": "Agence Colibri"}])
    assert await ids(index, text="colibri") == ["pixel"]
    assert await ids(index, text="pixel") == []
    await index.delete(["pixel", "unknown"])
    assert await ids(index, text="colibri") == []
    assert await index.ids() == {"galet", "micro", "lyon", "arcachon"}


async def test_rebuild_replaces_the_whole_content(index):
    await index.rebuild([DOCUMENTS[1]])
    assert await index.ids() == {"galet"}
    assert await ids(index, text="galet") == ["galet"]


async def test_health_reports_the_engine_and_document_count(index):
    health = await index.health()
    assert health["engine"] == index.name and health["documents"] == 5


async def test_filtering_on_a_field_that_is_not_filterable_is_an_error(index):
    with pytest.raises(SearchError):
        await index.search(SearchQuery(filter=Eq("commune", "Lyon")))


RATED = IndexSettings(
    searchable=("name",),
    filterable=("kind",),
    sortable=("rating",),
    custom_ranking=(("certified", True), ("completeness", True)),
)
RATED_DOCUMENTS = [
    {"id": "alpha", "kind": "web_agency", "name": "Agence web Alpha", "certified": 0, "completeness": 90, "rating": 3.5},
    {"id": "beta", "kind": "web_agency", "name": "Agence web Beta", "certified": 1, "completeness": 10, "rating": 4.8},
    {"id": "gamma", "kind": "web_agency", "name": "Agence web Gamma", "certified": 1, "completeness": 50},
    {"id": "delta", "kind": "reseller", "name": "Agence Delta", "certified": 0, "completeness": 95, "rating": 5.0},
]


@pytest.fixture
async def rated(backend):
    await backend.configure(RATED)
    await backend.upsert(RATED_DOCUMENTS)
    return backend


async def test_custom_ranking_fields_break_ties_in_their_order(rated):
    assert await ids(rated, text="agence") == ["gamma", "beta", "delta", "alpha"]


async def test_a_field_sort_orders_equal_matches_and_puts_documents_without_the_field_last(rated):
    assert await ids(rated, text="agence", sort="rating:desc") == ["delta", "beta", "alpha", "gamma"]
    assert await ids(rated, text="agence", sort="rating:asc") == ["alpha", "beta", "delta", "gamma"]
    assert await ids(rated, sort="rating:desc", limit=2) == ["delta", "beta"]


async def test_a_field_sort_comes_after_the_words_matched(rated):
    # Delta has the best rating but lacks "web": every full match comes first.
    assert await ids(rated, text="agence web", sort="rating:desc") == ["beta", "alpha", "gamma", "delta"]


async def test_only_sortable_fields_sort(rated):
    with pytest.raises(SearchError):
        await rated.search(SearchQuery(sort="completeness:desc"))
