"""``/diagnostic``: "Où en est mon entreprise avec le numérique ?", its questions and its result.

The answers are posted, never put in an address: the access log keeps paths and query
strings, and nothing of a TPE's answers may be kept (no table, no log line, no cache: the
result is sent with ``Cache-Control: no-store``). The result links to the request form and to
the search with the place and the priorities' services, when the plugins serving them run.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.response import Redirect, Template

from directory.plugin_api import PUBLIC, catalogue, route_path
from geo import Gazetteer, Resolution, resolve
from plugins.needs import nearby
from plugins.needs.diagnostic import Diagnosis, Questionnaire

STATE = "needs_diagnostic"
FORM_BYTES = 16 * 1024  # eleven short fields and a CSRF token
NO_STORE = {"Cache-Control": "no-store"}
NEAR_LENGTH = 200
CHOOSE = "Choisissez la réponse qui vous ressemble le plus."
NO_PLACE = "Indiquez le code postal ou la commune de votre entreprise."
UNKNOWN_PLACE = "Lieu introuvable : indiquez un code postal ou une commune."
AMBIGUOUS_PLACE = "Plusieurs communes portent ce nom : précisez ({names}), ou donnez le code postal."
# The request for quotes that the result prefills, in the TPE's words.
REQUEST_DESCRIPTION = "Suite au diagnostic numérique, voici mes priorités : {needs}."


def questionnaire(request: Request) -> Questionnaire:
    return request.app.state[STATE]


class DiagnosticController(Controller):
    path = "/diagnostic"
    include_in_schema = False
    opt = PUBLIC

    @get("/", name="diagnostic")
    async def questions(self, request: Request) -> Template:
        return _questions_page(request, {}, {})

    @get("/resultat", name="diagnostic-result")
    async def result_address(self) -> Redirect:
        """The result is only ever the answer to the posted questions: an address alone leads to them."""
        return Redirect("/diagnostic", status_code=303)

    @post("/resultat", status_code=200, request_max_body_size=FORM_BYTES)
    async def result(self, request: Request, gazetteer: NamedDependency[Gazetteer]) -> Template:
        """Score the answers and show what to do first, who comes, and the request ready to send."""
        form = await request.form()
        asked = questionnaire(request)
        values = {question.key: str(form.get(question.key, ""))[:60] for question in asked.questions}
        values["near"] = " ".join(str(form.get("near", "")).split())[:NEAR_LENGTH]
        errors = {question.key: CHOOSE for question in asked.questions
                  if question.answer(values[question.key]) is None}
        place, why = _place(gazetteer, values["near"])
        if why:
            errors["near"] = why
        if errors:
            return _questions_page(request, values, errors, status_code=400)
        diagnosis = asked.diagnose(values)
        providers = await nearby.serving(getattr(request.app.state, "search", None), place.lat, place.lon,
                                         place.places[0].departement, diagnosis.services)
        return Template(template_name="needs/diagnostic_result.html", headers=NO_STORE, context={
            "diagnosis": diagnosis, "place": place.places[0], "providers": providers,
            "labels": catalogue.SERVICE_LABELS, "kinds": catalogue.KINDS,
            "request_link": _request_link(request, diagnosis, values["near"]),
            "search_links": _search_links(request, diagnosis, values["near"]),
        })


def _questions_page(request: Request, values: Mapping[str, str], errors: Mapping[str, str],
                    status_code: int = 200) -> Template:
    return Template(template_name="needs/diagnostic.html", status_code=status_code, headers=NO_STORE,
                    context={"questions": questionnaire(request).questions, "values": values,
                             "errors": errors, "near_length": NEAR_LENGTH})


def _place(gazetteer: Gazetteer, text: str) -> tuple[Resolution | None, str]:
    """What ``text`` resolves to, and "" ; or why it names no one place, in French."""
    if not text:
        return None, NO_PLACE
    found = resolve(gazetteer, text)
    if not found.found or not found.places:
        return None, UNKNOWN_PLACE
    if found.ambiguous and found.kind != "postal_code":
        return None, AMBIGUOUS_PLACE.format(names=", ".join(place.label for place in found.places[:6]))
    return found, ""


def _request_link(request: Request, diagnosis: Diagnosis, near: str) -> str | None:
    """The request form, prefilled with the priorities' services, the place and the priorities in words."""
    form = route_path(request, "lead-form")
    if form is None or not diagnosis.priorities:
        return None
    needs = " ; ".join(score.theme.need for score in diagnosis.priorities)
    pairs = [("services", slug) for slug in diagnosis.services]
    pairs += [("near", near), ("description", REQUEST_DESCRIPTION.format(needs=needs))]
    return f"{form}?{urlencode(pairs)}"


def _search_links(request: Request, diagnosis: Diagnosis, near: str) -> dict[str, str]:
    """Per service of the priorities, the search for its providers who come to the place."""
    page = route_path(request, "search-page")
    if page is None:
        return {}
    return {slug: f"{page}?{urlencode({'services': slug, 'near': near})}" for slug in diagnosis.services}
