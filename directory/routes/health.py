"""``GET /health``: the database and every component that plugins register."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec

from directory import __version__, schemas
from directory.accounts.guards import PUBLIC
from directory.plugin_manager import PluginManager, maybe_await
from directory.tables import Provider

CHECK_TIMEOUT_S = 3.0


async def database_check() -> dict[str, Any]:
    engine = Provider._meta.db
    await engine.run_ddl("SELECT 1")
    return {"engine": engine.engine_type}


async def _run(check: Callable[[], Any]) -> schemas.CheckResult:
    try:
        detail = await asyncio.wait_for(maybe_await(check()), CHECK_TIMEOUT_S)
    except Exception as error:  # noqa: BLE001 - a failing component is reported, not raised
        return schemas.CheckResult(ok=False, detail={"error": f"{type(error).__name__}: {error}"[:300]})
    return schemas.CheckResult(ok=True, detail=detail or {})


class HealthController(Controller):
    opt = PUBLIC
    path = "/health"
    tags = ("health",)

    @get(
        "/",
        summary="État du service",
        description="200 si tout fonctionne, 503 sinon.",
        response_description="L'état de chaque composant",
        responses={503: ResponseSpec(schemas.Health, description="Un composant ne répond pas")},
    )
    async def health(
        self, request: Request, plugin_manager: NamedDependency[PluginManager]
    ) -> Response[schemas.Health]:
        checks: dict[str, Callable[[], Any]] = {"database": database_check}
        plugin_manager.call_isolated("health_checks", app=request.app, register=checks.__setitem__)
        names = list(checks)
        results = dict(zip(names, await asyncio.gather(*(_run(checks[name]) for name in names))))
        # A plugin that failed in a hook lately is a failing component, even if its pages still render.
        for plugin, detail in plugin_manager.faults.recent().items():
            results[f"plugin {plugin}"] = schemas.CheckResult(ok=False, detail=detail)
        # An installed plugin left out at start-up: the site runs without what it adds.
        for plugin, why in plugin_manager.left_out.items():
            results[f"plugin {plugin}"] = schemas.CheckResult(ok=False, detail={"error": why, "loaded": False})
        health = schemas.Health(ok=all(r.ok for r in results.values()), version=__version__, checks=results)
        return Response(health, status_code=200 if health.ok else 503)
