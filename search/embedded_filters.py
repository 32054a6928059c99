"""Which documents a filter keeps, as boolean masks over the embedded index's slots, and the
points on the unit sphere that distances are measured with."""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from search.filters import And, Eq, Filter, In, Not, Reaches
from search.memory_index import MemoryIndex, value_key


@lru_cache(maxsize=8192)
def unit_vector(lat: float, lon: float) -> np.ndarray:
    """A point on the unit sphere: the cosine of two points' distance is their vectors' product.

    Remembered (read-only): a search asks for its place's vector in each of its queries.
    """
    phi, lam = math.radians(lat), math.radians(lon)
    vector = np.array((math.cos(phi) * math.cos(lam), math.cos(phi) * math.sin(lam), math.sin(phi)))
    vector.flags.writeable = False
    return vector



class FilterMasks:
    """The masks of one generation of the index, kept in its filter cache until it changes."""

    def __init__(self, index: MemoryIndex) -> None:
        self.index = index

    def of(self, node: Filter, whole: bool = True) -> np.ndarray:
        """Which slots pass ``node``, over the whole index; cached until the index changes.

        Searches repeat their filters (the same choices, the same place's service area), so a
        query's whole filter and its leaves (values, reaches) are computed once, not once per
        search. The combinations in between are not kept (``whole=False``): combining cached
        masks costs a few microseconds, and keeping every one of them filled the cache so fast
        that it was emptied before searches came back to it.
        """
        if isinstance(node, (Eq, In)):
            return self._values(node)
        if isinstance(node, Reaches):
            return self._reach(node)
        found = self.index.filter_cache.get(node)
        if found is None:
            if isinstance(node, Not):
                found = ~self.of(node.item, whole=False)
            else:
                masks = [self.of(item, whole=False) for item in node.items]  # type: ignore[attr-defined]
                found = np.logical_and.reduce(masks) if isinstance(node, And) else np.logical_or.reduce(masks)
            if whole:
                found = self.index.filter_cache.remember(node, found)
        return found

    def _values(self, node: Eq | In) -> np.ndarray:
        """Which slots hold one of the node's values; cached until the index changes."""
        values = (node.value,) if isinstance(node, Eq) else node.values
        key = (node.field, *sorted(map(value_key, values)))
        found = self.index.filter_cache.get(key)
        if found is None:
            found = self.index.filter_cache.remember(key, self._compute_values(node.field, values))
        return found

    def _reach(self, node: Reaches) -> np.ndarray:
        """Which slots' reach covers the point; cached until the index changes, like a circle."""
        key = ("_reach", node.lat, node.lon)
        found = self.index.filter_cache.get(key)
        if found is None:
            table = self.index.reach_table
            band = table.widest + 1e-9
            start = table.lat.searchsorted(node.lat - band)
            end = table.lat.searchsorted(node.lat + band, "right")
            reached = table.xyz[start:end] @ unit_vector(node.lat, node.lon) >= table.cos_reach[start:end]
            found = np.zeros(len(self.index.alive), dtype=bool)
            found[table.slots[start:end][reached]] = True
            found = self.index.filter_cache.remember(key, found)
        return found

    def _compute_values(self, field: str, values) -> np.ndarray:
        mask = np.zeros(len(self.index.alive), dtype=bool)
        by_value = self.index.values[field]
        for value in values:
            key = value_key(value)
            if key in by_value:
                mask[np.frombuffer(by_value[key], dtype=np.int32)] = True
        return mask
