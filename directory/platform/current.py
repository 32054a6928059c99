"""The platform of the app that a request, a job or a command works for: a context variable.

Settings, plugins and their settings, mail and the database belong to an app, not to the
process: two apps in one process (tests do it, a host could) each see their own. An app enters
its platform around each request (``Within``, its outermost ASGI layer) and in its lifespan; the
worker and the command runner enter theirs; every task started inside inherits it. Call sites
stay short (``mail.send(...)``, ``settings_of(...)``) and never reach for a module's state.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from litestar.types import ASGIApp, Receive, Scope, Send

from directory.database import route, routed, unroute

if TYPE_CHECKING:
    from directory.platform.services import Platform

_platform: contextvars.ContextVar[Platform] = contextvars.ContextVar("channel_expert_platform")


class NoPlatformError(RuntimeError):
    """Code that needs an app's platform ran outside every app, worker and command."""


def platform() -> Platform:
    """The platform of the app this code runs for."""
    try:
        return _platform.get()
    except LookupError:
        raise NoPlatformError("no app, worker or command is running in this context: create the app and serve "
                              "it, run a command, or enter a platform (directory.platform.current.within)") from None


def kept(name: str, make: Callable[[], Any]) -> Any:  # noqa: ANN401 - whatever ``make`` builds
    """The object ``make`` built once for the running app under ``name`` (a plugin's cache of
    database state, named after the plugin): it lives and dies with the app, never the process."""
    return platform().keep(name, make)


def urgent_write() -> contextlib.AbstractAsyncContextManager[None]:
    """Around a short write a person waits on (a quote request): the running app holds new reads
    back until it ends (``directory.platform.precedence``)."""
    return platform().precedence.first()


async def after_urgent_writes() -> None:
    """Before a chunk of background work (catching up with the outbox): wait, as reads do, while
    the running app's urgent writes run."""
    await platform().precedence.turn()


def enter(entered: Platform) -> None:
    """Work for ``entered`` for the rest of the running task (a lifespan, a command, a test's fixture)."""
    _platform.set(entered)
    route(entered.engine)


@contextlib.contextmanager
def within(entered: Platform) -> Iterator[Platform]:
    """Work for ``entered`` inside the block, and in the tasks it starts."""
    token = _platform.set(entered)
    try:
        with routed(entered.engine):
            yield entered
    finally:
        _platform.reset(token)


class Within:
    """An ASGI app that runs each request for its platform (the outermost layer of the app)."""

    def __init__(self, app: ASGIApp, platform: Platform) -> None:
        self.app = app
        self.platform = platform

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # ``within`` written out: a generator-based context manager would cost every request a microsecond.
        token = _platform.set(self.platform)
        engine_token = route(self.platform.engine)
        try:
            await self.app(scope, receive, send)
        finally:
            unroute(engine_token)
            _platform.reset(token)
