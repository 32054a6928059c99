"""The Meilisearch backend's translation to Meilisearch's documented API, without a server."""

from search import Eq, GeoPoint, In, IndexSettings, Not, Reaches, SearchQuery
from search.meili import (
    counted_words,
    filter_expression,
    multi_search_queries,
    parse_result,
    reach_values,
    search_parameters,
    settings_payload,
    without_unmatched,
)


def test_filters_use_meilisearch_syntax_with_escaped_values():
    assert filter_expression(Eq("kind", "reseller")) == 'kind = "reseller"'
    assert filter_expression(Eq("remote", True)) == "remote = true"
    assert filter_expression(In("services", ["site-vitrine", "e-commerce"])) == \
        'services IN ["site-vitrine", "e-commerce"]'
    assert filter_expression(Eq("kind", "a") & Not(Eq("services", 'x"y\\z'))) == \
        '(kind = "a") AND (NOT (services = "x\\"y\\\\z"))'
    assert filter_expression(Eq("kind", "a") | Eq("kind", "b")) == '(kind = "a") OR (kind = "b")'


def test_settings_put_distance_after_words_and_typos_add_geo_and_follow_the_typo_rule():
    payload = settings_payload(IndexSettings(
        searchable=("name", "description"), filterable=("kind",), facets=("services",), sortable=("completeness",),
        synonyms={"site web": ("site internet",)}, custom_ranking=(("completeness", True),)))
    assert payload["searchableAttributes"] == ["name", "description"]
    assert payload["filterableAttributes"] == ["_geo", "kind", "services"]
    assert payload["sortableAttributes"] == ["_geo", "completeness"]
    assert payload["rankingRules"] == ["words", "typo", "sort", "proximity", "attribute", "exactness",
                                       "completeness:desc"]
    assert payload["synonyms"] == {"site web": ["site internet"]}
    assert payload["typoTolerance"]["minWordSizeForTypos"] == {"oneTypo": 5, "twoTypos": 9}


def test_search_parameters_for_a_geolocated_filtered_faceted_page():
    params = search_parameters(SearchQuery(
        text="agence web", filter=Eq("kind", "web_agency"), near=GeoPoint(44.84, -0.58), radius_km=30,
        facets=("kind", "services"), sort="distance", offset=40, limit=20))
    assert params == {
        "filter": '(kind = "web_agency") AND (_geoRadius(44.84, -0.58, 30000))',
        "facets": ["kind", "services"],
        "sort": ["_geoPoint(44.84, -0.58):asc"],
        "matchingStrategy": "all",
        "hitsPerPage": 20,
        "page": 3,
    }
    relevance = search_parameters(SearchQuery(text="agence", near=GeoPoint(44.84, -0.58)))
    assert relevance["sort"] == ["_geoPoint(44.84, -0.58):asc"] and "matchingStrategy" not in relevance


def test_a_multi_search_sends_each_query_with_its_text_to_the_index():
    here = GeoPoint(44.84, -0.58)
    served = Reaches(here.lat, here.lon)
    queries = [SearchQuery(text="agence", filter=served, near=here),
               SearchQuery(text="agence", filter=Eq("remote", True) & Not(served), near=here, limit=5)]
    assert multi_search_queries("providers", queries, [30.0]) == [
        {"indexUid": "providers", "q": "agence", **search_parameters(query, [30.0])} for query in queries]
    assert multi_search_queries("providers", queries, [30.0])[1]["filter"] == \
        '(remote = true) AND (NOT ((_reach_km = 30.0 AND _geoRadius(44.84, -0.58, 30000))))'


def test_relevance_order_keeps_the_radius_and_ranks_distance_after_words_and_typos():
    params = search_parameters(SearchQuery(near=GeoPoint(44.84, -0.58), radius_km=5, sort="relevance"))
    assert params["filter"] == "_geoRadius(44.84, -0.58, 5000)"
    assert params["sort"] == ["_geoPoint(44.84, -0.58):asc"] and "matchingStrategy" not in params


def test_parse_result_reads_hits_distances_totals_and_facets():
    answer = {
        "hits": [
            {"id": "pixel", "name": "Agence Pixel", "_geo": {"lat": 44.84, "lng": -0.58}, "_geoDistance": 1234},
            {"id": "galet", "name": "Studio Galet", "_geo": {"lat": 44.83, "lng": -0.64}},
        ],
        "query": "agence", "processingTimeMs": 1, "hitsPerPage": 20, "page": 1, "totalPages": 1, "totalHits": 2,
        "facetDistribution": {"kind": {"web_agency": 2}},
    }
    result = parse_result(answer, SearchQuery(near=GeoPoint(44.84, -0.58)), distance_km=lambda *args: 4.9)
    assert [h.id for h in result.hits] == ["pixel", "galet"]
    assert result.hits[0].distance_km == 1.234 and "_geoDistance" not in result.hits[0].document
    assert result.hits[1].distance_km == 4.9
    assert (result.total, result.facets) == (2, {"kind": {"web_agency": 2}})


def test_parse_result_with_an_estimated_total():
    result = parse_result({"hits": [], "estimatedTotalHits": 7, "limit": 3, "offset": 1}, SearchQuery())
    assert result.total == 7 and result.facets == {}


def test_a_reach_is_one_exact_geo_clause_per_distinct_radius_indexed():
    served = Reaches(44.92, -0.24) | Eq("remote", True)
    assert filter_expression(served, reaches=[10, 80]) == (
        "((_reach_km = 10 AND _geoRadius(44.92, -0.24, 10000)) OR (_reach_km = 80 AND _geoRadius(44.92, -0.24, 80000)))"
        " OR (remote = true)")
    assert filter_expression(Reaches(44.92, -0.24)) == "_reach_km < 0"  # no reach indexed: nothing matches


def test_the_distinct_reaches_come_from_a_facet_distribution():
    assert reach_values({"_reach_km": {"80": 3, "10": 1, "12.5": 2}}) == [10, 12.5, 80]
    assert reach_values({}) == []


def test_every_custom_ranking_field_becomes_a_rule_in_order_and_a_field_sort_comes_before_the_distance():
    payload = settings_payload(IndexSettings(
        searchable=("name",), sortable=("rating",), custom_ranking=(("certified", True), ("completeness", False))))
    assert payload["rankingRules"][-2:] == ["certified:desc", "completeness:asc"]
    assert payload["sortableAttributes"] == ["_geo", "rating"]
    assert search_parameters(SearchQuery(sort="rating:desc"))["sort"] == ["rating:desc"]
    near = search_parameters(SearchQuery(sort="rating:asc", near=GeoPoint(44.84, -0.58)))
    assert near["sort"] == ["rating:asc", "_geoPoint(44.84, -0.58):asc"] and "matchingStrategy" not in near


def test_stop_words_and_the_matching_strategy_are_sent():
    payload = settings_payload(IndexSettings(searchable=("name",), stop_words=frozenset({"le", "de"})))
    assert payload["stopWords"] == ["de", "le"]
    assert search_parameters(SearchQuery(text="vendre en ligne", matching="frequency"))["matchingStrategy"] == \
        "frequency"
    assert "matchingStrategy" not in search_parameters(SearchQuery(text="vendre en ligne"))
    # Sorting by distance keeps the documents that match every word, whatever the strategy.
    assert search_parameters(SearchQuery(text="site", matching="frequency", near=GeoPoint(44.84, -0.58),
                                         sort="distance"))["matchingStrategy"] == "all"


def test_words_that_match_no_document_are_left_out_before_meilisearch_drops_the_frequent_ones():
    query = SearchQuery(text="je veux vendre mes gateaux", matching="frequency")
    words = counted_words(query, frozenset({"je", "mes"}))
    assert words == ["veux", "vendre", "gateaux"]
    assert without_unmatched(query, words, [0, 12, 0]).text == "vendre"
    assert without_unmatched(query, words, [0, 0, 0]) is None  # nothing matches: nothing is asked
    assert without_unmatched(query, words, [3, 12, 1]) is query
    # Other strategies and one-word texts ask for no count.
    assert counted_words(SearchQuery(text="vendre gateaux"), frozenset()) == []
    assert counted_words(SearchQuery(text="gateaux", matching="frequency"), frozenset()) == []
