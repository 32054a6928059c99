"""Links to routes that another plugin may serve: a page links to them only while they run.

A plugin names the routes others may link to (``name="lead-form"``); a page asks for the path
and leaves the link out when that plugin is disabled, instead of linking to a 404.
"""

from __future__ import annotations

from litestar import Request
from litestar.exceptions import NoRouteMatchFoundException


def route_path(request: Request, name: str, **parameters: object) -> str | None:
    """The path of the route named ``name`` in this app, or None when no running plugin serves it."""
    try:
        return request.app.route_reverse(name, **parameters)
    except NoRouteMatchFoundException:
        return None
