"""Reporting outdated information on a listing, and the staff's list of reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from directory import reports, validation
from directory.accounts.guards import PUBLIC, STAFF
from directory.problems import ProblemError
from directory.routes.forms import client_key, listing_or_404, over_limit

REPORTS_PER_CLIENT = 5  # an hour


class ReportForm(msgspec.Struct):
    message: Annotated[str, msgspec.Meta(max_length=4000)] = ""
    contact: Annotated[str, msgspec.Meta(max_length=254)] = ""
    site_web: Annotated[str, msgspec.Meta(max_length=500)] = ""  # the honeypot: people leave it empty


def _form(slug: str, trade_name: str, form: ReportForm | None = None, error: str = "", done: bool = False,
          status_code: int = 200) -> Template:
    return Template(template_name="reports/form.html", status_code=status_code, context={
        "slug": slug, "trade_name": trade_name, "form": form or ReportForm(), "error": error, "done": done})


class ReportController(Controller):
    path = "/prestataires/{slug:str}/signaler"
    include_in_schema = False
    opt = PUBLIC

    @get("/")
    async def page(self, slug: FromPath[str]) -> Template:
        return _form(slug, (await listing_or_404(slug))["trade_name"])

    @post("/", status_code=200)
    async def send(self, request: Request, slug: FromPath[str],
                   data: Annotated[ReportForm, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> Template:
        """Record a report; robots that fill the hidden field are thanked and ignored."""
        listing = await listing_or_404(slug)
        trade_name = listing["trade_name"]
        if await over_limit(request, (f"report:{client_key(request)}", REPORTS_PER_CLIENT, timedelta(hours=1))):
            return _form(slug, trade_name, data, "Trop de signalements : réessayez plus tard.", status_code=429)
        if data.site_web:
            return _form(slug, trade_name, done=True)
        try:
            await reports.send(listing["id"], data.message, data.contact)
        except validation.InvalidValue as error:
            return _form(slug, trade_name, data, str(error), status_code=400)
        return _form(slug, trade_name, done=True)


class StaffReportController(Controller):
    path = "/equipe/signalements"
    include_in_schema = False
    opt = STAFF

    @get("/")
    async def queue(self) -> Template:
        return Template(template_name="reports/staff.html", context={"reports": await reports.open_reports()})

    @post("/{report_id:int}/traite", status_code=303)
    async def resolve(self, report_id: FromPath[int]) -> Redirect:
        if not await reports.resolve(report_id):
            raise ProblemError(404, "Ce signalement n'existe pas ou a déjà été traité.")
        return Redirect("/equipe/signalements", status_code=303)
