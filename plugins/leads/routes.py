"""The TPE's pages of the leads plugin: the form that asks for quotes, and the follow-up page its
private link opens (details added, the request closed or erased).

The providers' pages are in ``provider_pages``, staff's in ``staff_pages``: each is used by another
person under another access rule. ``or_gone`` is here: the TPE's writes and the providers' answers
both meet a lead that has moved on, and ``provider_pages`` imports it.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Litestar, Request, get, post
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from directory.plugin_api import (
    PUBLIC,
    ProblemError,
    catalogue,
    check_stamp,
    client_key,
    form_stamp,
    over_limit,
    route_path,
    urgent_write,
)
from geo import Gazetteer
from plugins.leads import follow_up, form_context, forms, sections, service

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
        "values": values, "errors": errors or {}, "suggestions": suggestions,
        "stamp": stamp or form_stamp(request),
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
        return _form_page(request, {"services": list(ticked), "near": near[:200],
                                    "description": description, "prestataire": first.slug if first else ""},
                          first, ticked_from=ticked_from)

    @post("/", status_code=200)
    async def send(self, request: Request, gazetteer: NamedDependency[Gazetteer]) -> Template | Redirect:
        """Check, then write the request and its first offers; a second sending of one form adds nothing.

        Nothing ticked but a description that names services: they are ticked, and the form shown
        again for the TPE to check, as it is when its first choice does not offer what is ticked.
        """
        form = await request.form()
        values = {name: str(form.get(name, ""))[:4000] for name in (
            "near", "budget", "start", "company_size", "sector", "description", "company_name",
            "contact_name", "contact_email", "contact_phone", "consent", "prestataire", "quand_meme")}
        values["services"] = [str(slug)[:60] for slug in form.getall("services", [])][:20]
        first = await form_context.first_choice(values["prestataire"])
        if form.get("site_web"):  # the honeypot: only robots fill a field people cannot see
            return Template(template_name="leads/sent.html", context={"already": False})
        ticked_from = ""
        if not values["services"] and (
                guessed := form_context.understood(request.app, values["description"])):
            values["services"], ticked_from = list(guessed), FROM_WORDS
        async with _submissions(request.app), urgent_write():
            return await _submit(request, gazetteer, form, values, first, ticked_from)

    @get("/suivi/{token:str}", name="lead-follow")
    async def follow(self, request: Request, token: FromPath[str], nouvelle: FromQuery[str] = "") -> Template:
        lead = await _lead_or_404(token)
        return await _follow_page(request, lead, token, new=bool(nouvelle))

    @post("/suivi/{token:str}/precisions", status_code=303)
    async def add_details(self, token: FromPath[str],
                          data: Annotated[DetailsForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                          ) -> Redirect:
        lead = await _lead_or_404(token)
        details = data.details.strip()
        if details:
            await or_gone(follow_up.add_details(lead["id"], details))
        return Redirect(f"/devis/suivi/{token}", status_code=303)

    @post("/suivi/{token:str}/cloturer", status_code=303)
    async def close(self, request: Request, token: FromPath[str]) -> Redirect:
        lead = await _lead_or_404(token)
        if lead["state"] != service.CLOSED:
            await follow_up.close(lead["id"], request.app.state.plugin_manager)
        return Redirect(f"/devis/suivi/{token}", status_code=303)

    @post("/suivi/{token:str}/supprimer", status_code=200)
    async def delete(self, request: Request, token: FromPath[str],
                     data: Annotated[DeleteForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                     ) -> Template:
        """Erase the request's personal data now, once confirmed; the link leads nowhere afterwards."""
        lead = await _lead_or_404(token)
        if data.confirm != "oui":
            return await _follow_page(request, lead, token, status_code=400, delete_error=(
                "Cochez la case pour confirmer la suppression de votre demande."))
        await follow_up.anonymise(lead["id"], request.app.state.plugin_manager)
        return Template(template_name="leads/deleted.html")


async def _follow_page(request: Request, lead: dict[str, Any], token: str, status_code: int = 200,
                       **context: Any) -> Template:
    """The TPE's page of its request: its steps, who accepted, what it may still do, and what plugins
    add."""
    manager = request.app.state.plugin_manager
    return Template(template_name="leads/follow.html", status_code=status_code, context={
        "lead": lead, "token": token, "steps": await follow_up.timeline(lead["id"]),
        "sections": await sections.collected(manager, "lead_follow_up_sections", lead_id=lead["id"]),
        "offers": await follow_up.offered_to(lead["id"]), "states": service.LEAD_STATES,
        "labels": catalogue.SERVICE_LABELS, "budgets": forms.BUDGETS, "starts": forms.STARTS,
        "team_sizes": catalogue.TEAM_SIZES, "sectors": catalogue.SECTORS,
        "details_limit": forms.LIMITS["details"],
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
    sources = await request.app.state.plugin_manager.acall_isolated("lead_source", request=request)
    source = next((s for s in sources if s), "")
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


async def _lead_or_404(token: str) -> dict[str, Any]:
    try:
        return await follow_up.lead_for(token)
    except service.Gone:
        raise ProblemError(404, GONE) from None


async def or_gone(answer) -> Any:  # noqa: ANN001 - an awaitable
    """Await a write on a lead or an offer; one that has moved on (closed, erased, already answered)
    is a 409 for the person who sent it."""
    try:
        return await answer
    except service.Gone:
        raise ProblemError(409, "Cette demande est close ou a déjà reçu cette réponse.") from None
