"""The providers' pages of the leads plugin: the dashboard of the requests offered to them, their
preferences (a pause, a monthly capacity), and the answer link of an offer's e-mail.

They are apart from the TPE's pages (``routes``) because another person uses them, under another
access rule: the dashboard needs an account that manages the provider, the link only its token.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from directory.plugin_api import ACCOUNT, PUBLIC, ProblemError, catalogue, provider_for, tables
from plugins.leads import forms, sections, service
from plugins.leads.routes import or_gone
from plugins.leads.tables import LeadPreferences, Offer


class AnswerForm(msgspec.Struct):
    decision: Annotated[str, msgspec.Meta(max_length=10)] = ""
    reason: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class PreferencesForm(msgspec.Struct):
    paused: Annotated[str, msgspec.Meta(max_length=5)] = ""
    capacity: Annotated[str, msgspec.Meta(max_length=5)] = ""


async def _offers_of(account: dict[str, Any]) -> list[dict[str, Any]]:
    """The offers made to the providers an account manages, newest first; contact details only once
    accepted."""
    Membership = tables.Membership
    providers = [row["provider"] for row in await Membership.select(Membership.provider).where(
        Membership.account == account["id"])]
    if not providers:
        return []
    rows = await Offer.select(
        Offer.id, Offer.state, Offer.offered_at, Offer.deadline_at, Offer.partial, Offer.remote,
        Offer.distance_km, Offer.provider.trade_name.as_alias("trade_name"),
        Offer.provider.departement.as_alias("office"),
        Offer.lead.services.as_alias("services"), Offer.lead.commune.as_alias("commune"),
        Offer.lead.postal_code.as_alias("postal_code"),
        Offer.lead.budget.as_alias("budget"), Offer.lead.start.as_alias("start"),
        Offer.lead.company_size.as_alias("company_size"), Offer.lead.sector.as_alias("sector"),
        Offer.lead.description.as_alias("description"), Offer.lead.contact_name.as_alias("contact_name"),
        Offer.lead.contact_email.as_alias("contact_email"),
        Offer.lead.contact_phone.as_alias("contact_phone"),
        Offer.lead.company_name.as_alias("company_name"), Offer.lead.state.as_alias("lead_state"),
    ).where(Offer.provider.is_in(providers)).order_by(Offer.offered_at, ascending=False).limit(200)
    for row in rows:
        if row["state"] != service.ACCEPTED:
            for field in ("contact_name", "contact_email", "contact_phone", "company_name"):
                row[field] = ""
    return rows


async def _offer_for(account: dict[str, Any], offer_id: int) -> dict[str, Any]:
    """One offer made to a provider the account manages (or any offer, for staff)."""
    offer = await Offer.select(Offer.id, Offer.provider.slug.as_alias("slug")).where(
        Offer.id == offer_id).first()
    if offer is None:
        raise ProblemError(404, "Cette proposition n'existe pas.")
    await provider_for(account, offer["slug"])
    return offer


async def _dashboard(request: Request, error: str = "", status_code: int = 200) -> Template:
    account = request.state.account
    Membership = tables.Membership
    managed = await Membership.select(Membership.provider.id.as_alias("id"),
                                      Membership.provider.slug.as_alias("slug"),
                                      Membership.provider.trade_name.as_alias("trade_name")).where(
        Membership.account == account["id"])
    provider_ids = [m["id"] for m in managed]
    preferences = {p["provider"]: p for p in await LeadPreferences.select().where(
        LeadPreferences.provider.is_in(provider_ids or [0]))}
    shown = await sections.collected(request.app.state.plugin_manager, "lead_dashboard_sections",
                                     provider_ids=provider_ids) if provider_ids else []
    return Template(template_name="leads/dashboard.html", status_code=status_code, context={
        "offers": await _offers_of(account), "managed": managed, "preferences": preferences, "error": error,
        "sections": shown,
        "states": service.OFFER_STATES, "labels": catalogue.SERVICE_LABELS, "budgets": forms.BUDGETS,
        "starts": forms.STARTS, "team_sizes": catalogue.TEAM_SIZES, "sectors": catalogue.SECTORS})


class ProviderLeadsController(Controller):
    """``/compte/demandes``: the requests offered to the providers an account manages."""

    path = "/compte/demandes"
    include_in_schema = False
    opt = ACCOUNT

    @get("/", name="lead-dashboard")
    async def dashboard(self, request: Request) -> Template:
        return await _dashboard(request)

    @post("/{offer_id:int}", status_code=303)
    async def answer(self, request: Request, offer_id: FromPath[int],
                     data: Annotated[AnswerForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                     ) -> Redirect:
        """Accept ("accepter") or decline ("refuser", with a reason) an offer."""
        await _offer_for(request.state.account, offer_id)
        if data.decision not in ("accepter", "refuser"):
            raise ProblemError(400, "Choisissez d'accepter ou de refuser.")
        await or_gone(service.answer(offer_id, data.decision == "accepter", request.state.account["email"],
                                     request.app.state.plugin_manager, data.reason))
        return Redirect("/compte/demandes", status_code=303)

    @post("/preferences/{slug:str}", status_code=303)
    async def preferences(self, request: Request, slug: FromPath[str],
                          data: Annotated[PreferencesForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                          ) -> Template | Redirect:
        """Pause the provider, or set how many offers a month it accepts (empty: no limit)."""
        provider = await provider_for(request.state.account, slug)
        capacity = data.capacity.strip()
        if capacity and (not capacity.isdigit() or not 0 <= int(capacity) <= 1000):
            return await _dashboard(request, "La capacité est un nombre de demandes par mois, de 0 à 1000.",
                                    400)
        values = {"paused": data.paused == "oui", "monthly_capacity": int(capacity) if capacity else None}
        updated = await LeadPreferences.update(values).where(
            LeadPreferences.provider == provider["id"]).returning(LeadPreferences.id)
        if not updated:
            await LeadPreferences.insert(LeadPreferences(provider=provider["id"], **values))
        return Redirect("/compte/demandes", status_code=303)


class AnswerLinkController(Controller):
    """``/demandes/reponse/{token}``: the single-use link of an offer's e-mail; opening it changes
    nothing."""

    path = "/demandes/reponse/{token:str}"
    include_in_schema = False
    opt = PUBLIC

    @get("/", name="lead-answer")
    async def page(self, token: FromPath[str]) -> Template:
        offer = await _offer_by_link(token)
        return Template(template_name="leads/answer.html", context={
            "offer": offer, "token": token, "labels": catalogue.SERVICE_LABELS, "budgets": forms.BUDGETS,
            "starts": forms.STARTS, "open": offer["state"] == service.OFFERED,
            "states": service.OFFER_STATES})

    @post("/", status_code=303)
    async def answer(self, request: Request, token: FromPath[str],
                     data: Annotated[AnswerForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                     ) -> Redirect:
        offer = await _offer_by_link(token)
        if data.decision not in ("accepter", "refuser"):
            raise ProblemError(400, "Choisissez d'accepter ou de refuser.")
        await or_gone(service.answer(offer["id"], data.decision == "accepter", "lien de l'e-mail",
                                     request.app.state.plugin_manager, data.reason))
        return Redirect(f"/demandes/reponse/{token}", status_code=303)


async def _offer_by_link(token: str) -> dict[str, Any]:
    offer = await Offer.select(
        Offer.id, Offer.state, Offer.deadline_at, Offer.provider.trade_name.as_alias("trade_name"),
        Offer.provider.departement.as_alias("office"), Offer.lead.services.as_alias("services"),
        Offer.lead.commune.as_alias("commune"),
        Offer.lead.budget.as_alias("budget"), Offer.lead.start.as_alias("start"),
        Offer.lead.description.as_alias("description"), Offer.lead.contact_name.as_alias("contact_name"),
        Offer.lead.contact_email.as_alias("contact_email"),
        Offer.lead.contact_phone.as_alias("contact_phone"),
    ).where(Offer.answer_hash == service.link_hash(token)).first()
    if offer is None:
        raise ProblemError(404, "Ce lien ne correspond à aucune proposition.")
    return offer
