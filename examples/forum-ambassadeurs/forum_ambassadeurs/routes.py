"""The forum's pages: the advisor's own page, and staff's list of advisors with its form."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Template

from directory.plugin_api import ACCOUNT, STAFF
from forum_ambassadeurs import advisors
from forum_ambassadeurs.tables import Advisor


class AdvisorPage(Controller):
    """``/ambassadeurs``: where an advisor refers a TPE's request and follows those it referred."""

    path = "/ambassadeurs"
    opt = ACCOUNT
    include_in_schema = False

    @get("/", name="ambassadeurs")
    async def page(self, request: Request) -> Template:
        advisor = await advisors.advisor_for(request.state.account)
        referrals = await advisors.referrals_of(advisor["id"]) if advisor else []
        return Template(template_name="ambassadeurs/advisor.html", context={
            "advisor": advisor, "referrals": referrals, "kinds": advisors.KINDS})


class AdvisorForm(msgspec.Struct, kw_only=True):
    email: str = ""
    name: str = ""
    organisation: str = ""
    kind: str = ""
    region: str = ""


class StaffAdvisors(Controller):
    """``/equipe/ambassadeurs``: the advisors, and registering a new one."""

    path = "/equipe/ambassadeurs"
    opt = STAFF
    include_in_schema = False

    @get("/", name="staff-ambassadeurs")
    async def page(self) -> Template:
        return await _staff_page()

    @post("/", status_code=303)
    async def add(self, data: Annotated[AdvisorForm, Body(media_type=RequestEncodingType.URL_ENCODED)]
                  ) -> Template | Redirect:
        try:
            await advisors.register(**msgspec.structs.asdict(data))
        except advisors.AdvisorError as error:
            return await _staff_page(str(error), msgspec.structs.asdict(data))
        return Redirect("/equipe/ambassadeurs", status_code=303)


async def _staff_page(error: str = "", typed: dict[str, str] | None = None) -> Template:
    return Template(template_name="ambassadeurs/staff.html", status_code=400 if error else 200, context={
        "advisors": await Advisor.select().order_by(Advisor.organisation), "kinds": advisors.KINDS,
        "regions": advisors.regions(), "error": error, "typed": typed or {}})
