"""The insights plugin's tables: counts per provider (or for the whole network) per day, and their
weekly sums, which the pages read.

Nothing here names a visitor: no cookie, no address, no identifier, only how many times
something happened to a listing on a day (Paris time). Each (provider, day, counter) is one row
that writes add to (``counting.add``), so several servers and restarts sum without doubling.
The weekly tables are written only by the rollup job (``rollup``), which rewrites a week whole.
"""

from __future__ import annotations

from piccolo.columns import BigInt, Date, DoublePrecision, ForeignKey, Integer, OnDelete, Timestamptz, Varchar
from piccolo.table import Table

from directory.plugin_api import tables


class ProviderCount(Table):
    """How many times ``counter`` happened to a provider's listing on ``day``."""

    provider = ForeignKey(tables.Provider, on_delete=OnDelete.cascade)
    day = Date()
    counter = Varchar(length=30)
    value = BigInt(default=0)


class NetworkCount(Table):
    """How many times ``counter`` happened in the whole network on ``day`` (searches, requests)."""

    day = Date()
    counter = Varchar(length=30)
    value = BigInt(default=0)


class ProviderWeek(Table):
    """A provider's ``counter`` summed over the week that starts on ``week`` (a Monday)."""

    provider = ForeignKey(tables.Provider, on_delete=OnDelete.cascade)
    week = Date()
    counter = Varchar(length=30)
    value = BigInt(default=0)


class PeerWeek(Table):
    """The published providers of one kind with their office in one département: their sum of
    ``counter`` over a week, and how many they were when the week was summed (counter ``providers``)."""

    kind = Varchar(length=30)
    departement = Varchar(length=3)
    week = Date()
    counter = Varchar(length=30)
    value = BigInt(default=0)


class NetworkWeek(Table):
    """The network's figures of a week: its counters' sums, and the fairness computed from offers."""

    week = Date()
    counter = Varchar(length=30)
    value = DoublePrecision(default=0.0)


class DepartementFigure(Table):
    """Today's published providers of a département: with their office there, and coming on site there."""

    departement = Varchar(length=3, unique=True)
    offices = Integer(default=0)
    served = Integer(default=0)


class Rollup(Table):
    """How far the weekly sums are final: every week before ``settled`` is written for good."""

    name = Varchar(length=30, unique=True)
    settled = Date(null=True, default=None)


class DigestSubscription(Table):
    """A member who asked for its listing's weekly digest, and the last week sent to it."""

    account = ForeignKey(tables.Account, on_delete=OnDelete.cascade)
    provider = ForeignKey(tables.Provider, on_delete=OnDelete.cascade)
    sent_week = Date(null=True, default=None)  # the Monday of the last week sent
    created_at = Timestamptz()


class DigestLink(Table):
    """The unsubscribe link of one digest sent: only its token's hash, valid while the subscription lasts."""

    subscription = ForeignKey(DigestSubscription, on_delete=OnDelete.cascade)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz()


TABLES = (ProviderCount, NetworkCount, ProviderWeek, PeerWeek, NetworkWeek, DepartementFigure, Rollup,
          DigestSubscription, DigestLink)
