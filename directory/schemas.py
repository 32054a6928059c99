"""What the JSON API returns, as hand-written msgspec structs (Litestar's native path)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from litestar.params import Body

# A JSON body whose struct forbids unknown fields (``forbid_unknown_fields``), documented as such:
# Litestar's OpenAPI leaves that option out, and clients would be told extra fields are fine.
CLOSED_BODY = Body(schema_extra={"additionalProperties": False})


class ServiceRef(msgspec.Struct):
    """A service of the catalogue."""

    slug: str
    label: str


class CatalogueService(msgspec.Struct):
    """A service of the catalogue with the kind of provider that usually offers it."""

    slug: str
    label: str
    kind: str


class Address(msgspec.Struct):
    """Where a provider is, down to its commune, département and région."""

    street: str
    postal_code: str
    commune: str
    insee_code: str
    departement: str
    departement_name: str
    region: str
    region_name: str


class ServiceArea(msgspec.Struct):
    """Where a provider works: a radius around it and/or whole départements, on site or remotely."""

    radius_km: int | None
    departements: list[str]
    on_site: bool
    remote: bool


class Provider(msgspec.Struct):
    """A provider's public profile."""

    slug: str
    kind: str
    legal_name: str
    trade_name: str
    siret: str
    description: str
    website: str
    email: str
    phone: str
    address: Address
    latitude: float | None
    longitude: float | None
    service_area: ServiceArea
    services: list[ServiceRef]
    sectors: list[str]
    team_size: str
    languages: list[str]
    year_founded: int | None
    logo_url: str
    state: str
    created_at: datetime
    updated_at: datetime
    url: str


class NeedUnderstanding(msgspec.Struct, frozen=True):
    """What a TPE's words ask for: catalogue services, the words that named them, and the words left."""

    services: tuple[str, ...] = ()  # catalogue slugs, in the catalogue's order
    words: dict[str, str] = {}  # per service, the text's words that named it ("vendre internet")
    rest: str = ""  # the other words, without stop and filler words: what is left to search for


class SearchAnswered(msgspec.Struct, frozen=True):
    """A search a person made and what it showed: the words typed (no place, no identifier), how many
    providers it found, the services understood and those the person took back, the slugs shown
    and the page of results they are on (1 for the first)."""

    text: str
    total: int
    understood: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    shown: tuple[str, ...] = ()
    page: int = 1


class ProviderSummary(msgspec.Struct):
    """A provider as a list shows it."""

    slug: str
    kind: str
    trade_name: str
    postal_code: str
    commune: str
    departement: str
    region: str
    latitude: float | None
    longitude: float | None
    services: list[str]
    url: str


class ProviderPage(msgspec.Struct):
    """One page of a filtered list of providers, with the total across all pages."""

    items: list[ProviderSummary]
    total: int
    page: int
    limit: int
    pages: int


class InvalidField(msgspec.Struct):
    """One invalid input: where it was (query, path, body) and why."""

    name: str
    source: str
    message: str


class Problem(msgspec.Struct, omit_defaults=True):
    """An RFC 9457 problem details answer."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    invalid_params: list[InvalidField] = msgspec.field(default_factory=list, name="invalid-params")
    request_id: str = ""


class CheckResult(msgspec.Struct):
    """The state of one component the directory depends on."""

    ok: bool
    detail: dict[str, Any] = {}


class Health(msgspec.Struct):
    """Whether the directory can serve: ``ok`` is true when every check is."""

    ok: bool
    version: str
    checks: dict[str, CheckResult]


class ProfileEdited(msgspec.Struct):
    """The outcome of an edit: the profile as it now stands, what went live, what waits (for staff, or
    for the confirmation of a new e-mail address)."""

    profile: Provider
    live: list[str]
    pending: dict[str, str]


class Me(msgspec.Struct):
    """The account a token acts for, and the providers it may edit."""

    email: str
    providers: list[str]
