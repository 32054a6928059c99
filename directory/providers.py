"""Reading and writing providers: the queries behind the API, the pages and the CLI."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import msgspec

from directory import catalogue, events, history, schemas
from directory.database import write_transaction
from directory.history import Actor
from directory.platform import clock
from directory.records import COLUMNS, ProviderRecord, record_to_row, slugify
from directory.tables import Provider, ProviderService, Service
from geo import Gazetteer, ServiceArea

SORTS = {
    "name": (Provider.trade_name, True),
    "-name": (Provider.trade_name, False),
    "created": (Provider.created_at, True),
    "-created": (Provider.created_at, False),
}


class ProviderFilters(msgspec.Struct, kw_only=True):
    """What a list of providers can be narrowed to; empty values mean "any"."""

    kind: str | None = None
    service: str | None = None
    departement: str | None = None
    region: str | None = None
    postal_code: str | None = None  # a prefix: "33" or "330"
    state: str | None = catalogue.PUBLISHED


def _where(filters: ProviderFilters) -> list[Any]:
    clauses = []
    if filters.state:
        clauses.append(Provider.state == filters.state)
    if filters.kind:
        clauses.append(Provider.kind == filters.kind)
    if filters.departement:
        clauses.append(Provider.departement == filters.departement)
    if filters.region:
        clauses.append(Provider.region == filters.region)
    if filters.postal_code:
        clauses.append(Provider.postal_code.like(f"{filters.postal_code}%"))
    if filters.service:
        offering = ProviderService.select(ProviderService.provider).where(
            ProviderService.service.slug == filters.service
        )
        clauses.append(Provider.id.is_in(offering))
    return clauses


async def service_slugs(provider_ids: Iterable[int]) -> dict[int, list[str]]:
    """The service slugs of each provider, in catalogue order."""
    ids = list(provider_ids)
    if not ids:
        return {}
    rows = (
        await ProviderService.select(ProviderService.provider, ProviderService.service.slug.as_alias("slug"))
        .where(ProviderService.provider.is_in(ids))
        .order_by(ProviderService.service.position)
    )
    found: dict[int, list[str]] = defaultdict(list)
    for row in rows:
        found[row["provider"]].append(row["slug"])
    return found


def public_url(slug: str) -> str:
    return f"/prestataires/{slug}"


async def list_providers(
    filters: ProviderFilters, sort: str = "name", page: int = 1, limit: int = 20
) -> schemas.ProviderPage:
    """One page of providers matching ``filters``, with the total count."""
    clauses = _where(filters)
    count_query = Provider.count()
    query = Provider.select(
        Provider.id, Provider.slug, Provider.kind, Provider.trade_name, Provider.postal_code,
        Provider.commune, Provider.departement, Provider.region, Provider.latitude, Provider.longitude,
    )
    if clauses:
        count_query = count_query.where(*clauses)
        query = query.where(*clauses)
    column, ascending = SORTS[sort]
    rows = await query.order_by(column, ascending=ascending).order_by(Provider.id).limit(limit).offset(
        (page - 1) * limit
    )
    total = await count_query
    services = await service_slugs(row["id"] for row in rows)
    items = [
        schemas.ProviderSummary(
            slug=row["slug"], kind=row["kind"], trade_name=row["trade_name"], postal_code=row["postal_code"],
            commune=row["commune"], departement=row["departement"], region=row["region"],
            latitude=row["latitude"], longitude=row["longitude"], services=services.get(row["id"], []),
            url=public_url(row["slug"]),
        )
        for row in rows
    ]
    return schemas.ProviderPage(items=items, total=total, page=page, limit=limit, pages=math.ceil(total / limit))


def to_schema(row: dict[str, Any], services: list[schemas.ServiceRef], gazetteer: Gazetteer) -> schemas.Provider:
    """The public profile of a provider row."""
    departements = gazetteer.departements()
    departement_name, _ = departements.get(row["departement"], ("", ""))
    return schemas.Provider(
        slug=row["slug"], kind=row["kind"], legal_name=row["legal_name"], trade_name=row["trade_name"],
        siret=row["siret"], description=row["description"], website=row["website"], email=row["email"],
        phone=row["phone"],
        address=schemas.Address(
            street=row["street"], postal_code=row["postal_code"], commune=row["commune"],
            insee_code=row["insee_code"], departement=row["departement"], departement_name=departement_name,
            region=row["region"], region_name=gazetteer.regions().get(row["region"], ""),
        ),
        latitude=row["latitude"], longitude=row["longitude"],
        service_area=schemas.ServiceArea(
            radius_km=row["service_radius_km"], departements=list(row["service_departements"] or []),
            on_site=bool(row["on_site"]), remote=bool(row["remote"]),
        ),
        services=services, sectors=list(row["sectors"] or []), team_size=row["team_size"],
        languages=list(row["languages"] or []), year_founded=row["year_founded"], logo_url=row["logo_url"],
        state=row["state"], created_at=row["created_at"], updated_at=row["updated_at"], url=public_url(row["slug"]),
    )


def preview(record: ProviderRecord, gazetteer: Gazetteer) -> schemas.Provider:
    """How ``record`` would show once saved (the edit page's preview)."""
    now = clock.now()
    row = {**msgspec.structs.asdict(record), "created_at": now, "updated_at": now}
    return to_schema(row, [schemas.ServiceRef(slug, catalogue.SERVICE_LABELS[slug]) for slug in record.services],
                     gazetteer)


def service_area(provider: schemas.Provider) -> ServiceArea:
    """Where a provider comes on site, by the rule search and lead routing share."""
    area = provider.service_area
    return ServiceArea(provider.latitude, provider.longitude, provider.address.departement, area.radius_km,
                       tuple(area.departements), area.on_site)


async def service_areas(state: str = catalogue.PUBLISHED) -> list[ServiceArea]:
    """Where each provider of ``state`` comes on site, in one query of the few columns it takes
    (no full profiles: figures over every provider need only this)."""
    rows = await Provider.select(Provider.latitude, Provider.longitude, Provider.departement,
                                 Provider.service_radius_km, Provider.service_departements, Provider.on_site,
                                 ).where(Provider.state == state)
    return [ServiceArea(row["latitude"], row["longitude"], row["departement"], row["service_radius_km"],
                        tuple(row["service_departements"] or ()), bool(row["on_site"])) for row in rows]


async def published_listing(slug: str) -> dict[str, Any] | None:
    """The id, trade name and e-mail of the published provider ``slug`` (forms about a listing), or None."""
    return await Provider.select(Provider.id, Provider.trade_name, Provider.email).where(
        (Provider.slug == slug) & (Provider.state == catalogue.PUBLISHED)).first()


async def get_provider(slug: str, gazetteer: Gazetteer, state: str | None = catalogue.PUBLISHED) -> schemas.Provider | None:
    """One provider by slug (published only, unless ``state`` is None), or None."""
    found = await profiles(gazetteer, [slug], state)
    return found[0] if found else None


async def profiles(gazetteer: Gazetteer, slugs: list[str] | None = None, state: str | None = None,
                   ) -> list[schemas.Provider]:
    """Full profiles in two queries: those with ``slugs`` (all when None), of ``state`` if given."""
    query = Provider.select().order_by(Provider.id)
    if slugs is not None:
        if not slugs:
            return []
        query = query.where(Provider.slug.is_in(slugs))
    if state:
        query = query.where(Provider.state == state)
    rows = await query
    links = ProviderService.select(
        ProviderService.provider, ProviderService.service.slug.as_alias("slug"),
        ProviderService.service.label.as_alias("label"),
    ).order_by(ProviderService.service.position)
    if slugs is not None:
        links = links.where(ProviderService.provider.is_in([row["id"] for row in rows] or [0]))
    refs: dict[int, list[schemas.ServiceRef]] = defaultdict(list)
    for link in await links:
        refs[link["provider"]].append(schemas.ServiceRef(link["slug"], link["label"]))
    return [to_schema(row, refs.get(row["id"], []), gazetteer) for row in rows]


async def service_catalogue() -> list[schemas.CatalogueService]:
    rows = await Service.select(Service.slug, Service.label, Service.kind).order_by(Service.position)
    return [schemas.CatalogueService(**row) for row in rows]


async def sync_catalogue() -> None:
    """Make the Service table match ``catalogue.SERVICES`` (new slugs added, labels updated)."""
    existing = {row["slug"]: row for row in await Service.select()}
    async with write_transaction(Service._meta.db):
        for position, entry in enumerate(catalogue.SERVICES):
            if entry.slug in existing:
                await Service.update({Service.label: entry.label, Service.kind: entry.kind,
                                      Service.position: position}).where(Service.slug == entry.slug)
            else:
                await Service.insert(Service(slug=entry.slug, label=entry.label, kind=entry.kind, position=position))


_RECORD_FIELDS = tuple(f for f in ProviderRecord.__struct_fields__ if f != "services")
INSERT_BATCH = 500


def _unique_slug(record: ProviderRecord, taken: set[str]) -> str:
    """The record's slug, or one made from its trade name and commune, free in ``taken``."""
    if record.slug:
        return record.slug
    base = slugify(record.trade_name) or "prestataire"
    place = slugify(record.commune)
    if place not in base:
        base = f"{base}-{place}"
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


class Saved(msgspec.Struct):
    """What ``save_records`` did: slugs created and updated, and records refused, by position."""

    created: list[str]
    updated: list[str]
    refused: dict[int, str] = {}


class _DryRun(Exception):
    """Raised at the end of a dry run to roll its transaction back."""

    def __init__(self, saved: Saved) -> None:
        super().__init__("dry run")
        self.saved = saved


IMPORTED = Actor("", history.IMPORT)
_HISTORY_FIELDS = tuple(column for column in COLUMNS if column != "slug")


async def save_records(records: list[ProviderRecord], dry_run: bool = False, actor: Actor = IMPORTED) -> Saved:
    """Insert or update providers in one transaction: all are written or none is, each with its
    ``provider.saved`` event and its history rows naming ``actor``.

    A record updates the provider with its slug, else the one with its SIRET, else it is
    new. A record whose SIRET belongs to another provider is refused (an establishment has
    one SIRET) and the others are written. A dry run does everything, then rolls back, so
    it reports exactly what the real run would.
    """
    try:
        async with write_transaction(Provider._meta.db):
            saved = await write_records(records, actor)
            if dry_run:
                raise _DryRun(saved)
    except _DryRun as rolled_back:
        return rolled_back.saved
    return saved


async def write_records(records: list[ProviderRecord], actor: Actor) -> Saved:
    """The writes of ``save_records``, inside the caller's write transaction (an import writes
    its file in several: see ``directory.imports``)."""
    now = clock.now()
    service_ids = {row["slug"]: row["id"] for row in await Service.select(Service.id, Service.slug)}
    rows = await Provider.select(Provider.id, Provider.slug, Provider.siret)
    by_slug = {row["slug"]: row["id"] for row in rows}
    by_siret = {row["siret"]: row["slug"] for row in rows}
    siret_of = {row["slug"]: row["siret"] for row in rows}
    matched = {by_slug[r.slug] for r in records if r.slug in by_slug}
    matched |= {by_slug[by_siret[r.siret]] for r in records if r.siret in by_siret}
    before = {provider_id: record_to_row(record)
              for provider_id, record in await _records(Provider.id.is_in(list(matched)))} if matched else {}
    changes: list[Any] = []
    taken = set(by_slug)
    new: list[tuple[dict[str, Any], list[str]]] = []
    updated: list[str] = []
    refused: dict[int, str] = {}
    pending: dict[str, str] = {}  # the SIRETs of the records created by this call
    for position, record in enumerate(records):
        if record.siret in pending:
            refused[position] = f"siret: Ce SIRET est déjà celui du prestataire {pending[record.siret]}."
            continue
        values = {field: getattr(record, field) for field in _RECORD_FIELDS}
        slug = record.slug if record.slug in by_slug else by_siret.get(record.siret)
        owner = by_siret.get(record.siret)
        if slug is not None and owner not in (None, slug):
            refused[position] = f"siret: Ce SIRET est déjà celui du prestataire {owner}."
            continue
        if slug is None:
            values["slug"] = _unique_slug(record, taken)
            taken.add(values["slug"])
            pending[record.siret] = values["slug"]  # a later record with this SIRET is refused
            new.append((values, record.services))
            continue
        values["slug"] = slug
        changed = history.differences(before[by_slug[slug]], record_to_row(record), _HISTORY_FIELDS)
        changes += [history.row(by_slug[slug], actor, field, old, value) for field, (old, value) in changed.items()]
        await Provider.update({**values, "updated_at": now}).where(Provider.id == by_slug[slug])
        await ProviderService.delete().where(ProviderService.provider == by_slug[slug])
        await _link_services(by_slug[slug], record.services, service_ids)
        by_siret.pop(siret_of[slug], None)  # its former SIRET, free again
        by_siret[record.siret], siret_of[slug] = slug, record.siret
        updated.append(slug)
    for start in range(0, len(new), INSERT_BATCH):
        batch = new[start:start + INSERT_BATCH]
        inserted = await Provider.insert(
            *(Provider(**values, created_at=now, updated_at=now) for values, _ in batch)
        ).returning(Provider.id)
        changes += [history.row(row["id"], actor, history.WHOLE, new="créé") for row in inserted]
        links = [
            ProviderService(provider=row["id"], service=service_ids[slug])
            for row, (_, services) in zip(inserted, batch)
            for slug in services
        ]
        for link_start in range(0, len(links), INSERT_BATCH):
            await ProviderService.insert(*links[link_start:link_start + INSERT_BATCH])
    created = [values["slug"] for values, _ in new]
    await history.add(changes)
    await events.record(events.PROVIDER_SAVED, created, {"created": True}, actor.label)
    await events.record(events.PROVIDER_SAVED, updated, {"created": False}, actor.label)
    return Saved(created, updated, refused)


async def replaced_records(records: list[ProviderRecord]) -> dict[str, ProviderRecord]:
    """The stored records, by slug, of the providers that ``write_records(records)`` would update
    (same slug or same SIRET), as they are before it does."""
    slugs = [record.slug for record in records if record.slug]
    sirets = [record.siret for record in records]
    found = await _records(Provider.slug.is_in(slugs or [""]) | Provider.siret.is_in(sirets or [""]))
    return {record.slug: record for _, record in found}


async def _link_services(provider_id: int, services: list[str], service_ids: dict[str, int]) -> None:
    if services:
        await ProviderService.insert(*(ProviderService(provider=provider_id, service=service_ids[s]) for s in services))


async def _records(*where: Any) -> list[tuple[int, ProviderRecord]]:
    """The providers matching ``where`` as (id, record), in slug order."""
    query = Provider.select(*(getattr(Provider, field) for field in ("id", *_RECORD_FIELDS))).order_by(Provider.slug)
    if where:
        query = query.where(*where)
    rows = await query
    services = await service_slugs(row["id"] for row in rows)
    found = []
    for row in rows:
        values = {field: row[field] for field in _RECORD_FIELDS}
        for field in ("service_departements", "sectors", "languages"):
            values[field] = list(values[field] or [])
        found.append((row["id"], ProviderRecord(**values, services=services.get(row["id"], []))))
    return found


async def export_records(state: str | None = None) -> list[ProviderRecord]:
    """Every provider (of ``state`` if given) as records, in slug order, for the exchange formats."""
    return [record for _, record in await _records(*([Provider.state == state] if state else []))]


async def record_of(slug: str) -> tuple[int, ProviderRecord] | None:
    """One provider, whatever its state, as (id, record); None when there is none with ``slug``."""
    found = await _records(Provider.slug == slug)
    return found[0] if found else None


async def delete_provider(slug: str, actor: str = "") -> bool:
    """Remove one provider and its service links; False if there was none with that slug."""
    async with write_transaction(Provider._meta.db):
        existing = await Provider.select(Provider.id).where(Provider.slug == slug).first()
        if existing is None:
            return False
        await ProviderService.delete().where(ProviderService.provider == existing["id"])
        await Provider.delete().where(Provider.id == existing["id"])
        await events.record(events.PROVIDER_DELETED, [slug], actor=actor)
    return True


async def delete_all(actor: str = "") -> int:
    """Remove every provider (the demo seed replaces the network); returns how many."""
    async with write_transaction(Provider._meta.db):
        slugs = [row["slug"] for row in await Provider.select(Provider.slug)]
        await ProviderService.delete(force=True)
        await Provider.delete(force=True)
        await events.record(events.PROVIDER_DELETED, slugs, actor=actor)
    return len(slugs)
