"""The plugin contract: every hook of the core a directory plugin may implement.

Implementations are plain functions, called synchronously, except those of hooks marked
``may_await``, which may be ``async def`` or return an awaitable (the core awaits them). A
plugin that offers hooks of its own declares them in its own module with the same markers and
adds them with ``add_hooks`` (the leads plugin's are in ``plugins/leads/hookspecs.py``).
``docs/plugins.md`` documents each hook with this exact signature; a test keeps the two in step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import pluggy

if TYPE_CHECKING:
    from pathlib import Path

    import click
    from litestar import Litestar

    from directory.plugin_manager import PluginManager
    from directory.schemas import NeedUnderstanding, Provider, SearchAnswered
    from directory.settings import Settings

PROJECT = "channel_expert"
MAY_AWAIT_MARK = f"{PROJECT}_may_await"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
Spec = TypeVar("Spec", bound=Callable[..., Any])


def may_await(spec: Spec) -> Spec:
    """Mark a hookspec whose implementations may be ``async def`` or return an awaitable.

    The core calls such a hook with ``acall_isolated`` and awaits each answer; an ``async def``
    implementation of a hook without the mark is refused as its plugin loads.
    """
    setattr(spec, MAY_AWAIT_MARK, True)
    return spec


def awaits(spec: Callable[..., Any]) -> bool:
    """Whether a hookspec is marked ``may_await``."""
    return getattr(spec, MAY_AWAIT_MARK, False)


@hookspec(historic=True)
def add_hooks(plugin_manager: PluginManager) -> None:
    """Declare the plugin's own hooks, for other plugins to implement (as pytest's ``pytest_addhooks``).

    Called as the plugin registers, before its other implementations are checked.

    :param plugin_manager: call ``plugin_manager.add_hookspecs(module)`` with the module of the
        plugin's hookspecs (written with ``plugin_api.hookspec`` and ``plugin_api.may_await``).
    """


@hookspec
def register_routes(register: Callable[[Any], None]) -> None:
    """Add HTTP routes to the app; each declares its access (``opt=PUBLIC``, ``ACCOUNT``, ``STAFF``).

    :param register: call it with a Litestar route handler, controller or router.
    """


@hookspec
def register_templates(register: Callable[[Path], None]) -> None:
    """Add a folder of Jinja templates, reached under the plugin's short name.

    :param register: call it with the folder's path; its ``search.html`` is then
        ``<plugin>/search.html`` (``geosearch/search.html`` for ``plugins.geosearch``), so it
        never replaces the core's templates nor another plugin's. Pages extend ``base.html``.
    """


@hookspec
def register_template_helpers(add_global: Callable[[str, Any], None], add_filter: Callable[[str, Any], None]) -> None:
    """Add globals and filters to the pages' templates.

    :param add_global: call it with a name and a value (or function) templates may use.
    :param add_filter: call it with a name and a function, used as ``{{ value|name }}``.
        Taking a name the core or another plugin already gave stops the start-up.
    """


@hookspec
def register_middleware(register: Callable[[Any], None]) -> None:
    """Add Litestar middleware around every request (after the core's security headers).

    :param register: call it with a middleware factory or a ``DefineMiddleware``; it runs on
        every request, so keep it fast and let exceptions it does not own pass through.
    """


@hookspec
def register_edge_middleware(register: Callable[[Callable[[Any], Any]], None]) -> None:
    """Wrap the whole app in an ASGI layer that sees every HTTP request, answered from memory or not.

    Outside routing and the page cache (``CACHED`` routes), inside the core's request ids,
    security headers and access log: what counts requests (visits, robots) belongs here, since
    a Litestar middleware never sees an answer given from memory. No route handler is known yet.

    :param register: call it with a function ``(app) -> app`` over ASGI apps; it runs on every
        request, so keep it fast and let exceptions it does not own pass through.
    """


@hookspec
def navigation_links(register: Callable[..., None]) -> None:
    """Add links to the site's header, so people find a plugin's pages.

    :param register: call it as ``register(label, path, order=100)``: a French label, a path,
        and an order (lower comes first; the directory's own link is 0).
    """


@hookspec
def staff_links(register: Callable[..., None]) -> None:
    """Add links to the staff pages' tabs (``/equipe``), so staff find a plugin's own pages.

    :param register: call it as ``register(label, path, order=100)``; the core's tabs are 0 to 30.
    """


@hookspec
def account_links(register: Callable[..., None]) -> None:
    """Add links to the signed-in account's page (``/compte``), so members find a plugin's pages.

    :param register: call it as ``register(label, path, order=100)``.
    """


@hookspec
def footer_links(register: Callable[..., None]) -> None:
    """Add links to every page's footer, beside the legal pages, for pages a plugin adds to them.

    :param register: call it as ``register(label, path, order=100)``: a French label, a path and
        an order; the core's legal notice, privacy policy, accessibility and contact are 10 to 40,
        its API link 90.
    """


@hookspec
def privacy_sections(register: Callable[..., None]) -> None:
    """Describe, for the privacy policy (``/confidentialite``), the personal data the plugin processes.

    :param register: call it once per processing as ``register(title, purpose=…, legal_basis=…,
        retention=…, recipients="", rights="", order=50)``: French sentences (the page escapes
        them), the retention told from the plugin's settings in force; ``recipients`` joins the
        page's list of who receives data, ``rights`` its list of how to exercise them. The
        page names, from its settings alone, the retention of any plugin that describes nothing.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add sub-commands to the ``channel-expert`` command line.

    :param cli: the root click group, built for this run; decorate functions with ``@cli.command()``
        (their docstrings are the French help) and read the run's settings and plugins with
        ``command_context(ctx)``.
    """


@hookspec
def health_checks(app: Litestar, register: Callable[[str, Callable[[], Any]], None]) -> None:
    """Add a component to ``GET /health``.

    :param app: the Litestar app (``app.state`` holds what ``startup`` prepared).
    :param register: call it with a name and a function of no argument that returns (or
        awaits to) a dict of details, and raises when the component is unusable.
    """


@hookspec
def plugin_settings() -> type:
    """Declare the plugin's settings, read from ``CHANNEL_EXPERT_<PLUGIN>_<FIELD>`` at start-up.

    :return: a ``msgspec.Struct`` class; fields without a default are required, ``Secret``
        fields are never shown. Read the values with ``plugin_api.settings_of(name)``.
    """


@hookspec
def register_piccolo_apps(register: Callable[[str], None]) -> None:
    """Add the plugin's own tables and migrations, as a Piccolo app.

    :param register: call it with the dotted path of the app's ``piccolo_app`` module (which
        defines ``APP_CONFIG``); ``channel-expert migrate`` applies its migrations after the
        core's. Its tables may reference the core's (``plugin_api.tables``).
    """


@hookspec
def register_event_types(register: Callable[[str, type], None]) -> None:
    """Declare the plugin's own event types, recorded in the event outbox with ``events.record``.

    :param register: call it with a name (``<plugin>.<what happened>``, such as
        ``leads.created``) and the ``msgspec.Struct`` class its payload must fit.
    """


@hookspec
def register_jobs(register: Callable[..., None], plugin_manager: PluginManager) -> None:
    """Declare kinds of background jobs, run by the job workers (see ``plugin_api.jobs``).

    :param register: call it as ``register(name, run, *, max_attempts=8, timeout_s=60,
        every=None, daily_at=None)``: ``run`` is ``async def run(payload: dict) -> None`` and
        must be safe to run twice; ``every`` (a timedelta) or ``daily_at`` (a time, in Paris)
        make the task recurring.
    :param plugin_manager: the process's plugin manager, for jobs that call hooks themselves.
    """


@hookspec
def register_metrics(settings: Settings, register: Callable[[Callable[[], Any]], None]) -> None:
    """Add figures to ``GET /metrics``, the app's and the worker's, read from the database at each scrape.

    Called once per process as its figures are set up (no app: the worker has none).

    :param settings: the process's settings (the search engine in use, for one).
    :param register: call it with an ``async def`` function of no argument that returns
        prometheus_client metric families (``plugin_api.GaugeMetricFamily``,
        ``CounterMetricFamily``) named ``channel_expert_<what>``. It runs at every scrape (every
        15 s): a few cheap queries at most. One that raises is a plugin fault, and its figures are
        left out of that scrape.
    """


@hookspec
@may_await
def startup(app: Litestar) -> Any:
    """Prepare what a plugin needs when the app starts (connections, caches).

    :param app: the Litestar app.
    :return: None or an awaitable.
    """


@hookspec
@may_await
def shutdown(app: Litestar) -> Any:
    """Release what ``startup`` took when the app stops.

    :param app: the Litestar app.
    :return: None or an awaitable.
    """


@hookspec
@may_await
def provider_saved(provider: Provider, created: bool) -> Any:
    """React to a provider profile written to the database (called after the commit).

    A failure is logged with the plugin's name and never undoes the save.

    :param provider: the profile as saved.
    :param created: True for a new provider, False for an update.
    :return: None or an awaitable.
    """


@hookspec
@may_await
def provider_deleted(provider: Provider) -> Any:
    """React to a provider removed from the directory (called after the commit).

    :param provider: the profile as it was before deletion.
    :return: None or an awaitable.
    """


@hookspec
def provider_document(provider: Provider, document: dict[str, Any]) -> None:
    """Add fields to the search document of a provider, in place.

    :param provider: the provider's profile.
    :param document: the document the search engine will index; add or change keys.
    """


@hookspec
@may_await
def provider_document_fields(providers: list[Provider]) -> dict[str, dict[str, Any]]:
    """Add fields read from the database to many providers' search documents at once.

    Called for each batch of documents the index builds, after ``provider_document``: one
    query for the batch instead of one per provider. May be ``async def``.

    :param providers: the providers whose documents are being built.
    :return: ``{slug: {field: value}}`` for the providers that get fields.
    """


@hookspec
def search_fields(register: Callable[..., None]) -> None:
    """Make fields that ``provider_document`` adds searchable, filterable, sortable or returned.

    :param register: call it as ``register(name, *, searchable=False, filterable=False,
        facet=False, sortable=False, returned=False, rank=None, rank_order=50, label="")``;
        ``rank`` ("asc" or "desc") makes a numeric field break ties among equally relevant
        providers, ``rank_order`` placing it among the other contributions (the profile's
        completeness is 100: lower comes first); ``label``, a French title, shows a filterable
        facet as a filter on the search page and a returned field on each result.
    """


@hookspec
@may_await
def provider_page_sections(provider: Provider, register: Callable[..., None]) -> Any:
    """Add sections to a provider's public page (may be ``async def``, to read the database).

    :param provider: the provider shown.
    :param register: call it as ``register(title, html, order=100, head="")``: a French
        title, an HTML fragment (escape what you interpolate), an order (lower comes first)
        and what the section needs in the page's ``<head>`` (a stylesheet or script link to
        your static files; inline scripts are refused by the page's CSP).
    """


@hookspec
@may_await
def provider_structured_data(provider: Provider, data: dict[str, Any]) -> None:
    """Add to the schema.org JSON-LD of a provider's public page, in place (may be ``async def``).

    :param provider: the provider shown.
    :param data: its ``LocalBusiness`` node; add schema.org properties (``aggregateRating``…).
    """


@hookspec
@may_await
def provider_data_export(provider_id: int, register: Callable[[str, Any], None]) -> None:
    """Add what a plugin holds about a provider to the data export its members download.

    May be ``async def``. List only what the provider or its members wrote or received.

    :param provider_id: the provider exported.
    :param register: call it as ``register(name, data)``: JSON-ready data, exported under
        ``plugins.<name>``.
    """


@hookspec
def home_page_templates(register: Callable[[str, int], None]) -> None:
    """Add fragments to the home page, above the list of providers.

    :param register: call it with the name of a template in a folder your plugin registered
        (see ``register_templates``), namespace included (``geosearch/home_search.html``), and
        an order (lower comes first). The fragment is rendered with the page's context:
        ``static_url``, ``navigation`` and the page's data.
    """


@hookspec
def understand_need(app: Litestar, text: str) -> NeedUnderstanding | None:
    """Say which catalogue services a TPE's own words ask for ("vendre mes gâteaux sur internet").

    The search ranks providers offering them first and shows what was understood; the request
    form pre-ticks them. A plain function: it runs on every search. First non-None result wins.

    :param app: the Litestar app (its ``state`` holds what the plugin prepared at start-up).
    :param text: what the TPE typed, as typed.
    :return: the services, the words that named them and the words left, or None.
    """


@hookspec
def search_answered(app: Litestar, answered: SearchAnswered) -> None:
    """Learn from a search a person made: what it found, what was understood and taken back.

    Called after each search a person settled on (a page loaded or an API call, not the live
    updates as one types). A plain function on the request's path: keep the facts in memory and
    write them later, off the request.

    :param app: the Litestar app.
    :param answered: the words typed, the total found, the services understood and taken back,
        the slugs shown on the page and its number.
    """
