"""What a person types for "where" becomes places, a point, or suggestions; never an exception."""

import pytest

from geo import Gazetteer, ServiceArea, distance_km, resolve


@pytest.fixture(scope="module")
def gazetteer():
    return Gazetteer.default()


def test_a_postal_code_resolves_to_its_communes_and_the_largest_ones_point(gazetteer):
    found = resolve(gazetteer, "01400")
    assert found.kind == "postal_code" and found.ambiguous
    assert found.places[0].name == "Châtillon-sur-Chalaronne"
    assert (found.lat, found.lon) == (found.places[0].lat, found.places[0].lon)


def test_a_postal_code_with_a_name_picks_that_commune(gazetteer):
    found = resolve(gazetteer, "01400 Condeissiat")
    assert [p.name for p in found.places] == ["Condeissiat"] and not found.ambiguous


def test_a_postal_code_with_a_name_typed_without_its_article_picks_that_commune(gazetteer):
    found = resolve(gazetteer, "01400 abergement")
    assert [p.name for p in found.places] == ["L'Abergement-Clémenciat"] and not found.ambiguous


def test_coordinates_resolve_to_themselves_and_their_commune(gazetteer):
    found = resolve(gazetteer, "44.8378, -0.5792")
    assert found.kind == "point" and (found.lat, found.lon) == (44.8378, -0.5792)
    assert found.places[0].name == "Bordeaux"


def test_homonyms_are_ambiguous(gazetteer):
    found = resolve(gazetteer, "Saint-Martin")
    assert found.ambiguous and len(found.places) == 5


@pytest.mark.parametrize("label, commune, departement", [
    ("Lorient (56)", "Lorient", "56"), ("Saint-Denis (93)", "Saint-Denis", "93"),
    ("Saint-Denis (974)", "Saint-Denis", "974"), ("Ajaccio (2a)", "Ajaccio", "2A"),
])
def test_a_label_as_places_show_it_names_that_commune(gazetteer, label, commune, departement):
    found = resolve(gazetteer, label)
    assert found.found and not found.ambiguous
    assert (found.places[0].name, found.places[0].departement) == (commune, departement)


def test_a_label_with_another_departement_falls_back_to_the_name(gazetteer):
    found = resolve(gazetteer, "Lorient (13)")
    assert found.found and found.places[0].name == "Lorient"


def test_an_insee_code_resolves(gazetteer):
    assert resolve(gazetteer, "2B033").places[0].name == "Bastia"


@pytest.mark.parametrize("query", ["", "   ", "xqzwv", "99999", "95.0,200.0", "'; DROP TABLE x; --", "é" * 500])
def test_nonsense_resolves_to_nothing_without_raising(gazetteer, query):
    found = resolve(gazetteer, query)
    assert not found.found and found.places == ()


def test_a_misspelt_name_comes_back_with_suggestions(gazetteer):
    found = resolve(gazetteer, "Montpelloer")
    assert not found.found
    assert "Montpellier" in [p.name for p in found.suggestions]


@pytest.mark.parametrize("query", [",", "0", "330", " - ", "b", "12345678"])
def test_what_is_no_place_name_or_postal_code_resolves_to_nothing(gazetteer, query):
    found = resolve(gazetteer, query)
    assert not found.found and found.kind == "unknown" and not found.places


def test_a_partial_postal_code_suggests_the_places_it_starts(gazetteer):
    found = resolve(gazetteer, "330")
    assert found.suggestions and all(any(code.startswith("330") for code in p.postal_codes)
                                     for p in found.suggestions)


@pytest.mark.parametrize("query, name", [("Paris 12e Arrondissement", "Paris 12e Arrondissement"),
                                         ("Marseille 1er Arrondissement", "Marseille 1er Arrondissement"),
                                         ("lyon 3ème arrondissement", "Lyon 3e Arrondissement")])
def test_an_arrondissement_resolves_by_its_own_full_name(gazetteer, query, name):
    assert resolve(gazetteer, query).places[0].name == name


@pytest.mark.parametrize("query, name", [("Kimper", "Quimper"), ("Sin Malo", "Saint-Malo"),
                                         ("Bourg en Bress", "Bourg-en-Bresse"), ("Marseye", "Marseille"),
                                         ("Anjé", "Angers"), ("Monpelier", "Montpellier"), ("Bordo", "Bordeaux")])
def test_a_place_typed_as_it_sounds_is_found(gazetteer, query, name):
    found = resolve(gazetteer, query)
    assert found.found and found.places[0].name == name


# New Caledonian postal codes that La Poste lists and INSEE's list gives to no commune.
NEW_CALEDONIAN_CODES = ["98810", "98830", "98836", "98837", "98838", "98839", "98840", "98860", "98874",
                        "98875", "98876", "98877", "98878", "98883", "98884", "98885", "98890"]


@pytest.mark.parametrize("postal_code", NEW_CALEDONIAN_CODES)
def test_a_new_caledonian_postal_code_resolves_to_a_point_of_new_caledonia(gazetteer, postal_code):
    found = resolve(gazetteer, postal_code)
    assert found.kind == "postal_code" and found.places
    assert all(postal_code in place.postal_codes and place.departement == "988" for place in found.places)
    assert -23 < found.lat < -19.5 and 163.5 < found.lon < 168.2


def test_a_postal_code_wins_over_the_insee_code_it_spells(gazetteer):
    # 98830 is Dumbéa's postal code and Touho's INSEE code: a person typing it means the former.
    assert [p.name for p in resolve(gazetteer, "98830").places] == ["Dumbéa"]
    assert resolve(gazetteer, "98830").kind == "postal_code"


def test_a_shared_district_code_with_a_commune_name_picks_it_article_or_not(gazetteer):
    for query in ("98874 Mont-Dore", "98874 le mont dore"):
        found = resolve(gazetteer, query)
        assert [p.name for p in found.places] == ["Le Mont-Dore"] and not found.ambiguous


def test_a_search_around_a_new_caledonian_code_reaches_the_providers_near_it(gazetteer):
    noumea = resolve(gazetteer, "Nouméa")
    office = ServiceArea(noumea.lat, noumea.lon, "988", radius_km=30, departements=(), on_site=True)
    dumbea, plum, lifou = (resolve(gazetteer, code) for code in ("98836", "98875", "98884"))
    assert office.comes_to(dumbea.lat, dumbea.lon, "988") and office.comes_to(plum.lat, plum.lon, "988")
    assert not office.comes_to(lifou.lat, lifou.lon, "988")
    assert distance_km(noumea.lat, noumea.lon, dumbea.lat, dumbea.lon) < 15
    assert gazetteer.reverse(lifou.lat, lifou.lon).name == "Lifou"
