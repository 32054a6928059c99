import pytest

from geo import of_name


@pytest.mark.parametrize("name, phrase", [
    # Places.
    ("Aurillac", "d'Aurillac"), ("Le Havre", "du Havre"), ("Lyon", "de Lyon"), ("Albi", "d'Albi"),
    ("Les Sables-d'Olonne", "des Sables-d'Olonne"), ("Yerres", "d'Yerres"), ("Évreux", "d'Évreux"),
    ("Haguenau", "de Haguenau"), ("La Rochelle", "de La Rochelle"), ("L'Haÿ-les-Roses", "de L'Haÿ-les-Roses"),
    # Trade names.
    ("Agence Pixel", "d'Agence Pixel"), ("Le Fournil", "du Fournil"), ("Les Ateliers Hibiscus", "des Ateliers Hibiscus"),
    ("La Poste", "de La Poste"), ("L'Atelier", "de L'Atelier"), ("Œil Numérique", "d'Œil Numérique"),
    ("Hibiscus Informatique", "de Hibiscus Informatique"), ("IBM", "d'IBM"), ("SFR Business", "de SFR Business"),
    ("2i Conseil", "de 2i Conseil"), ("« Atelier »", "de « Atelier »"), ('"Octet"', 'de "Octet"'),
    ("LE FOURNIL", "du FOURNIL"), ("Lexique", "de Lexique"), ("Lesage Info", "de Lesage Info"), ("Le", "de Le"),
])
def test_a_name_after_de_is_elided_or_contracted(name, phrase):
    assert of_name(name) == phrase
