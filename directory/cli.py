"""``channel-expert``: the one entry point to serve, migrate, seed, import, export and inspect.

``build_cli`` makes the command group from a plugin manager (the core's commands, then the
plugins'), so no group outlives the process's own; the help speaks French, as the people who
run the directory do.
"""

from __future__ import annotations

import asyncio
import dataclasses
import getpass
import json
import sys
from contextlib import nullcontext
from pathlib import Path

import click

from directory import catalogue, demo, exchange, history, imports, notifications, providers
from directory.accounts.commands import staff_group
from directory.database import failure_message
from directory.failures import EXIT_DATABASE, EXIT_UNREADABLE, Failure
from directory.history import Actor
from directory.platform import backup as backups
from directory.platform.commands import (
    CommandContext,
    command_context,
    jobs_group,
    prepare,
    run_in_database,
    worker,
)
from directory.platform.services import geocoder_for, plugin_migrations
from directory.plugin_manager import PluginError, PluginManager, describe_plugins, get_plugin_manager
from directory.settings import DEFAULT_HOST, DEFAULT_PORT, Settings, SettingsError
from directory.tables import Provider
from geo import Gazetteer, resolve


def _actor() -> str:
    """Who writes from the command line, as the events record it: ``cli:<login>``."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # a container user without a name
        return "cli"


def _importer() -> Actor:
    """The command line writing providers, as their history records it."""
    return Actor(_actor(), history.IMPORT)


@click.command()
@click.option("--host", default=DEFAULT_HOST, show_default=True, help="Adresse d'écoute.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, type=click.IntRange(1, 65535),
              help="Port d'écoute.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Servir l'annuaire (le schéma de la base est créé ou mis à jour d'abord).

    Sans CHANNEL_EXPERT_PUBLIC_URL, les liens des pages, des messages et des badges nomment
    l'adresse d'écoute ; la commande dit laquelle.
    """
    import uvicorn  # only serving needs the server

    from directory.app import create_app  # nor does any other command build the app

    context = command_context(ctx)
    settings = context.settings.served_at(host, port)
    prepare(ctx)
    app = create_app(settings, context.plugin_manager)
    click.echo(f"Channel Expert sur http://{host}:{port}/ (base : {settings.database_url.split('@')[-1]})")
    if context.settings.public_url:
        click.echo(f"Adresse publique (liens des messages, badges) : {settings.public_url}")
    else:
        click.echo(f"Adresse publique (liens des messages, badges) : {settings.public_url}, celle d'écoute, faute de "
                   f"CHANNEL_EXPERT_PUBLIC_URL : définissez-la en production avant le premier badge.")
    # The app writes its own access log, with request ids and escaped paths, and reads
    # X-Forwarded-For itself, from the trusted proxies only (uvicorn would trust 127.0.0.1).
    # uvicorn's own lines go through the app's logging too (log_config=None), in its format.
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower(), proxy_headers=False,
                access_log=False, log_config=None)


@click.command(name="migrate")
@click.pass_context
def migrate_command(ctx: click.Context) -> None:
    """Créer ou mettre à jour le schéma de la base, sur place."""
    applied = prepare(ctx)
    click.echo(f"Migrations appliquées : {', '.join(applied)}" if applied else "Base de données à jour.")


@click.command()
@click.option("--if-empty", is_flag=True, help="Ne rien faire si l'annuaire contient déjà des prestataires.")
@click.option("--yes", is_flag=True, help="Remplacer les prestataires existants sans confirmation.")
@click.pass_context
def seed(ctx: click.Context, if_empty: bool, yes: bool) -> None:
    """Charger le réseau de démonstration : 500 revendeurs et 2 500 agences web, identiques à chaque fois."""
    manager = command_context(ctx).plugin_manager

    async def run() -> None:
        existing = await Provider.count()
        if existing and if_empty:
            click.echo(f"L'annuaire contient déjà {existing} prestataires : rien à faire.")
            return
        if existing and not yes and not click.confirm(f"Remplacer les {existing} prestataires existants ?"):
            raise click.Abort()
        records = demo.demo_records(Gazetteer.default())
        removed = await notifications.snapshot_all(manager)
        await providers.delete_all(actor=_actor())
        await notifications.notify_deleted(manager, removed)
        created = (await providers.save_records(records, actor=_importer())).created
        await notifications.notify_saved(manager, created, [])
        counts = ", ".join(f"{n} {kind}" for kind, n in demo.iter_kinds(records))
        click.echo(f"{len(created)} prestataires créés ({counts}). Empreinte : {demo.checksum(records)}")

    run_in_database(ctx, run)


@click.command(name="import")
@click.argument("source", type=click.File("rb"))
@click.option("--dry-run", is_flag=True, help="Vérifier le fichier sans rien écrire.")
@click.pass_context
def import_command(ctx: click.Context, source, dry_run: bool) -> None:
    """Importer des prestataires d'un fichier CSV (colonnes : voir docs/commands.md).

    Les lignes fautives sont signalées avec leur numéro et écartées ; les bonnes sont écrites par
    lots (le site continue d'écrire entre deux lots), toutes ou aucune : un lot qui échoue fait
    annuler les précédents. Un essai (--dry-run) écrit puis annule, et dit donc ce que ferait
    l'import. Code de sortie : 0 tout importé, 1 des lignes rejetées, 2 fichier illisible, 3 base
    occupée.
    """
    context = command_context(ctx)
    gazetteer = Gazetteer.default()
    try:
        text, note = exchange.decode(source.read())
        if note:
            click.echo(note, err=True)
        geocoder = geocoder_for(context.settings, gazetteer)
        try:
            rows, errors = exchange.read_csv(text, gazetteer, geocoder)
        finally:
            geocoder.close()
    except exchange.FileError as error:
        raise Failure(str(error), EXIT_UNREADABLE) from None

    async def run() -> providers.Saved:
        records = [row.record for row in rows]
        if dry_run:
            return await providers.save_records(records, dry_run=True, actor=_importer())
        lease = imports.lease_for(context.settings.lock_timeout_s)
        for run_id in await imports.dead_runs(lease):
            undone = await imports.undo(run_id)
            click.echo(f"Import interrompu n° {run_id} annulé : {len(undone.removed)} fiches retirées, "
                       f"{len(undone.restored)} rétablies, {len(undone.left)} laissées (modifiées depuis).",
                       err=True)
        saved = await imports.import_records(records, _importer(), lease)
        await notifications.notify_saved(context.plugin_manager, saved.created, saved.updated)
        return saved

    saved = run_in_database(ctx, run)
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


@click.command()
@click.argument("slug")
@click.pass_context
def remove(ctx: click.Context, slug: str) -> None:
    """Retirer un prestataire de l'annuaire pour de bon (le suspendre garde ses données)."""
    async def run() -> bool:
        provider = await providers.get_provider(slug, Gazetteer.default(), state=None)
        if provider is None or not await providers.delete_provider(slug, actor=_actor()):
            return False
        await notifications.notify_deleted(command_context(ctx).plugin_manager, [provider])
        return True

    if not run_in_database(ctx, run):
        raise Failure(f"Aucun prestataire « {slug} ».")
    click.echo(f"Prestataire {slug} supprimé.")


@click.command()
@click.option("--format", "fmt", type=click.Choice(["csv", "geojson"]), default="csv", show_default=True)
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Fichier (sinon la sortie standard).")
@click.option("--state", type=click.Choice(list(catalogue.STATES)),
              help="Seulement les prestataires dans cet état.")
@click.pass_context
def export(ctx: click.Context, fmt: str, output: Path | None, state: str | None) -> None:
    """Exporter les prestataires en CSV (le format de l'import) ou en GeoJSON."""
    records = run_in_database(ctx, lambda: providers.export_records(state))
    writer = exchange.write_csv if fmt == "csv" else exchange.write_geojson
    with (output.open("w", encoding="utf-8", newline="") if output else nullcontext(sys.stdout)) as stream:
        count = writer(records, stream)
    if output:
        click.echo(f"{count} prestataires exportés dans {output}.")


@click.command(name="geo")
@click.argument("query", nargs=-1, required=True)
@click.option("--limit", default=10, show_default=True, type=click.IntRange(1, 100))
def geo_command(query: tuple[str, ...], limit: int) -> None:
    """Montrer en JSON les lieux que désigne un code postal, un nom de commune ou « lat,lon »."""
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


@click.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.pass_context
def plugins_command(ctx: click.Context, as_json: bool) -> None:
    """Lister les plugins chargés : versions, hooks, réglages (secrets masqués) et migrations."""
    context = command_context(ctx)
    manager = context.plugin_manager
    described = describe_plugins(manager)
    migrations = asyncio.run(plugin_migrations(context.settings, manager))
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


@click.command(name="backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup_command(ctx: click.Context, path: Path) -> None:
    """Sauvegarder la base dans PATH, site en marche (un instant cohérent de la base).

    SQLite : une copie vérifiée, par l'API de sauvegarde de SQLite. PostgreSQL : pg_dump au
    format personnalisé, à restaurer par « channel-expert restore ».
    """
    settings = command_context(ctx).settings
    try:
        backups.backup(settings.database_url, path, settings.lock_timeout_s)
    except backups.BackupError as error:
        raise Failure(str(error)) from None
    click.echo(f"Base sauvegardée dans {path}.")


@click.command(name="restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Remplacer la base sans confirmation.")
@click.pass_context
def restore_command(ctx: click.Context, path: Path, yes: bool) -> None:
    """Remplacer la base par la sauvegarde PATH. Arrêtez d'abord les serveurs et le worker.

    Les travaux qui attendaient à la sauvegarde attendent de nouveau : les messages partiront au
    démarrage du worker, même ceux envoyés entre la sauvegarde et la restauration.
    """
    context = command_context(ctx)
    settings = context.settings
    named = settings.database_url.split("@")[-1]  # without the password
    if not yes and not click.confirm(f"Remplacer la base {named} par {path} ?"):
        raise click.Abort()
    try:
        restored = backups.restore(settings.database_url, path, settings.lock_timeout_s)
    except backups.BackupError as error:
        raise Failure(str(error)) from None
    applied = prepare(ctx)  # a backup of an older release is brought up to date
    upgraded = f" ({len(applied)} migration(s) appliquée(s))" if applied else ""
    click.echo(f"Base restaurée depuis {path}{upgraded}.")
    if restored.pending_mail:
        click.echo(f"{restored.pending_mail} message(s) attendaient à la sauvegarde : ils partiront au "
                   f"démarrage du worker (« channel-expert jobs list --state ready » les montre).")


CORE_COMMANDS = (serve, migrate_command, seed, import_command, remove, export, geo_command, plugins_command,
                 backup_command, restore_command, worker, jobs_group, staff_group)


def build_cli(manager: PluginManager | None) -> click.Group:
    """The ``channel-expert`` group: the core's commands, then those ``manager``'s plugins add
    (none without a manager, when the configuration cannot load them)."""
    @click.group(help="Channel Expert : annuaire des revendeurs informatiques et agences web du réseau.")
    @click.version_option(package_name="channel-expert")
    def cli() -> None:
        pass

    for command in CORE_COMMANDS:
        cli.add_command(command)
    if manager is not None:
        manager.hook.register_commands(cli=cli)
    return cli


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: read settings, load plugins and their commands, run."""
    args = sys.argv[1:] if argv is None else argv
    try:
        settings = Settings.from_env()
        manager = get_plugin_manager(settings)
        cli = build_cli(manager)
    except (SettingsError, PluginError) as error:
        if not args or "--help" in args:  # the help must stay readable to fix the configuration
            click.echo(f"Attention : {error}", err=True)
            build_cli(None).main(args=args, prog_name="channel-expert")
        raise SystemExit(f"Configuration invalide : {error}") from None
    try:
        cli.main(args=args, obj=CommandContext(settings, manager), prog_name="channel-expert")
    except Exception as error:
        message = failure_message(error)
        if message is None:
            raise
        click.echo(f"Erreur : {message}", err=True)
        sys.exit(EXIT_DATABASE)
