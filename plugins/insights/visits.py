"""People told from robots, and visits of providers' public pages, by one edge middleware.

A layer at the edge (``register_edge_middleware``) rather than code in the page's handler: it
sees the pages the core answers from memory too, the User-Agent (robots are not counted, on a
provider's page or in a search) and the response's status (a missing listing or a 304 is no
visit), and the pages know nothing of it. It reads no cookie and no address, and
keeps only the slug. Whether the request at hand comes from a robot lives in a context variable,
which each request sets for its own task only, as the core's current platform does.
"""

from __future__ import annotations

import contextvars

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from directory.plugin_api import kept
from plugins.insights.counting import Tally, is_robot  # noqa: F401 - is_robot: the rule visits follow

PREFIX = "/prestataires/"
TALLY = "plugins.insights.tally"
_robot: contextvars.ContextVar[bool] = contextvars.ContextVar("insights_robot", default=False)


def tally() -> Tally:
    """The running app's counts in memory."""
    return kept(TALLY, Tally)


def by_robot() -> bool:
    """Whether the request being served comes from a robot (searches by robots are not counted)."""
    return _robot.get()


def _user_agent(scope: Scope) -> str:
    for name, value in scope["headers"]:
        if name == b"user-agent":
            return value.decode("latin-1")
    return ""


def count_visits(app: ASGIApp) -> ASGIApp:
    """Wrap ``app`` so that each page of a published provider shown to a person counts one visit."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        if is_robot(_user_agent(scope)):
            token = _robot.set(True)
            try:
                await app(scope, receive, send)
            finally:
                _robot.reset(token)
            return
        path = scope["path"]
        slug = path[len(PREFIX):] if path.startswith(PREFIX) and scope["method"] == "GET" else ""
        if not slug or "/" in slug:
            await app(scope, receive, send)
            return
        statuses: list[int] = []

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])
            await send(message)

        await app(scope, receive, watch)
        if statuses == [200]:
            tally().note_visit(slug)

    return middleware
