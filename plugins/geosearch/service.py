"""From search parameters to a search response: the place, the filters, the engine, the hits."""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import msgspec

from directory.plugin_api import InvalidField, ProblemError, catalogue
from geo import Gazetteer, Place, Resolution, resolve
from search import And, Eq, Filter, GeoPoint, Not, Reaches, SearchQuery, SearchResult
from search.text import tokens

from plugins.geosearch import hits
from plugins.geosearch.fields import FACETS
from plugins.geosearch.index import SearchIndex
from plugins.geosearch.schemas import PlaceSummary, ResolvedPlace, SearchResponse

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


@lru_cache(maxsize=8192)
def _serving(point: GeoPoint, departement: str | None) -> Filter:
    """Providers who come on site at ``point``: within their own radius, or in one of their départements.

    Remembered per place: the same filter object comes back, and engines find what they
    computed for it.
    """
    where: Filter = Reaches(point.lat, point.lon)
    if departement:
        where = where | Eq("service_departements", departement)
    return Eq("on_site", True) & where


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
         facets: tuple[str, ...] = FACETS) -> Plan:
    """The queries for ``parameters`` around ``point`` (in ``departement``), or anywhere without a point."""
    if point is None:
        # No distance to sort by: a plugin field's order, or relevance.
        area, sort = "anywhere", parameters.sort if parameters.sort not in (None, "distance") else "relevance"
    else:
        area = "radius" if parameters.radius_km else "serves"
        sort = parameters.sort or ("relevance" if parameters.q.strip() else "distance")
    chosen = _combined(
        _filter(parameters.kind, parameters.services, parameters.languages, parameters.on_site, parameters.remote),
        *(Eq(field, value) for field, value in parameters.filters))
    main, remote_only = chosen, None
    if area == "serves":
        serving = _serving(point, departement)
        if not parameters.remote:  # remote work asked for as such: wherever the provider is
            main = _combined(chosen, serving)
            if not parameters.on_site and parameters.page == 1:  # shown below the first page only
                remote_only = _combined(chosen, Eq("remote", True), Not(serving))
    query = SearchQuery(
        text=parameters.q.strip(), filter=main, near=point,
        radius_km=parameters.radius_km if area == "radius" else None, facets=facets, sort=sort,
        offset=(parameters.page - 1) * parameters.limit, limit=parameters.limit,
    )
    remote = None if remote_only is None else msgspec.structs.replace(
        query, filter=remote_only, facets=(), offset=0, limit=REMOTE_SHOWN)
    # Asked only when nothing answers: the nearest offices that match, whatever their area.
    nearest = None if point is None else msgspec.structs.replace(
        query, filter=chosen, radius_km=None, facets=(), sort="distance", offset=0, limit=NEAREST_SHOWN)
    return Plan(area, query, remote, nearest)


async def run_search(index: SearchIndex, parameters: SearchParameters) -> hits.Answer:
    """Run a search for a person: resolve the place, filter, rank, and measure distances for display.

    With a place and no radius, the question is "who serves me": providers who come on site
    there (their radius around their office covers the place, or they cover its département),
    and apart, below them, those who only work remotely. With a radius it is "who is within
    R km". Distances are always from the provider's office to the place.
    """
    if not index.ready:
        raise ProblemError(503, "La recherche est momentanément indisponible. Réessayez dans un instant.")
    _check_plugin_fields(index, parameters)
    near = resolve_near(index.gazetteer, parameters.near) if parameters.near.strip() else None
    resolved = near.resolved if near else None
    planned = plan(parameters, near.point if near else None,
                   resolved.place.departement if resolved and resolved.place else None, index.facets)
    if planned.remote_only is None:
        result, remote = await index.backend.search(planned.query), None
    else:
        result, remote = await index.backend.search_many([planned.query, planned.remote_only])
    nobody = not result.total and not (remote and remote.total)
    nearest = await index.backend.search(planned.nearest) if planned.nearest is not None and nobody else None
    wanted = wanted_services(parameters.q, parameters.services)

    def as_found(answered: SearchResult | None) -> list[hits.Found]:
        return [] if answered is None else hits.found(index.facts_of, answered, wanted, index.returned)

    return hits.Answer(SearchResponse(
        hits=[], total=result.total, page=parameters.page, limit=parameters.limit,
        pages=math.ceil(result.total / parameters.limit), facets=result.facets, near=resolved,
        area=planned.area, sort=planned.query.sort, remote_total=remote.total if remote else 0,
    ), as_found(result), as_found(remote), as_found(nearest), near.encoded if near else None)


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
