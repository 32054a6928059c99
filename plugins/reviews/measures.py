"""What the reviews plugin measures for badge classes' thresholds (the badges plugin's ``badge_measures``).

Each measure reads only the providers asked for (an award asks for one), one statement per piece
of their list: the published ratings (their count and their Bayesian average, the one that ranks, so
that one enthusiastic client is not enough) and the share of the accepted requests whose TPE,
asked where things stand, answered.
"""

from __future__ import annotations

from collections.abc import Callable

from directory.plugin_api import in_pieces
from plugins.reviews import outcomes, scoring
from plugins.reviews.tables import PUBLISHED, Engagement, Review

RATING, REVIEWS, TPE_NEWS = "note-avis-verifies", "avis-verifies-publies", "part-nouvelles-tpe"


async def _ratings(provider_ids: list[int]) -> dict[int, list[int]]:
    """The published ratings of the providers asked for (an award asks for one: never the whole network's)."""
    ratings: dict[int, list[int]] = {}
    for piece in in_pieces(provider_ids):
        for row in await Review.select(Review.provider, Review.rating).where(
                Review.provider.is_in(list(piece)) & (Review.state == PUBLISHED)):
            ratings.setdefault(row["provider"], []).append(row["rating"])
    return ratings


async def rating(provider_ids: list[int]) -> dict[int, float]:
    """The Bayesian average of each provider's published ratings (left out: none published)."""
    settings = outcomes.review_settings()
    return {provider: scoring.averages(ratings, settings.prior_rating, settings.prior_weight).bayesian
            for provider, ratings in (await _ratings(provider_ids)).items()}


async def reviews(provider_ids: list[int]) -> dict[int, float]:
    """How many published reviews each provider has (0 for none)."""
    ratings = await _ratings(provider_ids)
    return {provider: len(ratings.get(provider, [])) for provider in provider_ids}


async def tpe_news(provider_ids: list[int]) -> dict[int, float]:
    """The percentage of each provider's accepted requests, once their TPE was asked, that it
    answered (left out: no TPE asked yet)."""
    asked: dict[int, list[bool]] = {}
    for piece in in_pieces(provider_ids):
        for row in await Engagement.select(Engagement.provider, Engagement.tpe_outcome).where(
                Engagement.provider.is_in(list(piece)) & (Engagement.asks > 0)):
            asked.setdefault(row["provider"], []).append(row["tpe_outcome"] != "")
    return {provider: round(100 * sum(answers) / len(answers), 1) for provider, answers in asked.items()}


def register_measures(register: Callable[..., None]) -> None:
    """Register the three measures, each with where its figures come from."""
    settings = outcomes.review_settings()
    reviewed = ("Avis vérifiés : écrits par les TPE dont la demande, transmise par le réseau Channel Expert, "
                "a été acceptée par le prestataire, puis relus par l'équipe avant publication.")
    register(RATING, "note moyenne des avis vérifiés", "note", rating,
             source=f"{reviewed} La note moyenne compte {settings.prior_weight} avis fictifs à "
                    f"{settings.prior_rating:g} sur 5 en plus des vrais, pour qu'un seul avis ne suffise pas.")
    register(REVIEWS, "nombre d'avis vérifiés publiés", "nombre", reviews, source=reviewed)
    register(TPE_NEWS, "part des demandes acceptées dont la TPE a donné des nouvelles", "part", tpe_news,
             source=f"Suites des demandes : {settings.first_ask_days} jours après chaque demande transmise par le "
                    "réseau et acceptée par le prestataire, la TPE est interrogée sur ce qu'il en est advenu.")
