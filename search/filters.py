"""Search filters as a small expression tree, so every backend reads the same thing.

``Eq("kind", "reseller") & In("services", ["e-commerce", "site-vitrine"])`` means "resellers
that offer e-commerce or a site vitrine". Multi-valued fields match when any value does.
"""

from __future__ import annotations

from functools import lru_cache

import msgspec

Value = str | int | bool


class Filter(msgspec.Struct, frozen=True, cache_hash=True):
    """Base of every filter node; ``&`` and ``|`` combine them.

    Nodes are immutable and keep their hash: engines remember what they computed per node
    (the same choices and places come back search after search).
    """

    def __and__(self, other: Filter) -> Filter:
        return And((self, other))

    def __or__(self, other: Filter) -> Filter:
        return Or((self, other))


class Eq(Filter, frozen=True):
    """The field equals ``value`` (for a list field: contains it)."""

    field: str
    value: Value


class In(Filter, frozen=True):
    """The field equals one of ``values`` (for a list field: contains one of them)."""

    field: str
    values: tuple[Value, ...]

    def __post_init__(self) -> None:
        msgspec.structs.force_setattr(self, "values", tuple(self.values))


class Reaches(Filter, frozen=True):
    """The document's reach covers the point: it lies within ``_reach_km`` of the document's ``_geo``.

    A service area ("we come within 80 km of our office") is a circle per document, whose
    radius is the document's own: documents without ``_reach_km`` or ``_geo`` never match.
    """

    lat: float
    lon: float


REACH_FIELD = "_reach_km"


class And(Filter, frozen=True):
    items: tuple[Filter, ...]


class Or(Filter, frozen=True):
    items: tuple[Filter, ...]


class Not(Filter, frozen=True):
    item: Filter


@lru_cache(maxsize=4096)
def fields(node: Filter | None) -> frozenset[str]:
    """The fields a filter reads, to check them against the filterable ones (remembered per filter)."""
    found: set[str] = set()
    pending = [node] if node is not None else []
    while pending:
        item = pending.pop()
        if isinstance(item, (Eq, In)):
            found.add(item.field)
        elif isinstance(item, Reaches):
            found.add(REACH_FIELD)
        elif isinstance(item, Not):
            pending.append(item.item)
        else:
            pending.extend(item.items)  # type: ignore[attr-defined]
    return frozenset(found)
