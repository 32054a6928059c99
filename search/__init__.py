"""Full-text and geolocated search over provider documents (embedded engine or Meilisearch).

This package knows nothing about the directory; it can be used on its own.
"""
