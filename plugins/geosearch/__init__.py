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
from litestar.static_files import create_static_files_router

from directory import hookimpl
from directory.cli import prepare_database
from geo import Gazetteer

from plugins.geosearch.documents import base_document
from plugins.geosearch.index import SearchIndex, backend_for
from plugins.geosearch.routes import SearchController, search_page

HERE = Path(__file__).parent


@hookimpl
def register_routes(register):
    register(SearchController)
    register(search_page)
    register(create_static_files_router(path="/static/geosearch", directories=[HERE / "static"],
                                        include_in_schema=False))


@hookimpl
def navigation_links(register):
    register("Rechercher", "/recherche")


@hookimpl
def register_templates(register):
    register(HERE / "templates")


@hookimpl(tryfirst=True)
def provider_document(provider, document):
    base_document(provider, document)


@hookimpl
async def startup(app: Litestar):
    index = SearchIndex(backend_for(app.state.settings), app.state.plugin_manager, Gazetteer.default())
    app.state.search = index
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
    await prepare_database(ctx.obj["settings"])
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

        The embedded engine lives in the server's memory and is rebuilt at every start: this
        command only checks that every document can be built.
        """
        async def run() -> int:
            async with _command_index(ctx) as index:
                await index.configure()
                return await index.rebuild()

        count = asyncio.run(run())
        click.echo(f"{count} prestataires indexés.")

    @cli.command(name="search-check")
    @click.pass_context
    def search_check(ctx: click.Context) -> None:
        """List providers missing from the search index, and indexed ones gone from the database."""
        async def run() -> tuple[list[str], list[str]]:
            async with _command_index(ctx) as index:
                if index.backend.name == "embedded":
                    await index.open()  # an in-memory index is built from the database, as at start-up
                else:
                    await index.configure()  # compare what the server holds now, before any catching up
                return await index.check()

        missing, extra = asyncio.run(run())
        for slug in missing:
            click.echo(f"absent de l'index : {slug}")
        for slug in extra:
            click.echo(f"dans l'index mais plus dans la base : {slug}")
        click.echo(f"{len(missing)} absents, {len(extra)} en trop.")
        if missing or extra:
            ctx.exit(1)
