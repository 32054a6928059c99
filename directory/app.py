"""The app factory: settings and plugins in, a Litestar app out (no module-level app)."""

from __future__ import annotations

import asyncio
import gc
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import swagger_ui_bundle
from litestar import Litestar, get
from litestar.config.compression import CompressionConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging import LoggingConfig
from litestar.logging.config import default_handlers
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.template import TemplateConfig
from litestar.types import ASGIApp
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from directory import __version__, events, logs, notices
from directory.accounts.guards import ACCOUNTS_STORE, PUBLIC, AccessMiddleware, SignInRequired, sign_in_first
from directory.accounts.sessions import COOKIE as SESSION_COOKIE
from directory.accounts.sessions import STORE_NAME, session_config
from directory.assets import static_files_router, url_maker
from directory.conditional import ConditionalGet
from directory.database import DRIVER_LOGGERS, close_connections
from directory.edges import Edges
from directory.http_options import allow_every_method
from directory.platform import current
from directory.platform.cache import KEPT_AS, KEPT_STATE, CachedReads, PageCache
from directory.platform.metrics import Metrics
from directory.platform.precedence import ReadsWait
from directory.platform.services import geocoder_for, start_platform, use_database
from directory.platform.store import shared_store
from directory.plugin_manager import PluginError, PluginManager, call_each, get_plugin_manager
from directory.problems import EXCEPTION_HANDLERS
from directory.redaction import Redaction
from directory.routes.accounts import AccountController
from directory.routes.api_tokens import ApiTokenController
from directory.routes.forms import CSRF_COOKIE
from directory.routes.health import HealthController
from directory.routes.legal import (
    CORE_FOOTER_LINKS,
    LegalController,
    StaffContactController,
    warn_of_legal_gaps,
)
from directory.routes.logos import logo
from directory.routes.me import me
from directory.routes.metrics import metrics_page
from directory.routes.pages import PageController
from directory.routes.profile import ProfileController
from directory.routes.providers import ProviderController
from directory.routes.reports import ReportController, StaffReportController
from directory.routes.services import ServiceController
from directory.routes.staff import StaffController
from directory.security import SecurityHeaders
from directory.settings import Settings
from directory.templating import page_environment
from geo import Gazetteer

HERE = Path(__file__).parent
MAX_BODY_BYTES = 1024 * 1024
APP_CONNECTIONS = 10  # PostgreSQL connections a server keeps at most (asyncpg's default)


@get("/favicon.ico", include_in_schema=False, opt=PUBLIC)
async def favicon() -> Redirect:
    """Browsers and crawlers that ask for the old name get the page icon."""
    return Redirect("/static/favicon.svg", status_code=301)


def _openapi_config() -> OpenAPIConfig:
    swagger = SwaggerRenderPlugin(
        path="/",
        js_url="/static/swagger/swagger-ui-bundle.js",
        css_url="/static/swagger/swagger-ui.css",
        standalone_preset_js_url="/static/swagger/swagger-ui-standalone-preset.js",
    )
    return OpenAPIConfig(
        title="Channel Expert",
        version=__version__,
        description="Annuaire des revendeurs informatiques et agences web du réseau Channel Expert.",
        path="/schema",
        render_plugins=[swagger],
        components=Components(security_schemes={
            "bearer": SecurityScheme(type="http", scheme="bearer", description=(
                "Jeton d'API personnel, créé par un membre sur /compte/jetons : « Authorization: Bearer ce_… ».")),
            "session": SecurityScheme(type="apiKey", name=SESSION_COOKIE, security_scheme_in="cookie", description=(
                "Session du site, ouverte sur /compte/connexion : pour les pages, jamais pour l'API.")),
        }),
    )


def _links(manager: PluginManager, hook: str, core: list[tuple[int, str, str]]) -> list[tuple[str, str]]:
    """The core's links and the plugins' (``navigation_links``, ``staff_links``, ``account_links``,
    ``footer_links``), in order."""
    ordered = list(core)
    manager.call_isolated(hook, register=lambda label, path, order=100: ordered.append((order, label, path)))
    return [(label, path) for _, label, path in sorted(ordered, key=lambda link: link[0])]


def create_app(settings: Settings | None = None, plugin_manager: PluginManager | None = None) -> Litestar:
    """Build the directory app for ``settings`` (read from the environment when omitted).

    With no public URL set, the app names the address ``serve`` listens on by default
    (``Settings.served_at``); ``serve`` gives it the address it really listens on.
    """
    settings = (settings or Settings.from_env()).served_at()
    manager = plugin_manager or get_plugin_manager(settings)
    engine, _ = use_database(settings, manager)
    gazetteer = Gazetteer.default()
    geocoder = geocoder_for(settings, gazetteer)

    handlers: list[Any] = [
        ProviderController,
        ServiceController,
        me,
        AccountController,
        ProfileController,
        ApiTokenController,
        StaffController,
        logo,
        ReportController,
        StaffReportController,
        HealthController,
        PageController,
        LegalController,
        StaffContactController,
        static_files_router("/static", HERE / "static"),
        static_files_router("/static/swagger", Path(swagger_ui_bundle.swagger_ui_path), name="swagger-static"),
        favicon,
        metrics_page,
    ]
    manager.hook.register_routes(register=handlers.append)
    platform = start_platform(settings, manager, engine)
    metrics = Metrics(settings, manager, platform.tasks)
    links = _links(manager, "navigation_links", [(0, "Annuaire", "/"), (90, "Espace prestataire", "/compte")])
    staff_links = _links(manager, "staff_links", [(0, "À modérer", "/equipe"), (10, "Fiches", "/equipe/prestataires"),
                                                  (20, "Signalements", "/equipe/signalements"),
                                                  (30, "Messages", "/equipe/messages")])
    footer_links = _links(manager, "footer_links", list(CORE_FOOTER_LINKS))
    account_links = _links(manager, "account_links", [(50, "Jetons d'API", "/compte/jetons")])
    store = shared_store(settings)
    middleware: list[Any] = [session_config(settings).middleware, AccessMiddleware]
    manager.hook.register_middleware(register=middleware.append)
    static_url = url_maker(handlers)
    pages = page_environment(manager, reload=settings.debug, navigation=links, staff_navigation=staff_links,
                             account_navigation=account_links, footer_navigation=footer_links,
                             static_url=static_url, notices=notices.waiting)

    page_cache = platform.keep(KEPT_AS, PageCache)

    async def on_startup(app: Litestar) -> None:
        current.enter(platform)  # the lifespan's task, and every task a plugin starts in it, work for this app
        warn_of_legal_gaps(settings)
        if engine.engine_type == "postgres":
            # Connections open as requests need them (up to ten), instead of ten at each start.
            await engine.start_connection_pool(min_size=1, max_size=APP_CONNECTIONS)
        failed = await call_each(manager, "startup", app=app)
        if failed and settings.strict_plugins:
            raise PluginError(" ; ".join(failed))
        # Made by each start-up, in the loop that runs it: the test kit starts one app in several loops.
        app.state.stopping = stopping = asyncio.Event()
        if settings.page_cache:
            app.state.page_cache_follower = asyncio.create_task(page_cache.follow(events.latest, stopping))
        if settings.worker_in_app:
            app.state.worker = asyncio.create_task(platform.worker().run_until(stopping))
        # What start-up loaded (the gazetteer, an in-memory search index) lives as long as the
        # app: frozen, it is left out of full garbage collections, which otherwise walk millions
        # of objects and stall every request (80 ms at 3,000 providers, over 0.5 s at 100,000).
        gc.collect()
        gc.freeze()

    async def on_shutdown(app: Litestar) -> None:
        gc.unfreeze()  # the app's objects may be collected again once it is gone
        # Taken out of the state: what a later lifespan of the same app finds there is its own.
        stopping, worker = app.state.pop("stopping", None), app.state.pop("worker", None)
        follower = app.state.pop("page_cache_follower", None)
        if stopping is not None:  # not when start-up stopped before it
            stopping.set()  # the job in hand finishes; the next ones wait for another worker
        for task in (worker, follower):
            if task is not None:
                await task
        await call_each(manager, "shutdown", app=app)
        geocoder.close()
        await close_connections(engine)  # PostgreSQL's pool, or the SQLite connections kept open

    app = Litestar(
        route_handlers=handlers,
        dependencies={
            "settings": Provide(lambda: settings, use_cache=True, sync_to_thread=False),
            "plugin_manager": Provide(lambda: manager, use_cache=True, sync_to_thread=False),
            "gazetteer": Provide(lambda: gazetteer, use_cache=True, sync_to_thread=False),
            "geocoder": Provide(lambda: geocoder, use_cache=True, sync_to_thread=False),
        },
        exception_handlers={SignInRequired: sign_in_first, **EXCEPTION_HANDLERS},
        compression_config=CompressionConfig(backend="brotli", brotli_gzip_fallback=True, gzip_compress_level=6),
        template_config=TemplateConfig(instance=JinjaTemplateEngine.from_environment(pages)),
        middleware=middleware,
        stores={STORE_NAME: store.with_namespace("sessions"), ACCOUNTS_STORE: store.with_namespace("accounts")},
        csrf_config=CSRFConfig(secret=settings.secret_key or secrets.token_urlsafe(32),
                               cookie_name=CSRF_COOKIE,
                               cookie_secure=settings.served_over_https, cookie_httponly=True,
                               cookie_samesite="lax", exclude=["^/api/"]),
        openapi_config=_openapi_config(),
        logging_config=LoggingConfig(
            root={"level": logging.getLevelName(settings.log_level), "handlers": ["queue_listener"]},
            formatters=logs.formatters(settings),
            filters={"request_id": {"()": logs.RequestIdFilter}},
            handlers={"console": {**default_handlers["console"], "filters": ["request_id"]},
                      "queue_listener": {"class": "directory.logs.BackgroundHandler", "formatter": "standard",
                                         "filters": ["request_id"]}},
            loggers={name: {"level": "WARNING"} for name in DRIVER_LOGGERS},
            # problems.internal_error_handler logs each unexpected error once, with its request id.
            log_exceptions="never",
        ),
        before_request=allow_every_method,
        on_startup=[on_startup],
        on_shutdown=[on_shutdown],
        request_max_body_size=MAX_BODY_BYTES,
        debug=settings.debug,
        state=State({"settings": settings, "plugin_manager": manager, "platform": platform,
                     "metrics": metrics, KEPT_STATE: page_cache}),
    )
    # Around routing, so that 404s, 405s and HEAD requests get the same treatment as the rest.
    image_origins = (settings.map_tiles_origin,) if settings.map_tiles_origin else ()
    app.state.redaction = Redaction.for_routes(app.routes)
    largest_body = max(handler.resolve_request_max_body_size() or 0 for route in app.routes
                       for handler in getattr(route, "route_handlers", ()))
    edge_layers: list[Callable[[ASGIApp], ASGIApp]] = []
    reads = (CachedReads(app.asgi_handler, page_cache, SESSION_COOKIE, CSRF_COOKIE, manager.faults)
             if settings.page_cache else app.asgi_handler)
    layered = ConditionalGet(reads, SESSION_COOKIE)
    manager.call_isolated("register_edge_middleware", register=edge_layers.append)
    for wrap in edge_layers:
        layered = wrap(layered)
    layered = ReadsWait(layered, platform.precedence)  # inside the edges: the wait is logged and measured
    handler = Edges(layered, access_log=settings.access_log,
                    security=SecurityHeaders(image_origins),
                    redaction=app.state.redaction, max_body_bytes=max(largest_body, MAX_BODY_BYTES),
                    observe=metrics.observe,
                    error_page=lambda problem: pages.get_template("error.html").render(problem=problem))
    # Outermost, so that rate limits, sessions and the access log all see the same client: the
    # address that connects, or the one a trusted proxy forwards (uvicorn's own middleware).
    outer = (ProxyHeadersMiddleware(handler, trusted_hosts=list(settings.trusted_proxies))
             if settings.trusted_proxies else handler)
    app.asgi_handler = current.Within(outer, platform)
    return app
