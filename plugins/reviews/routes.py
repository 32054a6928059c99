"""The reviews plugin's pages: outcome answers, the review form, the charter, providers' and staff's pages."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from directory.plugin_api import (
    ACCOUNT,
    PUBLIC,
    STAFF,
    ProblemError,
    client_key,
    clock,
    csv_download,
    over_limit,
    tables,
)
from plugins.reviews import engagements, forms, funnel, outcomes, review_actions
from plugins.reviews.forms import CRITERIA

HOUR, DAY = timedelta(hours=1), timedelta(days=1)
GONE = "Ce lien ne mène nulle part : il a déjà servi, un lien plus récent l'a remplacé, ou il est incomplet."
FIELDS = ("rating", *CRITERIA, "text", "worked_on")


class OutcomeForm(msgspec.Struct):
    outcome: Annotated[str, msgspec.Meta(max_length=20)] = ""


class ReasonForm(msgspec.Struct):
    text: Annotated[str, msgspec.Meta(max_length=4000)] = ""


class DecisionForm(msgspec.Struct):
    decision: Annotated[str, msgspec.Meta(max_length=10)] = ""
    reason: Annotated[str, msgspec.Meta(max_length=1000)] = ""


def _gone() -> ProblemError:
    return ProblemError(404, GONE)


class OutcomeController(Controller):
    """``/avis/situation/{token}``: the single-use link of an outcome ask; opening it changes nothing."""

    path = "/avis/situation/{token:str}"
    include_in_schema = False
    opt = PUBLIC

    @get("/", name="reviews-outcome")
    async def page(self, token: FromPath[str]) -> Template:
        try:
            engagement, side = await engagements.by_ask_link(token)
        except engagements.Gone:
            raise _gone() from None
        return Template(template_name="reviews/outcome.html", context={
            "engagement": engagement, "side": side, "token": token, "choices": outcomes.OUTCOMES, "error": ""})

    @post("/", status_code=303)
    async def answer(self, token: FromPath[str],
                     data: Annotated[OutcomeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                     ) -> Template | Redirect:
        if data.outcome not in outcomes.OUTCOMES:
            try:
                engagement, side = await engagements.by_ask_link(token)
            except engagements.Gone:
                raise _gone() from None
            return Template(template_name="reviews/outcome.html", status_code=400, context={
                "engagement": engagement, "side": side, "token": token, "choices": outcomes.OUTCOMES,
                "error": "Choisissez où en est la demande."})
        try:
            side, review_token = await engagements.answer(token, data.outcome)
        except engagements.Gone:
            raise _gone() from None
        if side == engagements.TPE:
            return Redirect(f"/avis/ecrire/{review_token}?merci=1", status_code=303)
        return Template(template_name="reviews/thanks.html", status_code=200)


async def _review_page(token: str, values: dict[str, Any] | None = None, errors: dict[str, str] | None = None,
                       status_code: int = 200, thanks: bool = False) -> Template:
    try:
        engagement = await review_actions.by_review_link(token)
    except engagements.Gone:
        raise _gone() from None
    review = await review_actions.review_of(engagement["id"])
    if values is None:
        values = {name: str(review[name]) for name in FIELDS} if review else {}
    return Template(template_name="reviews/review_form.html", status_code=status_code, context={
        "engagement": engagement, "review": review, "values": values, "errors": errors or {}, "token": token,
        "criteria": CRITERIA, "states": review_actions.STATES, "thanks": thanks, "today": clock.now().date(),
        "limits": {"min": forms.TEXT_MIN, "max": forms.TEXT_MAX}})


class ReviewLinkController(Controller):
    """``/avis/ecrire/{token}``: the TPE's lasting link to write, edit or withdraw its review."""

    path = "/avis/ecrire/{token:str}"
    include_in_schema = False
    opt = PUBLIC

    @get("/", name="reviews-write")
    async def page(self, token: FromPath[str], merci: FromQuery[str] = "") -> Template:
        return await _review_page(token, thanks=bool(merci))

    @post("/", status_code=303)
    async def send(self, request: Request, token: FromPath[str]) -> Template | Redirect:
        """Check, then write the review (it waits for moderation); the honeypot catches robots."""
        form = await request.form()
        values = {name: str(form.get(name, ""))[:forms.TEXT_MAX + 100] for name in FIELDS}
        if form.get("site_web"):
            return Template(template_name="reviews/thanks.html")
        limit = outcomes.review_settings().reviews_per_client_hour
        if await over_limit(request, (f"reviews:{client_key(request)}", limit, HOUR),
                            (f"reviews:link:{token[:100]}", limit, DAY)):
            return await _review_page(token, values, {"form": "Trop d'envois : réessayez dans une heure."}, 429)
        engagement = await _engagement_or_404(token)
        try:
            cleaned = forms.clean(values, engagement["accepted_at"], clock.now().date())
            await review_actions.write(token, cleaned)
        except forms.FormErrors as error:
            return await _review_page(token, values, error.errors, 400)
        except review_actions.NotAllowed as refusal:
            return await _review_page(token, values, {"form": str(refusal)}, 403)
        return Redirect(f"/avis/ecrire/{token}", status_code=303)

    @get("/donnees", name="reviews-tpe-export")
    async def export(self, token: FromPath[str]) -> Response:
        """What the directory holds of the TPE for this request (its address, outcome, review), as JSON."""
        engagement = await _engagement_or_404(token)
        data = await review_actions.held_for_tpe(engagement)
        return Response(msgspec.json.format(msgspec.json.encode(data)), media_type="application/json; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="channel-expert-avis.json"',
                                 "Cache-Control": "no-store"})

    @post("/retirer", status_code=303)
    async def withdraw(self, token: FromPath[str]) -> Redirect:
        await _engagement_or_404(token)
        await review_actions.withdraw(token)
        return Redirect(f"/avis/ecrire/{token}", status_code=303)


async def _engagement_or_404(token: str) -> dict[str, Any]:
    try:
        return await review_actions.by_review_link(token)
    except engagements.Gone:
        raise _gone() from None


class ReviewPagesController(Controller):
    """``/avis``: the review charter, and a TPE asking for its review link again."""

    path = "/avis"
    include_in_schema = False
    opt = PUBLIC

    @get("/charte", name="reviews-charter")
    async def charter(self) -> Template:
        settings = outcomes.review_settings()
        return Template(template_name="reviews/charter.html", context={"settings": settings})

    @get("/lien/{engagement_id:int}", name="reviews-ask-link")
    async def ask_link(self, engagement_id: FromPath[int]) -> Template:
        return Template(template_name="reviews/ask_link.html", context={"engagement_id": engagement_id})

    @post("/lien/{engagement_id:int}", status_code=200)
    async def link(self, request: Request, engagement_id: FromPath[int]) -> Template:
        """Mail the review link again, to the address of the request only (so asking reveals nothing)."""
        if not await over_limit(request, (f"reviews:resend:{client_key(request)}", 10, HOUR),
                                (f"reviews:resend:{engagement_id}", 3, DAY)):
            await engagements.send_review_link(engagement_id)
        return Template(template_name="reviews/link_sent.html")


class ProviderReviewsController(Controller):
    """``/compte/avis``: the reviews of the providers an account manages, to answer or report."""

    path = "/compte/avis"
    include_in_schema = False
    opt = ACCOUNT

    @get("/", name="reviews-account")
    async def page(self, request: Request) -> Template:
        return await _account_page(request)

    @post("/{review_id:int}/{action:str}", status_code=303)
    async def act(self, request: Request, review_id: FromPath[int], action: FromPath[str],
                  data: Annotated[ReasonForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        """Answer ("reponse") or report ("signalement") a review of a provider the account manages."""
        account = request.state.account
        provider_id = await _managed_provider_of(account, review_id)
        act = {"reponse": review_actions.answer, "signalement": review_actions.report}.get(action)
        if act is None:
            raise ProblemError(404, "Action inconnue.")
        try:
            await act(review_id, provider_id, account, data.text)
        except review_actions.NotAllowed as refusal:
            return await _account_page(request, str(refusal), 400)
        return Redirect("/compte/avis", status_code=303)


async def _managed_provider_of(account: dict[str, Any], review_id: int) -> int:
    """The provider of a review, if the account is one of its members (staff act only as staff)."""
    Membership = tables.Membership
    review = await review_actions.Review.select(review_actions.Review.provider).where(
        review_actions.Review.id == review_id).first()
    if review is None:
        raise ProblemError(404, "Cet avis n'existe pas.")
    if not await Membership.exists().where((Membership.provider == review["provider"])
                                           & (Membership.account == account["id"])):
        raise ProblemError(403, "Vous ne gérez pas la fiche de ce prestataire.")
    return review["provider"]


async def _account_page(request: Request, error: str = "", status_code: int = 200) -> Template:
    Membership = tables.Membership
    managed = await Membership.select(Membership.provider.id.as_alias("id"),
                                      Membership.provider.trade_name.as_alias("trade_name")).where(
        Membership.account == request.state.account["id"])
    reviews = {m["id"]: await review_actions.published(m["id"]) for m in managed}
    return Template(template_name="reviews/account.html", status_code=status_code, context={
        "managed": managed, "reviews": reviews, "error": error, "criteria": CRITERIA})


class StaffReviewsController(Controller):
    """``/equipe/avis``: reviews to moderate and reviews reported."""

    path = "/equipe/avis"
    include_in_schema = False
    opt = STAFF

    @get("/", name="reviews-staff")
    async def queue(self) -> Template:
        return await _staff_page()

    @post("/{review_id:int}", status_code=303)
    async def decide(self, request: Request, review_id: FromPath[int],
                     data: Annotated[DecisionForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
                     ) -> Template | Redirect:
        """Publish ("publier") or refuse ("refuser", with a reason mailed to the author)."""
        if data.decision not in ("publier", "refuser"):
            return await _staff_page("Choisissez de publier ou de refuser.", 400)
        try:
            await review_actions.moderate(review_id, data.decision == "publier", data.reason, request.state.account)
        except review_actions.NotAllowed as refusal:
            return await _staff_page(str(refusal), 400)
        return Redirect("/equipe/avis", status_code=303)


async def _staff_page(error: str = "", status_code: int = 200) -> Template:
    return Template(template_name="reviews/staff.html", status_code=status_code, context={
        "reviews": await review_actions.pending(), "error": error, "criteria": CRITERIA,
        "states": review_actions.STATES})


class StaffFunnelController(Controller):
    """``/equipe/suites``: the funnel of outcomes per provider and per département, and its CSV."""

    path = "/equipe/suites"
    include_in_schema = False
    opt = STAFF

    @get("/", name="reviews-funnel")
    async def page(self) -> Template:
        rows = await funnel.read()
        return Template(template_name="reviews/funnel.html", context={"stages": funnel.STAGES, "tables": [
            (by, title, funnel.LABELS[by], funnel.table(rows, by)) for by, title in FUNNEL_TABLES]})

    @get("/{name:str}", name="reviews-funnel-csv")
    async def download(self, name: FromPath[str]) -> Response:
        """A table of the page as CSV (``prestataires.csv``, ``departements.csv``): the same rows."""
        by = name.removesuffix(".csv")
        if by not in funnel.LABELS or not name.endswith(".csv"):
            raise ProblemError(404, "Ce tableau n'existe pas.")
        return csv_download(funnel.csv_rows(funnel.table(await funnel.read(), by), by), f"suites-{by}")


FUNNEL_TABLES = ((funnel.BY_PROVIDER, "Par prestataire"), (funnel.BY_DEPARTEMENT, "Par département"))
CONTROLLERS = (OutcomeController, ReviewLinkController, ReviewPagesController, ProviderReviewsController,
               StaffReviewsController, StaffFunnelController)
