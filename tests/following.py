"""An app's followers of the event outbox, brought up to date at once, as their loops do within a second."""

from __future__ import annotations

from directory import events
from plugins.needs import LEXICON_AT, follow_lexicon


async def caught_up(app) -> None:
    """The app's search index, lexicon and page cache as their followers leave them after a look."""
    if "search" in app.state:
        await app.state.search.sync()
    if LEXICON_AT in app.state:
        await follow_lexicon(app, app.state[LEXICON_AT])
    app.state.page_cache.seen(await events.latest())
