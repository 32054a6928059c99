"""Geolocated search: ``/api/search``, the ``/recherche`` page, and an index kept in step.

The index is fed from the provider change outbox, so it follows every write, whichever
process made it, and catches up after a restart. Documents are built through the
``provider_document`` hook, so other plugins (badges, for one) add their own fields.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import click
from litestar import Litestar

from directory.plugin_api import (
    command_context,
    events,
    follows_outbox,
    hookimpl,
    run_in_database,
    static_files_router,
)
from geo import Gazetteer
from plugins.geosearch import figures
from plugins.geosearch.check import Expected, ServerState, check_servers
from plugins.geosearch.documents import base_document
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
    follows_outbox(app, lambda: index.position if index.ready else -1)  # results kept only once it caught up
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


@hookimpl
def register_metrics(settings, register):
    register(figures.reading(settings))


@contextlib.asynccontextmanager
async def _command_index(ctx: click.Context) -> AsyncIterator[SearchIndex]:
    """The search index as a command sees it (the database made ready first), its engine closed afterwards."""
    context = command_context(ctx)
    index = SearchIndex(backend_for(context.settings), context.plugin_manager, Gazetteer.default())
    try:
        yield index
    finally:
        await index.backend.close()


@hookimpl
def register_commands(cli):
    @cli.command()
    @click.pass_context
    def reindex(ctx: click.Context) -> None:
        """Reconstruire l'index de recherche depuis la base (sans interruption avec Meilisearch).

        Le moteur intégré vit dans la mémoire de chaque serveur et se reconstruit à chaque
        démarrage : la commande vérifie seulement que chaque document se construit. Les
        serveurs en marche ne sont pas touchés.
        """
        async def run() -> int:
            async with _command_index(ctx) as index:
                await index.configure()
                count = await index.rebuild()
                await index.sync()  # what changed during the rebuild, from its own position
                return count

        count = run_in_database(ctx, run)
        click.echo(f"{count} prestataires indexés.")

    @cli.command(name="search-check")
    @click.option("--wait", "wait_s", default=5.0, show_default=True, type=click.FloatRange(0, 600),
                  help="Secondes laissées à un serveur en retard pour rattraper la base.")
    @click.option("--forget", "instance", metavar="ID",
                  help="Retirer de la liste un serveur arrêté pour de bon (son identifiant, tel que la "
                       "vérification l'affiche), puis vérifier.")
    @click.pass_context
    def search_check(ctx: click.Context, wait_s: float, instance: str | None) -> None:
        """Vérifier que l'index de recherche sert ce que la base contient ; code 1 sinon.

        Meilisearch : les prestataires absents de l'index, et ceux indexés qui ne sont plus dans
        la base. Moteur intégré : la position de chaque serveur inscrit dans le journal des
        événements et l'empreinte de ses documents ; un serveur qui ne se signale plus (bloqué, ou
        arrêté sans se retirer) est en défaut jusqu'à ce qu'il reparte ou qu'on le retire.
        """
        async def run() -> bool:
            if instance is not None and not await events.forget(instance):
                raise click.ClickException(f"Aucun serveur inscrit n'a l'identifiant {instance}.")
            async with _command_index(ctx) as index:
                if index.backend.shared:
                    await index.configure()  # compare what the server holds now, before any catching up
                    return _report_ids(*await index.check())
                return _report_servers(*await check_servers(index, wait_s))

        if not run_in_database(ctx, run):
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
    "silent": "ne se signale plus (bloqué, ou arrêté sans se retirer : s'il est arrêté pour de bon, "
              "« channel-expert search-check --forget {instance} »)",
    "ahead": "en avance sur la base lue (des écritures ont lieu pendant la vérification : relancez-la)",
    "different": "index différent de la base (redémarrez ce serveur pour reconstruire son index)",
}


def _report_servers(truth: Expected, servers: list[ServerState]) -> bool:
    click.echo(f"Base : position {truth.position}, {truth.documents} prestataires publiés, empreinte {truth.digest}.")
    if not servers:
        click.echo("Aucun serveur inscrit n'utilise l'index intégré : rien à comparer.")
    for server in servers:
        follower = server.follower
        state = SERVER_STATES[server.state].format(instance=follower.instance)
        click.echo(f"serveur {follower.host} (pid {follower.pid}, id {follower.instance}) : {state} — "
                   f"dernier signe {follower.seen_at:%Y-%m-%d %H:%M:%S} UTC, position {follower.position}, "
                   f"{follower.documents} documents, empreinte {follower.digest}.")
    behind = sum(server.state != "ok" for server in servers)
    click.echo(f"{len(servers)} serveur(s), {behind} en défaut.")
    return not behind
