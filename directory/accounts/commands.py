"""``channel-expert staff add``: the first staff account, and the next ones, from the command line."""

from __future__ import annotations

import asyncio

import click

from directory import validation
from directory.accounts import passwords, users
from directory.failures import Failure
from directory.platform.services import prepare_database


@click.group(name="staff")
def staff_group() -> None:
    """Manage the network staff's accounts."""


@staff_group.command(name="add")
@click.argument("email")
@click.password_option("--password", prompt="Mot de passe (12 caractères au moins)",
                       confirmation_prompt="Encore une fois", help="Demandé s'il n'est pas donné.")
@click.pass_context
def add_command(ctx: click.Context, email: str, password: str) -> None:
    """Create a staff account (or make an existing account staff) with this password."""
    async def run() -> users.StaffAdded:
        await prepare_database(ctx.obj["settings"], ctx.obj["plugin_manager"])
        return await users.add_staff(email, password)

    try:
        added = asyncio.run(run())
    except (validation.InvalidValue, passwords.WeakPassword) as error:
        raise Failure(str(error)) from None
    verb = "créé" if added.created else "mis à jour"
    click.echo(f"Compte de l'équipe {verb} : {added.email}.")
