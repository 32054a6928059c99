"""``/api/search``, ``/api/places`` (and what a place names) and the French search page ``/recherche``."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlencode

import msgspec
from litestar import Controller, MediaType, Request, Response, get
from litestar.params import KwargDefinition, QueryParameter
from litestar.response import Template

from directory.plugin_api import (
    CACHED,
    PUBLIC,
    Kind,
    ProblemError,
    ServiceSlug,
    catalogue,
    problem_responses,
    route_path,
)
from plugins.geosearch.schemas import PlaceSummary, ResolvedPlace, SearchResponse
from plugins.geosearch.service import (
    SearchParameters,
    UnknownPlace,
    is_point,
    place_summary,
    resolve_near,
    run_search,
    tell_answered,
    understood,
)

Language = Literal[tuple(catalogue.LANGUAGES)]  # type: ignore[valid-type] - built from the catalogue
RADII = (5, 10, 20, 30, 50, 100, 200)
# Built by scripts/vendor_assets.py from the locked npm packages; without them the page has no map.
MAP_ASSETS = Path(__file__).parent / "static" / "vendor" / "leaflet" / "leaflet.js"
_DIGITS = re.compile(r"[0-9]{1,6}")
SORT_PATTERN = r"^(relevance|distance|[a-z][a-z0-9_]{0,39}:(asc|desc))$"
FILTER_PATTERN = r"^[a-z][a-z0-9_]{0,39}:.{1,100}$"
# msgspec checks each value; Litestar documents a list item's pattern only from its own KwargDefinition.
PluginFilter = Annotated[str, msgspec.Meta(pattern=FILTER_PATTERN, description="champ:valeur"),
                         KwargDefinition(pattern=FILTER_PATTERN, description="champ:valeur")]


def _plugin_filters(values: list[str]) -> tuple[tuple[str, str], ...]:
    """``field:value`` criteria as pairs, each once, in the order given."""
    return tuple(dict.fromkeys(tuple(value.split(":", 1)) for value in values))  # type: ignore[misc]


class SearchController(Controller):
    path = "/api"
    opt = PUBLIC
    tags = ("search",)

    @get(
        "/search",
        summary="Recherche de prestataires",
        description="Texte libre, lieu (code postal, commune ou « lat,lon »), rayon, filtres et facettes. "
                    "Un lieu inconnu donne une erreur 400 avec des suggestions.",
        responses=problem_responses(400, 503),
        opt=CACHED,
    )
    async def search(
        self,
        request: Request,
        q: Annotated[str, QueryParameter(description="Ce que vous cherchez", max_length=200)] = "",
        near: Annotated[str, QueryParameter(description="Code postal, commune ou « lat,lon »", max_length=100)] = "",
        radius_km: Annotated[int | None, QueryParameter(
            description="Tous les prestataires à moins de ce rayon du lieu ; sans rayon, ceux qui interviennent à "
                        "cet endroit (leur rayon d'intervention ou leurs départements le couvrent), et à part ceux qui "
                        "travaillent seulement à distance",
            ge=1, le=200)] = None,
        kind: Annotated[Kind | None, QueryParameter(description="Type de prestataire")] = None,
        services: Annotated[list[ServiceSlug] | None, QueryParameter(description="Services, tous exigés",
                                                                     max_items=10)] = None,
        languages: Annotated[list[Language] | None, QueryParameter(description="Langues, toutes exigées",
                                                                   max_items=5)] = None,
        on_site: Annotated[bool | None, QueryParameter(description="Intervient sur site")] = None,
        remote: Annotated[bool | None, QueryParameter(description="Travaille à distance")] = None,
        sort: Annotated[str | None, QueryParameter(
            description="distance (par défaut avec un lieu et sans texte ; sans lieu, l'ordre est celui de la "
                        "pertinence), relevance, ou « champ:asc » / « champ:desc » pour un champ triable "
                        "qu'un plugin ajoute", pattern=SORT_PATTERN)] = None,
        filter: Annotated[list[PluginFilter] | None, QueryParameter(
            description="Critères sur les champs qu'ajoutent les plugins, « champ:valeur », tous exigés",
            max_items=10)] = None,
        ignore: Annotated[list[ServiceSlug] | None, QueryParameter(
            description="Services compris d'après le texte que la recherche ne doit pas retenir (le texte est alors "
                        "cherché tel quel)", max_items=10)] = None,
        page: Annotated[int, QueryParameter(ge=1, le=500)] = 1,
        limit: Annotated[int, QueryParameter(ge=1, le=50)] = 20,
    ) -> Response[SearchResponse]:
        parameters = SearchParameters(
            q=q, near=near, radius_km=radius_km, kind=kind, services=tuple(dict.fromkeys(services)) if services else (),
            languages=tuple(dict.fromkeys(languages)) if languages else (), on_site=on_site, remote=remote, sort=sort,
            page=page, limit=limit, filters=_plugin_filters(filter or []), ignore=tuple(ignore or ()),
        )
        answer = await run_search(request.app.state.search, parameters, understood(request.app, q))
        tell_answered(request, parameters, answer)
        return Response(answer.json(), media_type=MediaType.JSON, headers=_sharing(request, near))

    @get("/places", summary="Lieux pour l'autocomplétion",
         description="Communes dont le nom ou le code postal commence par le texte, les plus peuplées d'abord.",
         responses=problem_responses(400))
    async def places(
        self,
        request: Request,
        q: Annotated[str, QueryParameter(description="Début d'un nom de commune ou d'un code postal",
                                         max_length=100)] = "",
        limit: Annotated[int, QueryParameter(ge=1, le=20)] = 8,
    ) -> list[PlaceSummary]:
        return [place_summary(p) for p in request.app.state.search.gazetteer.search(q, limit)]

    @get("/places/resolved", name="place-resolved", summary="Ce que désigne un lieu",
         description="Le lieu qu'une recherche retiendrait pour « near » (code postal, commune, "
                     "« lat,lon » : la commune la plus proche), avec les autres lieux possibles ; 400 et des "
                     "suggestions s'il n'en désigne aucun. Les formulaires y lisent le nom à afficher après "
                     "« Autour de moi ».",
         responses=problem_responses(400))
    async def resolved_place(
        self,
        request: Request,
        near: Annotated[str, QueryParameter(description="Code postal, commune ou « lat,lon »", min_length=1,
                                            max_length=200)],
    ) -> ResolvedPlace:
        return resolve_near(request.app.state.search.gazetteer, near).resolved


def _number(text: str, low: int, high: int) -> int | None:
    """A whole number typed in ASCII digits within [low, high], else None ("²" and 5,000 digits included)."""
    if not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


def _form_parameters(request: Request) -> SearchParameters:
    """Read the page's form leniently: a value out of range is ignored, never an error page."""
    query = request.query_params

    def choice(name: str, allowed) -> str | None:
        value = query.get(name) or None
        return value if value in allowed else None

    return SearchParameters(
        q=query.get("q", "")[:200],
        near=query.get("near", "")[:100],
        radius_km=_number(query.get("radius_km", ""), 1, 200),
        kind=choice("kind", catalogue.KINDS),
        services=tuple(s for s in dict.fromkeys(query.getall("services", [])) if s in catalogue.SERVICE_SLUGS)[:10],
        on_site=True if query.get("on_site") == "1" else None,
        remote=True if query.get("remote") == "1" else None,
        sort=choice("sort", ("distance", "relevance", *sorted(request.app.state.search.sorts))),
        page=_number(query.get("page", ""), 1, 500) or 1,
        ignore=tuple(s for s in dict.fromkeys(query.getall("ignore", [])) if s in catalogue.SERVICE_SLUGS)[:10],
        filters=_plugin_filters([value for value in query.getall("filter", [])[:10] if re.match(FILTER_PATTERN, value)
                                 and value.split(":", 1)[0] in request.app.state.search.filterable]),
    )


def _sharing(request: Request, near: str) -> dict[str, str]:
    """Headers that keep an answer around the visitor's own position ("Autour de moi": coordinates
    from the browser) out of every shared copy, this server's memory included."""
    personal = is_point(request.app.state.search.gazetteer, near)
    return {"Cache-Control": "private, no-cache"} if personal else {}


@get("/recherche", name="search-page", include_in_schema=False, opt={**PUBLIC, **CACHED})
async def search_page(request: Request) -> Template:
    """The search page: works as a plain form, and updates as one types when JavaScript runs."""
    parameters = _form_parameters(request)
    response, error, suggestions = None, None, []
    index = request.app.state.search
    if parameters.q or parameters.near or parameters.kind or parameters.services or parameters.filters:
        try:
            answer = await run_search(index, parameters, understood(request.app, parameters.q))
            tell_answered(request, parameters, answer)
            response = answer.with_hits()
        except UnknownPlace as unknown:
            error, suggestions = unknown.unknown, unknown.suggestions
        except ProblemError as problem:
            error = problem.detail
    pairs = [(key, value) for key, value in request.query_params.multi_items() if key != "page"]

    def link(**changed: object) -> str:
        """This search's address with ``changed`` parameters (None drops one), on its first page."""
        kept = [(key, value) for key, value in pairs if key not in changed]
        return "?" + urlencode(kept + [(key, value) for key, value in changed.items() if value is not None])

    def near_link(place: PlaceSummary) -> str:
        return link(near=near_text(place))

    settings = request.app.state.settings
    ask_link = _ask_link(request, parameters, response)
    return Template(template_name="geosearch/search.html", context={
        "filter_fields": [(f.name, f.label) for f in index.fields if f.label and f.facet and f.filterable],
        "shown_fields": [(f.name, f.label) for f in index.fields if f.label and f.returned],
        "parameters": parameters, "response": response, "error": error, "suggestions": suggestions, "radii": RADII,
        "kinds": catalogue.KINDS, "services": catalogue.SERVICES,
        "service_labels": {s.slug: s.label for s in catalogue.SERVICES},
        "link": link, "page_link": lambda number: link(page=number), "near_link": near_link, "near_text": near_text,
        "ask_link": ask_link,
        "map": {"available": map_available(), "tiles": settings.map_tiles_url,
                "attribution": settings.map_attribution},
    }, headers=_sharing(request, parameters.near))


def near_text(place: PlaceSummary) -> str:
    """What the place field holds for ``place``: its label, "Lorient (56)", which names one commune
    among homonyms and which the search reads back (``geo.resolve``)."""
    return place.label


def _ask_link(request: Request, parameters: SearchParameters, response: SearchResponse | None) -> str | None:
    """The request form ("Demander un devis") with this search's place, need and words, if a plugin serves it."""
    form = route_path(request, "lead-form")
    if form is None:
        return None
    services = [need.slug for need in response.understood] if response else []
    pairs = [("services", slug) for slug in dict.fromkeys([*parameters.services, *services])]
    pairs += [(name, value) for name, value in (("near", parameters.near), ("description", parameters.q)) if value]
    return f"{form}?{urlencode(pairs)}" if pairs else form


@cache
def map_available() -> bool:
    """Whether the map's files were built (scripts/vendor_assets.py); looked at once per process."""
    return MAP_ASSETS.exists()
