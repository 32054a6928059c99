"""What a provider's published reviews add to its schema.org JSON-LD: ``aggregateRating`` and ``review``."""

from __future__ import annotations

from typing import Any

from plugins.reviews import scoring

SHOWN = 10  # the latest reviews the JSON-LD carries; the page shows them all


def _rating(value: float) -> dict[str, Any]:
    return {"@type": "Rating", "ratingValue": value, "bestRating": 5, "worstRating": 1}


def ratings(reviews: list[dict[str, Any]]) -> dict[str, Any]:
    """The properties for published ``reviews`` (newest first); the mean is the plain one people read."""
    averages = scoring.averages([review["rating"] for review in reviews], 0.0, 0)
    return {
        "aggregateRating": {"@type": "AggregateRating", "ratingValue": averages.mean, "reviewCount": averages.count,
                            "bestRating": 5, "worstRating": 1},
        "review": [{"@type": "Review", "reviewRating": _rating(review["rating"]), "reviewBody": review["text"],
                    "datePublished": review["published_at"].date().isoformat(),
                    "author": {"@type": "Person", "name": "Client vérifié"}} for review in reviews[:SHOWN]],
    }
