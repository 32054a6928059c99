"""The leads plugin's tables: requests, the offers made to providers, their timeline, routing runs."""

from __future__ import annotations

from piccolo.columns import (
    Array,
    Boolean,
    DoublePrecision,
    ForeignKey,
    Integer,
    OnDelete,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

from directory.plugin_api import tables


class Lead(Table):
    """A TPE's request. Its contact details are shown to a provider only once it accepts."""

    follow_hash = Varchar(length=64, unique=True)  # SHA-256 of the TPE's private follow-up link
    idempotency_key = Varchar(length=64, unique=True)  # one lead per form, however often it is sent
    services = Array(base_column=Varchar(length=60))
    postal_code = Varchar(length=5)
    commune = Varchar(length=120)
    insee_code = Varchar(length=5)
    departement = Varchar(length=3, index=True)
    latitude = DoublePrecision()
    longitude = DoublePrecision()
    budget = Varchar(length=20, default="")
    start = Varchar(length=20, default="")
    company_size = Varchar(length=10, default="")
    sector = Varchar(length=40, default="")
    description = Text(default="")
    company_name = Varchar(length=200, default="")
    contact_name = Varchar(length=200, default="")
    contact_email = Varchar(length=254, default="")
    contact_phone = Varchar(length=30, default="")
    first_choice = ForeignKey(tables.Provider, on_delete=OnDelete.set_null, null=True, default=None)
    source = Varchar(length=100, default="")  # where the request came from, as a plugin records it
    state = Varchar(length=12, default="open", index=True)  # open, unassigned, closed, deleted
    created_at = Timestamptz(index=True)
    last_contact_at = Timestamptz(index=True)  # the retention period runs from here
    closed_at = Timestamptz(null=True, default=None)
    anonymised_at = Timestamptz(null=True, default=None)


class Offer(Table):
    """A lead offered to one provider, which accepts or declines it before its deadline."""

    lead = ForeignKey(Lead, on_delete=OnDelete.cascade, index=True)
    provider = ForeignKey(tables.Provider, on_delete=OnDelete.cascade, index=True)
    state = Varchar(length=10, default="offered", index=True)  # offered, accepted, declined, expired, withdrawn
    rank = Integer(default=0)
    score = DoublePrecision(default=0.0)
    distance_km = DoublePrecision(default=0.0)
    partial = Boolean(default=False)  # offers only some of the services asked
    remote = Boolean(default=False)  # works remotely: does not come on site to the TPE
    by_hand = Boolean(default=False)  # assigned by staff
    offered_at = Timestamptz(index=True)
    deadline_at = Timestamptz()
    answered_at = Timestamptz(null=True, default=None)
    reason = Text(default="")  # why it declined
    answer_hash = Varchar(length=64, unique=True)  # SHA-256 of the single-use link in its e-mail


class LeadStep(Table):
    """One step of a lead's timeline, as the TPE and staff see it."""

    lead = ForeignKey(Lead, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=20)
    detail = Text(default="")
    public = Boolean(default=True)  # shown to the TPE too
    created_at = Timestamptz()


class RoutingRun(Table):
    """What routing saw when it chose: every candidate's score components, every exclusion's reason."""

    lead = ForeignKey(Lead, on_delete=OnDelete.cascade, index=True)
    trigger = Varchar(length=20)  # submitted, declined, expired, widened
    ranked = Text()  # JSON
    excluded = Text()  # JSON
    created_at = Timestamptz()


class LeadPreferences(Table):
    """A provider's own settings for leads: paused, and how many offers a month it accepts."""

    provider = ForeignKey(tables.Provider, on_delete=OnDelete.cascade, unique=True)
    paused = Boolean(default=False)
    monthly_capacity = Integer(null=True, default=None)


TABLES = (Lead, Offer, LeadStep, RoutingRun, LeadPreferences)
