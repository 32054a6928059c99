"""``channel-expert ambassadeurs``: register and list advisors from the command line."""

from __future__ import annotations

import click

from directory.plugin_api import run_in_database
from forum_ambassadeurs import advisors
from forum_ambassadeurs.tables import Advisor


def _run(ctx: click.Context, action):  # noqa: ANN001, ANN202 - an async callable and what it returns
    return run_in_database(ctx, action, (advisors.AdvisorError,))


@click.group(name="ambassadeurs")
def ambassadeurs_command() -> None:
    """Les conseillers du forum : ceux des TPE, qui transmettent leurs demandes."""


@ambassadeurs_command.command()
@click.argument("email")
@click.option("--name", required=True, help="Nom du conseiller.")
@click.option("--organisation", required=True, help="Son organisme (CCI de Gironde…).")
@click.option("--kind", type=click.Choice(list(advisors.KINDS)), required=True, help="Type d'organisme.")
@click.option("--region", required=True, help="Sa région : nom ou code INSEE.")
@click.pass_context
def add(ctx: click.Context, email: str, name: str, organisation: str, kind: str, region: str) -> None:
    """Inscrire un conseiller et lui envoyer le lien qui ouvre son compte."""
    advisor_id = _run(ctx, lambda: advisors.register(email=email, name=name, organisation=organisation, kind=kind,
                                                     region=region))
    click.echo(f"Conseiller n° {advisor_id} inscrit ; invitation envoyée à {email}.")


@ambassadeurs_command.command(name="list")
@click.pass_context
def list_(ctx: click.Context) -> None:
    """Lister les conseillers."""
    for row in _run(ctx, lambda: Advisor.select().order_by(Advisor.organisation)):
        click.echo(f"{row['id']}\t{row['email']}\t{row['name']}\t{row['organisation']}\t{row['kind']}\t{row['region']}")
