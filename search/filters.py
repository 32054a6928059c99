"""Search filters as a small expression tree, so every backend reads the same thing.

``Eq("kind", "reseller") & In("services", ["e-commerce", "site-vitrine"])`` means "resellers
that offer e-commerce or a site vitrine". Multi-valued fields match when any value does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

Value = Union[str, int, bool]


class Filter:
    """Base of every filter node; ``&`` and ``|`` combine them."""

    def __and__(self, other: Filter) -> Filter:
        return And((self, other))

    def __or__(self, other: Filter) -> Filter:
        return Or((self, other))


@dataclass(frozen=True)
class Eq(Filter):
    """The field equals ``value`` (for a list field: contains it)."""

    field: str
    value: Value


@dataclass(frozen=True)
class In(Filter):
    """The field equals one of ``values`` (for a list field: contains one of them)."""

    field: str
    values: tuple[Value, ...]

    def __init__(self, field: str, values) -> None:
        object.__setattr__(self, "field", field)
        object.__setattr__(self, "values", tuple(values))


@dataclass(frozen=True)
class Reaches(Filter):
    """The document's reach covers the point: it lies within ``_reach_km`` of the document's ``_geo``.

    A service area ("we come within 80 km of our office") is a circle per document, whose
    radius is the document's own: documents without ``_reach_km`` or ``_geo`` never match.
    """

    lat: float
    lon: float


REACH_FIELD = "_reach_km"


@dataclass(frozen=True)
class And(Filter):
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Or(Filter):
    items: tuple[Filter, ...]


@dataclass(frozen=True)
class Not(Filter):
    item: Filter


def fields(node: Filter | None) -> set[str]:
    """The fields a filter reads, to check them against the filterable ones."""
    if node is None:
        return set()
    if isinstance(node, (Eq, In)):
        return {node.field}
    if isinstance(node, Reaches):
        return {REACH_FIELD}
    if isinstance(node, Not):
        return fields(node.item)
    return set().union(*(fields(item) for item in node.items))  # type: ignore[attr-defined]
