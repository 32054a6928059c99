"""The insights plugin's tables: counts per provider (or for the whole network) per day.

Nothing here names a visitor: no cookie, no address, no identifier, only how many times
something happened to a listing on a day (Paris time). Each (provider, day, counter) is one row
that writes add to (``counting.add``), so several servers and restarts sum without doubling.
"""

from __future__ import annotations

from piccolo.columns import BigInt, Date, ForeignKey, OnDelete, Varchar
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


TABLES = (ProviderCount, NetworkCount)
