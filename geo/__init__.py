"""Offline French geography: communes, postal codes, départements, régions and distances.

This package knows nothing about the directory; it can be used on its own.
"""

from geo.distance import bounding_box, distance_km
from geo.gazetteer import Gazetteer, Place
from geo.geocoding import Address, Geocoder, Location, build_geocoder
from geo.names import of_name
from geo.resolve import Resolution, resolve
from geo.service_area import ServiceArea

__all__ = [
    "Address", "Gazetteer", "Geocoder", "Location", "Place", "Resolution", "ServiceArea",
    "bounding_box", "build_geocoder", "distance_km", "of_name", "resolve",
]
