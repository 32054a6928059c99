"""A TPE's own words: the needs lexicon that turns "vendre mes gâteaux sur internet" into the
catalogue's services, for the search and the request form; what the network learns of them; and
the digital diagnostic (``/diagnostic``) that tells a TPE what to do first, and who can help.

Each app keeps its lexicon (``lexicon.toml`` and staff's phrasings) and the diagnostic's questions
(``diagnostic.toml``) on ``app.state``; the lexicon is reloaded when the event outbox says staff
changed it. Understanding a text and scoring answers are pure functions of them
(``understanding.py``, ``diagnostic.py``). Searches that found nobody are counted in memory and
written by a background task (``learning.py``); staff read them at ``/equipe/besoins``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from litestar import Litestar

from directory.plugin_api import (
    NeedUnderstanding,
    SearchAnswered,
    catalogue,
    events,
    follows_outbox,
    hookimpl,
    static_files_router,
)
from plugins.needs import learning, routes
from plugins.needs.diagnostic import Questionnaire
from plugins.needs.staff import StaffNeedsController

HERE = Path(__file__).parent
LEXICON, UNHEARD, TASKS = "needs_lexicon", "needs_unheard", "needs_tasks"
LEXICON_AT = "needs_lexicon_position"  # how far the lexicon has read the event outbox
logger = logging.getLogger("plugins.needs")


@hookimpl
def register_piccolo_apps(register):
    register("plugins.needs.piccolo_app")


@hookimpl
def register_event_types(register):
    register(learning.LEXICON_EVENT, learning.LexiconChanged)


@hookimpl
def register_routes(register):
    register(routes.DiagnosticController)
    register(StaffNeedsController)
    register(static_files_router("/static/needs", HERE / "static", name="needs-static"))


@hookimpl
def register_templates(register):
    register(HERE / "templates")


@hookimpl
def register_template_helpers(add_global, add_filter):
    # Other pages (the search's empty results) offer the diagnostic when this plugin runs.
    add_global("diagnostic_path", "/diagnostic")


@hookimpl
def navigation_links(register):
    register("Diagnostic numérique", "/diagnostic", 25)


@hookimpl
def home_page_templates(register):
    register("needs/diagnostic_home.html", 15)


@hookimpl
def staff_links(register):
    register("Mots des TPE", "/equipe/besoins", 40)


@hookimpl
async def startup(app: Litestar) -> None:
    app.state[LEXICON_AT] = position = await events.latest()
    app.state[LEXICON] = await learning.load_lexicon()
    follows_outbox(app, lambda: app.state[LEXICON_AT])  # an answer understood with an old lexicon is not kept
    app.state[routes.STATE] = Questionnaire.shipped(catalogue.SERVICE_SLUGS)
    app.state[UNHEARD] = learning.Unheard()
    app.state[TASKS] = [asyncio.create_task(_follow(app, position)), asyncio.create_task(_flush(app))]


@hookimpl
async def shutdown(app: Litestar) -> None:
    for task in app.state.get(TASKS, ()):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    if UNHEARD in app.state:
        await app.state[UNHEARD].flush()


@hookimpl
def understand_need(app: Litestar, text: str) -> NeedUnderstanding | None:
    lexicon = app.state.get(LEXICON)
    if lexicon is None or not text.strip():
        return None
    understood = lexicon.understand(text)
    return NeedUnderstanding(understood.services, dict(understood.words), " ".join(understood.rest))


@hookimpl
def search_answered(app: Litestar, answered: SearchAnswered) -> None:
    unheard = app.state.get(UNHEARD)
    if unheard is not None:
        unheard.note(answered.text, answered.total, answered.ignored)


async def follow_lexicon(app: Litestar, position: int) -> int:
    """Reload the app's lexicon if staff changed it since ``position``; returns the new position,
    the outbox's newest (an import's thousand events are read in one look)."""
    changed = False
    while True:
        read, reached = await events.since(position, 1_000, {learning.LEXICON_EVENT})
        changed = changed or bool(read)
        if reached == position:
            break
        position = reached
    if changed:
        app.state[LEXICON] = await learning.load_lexicon()
    app.state[LEXICON_AT] = position
    return position


async def _follow(app: Litestar, position: int) -> None:
    while True:
        await asyncio.sleep(learning.FOLLOW_EVERY_S)
        try:
            position = await follow_lexicon(app, position)
        except Exception:  # noqa: BLE001 - the database may be away for a while: try again later
            logger.warning("could not read the lexicon's changes; trying again", exc_info=True)


async def _flush(app: Litestar) -> None:
    while True:
        await asyncio.sleep(learning.FLUSH_EVERY_S)
        try:
            await app.state[UNHEARD].flush()
        except Exception:  # noqa: BLE001 - a lost batch of counts must not stop the next ones
            logger.warning("could not write the unheard searches; they are dropped", exc_info=True)
