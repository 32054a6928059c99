"""Where things stand after an acceptance, and when to ask: plain values and pure timing.

The TPE and the provider are each asked ``first_ask_days`` after the acceptance, asked again
``second_ask_days`` after it when they have not answered, and the request is marked without
news ``without_news_days`` after it when neither ever did.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import msgspec

from directory.plugin_api import settings_of

QUOTE, TALKING, ORDERED, NOT_CHOSEN, NO_NEWS = "devis-recu", "en-discussion", "commande", "pas-retenu", "sans-nouvelles"
OUTCOMES = {QUOTE: "Devis reçu", TALKING: "En discussion", ORDERED: "Travail commandé", NOT_CHOSEN: "Pas retenu",
            NO_NEWS: "Sans nouvelles"}
FIRST, SECOND, GIVE_UP = 1, 2, 3  # the rounds of the ask job
# Lead routing's track record weighs at most this: a third of distance's weight, half of fairness's.
TRACK_RECORD_MAX_WEIGHT = 0.1


class ReviewSettings(msgspec.Struct, kw_only=True):
    """The ``CHANNEL_EXPERT_REVIEWS_…`` settings."""

    first_ask_days: int = 10  # after the acceptance, the first outcome ask
    second_ask_days: int = 30  # after the acceptance, the second ask to whoever has not answered
    without_news_days: int = 45  # after the acceptance, unanswered requests are marked without news
    reviews_per_client_hour: int = 10  # review form submissions from one address per hour
    prior_rating: float = 4.0  # the Bayesian average's prior mean…
    prior_weight: int = 5  # …counted as this many reviews
    structured_data_min_reviews: int = 3  # published reviews before the profile's JSON-LD carries them
    track_record_weight: float = TRACK_RECORD_MAX_WEIGHT  # of outcomes and reviews in lead routing's score
    online_days: int = 1095  # a review is erased this long after its publication, its lead kept or not

    def __post_init__(self) -> None:
        if not 0 < self.first_ask_days < self.second_ask_days < self.without_news_days:
            raise ValueError("first_ask_days < second_ask_days < without_news_days, all above 0")
        if not 1 <= self.prior_rating <= 5 or self.prior_weight < 0:
            raise ValueError("prior_rating is between 1 and 5, prior_weight 0 or more")
        if self.online_days < 1:
            raise ValueError("online_days is 1 or more")
        if not 0 <= self.track_record_weight <= TRACK_RECORD_MAX_WEIGHT:
            raise ValueError(f"track_record_weight is between 0 and {TRACK_RECORD_MAX_WEIGHT}")


def review_settings() -> ReviewSettings:
    return settings_of("plugins.reviews")


def due(accepted_at: datetime, round_: int, settings: ReviewSettings) -> datetime:
    """When the ask job's ``round_`` runs for a request accepted at ``accepted_at``."""
    days = {FIRST: settings.first_ask_days, SECOND: settings.second_ask_days,
            GIVE_UP: settings.without_news_days}[round_]
    return accepted_at + timedelta(days=days)
