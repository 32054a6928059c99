"""The badges plugin's pages: public badge pages and verification, providers' badges, staff's awards."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template
from markupsafe import escape

from directory.plugin_api import (
    ACCOUNT,
    PUBLIC,
    STAFF,
    ProblemError,
    catalogue,
    client_key,
    clock,
    json_refusal,
    managed_listings,
    over_limit,
    problem_responses,
    provider_for,
    tables,
)
from plugins.badges import awards, credentials, images, issuer, measures, status, verification
from plugins.badges.tables import BadgeAward, BadgeClass

JSON_LD = "application/ld+json"
MAX_CREDENTIAL_BYTES = 64 * 1024
VERIFY_LIMIT = 60  # verifications per client and minute
SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
NO_SUCH_BADGE = "Ce badge n'existe pas."
NO_SUCH_LIST = "Cette liste de statuts n'existe pas."


def _json(document: dict[str, Any] | None, missing: str) -> Response:
    if document is None:
        raise ProblemError(404, missing)
    return Response(msgspec.json.encode(document), media_type=JSON_LD,
                    headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"})


class PublicBadgesController(Controller):
    """What anyone can read: the badges and their criteria, the issuer and its keys, the status lists."""

    path = "/badges"
    opt = PUBLIC
    include_in_schema = False

    @get("/", name="badges")
    async def index(self) -> Template:
        classes = await BadgeClass.select().where(BadgeClass.active == True).order_by(BadgeClass.name)
        return Template(template_name="badges/index.html", context={"classes": classes})

    @get("/emetteur", name="badges-issuer")
    async def issuer(self) -> Response:
        """The issuer's profile and controller document: the public keys its credentials name."""
        return _json(await issuer.issuer_document(), "")

    @get("/statuts/{number:int}", name="badges-status-list")
    async def status_list(self, request: Request, number: FromPath[int]) -> Response:
        """A revocation list: set bits are credentials revoked for ever."""
        return _json(await _lists(request).get(credentials.REVOCATION, number), NO_SUCH_LIST)

    @get("/statuts/suspension/{number:int}", name="badges-suspension-list")
    async def suspension_list(self, request: Request, number: FromPath[int]) -> Response:
        """A suspension list: set bits are credentials of listings suspended until staff restore them."""
        return _json(await _lists(request).get(credentials.SUSPENSION, number), NO_SUCH_LIST)

    @get("/attestations/{credential:str}", name="badges-credential")
    async def credential(self, request: Request, credential: FromPath[str]) -> Response:
        return _json(await awards.credential(f"{issuer.site()}{request.url.path}"), "Cette attestation n'existe pas.")

    @get("/verifier", name="badges-verify-page")
    async def verify_page(self, request: Request) -> Template:
        """The verification form; ``?attestation=<id>`` (the providers' snippet) verifies one of ours at once."""
        named = request.query_params.get("attestation", "")
        found = await awards.credential(named) if named.startswith(f"{issuer.site()}/badges/attestations/") else None
        if found is None:
            return Template(template_name="badges/verify.html", context={"verdict": None, "pasted": ""})
        return Template(template_name="badges/verify.html", context={
            "verdict": await status.verify(found, _lists(request)), "pasted": json.dumps(found, ensure_ascii=False, indent=2)})

    @post("/verifier", status_code=200, request_max_body_size=3 * MAX_CREDENTIAL_BYTES)
    async def verify_form(self, request: Request) -> Template:
        """Verify a pasted or uploaded credential and say why it fails, in French."""
        form = await request.form()
        pasted, upload = str(form.get("credential") or ""), form.get("file")
        if isinstance(upload, UploadFile) and upload.filename:
            pasted = (await upload.read(MAX_CREDENTIAL_BYTES + 1)).decode("utf-8", "replace")
        if await over_limit(request, (f"badges-verify:{client_key(request)}", VERIFY_LIMIT, timedelta(minutes=1))):
            verdict = verification.Verdict(valid=False, reason="Trop de vérifications : réessayez dans une minute.")
            return Template(template_name="badges/verify.html", status_code=429,
                            context={"verdict": verdict, "pasted": pasted[:MAX_CREDENTIAL_BYTES]})
        verdict = await _verdict(pasted, _lists(request))
        return Template(template_name="badges/verify.html", status_code=200 if verdict.valid else 422,
                        context={"verdict": verdict, "pasted": pasted[:MAX_CREDENTIAL_BYTES]})

    @get("/{slug:str}", name="badge")
    async def badge(self, slug: FromPath[str]) -> Template:
        """A badge's public page: what it says, its criteria, who holds it now."""
        badge = await _class_or_404(slug)
        holders = await BadgeAward.select(BadgeAward.provider.slug.as_alias("slug"),
                                          BadgeAward.provider.trade_name.as_alias("trade_name")).where(
            (BadgeAward.badge == badge["id"]) & awards.valid_at(clock.now())
            & (BadgeAward.provider.state == catalogue.PUBLISHED)).order_by(BadgeAward.provider.trade_name)
        return Template(template_name="badges/badge.html", context={
            "badge": badge, "holders": holders, "measured": [measures.sentence(t) for t in measures.stored(badge)],
            "sources": measures.sources(measures.stored(badge))})

    @get("/{slug:str}/image.svg", name="badge-image")
    async def image(self, slug: FromPath[str]) -> Response:
        badge = await _class_or_404(slug)
        return Response(images.svg(badge["name"], badge["color"]), media_type="image/svg+xml",
                        headers={"Cache-Control": "public, max-age=3600",
                                 "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


async def _class_or_404(slug: str) -> dict[str, Any]:
    badge = await BadgeClass.select().where(BadgeClass.slug == slug).first() if SLUG.fullmatch(slug) else None
    if badge is None:
        raise ProblemError(404, NO_SUCH_BADGE)
    return badge


def _lists(request: Request) -> status.StatusLists:
    return request.app.state.badge_status_lists


async def _verdict(text: str, lists: status.StatusLists) -> verification.Verdict:
    if not text.strip():
        return verification.Verdict(valid=False, reason="Collez une attestation ou choisissez son fichier.")
    if len(text.encode()) > MAX_CREDENTIAL_BYTES:
        return verification.Verdict(valid=False, reason="Ce fichier est trop grand pour être une attestation (64 Kio au plus).")
    if refused := json_refusal(text.encode()):
        return verification.Verdict(valid=False, reason=refused)
    try:
        document = json.loads(text)
    except ValueError:
        return verification.Verdict(valid=False, reason="Ce texte n'est pas du JSON : collez l'attestation telle que vous l'avez reçue.")
    return await status.verify(document, lists)


class VerifyApiController(Controller):
    path = "/api/badges"
    opt = PUBLIC
    tags = ("badges",)

    @post("/verify", summary="Vérifier une attestation de badge",
          description="Corps : l'attestation Open Badges 3.0 (JSON). Réponse : `valid`, et sinon `reason` en français.",
          responses=problem_responses(400, 413, 429), status_code=200, request_max_body_size=MAX_CREDENTIAL_BYTES)
    async def verify(self, request: Request, data: Annotated[Any, Body()]) -> verification.Verdict:
        if await over_limit(request, (f"badges-verify:{client_key(request)}", VERIFY_LIMIT, timedelta(minutes=1))):
            raise ProblemError(429, "Trop de vérifications : réessayez dans une minute.")
        return await status.verify(data, _lists(request))


@get("/compte/badges", name="account-badges", opt=ACCOUNT, include_in_schema=False)
async def account_badges(request: Request) -> Template | Redirect:
    """The member area's way to its badges (``account_links``): straight to them for one listing,
    else the listings it manages, each to its own badges."""
    listings = await managed_listings(request.state.account["id"])
    if len(listings) == 1:
        return Redirect(f"/compte/prestataires/{listings[0]['slug']}/badges", status_code=303)
    return Template(template_name="badges/account.html", context={"listings": listings})


class ProviderBadgesController(Controller):
    """``/compte/prestataires/{slug}/badges``: a member's badges, their credentials and a snippet."""

    path = "/compte/prestataires/{slug:str}/badges"
    opt = ACCOUNT
    include_in_schema = False

    @get("/", name="provider-badges")
    async def badges(self, request: Request, slug: FromPath[str]) -> Template:
        provider = await provider_for(request.state.account, slug)
        shown = await awards.awards_of(provider["slug"])
        return Template(template_name="badges/provider.html", context={
            "provider": provider, "awards": shown, "site": issuer.site(), "unlisted": provider["state"] in status.UNLISTED,
            "snippets": {award.id: snippet(award, issuer.site()) for award in shown if award.valid}})

    @get("/attestations.json", name="provider-credentials")
    async def download(self, request: Request, slug: FromPath[str]) -> Response:
        provider = await provider_for(request.state.account, slug)
        return Response(msgspec.json.encode(await awards.credentials_of(provider["id"])), media_type="application/json",
                        headers={"Content-Disposition": f'attachment; filename="badges-{provider["slug"]}.json"'})


def snippet(award: awards.Shown, site: str) -> str:
    """HTML a provider pastes on its own site: the badge's image, linked to its verification."""
    name = escape(award.badge)
    verify = f"{site}/badges/verifier?attestation={escape(award.credential_id)}"
    return (f'<a href="{verify}" title="{name} — vérifier ce badge">'
            f'<img src="{site}/badges/{award.slug}/image.svg" alt="{name}, badge du réseau Channel Expert" '
            f'width="160" height="48"></a>')


async def _readings(known: dict[str, measures.Measure], classes: list[dict[str, Any]],
                    provider_id: int) -> dict[str, list[measures.Reading]]:
    """The provider's values against each attributable class's thresholds, for the award form."""
    return {badge["slug"]: await measures.readings(known, badge["measured"], provider_id)
            for badge in classes if badge["active"] and badge["measured"]}


class ClassForm(msgspec.Struct, kw_only=True):
    slug: str = ""
    name: str = ""
    description: str = ""
    criteria: str = ""
    color: str = "#0b5cad"
    validity_months: str = ""
    active: str = ""


class AwardForm(msgspec.Struct, kw_only=True):
    provider: str = ""
    badge: str = ""
    expires: str = ""
    evidence_url: str = ""
    note: str = ""


class RenewForm(msgspec.Struct, kw_only=True):
    expires: str = ""


class RevokeForm(msgspec.Struct, kw_only=True):
    reason: str = ""


Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class StaffBadgesController(Controller):
    """``/equipe/badges``: the badge classes and the awards, for staff."""

    path = "/equipe/badges"
    opt = STAFF
    include_in_schema = False

    @get("/", name="staff-badges")
    async def page(self, request: Request) -> Template:
        """The page; ``?fait=`` (the redirect after an action) says what was just done."""
        return await _staff_page(request, request.query_params.get("prestataire", ""),
                                 done=request.query_params.get("fait", ""))

    @post("/classes", status_code=303)
    async def save_class(self, request: Request, data: Annotated[ClassForm, Form]) -> Template | Redirect:
        """Create a badge class, or change the one whose slug is given, with its measured thresholds."""
        form = await request.form()
        typed = {**msgspec.structs.asdict(data), **{key: str(value) for key, value in form.items()
                                                    if key.startswith(measures.FIELD)}}

        async def act() -> None:
            existing = await BadgeClass.select(BadgeClass.thresholds).where(BadgeClass.slug == data.slug.strip()).first()
            try:
                thresholds = measures.parsed(typed, _measures(request), measures.stored(existing or {}))
            except ValueError as error:
                raise awards.BadgeError(str(error)) from None
            await awards.save_class(
                slug=data.slug, name=data.name, description=data.description, criteria=data.criteria,
                color=data.color, validity_months=data.validity_months, active=data.active == "oui",
                actor=request.state.account["email"], thresholds=thresholds)
        return await _acted(request, act, "classe", typed=typed)

    @post("/attributions", status_code=303)
    async def award(self, request: Request, data: Annotated[AwardForm, Form]) -> Template | Redirect:
        """Award a badge; refused, with the provider's values, while it does not meet the badge's thresholds."""
        return await _acted(request, lambda: _award(data, request.state.account["email"],
                                                    measures.checker(request.app.state.plugin_manager)),
                            "attribue", data.provider.strip(), typed=msgspec.structs.asdict(data))

    @post("/attributions/{award_id:int}/renouveler", status_code=303)
    async def renew(self, request: Request, award_id: FromPath[int], data: Annotated[RenewForm, Form]) -> Template | Redirect:
        async def act() -> None:
            await awards.renew(award_id, actor=request.state.account["email"], expires_at=awards.end_of_day(data.expires))
        return await _acted(request, act, "renouvele")

    @post("/attributions/{award_id:int}/revoquer", status_code=303)
    async def revoke(self, request: Request, award_id: FromPath[int], data: Annotated[RevokeForm, Form]) -> Template | Redirect:
        async def act() -> None:
            await awards.revoke(award_id, actor=request.state.account["email"], reason=data.reason)
        return await _acted(request, act, "revoque")


def _measures(request: Request) -> dict[str, measures.Measure]:
    return measures.registered(request.app.state.plugin_manager)


async def _award(data: AwardForm, actor: str, meets) -> None:  # noqa: ANN001 - measures.checker's function
    await awards.award(data.provider.strip(), data.badge.strip(), actor=actor, expires_at=awards.end_of_day(data.expires),
                       evidence_url=data.evidence_url, note=data.note, meets=meets)


async def _acted(request: Request, action, done: str, provider: str = "", typed: dict[str, str] | None = None
                 ) -> Template | Redirect:
    """Run a staff action; its French error is shown on the page with what was typed kept, its
    success by the page it redirects to (``done`` names the confirmation, ``staff.html`` words it)."""
    try:
        await action()
    except awards.BadgeError as error:
        return await _staff_page(request, provider, str(error), 400, typed or {})
    return Redirect(f"/equipe/badges?fait={done}" + (f"&prestataire={provider}" if SLUG.fullmatch(provider) else ""),
                    status_code=303)


async def _staff_page(request: Request, provider: str, error: str = "", status_code: int = 200,
                      typed: dict[str, str] | None = None, done: str = "") -> Template:
    now = clock.now()
    query = BadgeAward.select(*awards.AWARD_COLUMNS, *awards.PROVIDER_COLUMNS, BadgeAward.awarded_by,
                              BadgeAward.provider.state.as_alias("provider_state"))
    if provider:
        query = query.where(BadgeAward.provider.slug == provider)
    rows = await query.order_by(BadgeAward.id, ascending=False).limit(200)
    listing = await tables.Provider.select(tables.Provider.id, tables.Provider.trade_name).where(
        tables.Provider.slug == provider).first() if provider else None
    classes, known = await BadgeClass.select().order_by(BadgeClass.name), _measures(request)
    for badge in classes:
        badge["measured"] = measures.stored(badge)
        badge.update({measures.FIELD + t.measure: f"{t.minimum:g}".replace(".", ",") for t in badge["measured"]})
    return Template(template_name="badges/staff.html", status_code=status_code, context={
        "classes": classes, "error": error, "provider": provider, "measures": known,
        "readings": await _readings(known, classes, listing["id"]) if listing else {},
        "trade_name": listing["trade_name"] if listing else "",
        "typed": typed or {}, "done": done,
        "awards": [{**row, "state": awards.state_of(row, now), "suspended": row["provider_state"] in status.UNLISTED}
                   for row in rows]})
