"""The providers API: a filtered, paginated list, one provider by slug, and a member's edits of its own."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from litestar import Controller, Request, get, patch
from litestar.di import NamedDependency
from litestar.params import PathParameter, QueryParameter

from directory import catalogue, editing, history, providers, schemas
from directory.accounts import listing_addresses, members
from directory.accounts.guards import ACCOUNT, PUBLIC
from directory.history import Actor
from directory.platform.cache import CACHED
from directory.problems import ProblemError, problem_responses
from directory.records import RecordError
from directory.routes.me import BEARER
from geo import Gazetteer, Geocoder

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG = re.compile(SLUG_PATTERN)
Kind = Literal["reseller", "web_agency"]
ServiceSlug = Literal[tuple(s.slug for s in catalogue.SERVICES)]  # type: ignore[valid-type] - built from the catalogue
# Exactly the 101 départements (no "20": Corsica is 2A and 2B) and the 18 régions.
DEPARTEMENT_PATTERN = r"^(0[1-9]|1\d|2[1-9AB]|[3-8]\d|9[0-5]|97[1-46])$"
REGION_PATTERN = r"^(0[1-46]|11|2[478]|32|44|5[23]|7[56]|84|9[34])$"
Sort = Literal["name", "-name", "created", "-created"]
Slug = Annotated[str, PathParameter(description="Identifiant du prestataire", pattern=SLUG_PATTERN, max_length=120)]


class ProviderController(Controller):
    opt = PUBLIC
    path = "/api/providers"
    tags = ("providers",)

    @get(
        "/",
        summary="Liste des prestataires",
        description="Prestataires publiés, filtrés et paginés, avec le nombre total de résultats.",
        responses=problem_responses(400),
        opt=CACHED,
    )
    async def list_providers(
        self,
        kind: Annotated[Kind | None, QueryParameter(description="Type de prestataire")] = None,
        service: Annotated[ServiceSlug | None, QueryParameter(description="Slug d'un service du catalogue")] = None,
        departement: Annotated[
            str | None, QueryParameter(description="Code du département (33, 2A, 974)", pattern=DEPARTEMENT_PATTERN)
        ] = None,
        region: Annotated[str | None, QueryParameter(description="Code INSEE de la région", pattern=REGION_PATTERN)] = None,
        postal_code: Annotated[
            str | None, QueryParameter(description="Début du code postal (33, 330, 33000)", pattern=r"^\d{1,5}$")
        ] = None,
        sort: Annotated[Sort, QueryParameter(description="Ordre : nom ou date d'inscription, '-' pour inverser")] = "name",
        page: Annotated[int, QueryParameter(ge=1, le=10_000, description="Numéro de page")] = 1,
        limit: Annotated[int, QueryParameter(ge=1, le=100, description="Résultats par page")] = 20,
    ) -> schemas.ProviderPage:
        filters = providers.ProviderFilters(
            kind=kind, service=service, departement=departement, region=region, postal_code=postal_code
        )
        return await providers.list_providers(filters, sort=sort, page=page, limit=limit)

    @get(
        "/{slug:str}",
        summary="Un prestataire",
        description="Le profil public d'un prestataire publié.",
        responses=problem_responses(400, 404),
        opt=CACHED,
    )
    async def get_provider(self, slug: Slug, gazetteer: NamedDependency[Gazetteer]) -> schemas.Provider:
        provider = await providers.get_provider(slug, gazetteer)
        if provider is None:
            raise ProblemError(404, f"Aucun prestataire publié ne porte l'identifiant « {slug[:100]} ».")
        return provider

    @patch(
        "/{slug:str}",
        summary="Modifier sa fiche",
        description=(
            "Modifie les champs donnés de la fiche d'un prestataire que le compte du jeton gère ; les autres ne "
            "changent pas. Sur une fiche publiée, la raison sociale, le nom commercial et le SIRET attendent la "
            "validation de l'équipe (« pending ») ; une nouvelle adresse e-mail attend d'être confirmée par le lien "
            "qui lui est envoyé (« pending » aussi), l'ancienne restant publiée d'ici là ; le reste est publié "
            "aussitôt (« live »). Un champ inconnu "
            "(état, propriétaire, badges…) est refusé."
        ),
        opt=ACCOUNT,
        security=BEARER,
        responses=problem_responses(400, 401, 403, 404),
    )
    async def edit_provider(self, request: Request, slug: Slug,
                            data: Annotated[editing.ProfileEdit, schemas.CLOSED_BODY],
                            gazetteer: NamedDependency[Gazetteer],
                            geocoder: NamedDependency[Geocoder]) -> schemas.ProfileEdited:
        account = request.state.account
        provider = await members.provider_for(account, slug)
        try:
            done = await editing.apply(slug, data.as_row(), Actor.of(account, history.API), gazetteer,
                                       geocoder)
        except RecordError as error:
            raise ProblemError(400, "Certains champs ne sont pas valides.", [
                schemas.InvalidField(name, "body", message) for name, message in error.errors.items()]) from None
        profile = await providers.get_provider(slug, gazetteer, state=None)
        pending = await editing.pending_of(provider["id"])
        unconfirmed = await listing_addresses.unconfirmed(provider["id"])
        return schemas.ProfileEdited(profile, done.live, pending | ({"email": unconfirmed} if unconfirmed else {}))
