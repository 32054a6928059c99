"""The leads plugin's pages: the TPE's form and follow-up, the providers' dashboard and answers, staff's queue."""

from __future__ import annotations

import asyncio
import contextlib
import json
from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Litestar, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from directory.plugin_api import (
    ACCOUNT,
    PUBLIC,
    STAFF,
    ProblemError,
    catalogue,
    check_stamp,
    client_key,
    form_stamp,
    over_limit,
    provider_for,
    route_path,
    tables,
    urgent_write,
)
from geo import Gazetteer
from plugins.leads import form_context, forms, sections, service
from plugins.leads.tables import Lead, LeadPreferences, Offer, RoutingRun

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
# Submissions routed at once by one process. Routing is CPU work on the event loop, and every
# submission writes through ``write_transaction``: SQLite's one write lock, PostgreSQL's queue
# of lead writers. With more at once, the transaction holding the lock waits behind them for
# its next turn on the loop, and the writers queued on the lock (an import's batch on SQLite, a
# job, other submissions) run out of lock timeout: a 500. The rest wait here, holding no lock
# and under no timeout; reads wait while one is written (``urgent_write``).
CONCURRENT_SUBMISSIONS = 2
SUBMISSIONS = "leads.submissions"  # the app's queue of submissions (app.state)


def _submissions(app: Litestar) -> contextlib.AbstractAsyncContextManager:
    """The app's queue of submissions, made on its first submission (with or without a lifespan)."""
    if SUBMISSIONS not in app.state:
        app.state[SUBMISSIONS] = submission_queue()
    return app.state[SUBMISSIONS]


def submission_queue() -> contextlib.AbstractAsyncContextManager:
    """What a submission enters before routing, on either engine: both serialise submissions on
    one lock (see ``CONCURRENT_SUBMISSIONS``)."""
    return asyncio.Semaphore(CONCURRENT_SUBMISSIONS)


GONE = "Ce lien ne mène à aucune demande : elle a été supprimée, ou le lien est incomplet."
FROM_WORDS, FROM_PROVIDER, FROM_SEARCH = "description", "provider", "search"  # why services were ticked


def _form_page(request: Request, values: dict[str, Any], first: form_context.FirstChoice | None = None,
               errors: dict[str, str] | None = None, suggestions: tuple = (), status_code: int = 200,
               ticked_from: str = "", to_confirm: bool = False, stamp: str = "") -> Template:
    """The form with what the TPE typed and what it should check before sending: the services ticked
    for it (and why: ``ticked_from``), and those of them its first choice does not offer."""
    ticked = form_context.known(values.get("services", []))
    missing = form_context.not_offered(ticked, first)
    return Template(template_name="leads/form.html", status_code=status_code, context={
        "values": values, "errors": errors or {}, "suggestions": suggestions, "stamp": stamp or form_stamp(request),
        "services": catalogue.SERVICES, "labels": catalogue.SERVICE_LABELS, "budgets": forms.BUDGETS,
        "starts": forms.STARTS, "team_sizes": catalogue.TEAM_SIZES, "sectors": catalogue.SECTORS,
        "first_choice": first, "ticked": ticked, "missing": missing,
        "offers_none": bool(missing) and len(missing) == len(ticked),
        "confirmed": bool(missing) and _confirmed(values, missing), "ticked_from": ticked_from,
        "to_confirm": to_confirm, "offers_at_once": service.lead_settings().offers_at_once,
        "limits": forms.LIMITS, "place_names": route_path(request, "place-resolved")})


def _confirmed(values: dict[str, Any], missing: tuple[str, ...]) -> bool:
    """Whether the TPE chose to send although its first choice does not offer ``missing``."""
    return set(missing) <= set(str(values.get("quand_meme", "")).split())


class LeadFormController(Controller):
    """``/devis``: a TPE asks for quotes, then follows its request through a private link."""

    path = "/devis"
    include_in_schema = False
    opt = PUBLIC

    @get("/", name="lead-form")
    async def form(self, request: Request, prestataire: FromQuery[str] = "",
                   services: FromQuery[list[str] | None] = None, near: FromQuery[str] = "",
                   description: FromQuery[str] = "") -> Template:
        """The form, prefilled from where the TPE comes from: a provider, a search's place, need and words.

        The need is the services given, or those the TPE's words name; with a first choice, it is
        narrowed to what that provider offers (when it offers some), or is everything it offers.
        """
        first = await form_context.first_choice(prestataire)
        description = description[:forms.LIMITS["description"]]
        need = form_context.known(services or [])
        from_words = () if need else form_context.understood(request.app, description)
        ticked = form_context.to_tick(need or from_words, first)
        ticked_from = (FROM_WORDS if from_words else FROM_SEARCH if need and ticked != need
                       else FROM_PROVIDER if ticked and not need else "")
        return _form_page(request, {"services": list(ticked), "near": near[:200], "description": description,
                                    "prestataire": first.slug if first else ""}, first, ticked_from=ticked_from)

    @post("/", status_code=200)
    async def send(self, request: Request, gazetteer: NamedDependency[Gazetteer]) -> Template | Redirect:
        """Check, then write the request and its first offers; a second sending of one form adds nothing.

        Nothing ticked but a description that names services: they are ticked, and the form shown
        again for the TPE to check, as it is when its first choice does not offer what is ticked.
        """
        form = await request.form()
        values = {name: str(form.get(name, ""))[:4000] for name in (
            "near", "budget", "start", "company_size", "sector", "description", "company_name", "contact_name",
            "contact_email", "contact_phone", "consent", "prestataire", "quand_meme")}
        values["services"] = [str(slug)[:60] for slug in form.getall("services", [])][:20]
        first = await form_context.first_choice(values["prestataire"])
        if form.get("site_web"):  # the honeypot: only robots fill a field people cannot see
            return Template(template_name="leads/sent.html", context={"already": False})
        ticked_from = ""
        if not values["services"] and (guessed := form_context.understood(request.app, values["description"])):
            values["services"], ticked_from = list(guessed), FROM_WORDS
        async with _submissions(request.app), urgent_write():
            return await _submit(request, gazetteer, form, values, first, ticked_from)

    @get("/suivi/{token:str}", name="lead-follow")
    async def follow(self, request: Request, token: FromPath[str], nouvelle: FromQuery[str] = "") -> Template:
        lead = await _lead_or_404(token)
        return await _follow_page(request, lead, token, new=bool(nouvelle))

    @post("/suivi/{token:str}/precisions", status_code=303)
    async def add_details(self, token: FromPath[str],
                          data: Annotated[DetailsForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Redirect:
        lead = await _lead_or_404(token)
        details = data.details.strip()
        if details:
            await _or_gone(service.add_details(lead["id"], details))
        return Redirect(f"/devis/suivi/{token}", status_code=303)

    @post("/suivi/{token:str}/cloturer", status_code=303)
    async def close(self, request: Request, token: FromPath[str]) -> Redirect:
        lead = await _lead_or_404(token)
        if lead["state"] != service.CLOSED:
            await service.close(lead["id"], request.app.state.plugin_manager)
        return Redirect(f"/devis/suivi/{token}", status_code=303)

    @post("/suivi/{token:str}/supprimer", status_code=200)
    async def delete(self, request: Request, token: FromPath[str],
                     data: Annotated[DeleteForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
        """Erase the request's personal data now, once confirmed; the link leads nowhere afterwards."""
        lead = await _lead_or_404(token)
        if data.confirm != "oui":
            return await _follow_page(request, lead, token, status_code=400,
                                      delete_error="Cochez la case pour confirmer la suppression de votre demande.")
        await service.anonymise(lead["id"], request.app.state.plugin_manager)
        return Template(template_name="leads/deleted.html")


async def _follow_page(request: Request, lead: dict[str, Any], token: str, status_code: int = 200,
                       **context: Any) -> Template:
    """The TPE's page of its request: its steps, who accepted, what it may still do, and what plugins add."""
    manager = request.app.state.plugin_manager
    return Template(template_name="leads/follow.html", status_code=status_code, context={
        "lead": lead, "token": token, "steps": await service.timeline(lead["id"]),
        "sections": await sections.collected(manager, "lead_follow_up_sections", lead_id=lead["id"]),
        "offers": await service.offered_to(lead["id"]), "states": service.LEAD_STATES,
        "labels": catalogue.SERVICE_LABELS, "budgets": forms.BUDGETS, "starts": forms.STARTS,
        "team_sizes": catalogue.TEAM_SIZES, "sectors": catalogue.SECTORS, "details_limit": forms.LIMITS["details"],
        **context})


async def _submit(request: Request, gazetteer: Gazetteer, form: Any, values: dict[str, Any],
                  first: form_context.FirstChoice | None, ticked_from: str) -> Template | Redirect:
    """The limits, the checks and the write of a submission, once its turn has come."""
    email = values["contact_email"].strip().lower()
    limits = service.lead_settings()
    if await over_limit(request, (f"leads:{client_key(request)}", limits.requests_per_client_hour, HOUR),
                        (f"leads:address:{email}", limits.requests_per_email_day, DAY)):
        return _form_page(request, values, first, {"form": "Trop de demandes envoyées : réessayez "
                                                            "demain, ou écrivez-nous."}, status_code=429)
    stamp = str(form.get("formulaire", ""))
    key, problem = check_stamp(request, stamp)
    try:
        cleaned = forms.clean(values, values["services"], gazetteer)
    except forms.FormErrors as error:
        return _form_page(request, values, first, error.errors, error.suggestions, status_code=400,
                          ticked_from=ticked_from)
    if key is None:
        return _form_page(request, values, first, {"form": problem}, status_code=400, ticked_from=ticked_from)
    missing = form_context.not_offered(values["services"], first)
    if ticked_from or (missing and not _confirmed(values, missing)):  # the TPE checks, then sends: same form
        return _form_page(request, values, first, ticked_from=ticked_from, to_confirm=True, stamp=stamp)
    source = next((s for s in await request.app.state.plugin_manager.acall_isolated("lead_source", request=request)
                   if s), "")
    try:
        submitted = await service.submit(cleaned, key, request.app.state.plugin_manager, source,
                                         first.id if first else None)
    except service.AlreadySubmitted:
        return Template(template_name="leads/sent.html", context={"already": True})
    return Redirect(f"/devis/suivi/{submitted.token}?nouvelle=1", status_code=303)


class DetailsForm(msgspec.Struct):
    details: Annotated[str, msgspec.Meta(max_length=forms.LIMITS["details"])] = ""


class DeleteForm(msgspec.Struct):
    confirm: Annotated[str, msgspec.Meta(max_length=10)] = ""


class AnswerForm(msgspec.Struct):
    decision: Annotated[str, msgspec.Meta(max_length=10)] = ""
    reason: Annotated[str, msgspec.Meta(max_length=1000)] = ""


class PreferencesForm(msgspec.Struct):
    paused: Annotated[str, msgspec.Meta(max_length=5)] = ""
    capacity: Annotated[str, msgspec.Meta(max_length=5)] = ""


async def _lead_or_404(token: str) -> dict[str, Any]:
    try:
        return await service.lead_for(token)
    except service.Gone:
        raise ProblemError(404, GONE) from None


async def _or_gone(answer) -> Any:  # noqa: ANN001 - an awaitable
    try:
        return await answer
    except service.Gone:
        raise ProblemError(409, "Cette demande est close ou a déjà reçu cette réponse.") from None


async def _offers_of(account: dict[str, Any]) -> list[dict[str, Any]]:
    """The offers made to the providers an account manages, newest first; contact details only once accepted."""
    Membership = tables.Membership
    providers = [row["provider"] for row in await Membership.select(Membership.provider).where(
        Membership.account == account["id"])]
    if not providers:
        return []
    rows = await Offer.select(
        Offer.id, Offer.state, Offer.offered_at, Offer.deadline_at, Offer.partial, Offer.remote, Offer.distance_km,
        Offer.provider.trade_name.as_alias("trade_name"), Offer.provider.departement.as_alias("office"),
        Offer.lead.services.as_alias("services"), Offer.lead.commune.as_alias("commune"),
        Offer.lead.postal_code.as_alias("postal_code"),
        Offer.lead.budget.as_alias("budget"), Offer.lead.start.as_alias("start"),
        Offer.lead.company_size.as_alias("company_size"), Offer.lead.sector.as_alias("sector"),
        Offer.lead.description.as_alias("description"), Offer.lead.contact_name.as_alias("contact_name"),
        Offer.lead.contact_email.as_alias("contact_email"), Offer.lead.contact_phone.as_alias("contact_phone"),
        Offer.lead.company_name.as_alias("company_name"), Offer.lead.state.as_alias("lead_state"),
    ).where(Offer.provider.is_in(providers)).order_by(Offer.offered_at, ascending=False).limit(200)
    for row in rows:
        if row["state"] != service.ACCEPTED:
            for field in ("contact_name", "contact_email", "contact_phone", "company_name"):
                row[field] = ""
    return rows


async def _offer_for(account: dict[str, Any], offer_id: int) -> dict[str, Any]:
    """One offer made to a provider the account manages (or any offer, for staff)."""
    offer = await Offer.select(Offer.id, Offer.provider.slug.as_alias("slug")).where(Offer.id == offer_id).first()
    if offer is None:
        raise ProblemError(404, "Cette proposition n'existe pas.")
    await provider_for(account, offer["slug"])
    return offer


async def _dashboard(request: Request, error: str = "", status_code: int = 200) -> Template:
    account = request.state.account
    Membership = tables.Membership
    managed = await Membership.select(Membership.provider.id.as_alias("id"), Membership.provider.slug.as_alias("slug"),
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
                     data: Annotated[AnswerForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Redirect:
        """Accept ("accepter") or decline ("refuser", with a reason) an offer."""
        await _offer_for(request.state.account, offer_id)
        if data.decision not in ("accepter", "refuser"):
            raise ProblemError(400, "Choisissez d'accepter ou de refuser.")
        await _or_gone(service.answer(offer_id, data.decision == "accepter", request.state.account["email"],
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
            return await _dashboard(request, "La capacité est un nombre de demandes par mois, de 0 à 1000.", 400)
        values = {"paused": data.paused == "oui", "monthly_capacity": int(capacity) if capacity else None}
        updated = await LeadPreferences.update(values).where(LeadPreferences.provider == provider["id"]).returning(
            LeadPreferences.id)
        if not updated:
            await LeadPreferences.insert(LeadPreferences(provider=provider["id"], **values))
        return Redirect("/compte/demandes", status_code=303)


class AnswerLinkController(Controller):
    """``/demandes/reponse/{token}``: the single-use link of an offer's e-mail; opening it changes nothing."""

    path = "/demandes/reponse/{token:str}"
    include_in_schema = False
    opt = PUBLIC

    @get("/", name="lead-answer")
    async def page(self, token: FromPath[str]) -> Template:
        offer = await _offer_by_link(token)
        return Template(template_name="leads/answer.html", context={
            "offer": offer, "token": token, "labels": catalogue.SERVICE_LABELS, "budgets": forms.BUDGETS,
            "starts": forms.STARTS, "open": offer["state"] == service.OFFERED, "states": service.OFFER_STATES})

    @post("/", status_code=303)
    async def answer(self, request: Request, token: FromPath[str],
                     data: Annotated[AnswerForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Redirect:
        offer = await _offer_by_link(token)
        if data.decision not in ("accepter", "refuser"):
            raise ProblemError(400, "Choisissez d'accepter ou de refuser.")
        await _or_gone(service.answer(offer["id"], data.decision == "accepter", "lien de l'e-mail",
                                      request.app.state.plugin_manager, data.reason))
        return Redirect(f"/demandes/reponse/{token}", status_code=303)


async def _offer_by_link(token: str) -> dict[str, Any]:
    offer = await Offer.select(
        Offer.id, Offer.state, Offer.deadline_at, Offer.provider.trade_name.as_alias("trade_name"),
        Offer.provider.departement.as_alias("office"), Offer.lead.services.as_alias("services"),
        Offer.lead.commune.as_alias("commune"),
        Offer.lead.budget.as_alias("budget"), Offer.lead.start.as_alias("start"),
        Offer.lead.description.as_alias("description"), Offer.lead.contact_name.as_alias("contact_name"),
        Offer.lead.contact_email.as_alias("contact_email"), Offer.lead.contact_phone.as_alias("contact_phone"),
    ).where(Offer.answer_hash == service.link_hash(token)).first()
    if offer is None:
        raise ProblemError(404, "Ce lien ne correspond à aucune proposition.")
    return offer


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
        recent = await Lead.select(Lead.id, Lead.commune, Lead.services, Lead.state, Lead.created_at).order_by(
            Lead.created_at, ascending=False).limit(100)
        return Template(template_name="leads/staff_queue.html", context={
            "waiting": waiting, "recent": recent, "states": service.LEAD_STATES, "labels": catalogue.SERVICE_LABELS})

    @get("/{lead_id:int}", name="staff-lead")
    async def lead(self, lead_id: FromPath[int]) -> Template:
        return await _staff_lead(lead_id)

    @post("/{lead_id:int}", status_code=303)
    async def act(self, request: Request, lead_id: FromPath[int],
                  data: Annotated[WidenForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        """Offer the lead by hand to one provider (its slug), or route it again within ``km``."""
        km = int(data.km) if data.km.isdigit() and 1 <= int(data.km) <= 500 else None
        if not km and not data.provider.strip():
            return await _staff_lead(lead_id, "Donnez un rayon (1 à 500 km) ou l'identifiant d'un prestataire.", 400)
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
                                Offer.provider.slug.as_alias("slug")).where(Offer.lead == lead_id).order_by(Offer.rank)
    runs = await RoutingRun.select().where(RoutingRun.lead == lead_id).order_by(RoutingRun.id)
    for run in runs:
        run["ranked"], run["excluded"] = json.loads(run["ranked"]), json.loads(run["excluded"])
    return Template(template_name="leads/staff_lead.html", status_code=status_code, context={
        "lead": lead, "offers": offers, "runs": runs, "steps": await service.timeline(lead_id, public_only=False),
        "states": service.LEAD_STATES, "offer_states": service.OFFER_STATES, "labels": catalogue.SERVICE_LABELS,
        "budgets": forms.BUDGETS, "starts": forms.STARTS, "error": error})
