"""Geolocated search: ``/api/search``, the ``/recherche`` page, and an index kept in step.

The index is fed from the provider change outbox, so it follows every write, whichever
process made it, and catches up after a restart. Documents are built through the
``provider_document`` hook, so other plugins (badges, for one) add their own fields.
"""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import AsyncIterator

import click
from litestar import Litestar

from directory.plugin_api import hookimpl, prepare_database, static_files_router
from geo import Gazetteer

from plugins.geosearch.documents import base_document
from plugins.geosearch.check import Expected, ServerState, check_servers
from plugins.geosearch.index import CONSUMER, SearchIndex, backend_for
from plugins.geosearch.routes import SearchController, search_page

HERE = Path(__file__).parent


@hookimpl
def register_routes(register):
    register(SearchController)
    register(search_page)
    register(static_files_router("/static/geosearch", HERE / "static", name="geosearch-static"))


@hookimpl
def navigation_links(register):
    register("Rechercher", "/recherche", 10)


@hookimpl
def register_templates(register):
    register(HERE / "templates")


@hookimpl
def home_page_templates(register):
    register("geosearch/home_search.html", 10)


@hookimpl(tryfirst=True)
def provider_document(provider, document):
    base_document(provider, document)


@hookimpl
async def startup(app: Litestar):
    backend = backend_for(app.state.settings)
    # A shared engine keeps one position for all servers; an in-memory index keeps its own.
    index = SearchIndex(backend, app.state.plugin_manager, Gazetteer.default(),
                        cursor=CONSUMER if backend.shared else None)
    app.state.search = index
    await asyncio.to_thread(index.gazetteer.warm)
    await index.start()


@hookimpl
async def shutdown(app: Litestar):
    index = getattr(app.state, "search", None)
    if index is not None:
        await index.stop()


@hookimpl
def health_checks(app, register):
    index = getattr(app.state, "search", None)
    if index is not None:
        register("search", index.backend.health)


@contextlib.asynccontextmanager
async def _command_index(ctx: click.Context) -> AsyncIterator[SearchIndex]:
    """The search index as a command sees it: database ready, engine closed afterwards."""
    await prepare_database(ctx.obj["settings"], ctx.obj["plugin_manager"])
    index = SearchIndex(backend_for(ctx.obj["settings"]), ctx.obj["plugin_manager"], Gazetteer.default())
    try:
        yield index
    finally:
        await index.backend.close()


@hookimpl
def register_commands(cli):
    @cli.command()
    @click.pass_context
    def reindex(ctx: click.Context) -> None:
        """Rebuild the search index from the database (no downtime with Meilisearch).

        The embedded engine lives in each server's memory and is rebuilt at every start: this
        command only checks that every document can be built. Running servers are not affected.
        """
        async def run() -> int:
            async with _command_index(ctx) as index:
                await index.configure()
                count = await index.rebuild()
                await index.sync()  # what changed during the rebuild, from its own position
                return count

        count = asyncio.run(run())
        click.echo(f"{count} prestataires indexés.")

    @cli.command(name="search-check")
    @click.option("--wait", "wait_s", default=5.0, show_default=True, type=click.FloatRange(0, 600),
                  help="Secondes laissées à un serveur en retard pour rattraper la base.")
    @click.pass_context
    def search_check(ctx: click.Context, wait_s: float) -> None:
        """Check that the search index serves what the database holds; exit 1 when it does not.

        Meilisearch: providers missing from the index, and indexed ones gone from the database.
        Embedded engine: each running server's outbox position and document digest.
        """
        async def run() -> bool:
            async with _command_index(ctx) as index:
                if index.backend.shared:
                    await index.configure()  # compare what the server holds now, before any catching up
                    return _report_ids(*await index.check())
                return _report_servers(*await check_servers(index, wait_s))

        if not asyncio.run(run()):
            ctx.exit(1)


def _report_ids(missing: list[str], extra: list[str]) -> bool:
    for slug in missing:
        click.echo(f"absent de l'index : {slug}")
    for slug in extra:
        click.echo(f"dans l'index mais plus dans la base : {slug}")
    click.echo(f"{len(missing)} absents, {len(extra)} en trop.")
    return not missing and not extra


SERVER_STATES = {
    "ok": "à jour",
    "behind": "en retard",
    "ahead": "en avance sur la base lue (des écritures ont lieu pendant la vérification : relancez-la)",
    "different": "index différent de la base (redémarrez ce serveur pour reconstruire son index)",
}


def _report_servers(truth: Expected, servers: list[ServerState]) -> bool:
    click.echo(f"Base : position {truth.position}, {truth.documents} prestataires publiés, empreinte {truth.digest}.")
    if not servers:
        click.echo("Aucun serveur en marche n'utilise l'index intégré : rien à comparer.")
    for server in servers:
        follower = server.follower
        click.echo(f"serveur {follower.host} (pid {follower.pid}) : {SERVER_STATES[server.state]} — "
                   f"position {follower.position}, {follower.documents} documents, empreinte {follower.digest}.")
    behind = sum(server.state != "ok" for server in servers)
    click.echo(f"{len(servers)} serveur(s), {behind} en défaut.")
    return not behind
