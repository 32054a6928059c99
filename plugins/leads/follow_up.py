"""A lead after it is sent: what reads it, what its TPE does with it, and its erasure.

The follow-up link opens the lead; its page reads the timeline and who the request went to; the
TPE adds details, closes it or erases it; the retention job erases what nobody touched for long.
``service`` routes the lead (submission, offers, answers, deadlines, staff); what is here never
routes it, and only withdraws the offers still waiting. Each write is one transaction, as there.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from directory.plugin_api import (
    LEADS_QUEUE,
    PluginManager,
    catalogue,
    clock,
    forget_addresses,
    paris_time,
    public_url,
    write_transaction,
)
from plugins.leads import changes
from plugins.leads.service import (
    ACCEPTED,
    CLOSED,
    DELETED,
    OFFERED,
    WITHDRAWN,
    Gone,
    add_step,
    lead_settings,
    link_hash,
)
from plugins.leads.tables import Lead, LeadStep, Offer

RETENTION_TASK = "leads.retention"


async def lead_for(token: str) -> dict[str, Any]:
    """The lead a private follow-up link opens."""
    lead = await Lead.select().where((Lead.follow_hash == link_hash(token)) & (Lead.state != DELETED)).first()
    if lead is None:
        raise Gone(token)
    return lead


async def timeline(lead_id: int, public_only: bool = True) -> list[dict[str, Any]]:
    query = LeadStep.select().where(LeadStep.lead == lead_id)
    if public_only:
        query = query.where(LeadStep.public == True)
    return await query.order_by(LeadStep.id)


async def offered_to(lead_id: int) -> list[dict[str, Any]]:
    """The providers the lead was offered to, in order, as the TPE may see them: the public name, town
    and page of each (the timeline names them too), the offer's state, and how to reach those that
    accepted."""
    rows = await Offer.select(
        Offer.state, Offer.provider.trade_name.as_alias("trade_name"), Offer.provider.slug.as_alias("slug"),
        Offer.provider.postal_code.as_alias("postal_code"), Offer.provider.commune.as_alias("commune"),
        Offer.provider.state.as_alias("listed"), Offer.provider.id.as_alias("provider"),
        Offer.provider.email.as_alias("email"), Offer.provider.phone.as_alias("phone"),
    ).where(Offer.lead == lead_id).order_by(Offer.rank)
    for row in rows:
        row["url"] = public_url(row["slug"]) if row.pop("listed") == catalogue.PUBLISHED else ""
        if row["state"] != ACCEPTED:
            row["email"] = row["phone"] = ""
    return rows


async def add_details(lead_id: int, details: str) -> None:
    """The TPE adds to its description; providers with an offer see it."""
    async with write_transaction(Lead._meta.db, [LEADS_QUEUE]):
        lead = await Lead.select(Lead.description, Lead.state).where(Lead.id == lead_id).first()
        if lead["state"] in (CLOSED, DELETED):
            raise Gone(lead_id)
        stamp = paris_time(clock.now())
        await Lead.update({Lead.description: f"{lead['description']}\n\nPrécisions du {stamp} :\n{details}",
                           Lead.last_contact_at: clock.now()}).where(Lead.id == lead_id)
        await add_step(lead_id, "precisions", "Vous avez ajouté des précisions.")


async def close(lead_id: int, manager: PluginManager) -> None:
    """The TPE closes its request: offers still waiting are withdrawn."""
    async with write_transaction(Lead._meta.db, [LEADS_QUEUE]):
        await _withdraw(lead_id)
        await Lead.update({Lead.state: CLOSED, Lead.closed_at: clock.now()}).where(Lead.id == lead_id)
        await add_step(lead_id, "close", "Vous avez clos la demande.")
        lead = await Lead.select(Lead.id, Lead.departement, Lead.services).where(Lead.id == lead_id).first()
        await changes.tell(manager, changes.CLOSED, lead, clock.now())


async def _withdraw(lead_id: int) -> None:
    await Offer.update({Offer.state: WITHDRAWN}).where((Offer.lead == lead_id) & (Offer.state == OFFERED))


async def anonymise(lead_id: int, manager: PluginManager) -> None:
    """Erase the TPE's personal data from a lead (its request, or the retention period, asks it)."""
    async with write_transaction(Lead._meta.db, [LEADS_QUEUE]):
        lead = await Lead.select(Lead.id, Lead.contact_email, Lead.departement, Lead.services).where(
            Lead.id == lead_id).first()
        await changes.tell(manager, changes.FORGOTTEN, lead, clock.now())
        await _withdraw(lead_id)
        await Lead.update({Lead.contact_email: "", Lead.contact_name: "", Lead.contact_phone: "",
                           Lead.company_name: "", Lead.description: "",
                           Lead.follow_hash: f"effacee-{lead_id}", Lead.state: DELETED,
                           Lead.anonymised_at: clock.now()}).where(Lead.id == lead_id)
        await LeadStep.delete().where(LeadStep.lead == lead_id)
        await add_step(lead_id, "supprimee", "Données personnelles effacées.", public=False)
        if lead["contact_email"]:
            await forget_addresses([lead["contact_email"]])


async def apply_retention(payload: dict[str, Any], manager: PluginManager) -> None:
    """The daily job: anonymise leads whose last contact is older than the retention period."""
    cutoff = clock.now() - timedelta(days=lead_settings().retention_days)
    stale = await Lead.select(Lead.id).where((Lead.last_contact_at < cutoff) & Lead.anonymised_at.is_null())
    for row in stale:
        await anonymise(row["id"], manager)
