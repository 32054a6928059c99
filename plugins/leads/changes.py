"""What becomes of a lead, told to other plugins (``lead_changed``) inside the step's transaction.

Outcomes, reviews and figures hang off these changes: written in the same transaction as the
step, whatever a plugin records of it commits or rolls back with the lead, so a kill -9 can
neither lose an acceptance's follow-up nor count an offer twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from directory.plugin_api import PluginManager

RECEIVED, OFFERED, ACCEPTED, DECLINED, EXPIRED = "received", "offered", "accepted", "declined", "expired"
UNASSIGNED, CLOSED, FORGOTTEN = "unassigned", "closed", "forgotten"
KINDS = (RECEIVED, OFFERED, ACCEPTED, DECLINED, EXPIRED, UNASSIGNED, CLOSED, FORGOTTEN)


@dataclass(frozen=True)
class LeadChange:
    """One step of a lead, as plugins hear of it: no personal data but on an acceptance, where the
    TPE agreed to be contacted (its address and name, for a follow-up the plugin sends itself)."""

    kind: str  # one of KINDS
    lead_id: int
    at: datetime
    departement: str
    services: tuple[str, ...]
    provider_id: int | None = None  # offered, accepted, declined, expired
    offered_at: datetime | None = None  # accepted, declined, expired: when the offer was made
    contact_email: str = field(default="", repr=False)  # accepted only
    contact_name: str = field(default="", repr=False)  # accepted only


async def tell(manager: PluginManager, kind: str, lead: dict[str, Any], at: datetime, **offer: Any) -> None:
    """Call ``lead_changed`` for ``lead`` (a ``Lead`` row); ``offer`` adds the provider's side."""
    change = LeadChange(kind=kind, lead_id=lead["id"], at=at, departement=lead["departement"],
                        services=tuple(lead["services"]), **offer)
    await manager.acall_isolated("lead_changed", change=change)
