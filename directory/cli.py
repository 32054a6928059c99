"""``channel-expert``: the one entry point to serve, migrate, seed, import, export and inspect."""

from __future__ import annotations

import asyncio
import dataclasses
import getpass
import json
import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Any, Coroutine

import click

from directory import catalogue, demo, exchange, history, notifications, providers
from directory.history import Actor
from directory.accounts.commands import staff_group
from directory.database import failure_message
from directory.failures import EXIT_DATABASE, EXIT_UNREADABLE, Failure
from directory.platform.commands import jobs_group, worker
from directory.platform.services import geocoder_for, plugin_migrations, prepare_database
from directory.plugin_manager import PluginError, describe_plugins, get_plugin_manager
from directory.settings import DEFAULT_HOST, DEFAULT_PORT, Settings, SettingsError
from geo import Gazetteer, resolve


def _run(coroutine: Coroutine[Any, Any, Any]) -> Any:
    return asyncio.run(coroutine)


@click.group(help="Channel Expert : annuaire des revendeurs informatiques et agences web du réseau.")
@click.version_option(package_name="channel-expert")
@click.pass_context
def cli(ctx: click.Context) -> None:
    ctx.ensure_object(dict)


def _settings(ctx: click.Context) -> Settings:
    return ctx.obj["settings"]


def _actor() -> str:
    """Who writes from the command line, as the events record it: ``cli:<login>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container user without a name
        return "cli"


def _importer() -> Actor:
    """The command line writing providers, as their history records it."""
    return Actor(_actor(), history.IMPORT)


@cli.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535),
              help="Port d'écoute.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve the directory (the schema is created or upgraded first).

    Without ``CHANNEL_EXPERT_PUBLIC_URL``, links in pages and mail, and badges, name the address
    it listens on; it says which address it uses.
    """
    import uvicorn

    from directory.app import create_app

    settings = _settings(ctx).served_at(host, port)
    _run(prepare_database(settings, ctx.obj["plugin_manager"]))
    app = create_app(settings, ctx.obj["plugin_manager"])
    click.echo(f"Channel Expert sur http://{host}:{port}/ (base : {settings.database_url.split('@')[-1]})")
    if _settings(ctx).public_url:
        click.echo(f"Adresse publique (liens des messages, badges) : {settings.public_url}")
    else:
        click.echo(f"Adresse publique (liens des messages, badges) : {settings.public_url}, celle d'écoute, faute de "
                   f"CHANNEL_EXPERT_PUBLIC_URL : définissez-la en production avant le premier badge.")
    # The app writes its own access log, with request ids and escaped paths, and reads
    # X-Forwarded-For itself, from the trusted proxies only (uvicorn would trust 127.0.0.1).
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), proxy_headers=False,
                access_log=False)


@cli.command(name="migrate")
@click.pass_context
def migrate_command(ctx: click.Context) -> None:
    """Create or upgrade the database schema in place."""
    applied = _run(prepare_database(_settings(ctx), ctx.obj["plugin_manager"]))
    click.echo(f"Migrations appliquées : {', '.join(applied)}" if applied else "Base de données à jour.")


@cli.command()
@click.option("--if-empty", is_flag=True, help="Ne rien faire si l'annuaire contient déjà des prestataires.")
@click.option("--yes", is_flag=True, help="Remplacer les prestataires existants sans confirmation.")
@click.pass_context
def seed(ctx: click.Context, if_empty: bool, yes: bool) -> None:
    """Load the demo network: 500 resellers and 2,500 web agencies, identical on every run."""
    settings = _settings(ctx)

    async def run() -> None:
        await prepare_database(settings, ctx.obj["plugin_manager"])
        from directory.tables import Provider

        existing = await Provider.count()
        if existing and if_empty:
            click.echo(f"L'annuaire contient déjà {existing} prestataires : rien à faire.")
            return
        if existing and not yes and not click.confirm(f"Remplacer les {existing} prestataires existants ?"):
            raise click.Abort()
        records = demo.demo_records(Gazetteer.default())
        manager = ctx.obj["plugin_manager"]
        removed = await notifications.snapshot_all(manager)
        await providers.delete_all(actor=_actor())
        await notifications.notify_deleted(manager, removed)
        created = (await providers.save_records(records, actor=_importer())).created
        await notifications.notify_saved(manager, created, [])
        counts = ", ".join(f"{n} {kind}" for kind, n in demo.iter_kinds(records))
        click.echo(f"{len(created)} prestataires créés ({counts}). Empreinte : {demo.checksum(records)}")

    _run(run())


@cli.command(name="import")
@click.argument("source", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Vérifier le fichier sans rien écrire.")
@click.pass_context
def import_command(ctx: click.Context, source, dry_run: bool) -> None:
    """Import providers from a CSV file (see the README for the columns).

    Bad rows are reported with their line number and skipped; good rows are written in one
    transaction. A dry run writes and rolls back, so it reports what a real run would.
    Exit status: 0 all rows imported, 1 some rows rejected, 2 file unreadable, 3 database busy.
    """
    settings = _settings(ctx)
    gazetteer = Gazetteer.default()
    try:
        text, note = exchange.decode(source.read())
        if note:
            click.echo(note, err=True)
        rows, errors = exchange.read_csv(text, gazetteer, geocoder_for(settings, gazetteer))
    except exchange.FileError as error:
        raise Failure(str(error), EXIT_UNREADABLE) from None

    async def run() -> providers.Saved:
        await prepare_database(settings, ctx.obj["plugin_manager"])
        saved = await providers.save_records([row.record for row in rows], dry_run=dry_run, actor=_importer())
        if not dry_run:
            await notifications.notify_saved(ctx.obj["plugin_manager"], saved.created, saved.updated)
        return saved

    saved = _run(run())
    errors += [exchange.RowError(rows[position].line, reason) for position, reason in saved.refused.items()]
    for error in sorted(errors, key=lambda error: error.line):
        click.echo(f"ligne {error.line} : {error.reason}", err=True)
    if dry_run:
        click.echo(f"{len(rows) - len(saved.refused)} lignes valides ({len(saved.created)} à créer, "
                   f"{len(saved.updated)} à mettre à jour), {len(errors)} rejetées (aucune écriture).")
    else:
        click.echo(f"{len(saved.created)} créés, {len(saved.updated)} mis à jour, {len(errors)} lignes rejetées.")
    if errors:
        ctx.exit(1)


@cli.command()
@click.argument("slug")
@click.pass_context
def remove(ctx: click.Context, slug: str) -> None:
    """Remove a provider from the directory for good (suspending it keeps its data)."""
    async def run() -> bool:
        await prepare_database(_settings(ctx), ctx.obj["plugin_manager"])
        provider = await providers.get_provider(slug, Gazetteer.default(), state=None)
        if provider is None or not await providers.delete_provider(slug, actor=_actor()):
            return False
        await notifications.notify_deleted(ctx.obj["plugin_manager"], [provider])
        return True

    if not _run(run()):
        raise Failure(f"Aucun prestataire « {slug} ».")
    click.echo(f"Prestataire {slug} supprimé.")


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Fichier (sinon la sortie standard).")
@click.option("--state", type=click.Choice(list(catalogue.STATES)),
              help="Seulement les prestataires dans cet état.")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path | None, state: str | None) -> None:
    """Export providers as CSV (the import format) or GeoJSON."""
    async def run():
        await prepare_database(_settings(ctx), ctx.obj["plugin_manager"])
        return await providers.export_records(state)

    records = _run(run())
    writer = exchange.write_csv if fmt == "csv" else exchange.write_geojson
    with (output.open("w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout)) as stream:
        count = writer(records, stream)
    if output:
        click.echo(f"{count} prestataires exportés dans {output}.")


@cli.command(name="geo")
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
def geo_command(query: tuple[str, ...], limit: int) -> None:
    """Show the places a postal code, a commune name or "lat,lon" stands for, as JSON."""
    gazetteer = Gazetteer.default()
    text = " ".join(query)
    resolution = resolve(gazetteer, text)
    places = list(resolution.places)
    if resolution.kind == "name" and not resolution.ambiguous:
        seen = {p.insee_code for p in places}
        places += [p for p in gazetteer.search(text, limit) if p.insee_code not in seen]
    answer = {
        "query": resolution.query,
        "kind": resolution.kind,
        "point": None if not resolution.found else {"lat": resolution.lat, "lon": resolution.lon},
        "places": [dataclasses.asdict(p) for p in places[:limit]],
        "suggestions": [dataclasses.asdict(p) for p in resolution.suggestions[:limit]],
    }
    click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
    if not resolution.found:
        sys.exit(1)


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.pass_context
def plugins_command(ctx: click.Context, as_json: bool) -> None:
    """List the loaded plugins: versions, hooks, settings (secrets masked) and migrations."""
    manager = ctx.obj["plugin_manager"]
    described = describe_plugins(manager)
    migrations = _run(plugin_migrations(_settings(ctx), manager))
    for plugin in described:
        plugin["migrations"] = migrations.get(plugin["name"], [])
    if as_json:
        left_out = [{"name": name, "loaded": False, "error": why} for name, why in sorted(manager.left_out.items())]
        click.echo(json.dumps(described + left_out, indent=2, ensure_ascii=False, default=str))
        return
    for name, why in sorted(manager.left_out.items()):
        click.echo(f"{name} (installé, NON CHARGÉ) : {why}")
    for plugin in described:
        origin = "intégré" if plugin["builtin"] else "installé"
        click.echo(f"{plugin['name']} {plugin['version']} ({origin}) : {', '.join(plugin['hooks'])}")
        for app in plugin["migrations"]:
            click.echo(f"  tables {app['app']} : {app['applied']} migration(s) appliquée(s), "
                       f"{app['pending']} en attente")
        for variable, value in plugin["settings"].items():
            click.echo(f"  {variable} = {value}")


cli.add_command(worker)
cli.add_command(jobs_group)
cli.add_command(staff_group)


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: read settings, load plugins and their commands, run."""
    args = sys.argv[1:] if argv is None else argv
    try:
        settings = Settings.from_env()
        manager = get_plugin_manager(settings)
        manager.hook.register_commands(cli=cli)
    except (SettingsError, PluginError) as error:
        if not args or "--help" in args:  # the help must stay readable to fix the configuration
            click.echo(f"Attention : {error}", err=True)
            cli.main(args=args, obj={}, prog_name="channel-expert")
        raise SystemExit(f"Configuration invalide : {error}") from None
    try:
        cli.main(args=args, obj={"settings": settings, "plugin_manager": manager}, prog_name="channel-expert")
    except Exception as error:
        message = failure_message(error)
        if message is None:
            raise
        click.echo(f"Erreur : {message}", err=True)
        sys.exit(EXIT_DATABASE)
