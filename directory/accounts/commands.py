"""``channel-expert staff add``: the first staff account, and the next ones, from the command line."""

from __future__ import annotations

import click

from directory import validation
from directory.accounts import passwords, users
from directory.failures import Failure
from directory.platform.commands import run_in_database


@click.group(name="staff")
def staff_group() -> None:
    """Gérer les comptes de l'équipe du réseau."""


@staff_group.command(name="add")
@click.argument("email")
@click.password_option("--password", prompt="Mot de passe (12 caractères au moins)",
                       confirmation_prompt="Encore une fois", help="Demandé s'il n'est pas donné.")
@click.pass_context
def add_command(ctx: click.Context, email: str, password: str) -> None:
    """Créer un compte de l'équipe (ou donner ce rôle à un compte existant) avec ce mot de passe."""
    try:
        added = run_in_database(ctx, lambda: users.add_staff(email, password))
    except (validation.InvalidValue, passwords.WeakPassword) as error:
        raise Failure(str(error)) from None
    verb = "créé" if added.created else "mis à jour"
    click.echo(f"Compte de l'équipe {verb} : {added.email}.")
