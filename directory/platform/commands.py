"""How commands run (their context, the database made ready first), and ``channel-expert worker``
and ``channel-expert jobs``: run background jobs, see and retry failures."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import click

from directory import logs
from directory.database import close_connections
from directory.platform import current, jobs
from directory.platform.metrics import Metrics
from directory.platform.services import prepare_database
from directory.plugin_manager import PluginManager
from directory.settings import Settings, SettingsError


@dataclass(frozen=True)
class CommandContext:
    """What every command runs with: the settings read at start and the plugins loaded with them."""

    settings: Settings
    plugin_manager: PluginManager


def command_context(ctx: click.Context) -> CommandContext:
    """The context ``channel-expert`` gave the running command."""
    found = ctx.find_object(CommandContext)
    if found is None:
        raise click.ClickException("Configuration absente : lancez la commande par « channel-expert ».")
    return found


def prepare(ctx: click.Context) -> list[str]:
    """Create or upgrade the schema for the command's settings and plugins; the migrations applied."""
    context = command_context(ctx)
    return asyncio.run(prepare_database(context.settings, context.plugin_manager))


def run_in_database(ctx: click.Context, action: Callable[[], Awaitable[Any]],
                    errors: tuple[type[Exception], ...] = ()) -> Any:
    """Run a command's ``action`` (an async function of no argument) once the schema is up to
    date, inside the command's platform (its plugins, mail and database); a failure of the kinds
    in ``errors`` is one line for people, not a traceback."""
    context = command_context(ctx)

    async def run() -> Any:
        await prepare_database(context.settings, context.plugin_manager)
        try:
            return await action()
        finally:
            await close_connections(current.platform().engine)
    try:
        return asyncio.run(run())
    except (SettingsError, *errors) as error:
        raise click.ClickException(str(error)) from None


STATES = {"failed": (jobs.FAILED,), "ready": (jobs.READY,), "running": (jobs.RUNNING,),
          "all": (jobs.READY, jobs.RUNNING, jobs.FAILED)}


@click.command()
@click.option("--once", is_flag=True, help="Traiter les travaux dus puis s'arrêter.")
@click.pass_context
def worker(ctx: click.Context, once: bool) -> None:
    """Exécuter les travaux en arrière-plan (messages, rappels, tâches des plugins) jusqu'à l'arrêt."""
    context = command_context(ctx)
    logs.configure_process(context.settings)
    if not context.settings.public_url:
        click.echo("CHANNEL_EXPERT_PUBLIC_URL n'est pas défini : les travaux qui écrivent un lien (messages, badges) "
                   "échoueront jusqu'à ce qu'il le soit (puis « channel-expert jobs retry --all »).", err=True)

    async def run() -> int:
        runner = current.platform().worker()  # the platform run_in_database entered
        async with runner.connected():
            if once:
                done = 0
                while ran := await runner.run_once():
                    done += ran
                return done
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(signum, stop.set)
            click.echo(f"Travaux en arrière-plan : {runner.name} ({', '.join(runner.tasks.names())}).")
            if not context.settings.worker_metrics_port:
                await runner.run_until(stop)
                return 0
            # Only a worker that serves its figures needs the web listener.
            from directory.routes.metrics import worker_listener

            settings = context.settings
            listener = worker_listener(settings, Metrics(settings, context.plugin_manager, runner.tasks))
            serving = asyncio.create_task(listener.serve())
            click.echo(f"Mesures : http://{settings.worker_metrics_host}:{settings.worker_metrics_port}/metrics")
            try:
                await runner.run_until(stop)
            finally:
                listener.should_exit = True
                await serving
            return 0

    done = run_in_database(ctx, run)
    if once:
        click.echo(f"{done} travaux traités.")


@click.group(name="jobs")
def jobs_group() -> None:
    """Voir les travaux en arrière-plan et relancer ceux en échec."""


@jobs_group.command(name="list")
@click.option("--state", type=click.Choice(sorted(STATES)), default="failed", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Sortie JSON.")
@click.pass_context
def list_command(ctx: click.Context, state: str, as_json: bool) -> None:
    """Lister les travaux (par défaut ceux en échec, avec leur dernière erreur)."""
    rows = run_in_database(ctx, lambda: jobs.listing(STATES[state]))
    if as_json:
        click.echo(json.dumps([{**row.__dict__, "run_at": row.run_at.isoformat()} for row in rows], indent=2,
                              ensure_ascii=False))
        return
    if not rows:
        click.echo("Aucun travail.")
    for row in rows:
        last = row.last_error.strip().splitlines()[-1] if row.last_error.strip() else ""
        click.echo(f"#{row.id} {row.task} {row.state}, {row.attempts} essai(s), prévu {row.run_at:%Y-%m-%d %H:%M} "
                   f"UTC {row.payload}" + (f"\n    {last}" if last else ""))


@jobs_group.command(name="retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "every", is_flag=True, help="Relancer tous les travaux en échec.")
@click.pass_context
def retry_command(ctx: click.Context, ids: tuple[int, ...], every: bool) -> None:
    """Relancer maintenant des travaux en échec, leurs essais remis à zéro."""
    if not ids and not every:
        raise click.UsageError("Donnez les numéros des travaux à relancer, ou --all.")
    count = run_in_database(ctx, lambda: jobs.retry(None if every else ids))
    click.echo(f"{count} travail(s) relancé(s).")
    if ids and count < len(ids):
        ctx.exit(1)
