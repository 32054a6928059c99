"""A TPE's own words: the needs lexicon that turns "vendre mes gâteaux sur internet" into the
catalogue's services, for the search and the request form.

The lexicon (``lexicon.toml``) is read once per app at start-up and kept on ``app.state``;
understanding a text is a pure function of it (``understanding.py``).
"""

from __future__ import annotations

from litestar import Litestar

from directory.plugin_api import NeedUnderstanding, catalogue, hookimpl

from plugins.needs.understanding import Lexicon

STATE = "needs_lexicon"


@hookimpl
def startup(app: Litestar) -> None:
    app.state[STATE] = Lexicon.shipped([service.slug for service in catalogue.SERVICES])


@hookimpl
def understand_need(app: Litestar, text: str) -> NeedUnderstanding | None:
    lexicon: Lexicon | None = app.state.get(STATE)
    if lexicon is None or not text.strip():
        return None
    understood = lexicon.understand(text)
    return NeedUnderstanding(understood.services, dict(understood.words), " ".join(understood.rest))
