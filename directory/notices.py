"""One-time notices: what a form just did, said on the page it redirects to ("La fiche est publiée.").

``flash`` keeps a French sentence in the visitor's session; the next page that renders
``base.html`` shows it once (``role="status"``) and takes it out. Sessions exist for signed-in
visitors only (staff, members), which are the ones forms with decisions serve; a plugin calls
``flash`` through ``directory.plugin_api`` before its own redirect.
"""

from __future__ import annotations

from typing import Any

import jinja2
from litestar.connection import ASGIConnection

KEY = "notices"


def flash(connection: ASGIConnection, message: str) -> None:
    """Say ``message`` (French, for people) on the next page this visitor sees."""
    connection.session.setdefault(KEY, []).append(message)


@jinja2.pass_context
def waiting(context: Any) -> list[str]:
    """The notices waiting for the page being rendered, taken out of the session: shown once.

    Pages without a session (the API's error pages, static files) have none.
    """
    request = context.get("request")
    session = request.scope.get("session") if request is not None else None
    return session.pop(KEY, []) if isinstance(session, dict) else []
