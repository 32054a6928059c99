"""Offline French geography: communes, postal codes, départements, régions and distances.

This package knows nothing about the directory; it can be used on its own.
"""

from geo.gazetteer import Gazetteer, Place

__all__ = ["Gazetteer", "Place"]
