"""The search index's figures for ``/metrics``: where each server stands in the outbox, and how late.

A server's lag is the age of the oldest event it has not applied yet (0 when it holds every
one): a server that stalls, or stops without leaving, ages with the events written since. With a
shared engine (Meilisearch) the one shared position is reported, as the server ``shared``.
"""

from __future__ import annotations

from datetime import datetime

from directory.plugin_api import GaugeMetricFamily, Settings, clock, events
from plugins.geosearch.index import CONSUMER


async def _lag_s(position: int, now: datetime) -> float:
    """Seconds since the first event after ``position`` was written (one indexed query)."""
    waiting, _ = await events.since(position, limit=1)
    return max(0.0, (now - waiting[0].created_at).total_seconds()) if waiting else 0.0


def reading(settings: Settings):
    """The reading ``register_metrics`` registers: two queries, and one per distinct server position."""
    shared = settings.search_backend == "meilisearch"

    async def read() -> list[GaugeMetricFamily]:
        now = clock.now()
        head = await events.latest()
        labels = ("server", "host")
        position = GaugeMetricFamily("channel_expert_search_index_position", "The outbox position a search "
                                     "index has applied, by server.", labels=labels)
        lag = GaugeMetricFamily("channel_expert_search_index_lag_seconds", "Age of the oldest outbox event a "
                                "search index has not applied (0 when up to date), by server.", labels=labels)
        silence = GaugeMetricFamily("channel_expert_search_index_report_age_seconds", "Time since a server "
                                    "last reported its embedded index (search-check calls it silent past "
                                    "15 s).", labels=labels)
        if shared:
            servers = [("shared", "", await events.position(CONSUMER), None)]
        else:
            servers = [(f.instance, f.host, f.position, f.seen_at) for f in await events.followers(CONSUMER)]
        lags = {at: await _lag_s(at, now) for at in {server[2] for server in servers}}
        for instance, host, at, seen_at in servers:
            position.add_metric((instance, host), at)
            lag.add_metric((instance, host), lags[at])
            if seen_at is not None:
                silence.add_metric((instance, host), max(0.0, (now - seen_at).total_seconds()))
        head_family = GaugeMetricFamily("channel_expert_outbox_position", "The newest event of the outbox.",
                                        value=head)
        return [head_family, position, lag] + ([] if shared else [silence])

    return read
