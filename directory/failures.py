"""How commands fail: a French message and an exit status, never a traceback."""

from __future__ import annotations

import click

# Exit statuses: a file that cannot be read at all; the database busy past the lock timeout or unreachable.
EXIT_UNREADABLE = 2
EXIT_DATABASE = 3


class Failure(click.ClickException):
    """A command's failure explained in French, with its exit status."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code

    def show(self, file=None) -> None:  # noqa: ANN001 - click's signature
        click.echo(f"Erreur : {self.format_message()}", err=True, file=file)
