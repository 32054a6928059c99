"""The reviews plugin's tables: accepted requests followed up, their reviews, answers and reports."""

from __future__ import annotations

from piccolo.columns import Date, ForeignKey, Integer, OnDelete, Text, Timestamptz, Varchar
from piccolo.table import Table

from directory.plugin_api import tables


class Engagement(Table):
    """A provider accepted a TPE's request: who to ask where things stand, and what each side said.

    The lead is referred to by its id only (the leads plugin's tables are its own); the TPE's
    address and name are the ones it gave with its request, erased when the lead is forgotten.
    """

    lead_id = Integer(index=True)
    provider = ForeignKey(tables.Provider, on_delete=OnDelete.cascade, index=True)
    departement = Varchar(length=3, default="", index=True)
    contact_email = Varchar(length=254, default="")
    contact_name = Varchar(length=200, default="")
    accepted_at = Timestamptz()
    asks = Integer(default=0)  # outcome asks sent so far (0, 1 or 2)
    tpe_outcome = Varchar(length=20, default="")  # one of outcomes.OUTCOMES, or "" until the TPE answers
    tpe_answered_at = Timestamptz(null=True, default=None)
    provider_outcome = Varchar(length=20, default="")
    provider_answered_at = Timestamptz(null=True, default=None)
    without_news_at = Timestamptz(null=True, default=None)  # neither side answered either ask
    # SHA-256 of the single-use links of the last asks, and of the TPE's lasting review link.
    tpe_ask_hash = Varchar(length=64, null=True, default=None, unique=True)
    provider_ask_hash = Varchar(length=64, null=True, default=None, unique=True)
    review_hash = Varchar(length=64, null=True, default=None, unique=True)
    forgotten_at = Timestamptz(null=True, default=None)


PENDING, PUBLISHED, REFUSED, WITHDRAWN = "pending", "published", "refused", "withdrawn"  # its states


class Review(Table):
    """A TPE's review of the provider that accepted its request: one per request."""

    engagement = ForeignKey(Engagement, on_delete=OnDelete.cascade, unique=True)
    provider = ForeignKey(tables.Provider, on_delete=OnDelete.cascade, index=True)
    state = Varchar(length=10, default="pending", index=True)  # pending, published, refused, withdrawn
    rating = Integer()
    quality = Integer()
    deadlines = Integer()
    price = Integer()
    support = Integer()
    text = Text()
    worked_on = Date()  # when the work was done, as the TPE says
    created_at = Timestamptz()
    edited_at = Timestamptz()
    published_at = Timestamptz(null=True, default=None)
    moderated_by = Varchar(length=254, default="")
    refusal = Text(default="")  # staff's reason, mailed to the author
    answer = Text(default="")  # the provider's public answer: one
    answered_at = Timestamptz(null=True, default=None)
    answered_by = Varchar(length=254, default="")


class ReviewReport(Table):
    """A provider reports a review to staff: the review stays as it is until staff decide."""

    review = ForeignKey(Review, on_delete=OnDelete.cascade, index=True)
    reason = Text()
    reported_by = Varchar(length=254)
    created_at = Timestamptz()
    resolved_at = Timestamptz(null=True, default=None)


TABLES = (Engagement, Review, ReviewReport)
