"""``OPTIONS`` answers that name every method of a path.

Litestar 2 answers ``OPTIONS`` with the methods of the first handler registered on a path only
(``Allow: OPTIONS, PATCH`` where ``GET`` is served too; litestar#4169, fixed in Litestar 3). The
app runs ``allow_every_method`` before each request; it answers for Litestar's own ``OPTIONS``
handlers from the path's route, and adds ``HEAD`` wherever ``GET`` is (``edges`` answers it).
"""

from __future__ import annotations

from litestar import Request, Response
from litestar.routes import HTTPRoute
from litestar.status_codes import HTTP_204_NO_CONTENT

GENERATED = "options_handler"  # the name of the handler Litestar adds to a path without OPTIONS


async def allow_every_method(request: Request) -> Response | None:
    """The ``OPTIONS`` answer of the request's path with all its methods; None for any other request."""
    if request.method != "OPTIONS" or request.route_handler.handler_name != GENERATED:
        return None
    for route in request.app.routes:
        handler = route.route_handler_map.get("OPTIONS", (None,))[0] if isinstance(route, HTTPRoute) else None
        if handler is request.route_handler:
            methods = {*route.methods, *(("HEAD",) if "GET" in route.methods else ())}
            return Response(None, status_code=HTTP_204_NO_CONTENT, headers={"Allow": ", ".join(sorted(methods))})
    return None
