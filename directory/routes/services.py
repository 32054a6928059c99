"""The service catalogue, for filters and forms."""

from __future__ import annotations

from litestar import Controller, get

from directory import providers, schemas
from directory.accounts.guards import PUBLIC
from directory.platform.cache import CACHED


class ServiceController(Controller):
    opt = PUBLIC
    path = "/api/services"
    tags = ("services",)

    @get("/", summary="Catalogue des services", opt=CACHED)
    async def list_services(self) -> list[schemas.CatalogueService]:
        return await providers.service_catalogue()
