"""From search parameters to a search response: the place, the filters, the engine, the hits."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import msgspec

from directory.plugin_api import (
    InvalidField,
    NeedUnderstanding,
    ProblemError,
    SearchAnswered,
    catalogue,
    observe_each_answer,
)
from geo import Gazetteer, Place, Resolution, resolve
from plugins.geosearch import hits
from plugins.geosearch.areas import serving_filter
from plugins.geosearch.fields import FACETS
from plugins.geosearch.index import SearchIndex
from plugins.geosearch.schemas import PlaceSummary, ResolvedPlace, SearchResponse, UnderstoodService
from search import And, Eq, Filter, GeoPoint, In, Not, SearchQuery, SearchResult
from search.text import tokens

# Remote-only providers shown below those who come on site (the rest: ``remote=true``).
REMOTE_SHOWN = 5
NEAREST_SHOWN = 3  # offered when nobody answers around the place


class SearchParameters(msgspec.Struct, frozen=True, kw_only=True):
    """A search as the API and the page receive it, already checked for type and range."""

    q: str = ""
    near: str = ""
    radius_km: int | None = None
    kind: str | None = None
    services: tuple[str, ...] = ()
    languages: tuple[str, ...] = ()
    on_site: bool | None = None
    remote: bool | None = None
    sort: str | None = None
    page: int = 1
    limit: int = 20
    filters: tuple[tuple[str, str], ...] = ()  # on plugins' filterable fields: (field, value)
    ignore: tuple[str, ...] = ()  # services understood from the words that the TPE took back


class Need(NamedTuple):
    """What a search's words ask for, once understood: services that providers must offer (one of
    them), the words to rank them by (stop and filler words left out), and what the page and the API
    show of it."""

    services: tuple[str, ...] = ()
    text: str = ""
    shown: tuple[UnderstoodService, ...] = ()

    @property
    def words_first(self) -> bool:
        """Whether the words only rank the providers of the services, so that two queries are needed
        (those matching the words, then everyone). Not when every word is in the services' own
        labels: every provider of a service matches its label, so one query gives the same page."""
        return bool(self.services and self.text) and not _only_label_words(self.text, self.services)


@lru_cache(maxsize=4096)
def _only_label_words(text: str, services: tuple[str, ...]) -> bool:
    """Whether every word of ``text`` is in the labels (or slugs) of ``services``; remembered, as
    people search with the same words."""
    labels = {word for slug in services for word in tokens(f"{catalogue.SERVICE_LABELS[slug]} {slug}")}
    return set(tokens(text)) <= labels


def understood(app, text: str) -> NeedUnderstanding | None:  # noqa: ANN001 - the Litestar app
    """What a plugin understands of ``text`` (the ``understand_need`` hook), or None; a failing plugin is skipped."""
    return app.state.plugin_manager.first_isolated("understand_need", app=app, text=text) if text.strip() else None


def tell_answered(request, parameters: SearchParameters,  # noqa: ANN001 - a Litestar Request
                  answer: hits.Answer) -> None:
    """Give plugins the search a person settled on and what it showed (the ``search_answered``
    hook), on this answer and on each time it is served again from memory; not the updates as one
    types (``X-Search-Live``)."""
    response, app = answer.response, request.app
    answered = SearchAnswered(
        text=parameters.q.strip(), total=response.total + response.remote_total,
        understood=tuple(need.slug for need in response.understood), ignored=parameters.ignore,
        shown=tuple(found.facts.hit.slug for found in answer.hits), page=parameters.page)

    def observe(served) -> None:  # noqa: ANN001 - the Request of the visitor served
        if not served.headers.get("x-search-live"):
            app.state.plugin_manager.call_isolated("search_answered", app=app, answered=answered)

    observe_each_answer(request, observe)


def need_of(parameters: SearchParameters, understanding: NeedUnderstanding | None) -> Need:
    """The need behind ``parameters.q`` (see ``Need``). Services chosen as filters are not repeated;
    once the TPE takes an understood service back, the words are searched as typed."""
    if understanding is None:
        return Need(text=parameters.q.strip())
    services = tuple(s for s in understanding.services if s not in parameters.services)
    if any(service in parameters.ignore for service in services):
        return Need(text=parameters.q.strip())
    shown = tuple(UnderstoodService(s, catalogue.SERVICE_LABELS[s], understanding.words.get(s, ""))
                  for s in services)
    # The words that named a service still rank: a profile that speaks of e-commerce comes first.
    words = [*dict.fromkeys(understanding.words.values()), understanding.rest] if services else [understanding.rest]
    return Need(services, " ".join(word for word in words if word), shown)


def place_summary(place: Place) -> PlaceSummary:
    return PlaceSummary(place.insee_code, place.name, place.label, list(place.postal_codes), place.departement,
                        place.lat, place.lon)


class Near(NamedTuple):
    """A place searched around: its point, and how the answer shows it, as an object and encoded."""

    point: GeoPoint
    resolved: ResolvedPlace
    encoded: msgspec.Raw


@lru_cache(maxsize=8192)
def _understood(gazetteer: Gazetteer, text: str) -> tuple[Resolution, Near | None]:
    """What a place query means and the place searched around, if any; the gazetteer never changes."""
    resolution = resolve(gazetteer, text)
    if not resolution.found:
        return resolution, None
    places = [place_summary(p) for p in resolution.places[:10]]
    shown = ResolvedPlace(
        query=resolution.query, kind=resolution.kind, lat=resolution.lat, lon=resolution.lon,
        place=places[0] if places else None,
        alternatives=places[1:10] + [place_summary(p) for p in resolution.suggestions[:5]],
    )
    return resolution, Near(GeoPoint(resolution.lat, resolution.lon), shown, msgspec.Raw(msgspec.json.encode(shown)))


def is_point(gazetteer: Gazetteer, text: str) -> bool:
    """Whether ``near`` gives coordinates ("Autour de moi": the browser's position), not a place's
    name or code."""
    return bool(text.strip()) and _understood(gazetteer, text)[0].kind == "point"


class UnknownPlace(ProblemError):
    """``near`` names no place: a 400 whose detail lists the suggestions, which pages show as links."""

    def __init__(self, text: str, suggestions: list[PlaceSummary]) -> None:
        self.unknown = f"Lieu inconnu : « {text[:100]} »."
        labels = ", ".join(place.label for place in suggestions)
        message = self.unknown + (f" Vouliez-vous dire : {labels} ?" if labels else "")
        super().__init__(400, message, [InvalidField("near", "query", message)])
        self.suggestions = suggestions


def resolve_near(gazetteer: Gazetteer, text: str) -> Near:
    """The place ``near`` names, or ``UnknownPlace``."""
    resolution, near = _understood(gazetteer, text)
    if near is None:
        raise UnknownPlace(text, [place_summary(place) for place in resolution.suggestions])
    return near


@lru_cache(maxsize=4096, typed=True)
def _filter(kind: str | None, services: tuple[str, ...], languages: tuple[str, ...], on_site: bool | None,
            remote: bool | None) -> Filter | None:
    """The filter for these choices (remembered: people make few distinct choices)."""
    clauses: list[Filter] = []
    if kind:
        clauses.append(Eq("kind", kind))
    clauses += [Eq("services", service) for service in services]  # every service asked for
    clauses += [Eq("languages", language) for language in languages]
    if on_site is not None:
        clauses.append(Eq("on_site", on_site))
    if remote is not None:
        clauses.append(Eq("remote", remote))
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else And(tuple(clauses))


@lru_cache(maxsize=4096)
def wanted_services(text: str, chosen: tuple[str, ...]) -> int:
    """The services a search asks for, as bits: chosen as filters, or named by a word of its text ("e-commerce")."""
    words = [word for word in tokens(text) if len(word) >= 3]
    named = {slug for slug, label_words in _SERVICE_WORDS.items()
             if any(label.startswith(word) for word in words for label in label_words)}
    return hits.service_bits(named | set(chosen))


_SERVICE_WORDS = {s.slug: tokens(f"{s.label} {s.slug}") for s in catalogue.SERVICES}


def _combined(*filters: Filter | None) -> Filter | None:
    present = [item for item in filters if item is not None]
    if not present:
        return None
    return present[0] if len(present) == 1 else And(tuple(present))


class Plan(msgspec.Struct, frozen=True):
    """The engine queries one search needs: see ``run_search`` for the questions they answer."""

    area: str
    query: SearchQuery
    remote_only: SearchQuery | None = None
    nearest: SearchQuery | None = None


def plan(parameters: SearchParameters, point: GeoPoint | None, departement: str | None,
         facets: tuple[str, ...] = FACETS, need: Need | None = None) -> Plan:
    """The queries for ``parameters`` around ``point`` (in ``departement``), or anywhere without a point.

    With a ``need``, its words are searched (words that match nothing left out) among the
    providers offering one of its services."""
    need = need or Need(text=parameters.q.strip())
    if point is None:
        # No distance to sort by: a plugin field's order, or relevance.
        area, sort = "anywhere", parameters.sort if parameters.sort not in (None, "distance") else "relevance"
    else:
        area = "radius" if parameters.radius_km else "serves"
        sort = parameters.sort or ("relevance" if need.text else "distance")
    chosen = _combined(
        _filter(parameters.kind, parameters.services, parameters.languages, parameters.on_site, parameters.remote),
        *(Eq(field, value) for field, value in parameters.filters),
        In("services", need.services) if need.services else None)
    main, remote_only = chosen, None
    if area == "serves":
        serving = serving_filter(point, departement)
        if not parameters.remote:  # remote work asked for as such: wherever the provider is
            main = _combined(chosen, serving)
            if not parameters.on_site and parameters.page == 1:  # shown below the first page only
                remote_only = _combined(chosen, Eq("remote", True), Not(serving))
    query = SearchQuery(
        text=need.text, filter=main, near=point,
        radius_km=parameters.radius_km if area == "radius" else None, facets=facets, sort=sort, matching="frequency",
        offset=(parameters.page - 1) * parameters.limit, limit=parameters.limit,
    )
    remote = None if remote_only is None else msgspec.structs.replace(
        query, filter=remote_only, facets=(), offset=0, limit=REMOTE_SHOWN)
    # Asked only when nothing answers: the nearest offices that match, whatever their area.
    nearest = None if point is None else msgspec.structs.replace(
        query, text="" if need.services else query.text, filter=chosen, radius_km=None, facets=(), sort="distance",
        offset=0, limit=NEAREST_SHOWN)
    return Plan(area, query, remote, nearest)


async def run_search(index: SearchIndex, parameters: SearchParameters,
                     understanding: NeedUnderstanding | None = None) -> hits.Answer:
    """Run a search for a person: resolve the place, filter, rank, and measure distances for display.

    With a place and no radius, the question is "who serves me": providers who come on site
    there (their radius around their office covers the place, or they cover its département),
    and apart, below them, those who only work remotely. With a radius it is "who is within
    R km". Distances are always from the provider's office to the place. ``understanding`` is
    what the words ask for (the ``understand_need`` hook), if a plugin could tell.
    """
    if not index.ready:
        raise ProblemError(503, "La recherche est momentanément indisponible. Réessayez dans un instant.")
    _check_plugin_fields(index, parameters)
    near = resolve_near(index.gazetteer, parameters.near) if parameters.near.strip() else None
    resolved = near.resolved if near else None
    need = need_of(parameters, understanding)
    planned = plan(parameters, near.point if near else None,
                   resolved.place.departement if resolved and resolved.place else None, index.facets, need)
    result, remote = await _main_and_remote(index, planned, need.words_first)
    nobody = not result.total and not (remote and remote.total)
    nearest = await index.backend.search(planned.nearest) if planned.nearest is not None and nobody else None
    wanted = wanted_services(need.text, tuple(sorted({*parameters.services, *need.services})))

    def as_found(answered: SearchResult | None) -> list[hits.Found]:
        return [] if answered is None else hits.found(index.facts_of, answered, wanted, index.returned)

    return hits.Answer(SearchResponse(
        hits=[], total=result.total, page=parameters.page, limit=parameters.limit,
        pages=math.ceil(result.total / parameters.limit), facets=result.facets, near=resolved,
        area=planned.area, sort=planned.query.sort, remote_total=remote.total if remote else 0,
        understood=list(need.shown),
    ), as_found(result), as_found(remote), as_found(nearest), near.encoded if near else None)


async def _main_and_remote(index: SearchIndex, planned: Plan, words_first: bool
                           ) -> tuple[SearchResult, SearchResult | None]:
    """The page of the main question and the remote-only list, in one request to the engine.

    With ``words_first`` (services understood and other words left), the page lists every
    provider the filter keeps, those matching the words first: the words rank, they do not
    exclude ("un site vitrine pour mon restaurant" shows every agency making showcase sites).
    """
    query = planned.query
    queries = [query]
    if words_first:
        end = query.offset + query.limit
        queries = [msgspec.structs.replace(query, facets=(), offset=0, limit=end),
                   msgspec.structs.replace(query, text="", offset=0, limit=2 * end)]
    answers = await index.backend.search_many(queries + ([planned.remote_only] if planned.remote_only else []))
    remote = answers[len(queries)] if planned.remote_only else None
    if not words_first:
        return answers[0], remote
    matching, everyone = answers[0], answers[1]
    first = {hit.id for hit in matching.hits}
    ordered = matching.hits + [hit for hit in everyone.hits if hit.id not in first]
    return SearchResult(ordered[query.offset:query.offset + query.limit], everyone.total, everyone.facets), remote


def _check_plugin_fields(index: SearchIndex, parameters: SearchParameters) -> None:
    """Filters and sorts on plugins' fields must name fields that allow them: else a 400."""
    problems = [InvalidField("filter", "query", f"« {field} » n'est pas un critère de recherche : "
                             f"{', '.join(index.filterable) or 'aucun'}.")
                for field, _ in parameters.filters if field not in index.filterable]
    if parameters.sort not in (None, "relevance", "distance") and parameters.sort not in index.sorts:
        problems.append(InvalidField("sort", "query", f"Tri inconnu : « {parameters.sort} » "
                                     f"(relevance, distance{''.join(', ' + s for s in sorted(index.sorts))})."))
    if problems:
        raise ProblemError(400, " ".join(problem.message for problem in problems), problems)
