"""What logs may keep of a request: capability tokens and query values are cut out before a line is written.

A path parameter named ``token`` is a capability (a sign-in link, a TPE's follow-up link, a
provider's answer link): whoever holds the path can act with it. Routes and plugins declare
one by naming the parameter so; ``Redaction.for_routes`` finds them all in an app's routes,
so no list of paths is kept by hand. Query values are secrets too until known harmless (a
password form sent with GET put the password in the query string): only search parameters
keep theirs. A position given as a place ("autour de moi": ``near=47.7483,-3.3700``, about ten
metres) is kept to two decimals, about a kilometre: enough to read a log, not to find a house.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import unquote_plus

from litestar.routes import BaseRoute

SECRET_PARAMETER = "token"
_POSITION = re.compile(r"^\s*(-?\d{1,3}(?:\.\d+)?)\s*,\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
MASK = "…"
# What the search pages and lists read: a place, words, filters, a page; never a secret.
HARMLESS_QUERY = frozenset({
    "q", "near", "radius_km", "page", "limit", "sort", "kind", "service", "services", "departement", "region",
    "postal_code", "languages", "on_site", "remote", "filter", "prestataire", "nouvelle", "fait", "v",
})


class Redaction:
    """How one app's logs show a path and a query string (see the module docstring)."""

    def __init__(self, secret_prefixes: Iterable[str]) -> None:
        alternatives = "|".join(sorted(set(secret_prefixes)))
        self._secret_in_path = re.compile(rf"^((?:{alternatives})/)[^/]+") if alternatives else None

    @classmethod
    def for_routes(cls, routes: Iterable[BaseRoute]) -> Redaction:
        """The redaction of an app whose routes are ``routes``: each ``{token}`` segment is masked."""
        prefixes = []
        for route in routes:
            for index, component in enumerate(route.path_components):
                if getattr(component, "name", None) == SECRET_PARAMETER:
                    prefixes.append("".join(f"/{re.escape(part)}" if isinstance(part, str) else "/[^/]+"
                                            for part in route.path_components[:index]))
                    break
        return cls(prefixes)

    def path(self, path: str) -> str:
        """``path`` with its capability token, if any, replaced by "…"."""
        return self._secret_in_path.sub(rf"\1{MASK}", path) if self._secret_in_path else path

    def query(self, query: bytes) -> str:
        """A raw query string with every value but the harmless ones replaced by "…"."""
        kept = []
        for pair in query.decode("latin-1").split("&"):
            name, equals, value = pair.partition("=")
            if unquote_plus(name) == "near" and (position := _POSITION.match(unquote_plus(value))):
                pair = f"{name}={float(position[1]):.2f},{float(position[2]):.2f}"
            kept.append(pair if unquote_plus(name) in HARMLESS_QUERY else f"{name}={MASK}" if equals else MASK)
        return "&".join(kept)
