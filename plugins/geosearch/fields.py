"""The fields other plugins add to the search index, and the index settings they make.

A plugin fills its fields in ``provider_document`` and declares them with ``search_fields``:
searchable (after the directory's own fields), filterable (``filter=<field>:<value>``), a
facet (counted in every answer), sortable (``sort=<field>:asc|desc``), a ranking
contribution (a number that breaks ties among equally relevant providers, in ``rank_order``,
the profile's completeness being 100), and returned (with each hit, under ``fields``).
Both engines honour the same settings, so the contract suite holds for plugin fields too.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import msgspec

from directory.plugin_api import PluginManager
from plugins.geosearch.documents import INDEX_SETTINGS
from search import IndexSettings

NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
FACETS = ("kind", "services", "languages", "on_site", "remote")  # counted in every answer, with plugins' own
COMPLETENESS_ORDER = 100
# The fields the search plugin itself puts in a document: no plugin may take them.
CORE_FIELDS = frozenset({
    *INDEX_SETTINGS.searchable, *INDEX_SETTINGS.filterable, *INDEX_SETTINGS.facets, *INDEX_SETTINGS.sortable,
    "id", "postal_code", "url", "_geo", "completeness",
})


class SearchField(msgspec.Struct, frozen=True, kw_only=True):
    """One field a plugin adds, and what the search may do with it."""

    name: str
    plugin: str
    searchable: bool = False
    filterable: bool = False
    facet: bool = False
    sortable: bool = False
    returned: bool = False
    rank: str | None = None  # "asc" or "desc": a ranking contribution
    rank_order: int = 50
    label: str = ""  # French: a labelled facet is a filter on the search page, a labelled returned field is shown


class FieldError(ValueError):
    """A plugin's search field that cannot be: a name taken, or an option out of range."""


def collect(manager: PluginManager) -> tuple[SearchField, ...]:
    """Every plugin's declared fields, checked: names are new, unique and plain."""
    declared: dict[str, SearchField] = {}

    def register_of(plugin: str) -> dict[str, Any]:
        def register(name: str, **options: Any) -> None:
            if not NAME.fullmatch(name):
                raise FieldError(f"the plugin {plugin}'s search field {name!r} must be lower-case letters, digits, _")
            if name in CORE_FIELDS or name in declared:
                owner = "the search plugin" if name in CORE_FIELDS else declared[name].plugin
                raise FieldError(f"the plugin {plugin}'s search field {name!r} is already {owner}'s")
            if options.get("rank") not in (None, "asc", "desc"):
                raise FieldError(f"the plugin {plugin}'s search field {name!r}: rank is 'asc', 'desc' or None")
            try:
                declared[name] = SearchField(name=name, plugin=plugin, **options)
            except TypeError as error:
                raise FieldError(f"the plugin {plugin}'s search field {name!r}: {error}") from None
        return {"register": register}

    for _ in manager.answers("search_fields", register_of):
        pass  # each field is checked and kept as it is registered
    return tuple(declared.values())


def index_settings(fields: tuple[SearchField, ...]) -> IndexSettings:
    """The directory's index settings with the plugins' fields added."""
    ranking = [(COMPLETENESS_ORDER, name, descending) for name, descending in INDEX_SETTINGS.custom_ranking]
    ranking += [(field.rank_order, field.name, field.rank == "desc") for field in fields if field.rank]
    return replace(
        INDEX_SETTINGS,
        searchable=INDEX_SETTINGS.searchable + tuple(f.name for f in fields if f.searchable),
        filterable=INDEX_SETTINGS.filterable + tuple(f.name for f in fields if f.filterable),
        facets=INDEX_SETTINGS.facets + tuple(f.name for f in fields if f.facet),
        sortable=INDEX_SETTINGS.sortable + tuple(f.name for f in fields if f.sortable),
        custom_ranking=tuple((name, descending) for _, name, descending in sorted(ranking, key=lambda r: r[0])),
    )
