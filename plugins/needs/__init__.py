"""A TPE's own words: the needs lexicon that turns "vendre mes gâteaux sur internet" into the
catalogue's services, for the search and the request form; and the digital diagnostic
(``/diagnostic``) that tells a TPE what to do first, and who can help.

The lexicon (``lexicon.toml``) and the diagnostic's questions (``diagnostic.toml``) are read
once per app at start-up and kept on ``app.state``; understanding a text and scoring answers
are pure functions of them (``understanding.py``, ``diagnostic.py``).
"""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar

from directory.plugin_api import NeedUnderstanding, catalogue, hookimpl, static_files_router

from plugins.needs import routes
from plugins.needs.diagnostic import Questionnaire
from plugins.needs.understanding import Lexicon

STATE = "needs_lexicon"
HERE = Path(__file__).parent


@hookimpl
def startup(app: Litestar) -> None:
    app.state[STATE] = Lexicon.shipped([service.slug for service in catalogue.SERVICES])
    app.state[routes.STATE] = Questionnaire.shipped(catalogue.SERVICE_SLUGS)


@hookimpl
def register_routes(register):
    register(routes.DiagnosticController)
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
def understand_need(app: Litestar, text: str) -> NeedUnderstanding | None:
    lexicon: Lexicon | None = app.state.get(STATE)
    if lexicon is None or not text.strip():
        return None
    understood = lexicon.understand(text)
    return NeedUnderstanding(understood.services, dict(understood.words), " ".join(understood.rest))
