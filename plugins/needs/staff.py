"""``/equipe/besoins``: what TPEs searched without being understood, and the phrasings staff add."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from directory.plugin_api import STAFF, catalogue
from plugins.needs import learning

Form = Body(media_type=RequestEncodingType.URL_ENCODED)
LARGEST_ID = 2**31 - 1  # ids are PostgreSQL integers
DONE = {"ajoutee": "Formulation ajoutée : chaque serveur la comprend d'ici quelques secondes.",
        "retiree": "Formulation retirée du lexique.", "ecartee": "Recherche écartée."}


class PhrasingForm(msgspec.Struct, kw_only=True):
    service: str = ""
    text: str = ""
    weak: str = ""
    unheard: str = ""  # the unheard search it answers, if any


class StaffNeedsController(Controller):
    path = "/equipe/besoins"
    opt = STAFF
    include_in_schema = False

    @get("/", name="staff-needs")
    async def page(self, request: Request) -> Template:
        """The page; ``?fait=`` (after an action) says what was just done."""
        return await _page(done=DONE.get(request.query_params.get("fait", ""), ""))

    @post("/formulations", status_code=303)
    async def add(self, request: Request, data: Annotated[PhrasingForm, Form]) -> Template | Redirect:
        unheard = int(data.unheard) if data.unheard.isascii() and data.unheard.isdigit() else None
        if unheard is not None and unheard > LARGEST_ID:  # names no search, and no driver takes it
            unheard = None
        try:
            await learning.add_phrasing(data.service, data.text, data.weak == "oui", request.state.account["id"],
                                        unheard)
        except learning.PhrasingError as error:
            return await _page(error=str(error), typed=msgspec.structs.asdict(data), status_code=400)
        return Redirect("/equipe/besoins?fait=ajoutee", status_code=303)

    @post("/formulations/{phrasing_id:int}/retirer", status_code=303)
    async def remove(self, phrasing_id: FromPath[int]) -> Redirect:
        await learning.remove_phrasing(phrasing_id)
        return Redirect("/equipe/besoins?fait=retiree", status_code=303)

    @post("/recherches/{unheard_id:int}/ecarter", status_code=303)
    async def dismiss(self, unheard_id: FromPath[int]) -> Redirect:
        await learning.dismiss(unheard_id)
        return Redirect("/equipe/besoins?fait=ecartee", status_code=303)


async def _page(done: str = "", error: str = "", typed: dict[str, Any] | None = None,
                status_code: int = 200) -> Template:
    return Template(template_name="needs/staff.html", status_code=status_code, context={
        "unheard": await learning.unheard(), "phrasings": await learning.phrasings(), "outcomes": learning.OUTCOMES,
        "services": catalogue.SERVICES, "labels": catalogue.SERVICE_LABELS, "done": done, "error": error,
        "typed": typed or {}})
