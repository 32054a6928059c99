"""``/compte/prestataires/{slug}``: a member manages its provider: profile, logo, members, history, data."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response, Template

from directory import catalogue, data_rights, editing, history, logos, providers, validation
from directory.accounts import listing_addresses, members
from directory.accounts.guards import ACCOUNT
from directory.history import Actor
from directory.records import RecordError, record_to_row
from directory.routes.forms import over_limit
from geo import Gazetteer, Geocoder

INVITES_PER_PROVIDER = 20  # invitations a provider's members send per day
DAY = timedelta(days=1)
LOGO_FORM_BYTES = logos.MAX_BYTES + 64 * 1024  # the image and the form around it
# The names the profile form shows a field for (``champ-<name>``); an error on any other is
# written out in the form's summary.
FORM_FIELDS = frozenset({*editing.EDITABLE_FIELDS, "logo"})


class InviteForm(msgspec.Struct):
    email: Annotated[str, msgspec.Meta(max_length=254)] = ""


class LeaveForm(msgspec.Struct):
    confirm: Annotated[str, msgspec.Meta(max_length=10)] = ""


def _actor(request: Request) -> Actor:
    return Actor.of(request.state.account, history.WEB)


def _page(name: str, provider: dict[str, Any], status_code: int = 200, **context: Any) -> Template:
    return Template(template_name=f"profile/{name}.html", status_code=status_code,
                    context={"provider": provider, "states": catalogue.STATES, **context})


async def _edit_page(provider: dict[str, Any], gazetteer: Gazetteer, row: dict[str, str] | None = None,
                     errors: dict[str, str] | None = None, preview: Any = None, done: editing.Edited | None = None,
                     logo: str = "", status_code: int = 200) -> Template:
    """The profile form: ``row`` as typed (the stored profile without it); ``logo`` says what
    just happened to the logo ("sent" or "removed")."""
    _, record = await editing.current(provider["slug"])
    values = row if row is not None else record_to_row(record)
    return _page("edit", provider, status_code, values=values, errors=errors or {}, preview=preview, done=done,
                 logo=logo, fields=FORM_FIELDS, logo_url=record.logo_url,
                 logo_max_mb=logos.MAX_BYTES // (1024 * 1024),
                 kinds=catalogue.KINDS, services=[(entry.slug, entry.label) for entry in catalogue.SERVICES], sectors=catalogue.SECTORS,
                 team_sizes=catalogue.TEAM_SIZES, languages=catalogue.LANGUAGES,
                 departements=sorted(gazetteer.departements().items()), identity=editing.IDENTITY_FIELDS,
                 list_separator=";", pending=await editing.pending_of(provider["id"]),
                 unconfirmed_email=await listing_addresses.unconfirmed(provider["id"]))


def _typed(form: Any) -> dict[str, str] | None:
    """The profile as the form sent it; None for a form that carries only a logo."""
    if not any(name in form for name in editing.EDITABLE_FIELDS):
        return None
    return editing.form_row(form, {name: form.getall(name, []) for name in editing.LIST_FIELDS})


async def _chosen_logo(form: Any) -> bytes | None:
    """The file chosen as logo in the form (one byte over the limit at most); None when none is."""
    upload = form.get("logo")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None
    return await upload.read(logos.MAX_BYTES + 1)


class ProfileController(Controller):
    """Every route checks that the signed-in account is a member of the provider (or staff)."""

    path = "/compte/prestataires/{slug:str}"
    include_in_schema = False
    opt = ACCOUNT

    @get("/", name="profile-edit")
    async def edit_page(self, request: Request, slug: FromPath[str], gazetteer: NamedDependency[Gazetteer]) -> Template:
        provider = await members.provider_for(request.state.account, slug)
        return await _edit_page(provider, gazetteer)

    @post("/", status_code=200, request_max_body_size=LOGO_FORM_BYTES)
    async def edit(self, request: Request, slug: FromPath[str], gazetteer: NamedDependency[Gazetteer],
                   geocoder: NamedDependency[Geocoder]) -> Template:
        """"apercu" shows the profile as it would be; "publier" saves it (and submits a draft for
        review), with the logo chosen in the same form, if any: a bad field or logo writes nothing."""
        provider = await members.provider_for(request.state.account, slug)
        form = await request.form()
        row = _typed(form) or {}
        try:
            if form.get("action", "") == "apercu":
                _, record = await editing.current(slug)
                checked = await editing.check(record, row, gazetteer, geocoder)
                return await _edit_page(provider, gazetteer, row,
                                        preview=providers.preview(checked, gazetteer))
            chosen = await _chosen_logo(form)
            image = await logos.prepare(chosen) if chosen is not None else None
            done = await editing.apply(slug, row, _actor(request), gazetteer, geocoder, submit=True)
        except logos.LogoError as error:
            return await _edit_page(provider, gazetteer, row, errors={"logo": str(error)}, status_code=400)
        except RecordError as error:
            return await _edit_page(provider, gazetteer, row, errors=error.errors, status_code=400)
        if image is not None:
            await logos.replace(provider["id"], slug, image, _actor(request))
        return await _edit_page(provider | {"state": done.state}, gazetteer, done=done,
                                logo="sent" if image is not None else "")

    @post("/logo", status_code=200, request_max_body_size=LOGO_FORM_BYTES)
    async def upload_logo(self, request: Request, slug: FromPath[str], gazetteer: NamedDependency[Gazetteer],
                          ) -> Template:
        """Store the logo chosen; the profile's other fields come back as typed, not yet saved."""
        provider = await members.provider_for(request.state.account, slug)
        form = await request.form()
        try:
            image = await logos.prepare(await _chosen_logo(form) or b"")
            await logos.replace(provider["id"], slug, image, _actor(request))
        except logos.LogoError as error:
            return await _edit_page(provider, gazetteer, _typed(form), errors={"logo": str(error)},
                                    status_code=400)
        return await _edit_page(provider, gazetteer, _typed(form), logo="sent")

    @post("/logo/supprimer", status_code=200, request_max_body_size=LOGO_FORM_BYTES)
    async def remove_logo(self, request: Request, slug: FromPath[str], gazetteer: NamedDependency[Gazetteer],
                          ) -> Template:
        """Take the logo down; the profile's other fields come back as typed, not yet saved."""
        provider = await members.provider_for(request.state.account, slug)
        await logos.remove(provider["id"], slug, _actor(request))
        return await _edit_page(provider, gazetteer, _typed(await request.form()), logo="removed")

    @get("/membres", name="profile-members")
    async def members_page(self, request: Request, slug: FromPath[str]) -> Template:
        provider = await members.provider_for(request.state.account, slug)
        return await _members_page(request, provider)

    @post("/membres", status_code=200)
    async def invite(self, request: Request, slug: FromPath[str],
                     data: Annotated[InviteForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
        """Invite a colleague by e-mail (a link to join, valid a week); limited per provider."""
        provider = await members.provider_for(request.state.account, slug)
        if await over_limit(request, (f"invite:provider:{provider['id']}", INVITES_PER_PROVIDER, DAY)):
            return await _members_page(request, provider, error="Trop d'invitations aujourd'hui.", status_code=429)
        try:
            sent = await members.invite(provider, data.email, request.state.account)
        except (validation.InvalidValue, members.MemberError) as error:
            return await _members_page(request, provider, error=str(error), status_code=400)
        return await _members_page(request, provider, sent=sent)

    @post("/membres/{membership_id:int}/retirer", status_code=200)
    async def remove_member(self, request: Request, slug: FromPath[str], membership_id: FromPath[int],
                            ) -> Template | Redirect:
        return await _change_members(request, slug, members.remove, membership_id)

    @post("/invitations/{invitation_id:int}/annuler", status_code=200)
    async def cancel_invitation(self, request: Request, slug: FromPath[str], invitation_id: FromPath[int],
                                ) -> Template | Redirect:
        """Cancel an invitation not yet used: its link stops working (the owner, its sender or staff)."""
        return await _change_members(request, slug, members.cancel_invitation, invitation_id)

    @get("/historique", name="profile-history")
    async def history_page(self, request: Request, slug: FromPath[str]) -> Template:
        provider = await members.provider_for(request.state.account, slug)
        return _page("history", provider, rows=await history.of(provider["id"]), channels=history.CHANNELS)

    @get("/export", name="profile-export")
    async def export(self, request: Request, slug: FromPath[str]) -> Response:
        """Everything held about the provider and its members, as a JSON file to download."""
        provider = await members.provider_for(request.state.account, slug)
        data = await data_rights.export(provider["id"], request.state.account)
        data["plugins"] = {}
        await request.app.state.plugin_manager.acall_isolated(
            "provider_data_export", provider_id=provider["id"],
            register=lambda name, held: data["plugins"].__setitem__(name, held))
        return Response(msgspec.json.format(msgspec.json.encode(data)),
                        media_type="application/json; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="channel-expert-{slug}.json"',
                                 "Cache-Control": "no-store"})

    @get("/quitter", name="profile-leave")
    async def leave_page(self, request: Request, slug: FromPath[str]) -> Template:
        provider = await members.provider_for(request.state.account, slug)
        return _page("leave", provider, days=data_rights.ERASE_AFTER.days)

    @post("/quitter", status_code=200)
    async def leave(self, request: Request, slug: FromPath[str],
                    data: Annotated[LeaveForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template | Redirect:
        """Remove the listing at once; the data is erased after ``data_rights.ERASE_AFTER``."""
        provider = await members.provider_for(request.state.account, slug)
        if data.confirm != "oui":
            return _page("leave", provider, 400, days=data_rights.ERASE_AFTER.days,
                         error="Cochez la case pour confirmer le retrait de la fiche.")
        await data_rights.leave(provider["id"], slug, _actor(request))
        return Redirect("/compte?fait=fiche-retiree", status_code=303)


async def _change_members(request: Request, slug: str, change: Callable[..., Awaitable[str]], item: int,
                          ) -> Template | Redirect:
    """Remove a member or cancel an invitation (``change(provider_id, item, account)``), then list them again."""
    provider = await members.provider_for(request.state.account, slug)
    try:
        await change(provider["id"], item, request.state.account)
    except members.MemberError as error:
        return await _members_page(request, provider, error=str(error), status_code=400)
    return Redirect(f"/compte/prestataires/{slug}/membres", status_code=303)


async def _members_page(request: Request, provider: dict[str, Any], status_code: int = 200, **context: Any) -> Template:
    return _page("members", provider, status_code, members=await members.listing(provider["id"]),
                 invitations=await members.invitations(provider["id"]), me=request.state.account, **context)
