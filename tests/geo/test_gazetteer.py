"""The offline gazetteer: real places, found by INSEE code and postal code."""

import pytest

from geo import Gazetteer


@pytest.fixture(scope="module")
def gazetteer():
    return Gazetteer.default()


def test_every_commune_has_a_point_in_france_or_overseas(gazetteer):
    places = gazetteer.places()
    assert len(places) > 34_000
    for place in places:
        assert -22 < place.lat < 51.2 and -62 < place.lon < 56, place


def test_paris_lyon_and_marseille_come_as_arrondissements(gazetteer):
    assert gazetteer.commune("75056") is None
    assert gazetteer.commune("75115").name == "Paris 15e Arrondissement"
    assert gazetteer.postal_code("69003")[0].insee_code == "69383"
    assert gazetteer.commune("13201").departement == "13"


def test_corsica_and_overseas_departements(gazetteer):
    ajaccio = gazetteer.commune("2a004")
    assert (ajaccio.name, ajaccio.departement, ajaccio.region_name) == ("Ajaccio", "2A", "Corse")
    saint_denis = gazetteer.postal_code("97400")[0]
    assert (saint_denis.name, saint_denis.departement_name) == ("Saint-Denis", "La Réunion")
    assert len(gazetteer.regions()) == 18 and len(gazetteer.departements()) == 101


def test_a_postal_code_shared_by_several_communes_lists_them_largest_first(gazetteer):
    places = gazetteer.postal_code("01400")
    assert len(places) > 5
    assert [p.population for p in places] == sorted((p.population for p in places), reverse=True)


def test_a_commune_with_several_postal_codes_is_found_by_each(gazetteer):
    for code in ("33000", "33100", "33200", "33300", "33800"):
        assert "Bordeaux" in [p.name for p in gazetteer.postal_code(code)]


def test_names_carry_their_article(gazetteer):
    assert gazetteer.commune("76351").name == "Le Havre"
    assert gazetteer.commune("01001").name == "L'Abergement-Clémenciat"
