"""The lead funnel's figures for ``/metrics``, counted from the plugin's tables in one query.

Received: requests. Offered, accepted: offers made, and those accepted. Re-offered: offers
made by a routing after a decline or a missed deadline. Without provider: routings that found
nobody to offer the request to. Waiting: requests in staff's queue right now. A routing's
offers are written with its own timestamp, which is how an offer is tied to its routing. The
counts only grow: leads are anonymised, never deleted (only an erased provider takes its
offers with it).
"""

from __future__ import annotations

from directory.plugin_api import CounterMetricFamily, GaugeMetricFamily
from plugins.leads.service import ACCEPTED, DECLINED, EXPIRED, UNASSIGNED
from plugins.leads.tables import Lead

FUNNEL_SQL = (
    "SELECT (SELECT COUNT(*) FROM lead) AS received, "
    "(SELECT COUNT(*) FROM offer) AS offered, "
    "(SELECT COUNT(*) FROM offer WHERE state = {}) AS accepted, "
    "(SELECT COUNT(*) FROM offer o JOIN routing_run r ON r.lead = o.lead AND r.created_at = o.offered_at "
    ' WHERE r."trigger" IN ({}, {})) AS reoffered, '
    "(SELECT COUNT(*) FROM routing_run r WHERE NOT EXISTS (SELECT 1 FROM offer o WHERE o.lead = r.lead "
    " AND o.offered_at = r.created_at)) AS without_provider, "
    "(SELECT COUNT(*) FROM lead WHERE state = {}) AS waiting"
)
COUNTERS = {
    "received": ("channel_expert_leads_received", "Requests for quotes received."),
    "offered": ("channel_expert_lead_offers", "Offers of a request made to a provider."),
    "accepted": ("channel_expert_lead_offers_accepted", "Offers a provider accepted."),
    "reoffered": ("channel_expert_lead_reoffers", "Offers made after a decline or a missed deadline."),
    "without_provider": ("channel_expert_lead_routings_without_provider",
                         "Routings of a request that found no provider to offer it to."),
}


async def funnel() -> list[CounterMetricFamily | GaugeMetricFamily]:
    """The reading ``register_metrics`` registers."""
    row = (await Lead.raw(FUNNEL_SQL, ACCEPTED, DECLINED, EXPIRED, UNASSIGNED))[0]
    families: list[CounterMetricFamily | GaugeMetricFamily] = [
        CounterMetricFamily(name, documentation, value=int(row[key] or 0))
        for key, (name, documentation) in COUNTERS.items()]
    waiting = int(row["waiting"] or 0)
    families.append(GaugeMetricFamily("channel_expert_leads_waiting_for_provider",
                                      "Requests in staff's queue: no provider could be found for them.",
                                      value=waiting))
    return families
