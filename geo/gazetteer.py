"""The offline gazetteer: every French commune with its postal codes and its point.

Loaded once per process from ``geo/data/communes.json.gz`` (built by
``scripts/build_gazetteer.py``); lookups are dictionary and sorted-list operations, so
they take microseconds and need no network.
"""

from __future__ import annotations

import bisect
import difflib
import gzip
import heapq
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache
from importlib import resources

from rapidfuzz.distance import Levenshtein
from rapidfuzz.process import extract

from geo.names import keys, normalize_query
from geo.phonetic import french_key

# Phonetic keys shorter than these say too little: "n1" (Nîmes) is found only as it sounds
# exactly; a key one sound away from another is a suggestion from four sounds on.
MIN_SOUND_KEY = 2
MIN_NEAR_SOUND_KEY = 4
# Reverse lookups look in square cells of this many degrees around the point.
_CELL_DEGREES = 0.1


# "de" followed by a name of each INSEE name type: 0 no article (consonant), 1 no article
# (vowel), 2 "Le", 3 "La", 4 "Les", 5 "L'".
DE_BY_NAME_TYPE = {0: "de ", 1: "d'", 2: "du ", 3: "de la ", 4: "des ", 5: "de l'"}


@dataclass(frozen=True, slots=True)
class Place:
    """A commune (or a Paris, Lyon or Marseille arrondissement) and where it lies.

    ``kind`` is "commune", "arrondissement", or "city" for Paris, Lyon and Marseille as a
    whole (their postal codes belong to their arrondissements).
    """

    insee_code: str
    name: str
    postal_codes: tuple[str, ...]
    departement: str
    departement_name: str
    region: str
    region_name: str
    population: int
    lat: float
    lon: float
    kind: str = "commune"

    @property
    def label(self) -> str:
        """The name with its département, as a person tells homonyms apart: "Saint-Martin (32)"."""
        return f"{self.name} ({self.departement})"


class Gazetteer:
    """Find French places by INSEE code, postal code, name, name prefix or coordinates."""

    def __init__(self, places: list[Place], aliases: list[tuple[str, str]], attribution: str,
                 name_types: dict[str, int] | None = None) -> None:
        self.attribution = attribution
        self._places = places
        self._by_insee = {place.insee_code: place for place in places}
        self._departements = {p.departement: (p.departement_name, p.region) for p in places}
        # INSEE's "type de nom en clair" of each département: which article its name takes.
        self._name_types = name_types or {}
        self._regions = {p.region: p.region_name for p in places}

        by_postal_code: dict[str, list[Place]] = defaultdict(list)
        for place in places:
            if place.kind != "city":  # the arrondissements answer for the city's codes
                for code in place.postal_codes:
                    by_postal_code[code].append(place)
        self._by_postal_code = {code: tuple(_by_population(found)) for code, found in by_postal_code.items()}
        self._postal_codes = sorted(self._by_postal_code)

        self._by_key = _index(keys, ((place.name, place.insee_code) for place in places), self._by_insee)
        self._keys = sorted(self._by_key)
        self._key_population = [self._by_key[key][0].population for key in self._keys]
        # Former names (communes déléguées) are found when typed in full, not while typing.
        self._by_alias = _index(keys, aliases, self._by_insee)

        cells: dict[tuple[int, int], list[Place]] = defaultdict(list)
        for place in places:
            if place.kind != "city":
                cells[_cell(place.lat, place.lon)].append(place)
        self._cells = dict(cells)
        self._cell_departements = {cell: {place.departement for place in found}
                                   for cell, found in cells.items()}

    @classmethod
    @cache
    def default(cls) -> Gazetteer:
        """The gazetteer shipped with the package, loaded once per process."""
        source = resources.files("geo") / "data" / "communes.json.gz"
        data = json.loads(gzip.decompress(source.read_bytes()))
        regions = data["regions"]
        departements = data["departements"]
        places = []
        for insee, name, codes, dep, population, lat, lon, kind in data["communes"]:
            dep_name, region, _ = departements[dep]
            places.append(
                Place(insee, name, tuple(codes), dep, dep_name, region, regions[region], population, lat, lon, kind)
            )
        name_types = {code: name_type for code, (_, _, name_type) in departements.items()}
        return cls(places, [tuple(alias) for alias in data["aliases"]], data["attribution"], name_types)

    def places(self) -> list[Place]:
        """Every place, in INSEE code order."""
        return list(self._places)

    def departements(self) -> dict[str, tuple[str, str]]:
        """Each département code with its name and its région code."""
        return dict(self._departements)

    def of_departement(self, code: str) -> str:
        """A département's name after "de", with its article: "du Finistère", "de l'Ain", "des Deux-Sèvres"."""
        name, _ = self._departements[code]
        return DE_BY_NAME_TYPE.get(self._name_types.get(code, 0), "de ") + name

    def regions(self) -> dict[str, str]:
        """Each région code with its name."""
        return dict(self._regions)

    def commune(self, insee_code: str) -> Place | None:
        """The place with this INSEE code, or None."""
        return self._by_insee.get(insee_code.strip().upper())

    def postal_code(self, code: str) -> tuple[Place, ...]:
        """The places served by this postal code, most populous first (empty if unknown)."""
        return self._by_postal_code.get(code.strip(), ())

    def postal_codes(self) -> list[str]:
        """Every postal code, sorted."""
        return list(self._postal_codes)

    def named(self, name: str) -> tuple[Place, ...]:
        """The places whose name (or former name) is exactly ``name``, folded; most populous first."""
        key = normalize_query(name)
        return self._by_key.get(key) or self._by_alias.get(key, ())

    def search(self, text: str, limit: int = 10) -> list[Place]:
        """Places for what a person is typing: a postal code (or its start) or a name (or its start).

        Exact names come first, then names that start with the text, larger places first.
        """
        text = text.strip()
        if not text:
            return []
        if text.isdigit():
            return list(self._complete_postal_code(text[:5], limit))
        found = list(self.named(text))
        seen = {place.insee_code for place in found}
        for place in self._complete_name(normalize_query(text), limit + len(found)):
            if place.insee_code not in seen:
                seen.add(place.insee_code)
                found.append(place)
        return found[:limit]

    def suggest(self, text: str, limit: int = 5) -> list[Place]:
        """Places whose name is close to a misspelt ``text``, or postal codes close to an unknown one."""
        text = text.strip()
        if text.isdigit():
            return self._near_postal_codes(text, limit)
        query = normalize_query(text)
        if not query:
            return []
        first = query[0]
        candidates = self._keys[bisect.bisect_left(self._keys, first):bisect.bisect_left(self._keys, chr(ord(first) + 1))]
        scored: dict[str, tuple[float, Place]] = {}
        for key in difflib.get_close_matches(query, candidates, n=limit * 4, cutoff=0.75):
            ratio = round(difflib.SequenceMatcher(None, query, key).ratio(), 1)
            for place in self._by_key[key]:
                if ratio > scored.get(place.insee_code, (0.0, place))[0]:
                    scored[place.insee_code] = (ratio, place)
        ranked = sorted(scored.values(), key=lambda item: (-item[0], -item[1].population))
        return [place for _, place in ranked[:limit]]

    def sounds_like(self, text: str, limit: int = 5) -> tuple[list[Place], bool]:
        """Places whose name sounds like ``text`` (see ``geo.phonetic``), larger first.

        Returns the places and whether they sound exactly alike; otherwise they are the
        names one sound away (an edit of the phonetic key), for suggestions.
        """
        key = french_key(text)
        if len(key) < MIN_SOUND_KEY:
            return [], False
        exact = self._by_sound.get(key)
        if exact:
            return list(exact[:limit]), True
        if len(key) < MIN_NEAR_SOUND_KEY:
            return [], False
        near = extract(key, self._sound_keys, scorer=Levenshtein.distance, score_cutoff=1, limit=limit * 3)
        places = {p.insee_code: p for found, _, _ in near for p in self._by_sound[found]}
        return heapq.nlargest(limit, places.values(), key=lambda p: p.population), False

    def warm(self) -> None:
        """Build now what is otherwise built on first use (the phonetic index), so no request waits for it."""
        self._sound_keys  # noqa: B018 - computed on access

    @cached_property
    def _by_sound(self) -> dict[str, tuple[Place, ...]]:
        """Places by the phonetic key of their name, built on first use (a third of a second)."""
        found: dict[str, list[Place]] = defaultdict(list)
        for place in self._places:
            found[french_key(place.name)].append(place)
        return {key: tuple(_by_population(places)) for key, places in found.items()}

    @cached_property
    def _sound_keys(self) -> list[str]:
        return sorted(self._by_sound)

    def reverse(self, lat: float, lon: float) -> Place | None:
        """The commune whose point is nearest to (lat, lon), or None if nothing lies within ~30 km."""
        row, col = _cell(lat, lon)
        best: tuple[float, Place] | None = None
        for ring in range(4):
            for cell in _ring(row, col, ring):
                for place in self._cells.get(cell, ()):
                    distance = _squared_km(lat, lon, place.lat, place.lon)
                    if best is None or distance < best[0]:
                        best = (distance, place)
            # Everything in later rings is at least ``ring`` cells away.
            if best is not None and math.sqrt(best[0]) < ring * _CELL_DEGREES * 111 * math.cos(math.radians(lat)):
                break
        return best[1] if best else None

    def departements_within(self, lat: float, lon: float, radius_km: float) -> set[str]:
        """The départements with at least one commune within ``radius_km`` of (lat, lon).

        Cells of the grid wholly inside the circle give their départements without a distance
        computed; only the cells its edge crosses are looked at commune by commune.
        """
        found: set[str] = set()
        reach_lat = radius_km / 111.195
        reach_lon = radius_km / (111.195 * max(math.cos(math.radians(lat)), 0.01))
        first_row, last_row = (math.floor(value / _CELL_DEGREES) for value in (lat - reach_lat,
                                                                               lat + reach_lat))
        first_col, last_col = (math.floor(value / _CELL_DEGREES) for value in (lon - reach_lon,
                                                                               lon + reach_lon))
        rows, cols = range(first_row, last_row + 1), range(first_col, last_col + 1)
        limit = radius_km * radius_km
        for row in rows:
            for col in cols:
                if self._cell_departements.get((row, col), found) <= found:
                    continue  # no commune here, or none of a département not found yet
                places = self._cells[(row, col)]
                corners = [(lat_, lon_) for lat_ in (row * _CELL_DEGREES, (row + 1) * _CELL_DEGREES)
                           for lon_ in (col * _CELL_DEGREES, (col + 1) * _CELL_DEGREES)]
                inside = all(_squared_km(lat, lon, *corner) <= limit for corner in corners)
                found.update(place.departement for place in places
                             if place.departement not in found
                             and (inside or _squared_km(lat, lon, place.lat, place.lon) <= limit))
        return found

    @lru_cache(maxsize=4096)  # noqa: B019 - the gazetteer lives as long as the process
    def _complete_name(self, prefix: str, limit: int) -> tuple[Place, ...]:
        start = bisect.bisect_left(self._keys, prefix)
        end = bisect.bisect_left(self._keys, prefix + "\uffff")
        # A key's places are sorted by population: the best keys hold the best places. Three times as
        # many keys as needed: one place has up to three keys ("paris 15e arrondissement", "paris 15"…).
        best = heapq.nlargest(3 * limit, range(start, end), key=self._key_population.__getitem__)
        places = {p.insee_code: p for index in best for p in self._by_key[self._keys[index]]}
        return tuple(heapq.nlargest(limit, places.values(), key=lambda p: p.population))

    @lru_cache(maxsize=1024)  # noqa: B019 - the gazetteer lives as long as the process
    def _complete_postal_code(self, prefix: str, limit: int) -> tuple[Place, ...]:
        start = bisect.bisect_left(self._postal_codes, prefix)
        end = bisect.bisect_left(self._postal_codes, prefix + "\uffff")
        places = {p.insee_code: p for code in self._postal_codes[start:end] for p in self._by_postal_code[code]}
        return tuple(heapq.nlargest(limit, places.values(), key=lambda p: p.population))

    def _near_postal_codes(self, code: str, limit: int) -> list[Place]:
        if len(code) != 5:
            return list(self._complete_postal_code(code[:5], limit))
        same_area = [c for c in self._postal_codes if c[:2] == code[:2]] or self._postal_codes
        nearest = sorted(same_area, key=lambda c: abs(int(c) - int(code)))
        found = {self._by_postal_code[c][0].insee_code: self._by_postal_code[c][0] for c in nearest[: limit * 2]}
        return list(found.values())[:limit]


def _index(keys_of, names, by_insee: dict[str, Place]) -> dict[str, tuple[Place, ...]]:
    """Map every key of every (name, INSEE code) pair to its places, most populous first."""
    found: dict[str, set[str]] = defaultdict(set)
    for name, insee_code in names:
        if insee_code in by_insee:
            for key in keys_of(name):
                found[key].add(insee_code)
    return {key: tuple(_by_population(by_insee[c] for c in codes)) for key, codes in found.items()}


def _by_population(places) -> list[Place]:
    return sorted(places, key=lambda p: (-p.population, p.insee_code))


def _cell(lat: float, lon: float) -> tuple[int, int]:
    return math.floor(lat / _CELL_DEGREES), math.floor(lon / _CELL_DEGREES)


def _ring(row: int, col: int, radius: int):
    """The cells at exactly ``radius`` steps (Chebyshev distance) from (row, col)."""
    if radius == 0:
        yield row, col
        return
    for dr in range(-radius, radius + 1):
        for dc in range(-radius, radius + 1):
            if max(abs(dr), abs(dc)) == radius:
                yield row + dr, col + dc


def _squared_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Squared equirectangular distance: exact enough to rank neighbours a few km apart."""
    x = (lon2 - lon1) * math.cos(math.radians((lat1 + lat2) / 2)) * 111.195
    y = (lat2 - lat1) * 111.195
    return x * x + y * y
