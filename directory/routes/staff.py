"""``/equipe``: network staff's moderation queue and their decisions on profiles."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from directory import catalogue, history, moderation, validation
from directory.accounts import members
from directory.accounts.guards import STAFF
from directory.history import Actor
from directory.notices import flash
from directory.problems import ProblemError
from directory.tables import Provider

FOUND_AT_MOST = 50
# What staff are told after each decision, on the page the decision redirects to.
DONE = {
    "valider": "Changement d'identité validé : la fiche publiée porte les nouvelles valeurs.",
    "refuser": "Changement d'identité refusé : le prestataire reçoit le motif par e-mail.",
}
PROFILE_DONE = {
    "publier": "La fiche est publiée.",
    "refuser": "La fiche est renvoyée au prestataire, avec le motif.",
    "suspendre": "La fiche est suspendue : elle n'apparaît plus dans l'annuaire.",
    "retablir": "La fiche est rétablie dans l'annuaire.",
}


class DecisionForm(msgspec.Struct):
    decision: Annotated[str, msgspec.Meta(max_length=20)] = ""
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class ReasonForm(msgspec.Struct):
    reason: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class InviteForm(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""


def _staff(request: Request) -> Actor:
    return Actor.of(request.state.account, history.STAFF)


async def _queue(error: str = "", status_code: int = 200) -> Template:
    return Template(template_name="staff/queue.html", status_code=status_code,
                    context={**await moderation.queue(), "error": error, "kinds": catalogue.KINDS})


async def _provider_page(slug: str, status_code: int = 200, **context: Any) -> Template:
    provider = await Provider.select(Provider.id, Provider.slug, Provider.trade_name, Provider.legal_name,
                                     Provider.state, Provider.email, Provider.left_at).where(
        Provider.slug == slug).first()
    if provider is None:
        raise ProblemError(404, members.GONE)
    return Template(template_name="staff/provider.html", status_code=status_code, context={
        "provider": provider, "states": catalogue.STATES, "members": await members.listing(provider["id"]),
        "decisions": moderation.PROFILE_DECISIONS, **context})


class StaffController(Controller):
    path = "/equipe"
    include_in_schema = False
    opt = STAFF

    @get("/", name="staff-queue")
    async def queue(self) -> Template:
        return await _queue()

    @post("/modifications/{change_id:int}", status_code=200)
    async def decide_change(self, request: Request, change_id: FromPath[int],
                            data: Annotated[DecisionForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                            ) -> Template | Redirect:
        """Approve ("valider") or reject ("refuser", with a reason) an identity change."""
        if data.decision not in ("valider", "refuser"):
            return await _queue("Choisissez de valider ou de refuser.", 400)
        try:
            await moderation.decide_change(change_id, _staff(request), data.decision == "valider", data.reason)
        except moderation.DecisionError as error:
            return await _queue(str(error), 400)
        flash(request, DONE[data.decision])
        return Redirect("/equipe", status_code=303)

    @get("/prestataires", name="staff-providers")
    async def find(self, q: Annotated[str, msgspec.Meta(max_length=100)] = "") -> Template:
        """Find a listing by name or slug, whatever its state."""
        found = []
        if q.strip():
            found = await Provider.select(Provider.slug, Provider.trade_name, Provider.commune, Provider.state).where(
                Provider.trade_name.ilike(f"%{q.strip()}%") | (Provider.slug == q.strip())).order_by(
                Provider.trade_name).limit(FOUND_AT_MOST)
        return Template(template_name="staff/find.html",
                        context={"q": q, "found": found, "states": catalogue.STATES})

    @get("/prestataires/{slug:str}", name="staff-provider")
    async def provider(self, slug: FromPath[str]) -> Template:
        return await _provider_page(slug)

    @post("/prestataires/{slug:str}/invitation", status_code=200)
    async def invite(self, request: Request, slug: FromPath[str],
                     data: Annotated[InviteForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
        """Invite a contact to manage the listing (its owner when it has no member yet)."""
        provider = await Provider.select(Provider.id, Provider.trade_name).where(Provider.slug == slug).first()
        if provider is None:
            raise ProblemError(404, members.GONE)
        try:
            sent = await members.invite(provider, data.email, request.state.account)
        except (validation.InvalidValue, members.MemberError) as error:
            return await _provider_page(slug, 400, error=str(error))
        return await _provider_page(slug, sent=sent)

    @post("/prestataires/{slug:str}/{decision:str}", status_code=200)
    async def decide_profile(self, request: Request, slug: FromPath[str], decision: FromPath[str],
                             data: Annotated[ReasonForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                             ) -> Template | Redirect:
        """Publish or send back a new profile, suspend or restore a listing."""
        if decision not in moderation.PROFILE_DECISIONS:
            raise ProblemError(404, "Décision inconnue.")
        try:
            await moderation.decide_profile(slug, decision, _staff(request), data.reason)
        except moderation.DecisionError as error:
            return await _provider_page(slug, 400, error=str(error))
        flash(request, PROFILE_DONE[decision])
        return Redirect(f"/equipe/prestataires/{slug}", status_code=303)
