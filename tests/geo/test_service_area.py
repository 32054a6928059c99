"""Where a provider comes on site: its radius, its départements, or its own département."""

from geo import Gazetteer, ServiceArea

BORDEAUX = (44.8378, -0.5792)
LIBOURNE = (44.915, -0.2434)  # 28 km from Bordeaux, in Gironde
PERIGUEUX = (45.1846, 0.7214)  # 108 km, in Dordogne


def _area(**fields) -> ServiceArea:
    return ServiceArea(**{"lat": BORDEAUX[0], "lon": BORDEAUX[1], "departement": "33", "radius_km": None,
                          "departements": (), "on_site": True, **fields})


def test_a_radius_reaches_around_the_office_across_departement_borders():
    area = _area(radius_km=120)
    assert area.comes_to(*PERIGUEUX, "24") and area.covered_departements() == []


def test_named_departements_are_covered_whole_and_the_radius_too():
    area = _area(radius_km=20, departements=("24",))
    assert area.comes_to(*PERIGUEUX, "24") and not area.comes_to(*LIBOURNE, "33")


def test_saying_nothing_covers_ones_own_departement():
    assert _area().comes_to(*LIBOURNE, "33") and not _area().comes_to(*PERIGUEUX, "24")


def test_a_remote_only_provider_comes_nowhere_on_site():
    area = _area(on_site=False, radius_km=200, departements=("33",))
    assert not area.comes_to(*LIBOURNE, "33") and area.reach_km() is None


def test_the_departements_served_are_those_a_commune_of_lies_within_the_radius():
    gazetteer = Gazetteer.default()
    lyon = ServiceArea(45.764, 4.836, "69", 30, (), True)
    assert lyon.departements_served(gazetteer) == {"69", "01", "38", "42"}
    assert ServiceArea(45.764, 4.836, "69", 1, (), True).departements_served(gazetteer) == {"69"}
    assert _area(departements=("24", "47")).departements_served(gazetteer) == {"24", "47"}
    assert _area().departements_served(gazetteer) == {"33"}  # neither: its own département
    assert _area(radius_km=120, on_site=False).departements_served(gazetteer) == set()  # remote only
