"""Staff's pages of the leads plugin: the queue of every lead (those waiting for a provider first),
one lead with its timeline and routing runs, and what staff do for it (offer it by hand, or route
it again over a wider area).

They are apart from the TPE's (``routes``) and the providers' (``provider_pages``) because only
staff reach them, and they show what neither sees: the internal steps and every run's scores.
"""

from __future__ import annotations

import json
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from directory.plugin_api import STAFF, ProblemError, catalogue
from plugins.leads import follow_up, forms, service
from plugins.leads.tables import Lead, Offer, RoutingRun


class WidenForm(msgspec.Struct):
    km: Annotated[str, msgspec.Meta(max_length=5)] = ""
    provider: Annotated[str, msgspec.Meta(max_length=120)] = ""


class StaffLeadsController(Controller):
    """``/equipe/demandes``: every lead, its timeline and routing, and what staff can do for it."""

    path = "/equipe/demandes"
    include_in_schema = False
    opt = STAFF

    @get("/", name="staff-leads")
    async def queue(self) -> Template:
        waiting = await Lead.select(Lead.id, Lead.commune, Lead.services, Lead.state, Lead.created_at).where(
            Lead.state == service.UNASSIGNED).order_by(Lead.created_at)
        recent = await Lead.select(Lead.id, Lead.commune, Lead.services, Lead.state,
                                   Lead.created_at).order_by(Lead.created_at, ascending=False).limit(100)
        return Template(template_name="leads/staff_queue.html", context={
            "waiting": waiting, "recent": recent, "states": service.LEAD_STATES,
            "labels": catalogue.SERVICE_LABELS})

    @get("/{lead_id:int}", name="staff-lead")
    async def lead(self, lead_id: FromPath[int]) -> Template:
        return await _staff_lead(lead_id)

    @post("/{lead_id:int}", status_code=303)
    async def act(self, request: Request, lead_id: FromPath[int],
                  data: Annotated[WidenForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                  ) -> Template | Redirect:
        """Offer the lead by hand to one provider (its slug), or route it again within ``km``."""
        km = int(data.km) if data.km.isdigit() and 1 <= int(data.km) <= 500 else None
        if not km and not data.provider.strip():
            return await _staff_lead(lead_id, "Donnez un rayon (1 à 500 km) ou l'identifiant d'un "
                                              "prestataire.", 400)
        try:
            await service.staff_assign(lead_id, data.provider.strip(), request.app.state.plugin_manager, km)
        except service.Gone:
            return await _staff_lead(lead_id, "Demande close, ou prestataire inconnu ou non publié.", 400)
        return Redirect(f"/equipe/demandes/{lead_id}", status_code=303)


async def _staff_lead(lead_id: int, error: str = "", status_code: int = 200) -> Template:
    lead = await Lead.select().where(Lead.id == lead_id).first()
    if lead is None:
        raise ProblemError(404, "Cette demande n'existe pas.")
    offers = await Offer.select(Offer.all_columns(), Offer.provider.trade_name.as_alias("trade_name"),
                                Offer.provider.slug.as_alias("slug")).where(
        Offer.lead == lead_id).order_by(Offer.rank)
    runs = await RoutingRun.select().where(RoutingRun.lead == lead_id).order_by(RoutingRun.id)
    for run in runs:
        run["ranked"], run["excluded"] = json.loads(run["ranked"]), json.loads(run["excluded"])
    return Template(template_name="leads/staff_lead.html", status_code=status_code, context={
        "lead": lead, "offers": offers, "runs": runs,
        "steps": await follow_up.timeline(lead_id, public_only=False),
        "states": service.LEAD_STATES, "offer_states": service.OFFER_STATES,
        "labels": catalogue.SERVICE_LABELS, "budgets": forms.BUDGETS, "starts": forms.STARTS, "error": error})
