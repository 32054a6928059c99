import pytest
from geopy.distance import geodesic

from geo import bounding_box, distance_km


def test_distance_between_bordeaux_and_lyon_is_close_to_the_geodesic():
    km = distance_km(44.8378, -0.5792, 45.7640, 4.8357)
    assert km == pytest.approx(geodesic((44.8378, -0.5792), (45.7640, 4.8357)).km, rel=0.003)
    assert 430 < km < 440


@pytest.mark.parametrize("lat, lon", [(44.84, -0.58), (50.6, 3.06), (-21.1, 55.5), (41.9, 8.7)])
def test_the_bounding_box_holds_every_point_of_the_radius(lat, lon):
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, 30)
    for bearing in range(0, 360, 15):
        point = geodesic(kilometers=29.9).destination((lat, lon), bearing)
        assert min_lat <= point.latitude <= max_lat and min_lon <= point.longitude <= max_lon
    assert max_lat - min_lat < 0.6  # and stays tight
