"""Turn what a person typed for "where" into places, a point, or suggestions.

Accepts a postal code ("33000"), an INSEE code ("2A004"), a name ("st etienne",
"Paris 15"), both ("33000 Bordeaux"), a place's label, its name and département
("Saint-Denis (93)"), or coordinates ("44.84,-0.58"). Never raises on bad input: an unknown
place comes back with no match and suggestions.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from geo.gazetteer import Gazetteer, Place
from geo.names import keys, normalize

_POINT = re.compile(r"^\s*(-?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)\s*$")
_POSTAL_CODE = re.compile(r"\b(\d{5})\b")
# The shortest start of a name taken as that place ("bor" is Bordeaux; "b" is a suggestion list).
MIN_PREFIX = 3
_INSEE_CODE = re.compile(r"^(?:\d{5}|2[AB]\d{3})$", re.IGNORECASE)
# A label as places show it: "Lorient (56)", "Saint-Denis (974)", "Ajaccio (2A)".
_LABEL = re.compile(r"^(.*\S)\s*\((\d{2,3}|2[AB])\)$", re.IGNORECASE)


@dataclass(frozen=True)
class Resolution:
    """What a query resolved to.

    ``places`` are the matches, best first; ``lat``/``lon`` the point to search around (the
    given coordinates, or the best match's point); ``suggestions`` help when nothing matched.
    ``ambiguous`` is true when several places answer the query equally (homonyms, or a postal
    code shared by several communes): show ``places`` and let the person choose.
    """

    query: str
    kind: str  # "point", "postal_code", "insee_code", "name", "sounds_like" or "unknown"
    places: tuple[Place, ...] = ()
    suggestions: tuple[Place, ...] = ()
    lat: float | None = None
    lon: float | None = None
    ambiguous: bool = False

    @property
    def found(self) -> bool:
        return self.lat is not None


def _with_point(query: str, kind: str, places: tuple[Place, ...], ambiguous: bool) -> Resolution:
    best = places[0]
    return Resolution(query, kind, places, (), best.lat, best.lon, ambiguous)


def resolve(gazetteer: Gazetteer, text: str, suggestions: int = 5) -> Resolution:
    """Resolve ``text`` against ``gazetteer``; see the module docstring for what it accepts."""
    query = " ".join(text.split())[:200]
    if not query:
        return Resolution(query, "unknown")

    point = _POINT.match(query)
    if point:
        lat, lon = float(point[1]), float(point[2])
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            return Resolution(query, "unknown")
        place = gazetteer.reverse(lat, lon)
        return Resolution(query, "point", (place,) if place else (), (), lat, lon)

    code = _POSTAL_CODE.search(query)
    if code:
        places = gazetteer.postal_code(code[1])
        rest = normalize(query.replace(code[1], " "))
        if places and rest:
            # "98874 Mont-Dore" is Le Mont-Dore: a name is also found without its article.
            named = tuple(p for p in places if any(key.startswith(rest) for key in keys(p.name)))
            places = named or places
        if places:
            return _with_point(query, "postal_code", places, ambiguous=len(places) > 1)
        place = gazetteer.commune(code[1])
        if place:
            return _with_point(query, "insee_code", (place,), ambiguous=False)
        return Resolution(query, "unknown", suggestions=tuple(gazetteer.suggest(code[1], suggestions)))

    if _INSEE_CODE.match(query):
        place = gazetteer.commune(query)
        if place:
            return _with_point(query, "insee_code", (place,), ambiguous=False)

    label = _LABEL.match(query)
    if label:
        departement = label[2].upper()
        named = tuple(p for p in gazetteer.named(label[1]) if p.departement == departement)
        if named:
            return _with_point(query, "name", named, ambiguous=len(named) > 1)
        query = label[1]  # no such place in that département: the name alone, as if typed so

    key = normalize(query)
    if not any(char.isalpha() for char in key):
        # Digits that are no postal code ("0", "330"), or punctuation (","): not a place.
        return Resolution(query, "unknown", suggestions=tuple(gazetteer.search(key, suggestions)) if key else ())
    named = gazetteer.named(query)
    if named:
        found = _with_point(query, "name", named, ambiguous=len(named) > 1)
        # "Ruan" is a village, but whoever typed it may have meant Rouen: offer larger places that sound so.
        louder = [p for p in gazetteer.sounds_like(query, suggestions)[0] if p.population > named[0].population]
        return dataclasses.replace(found, suggestions=_unique(louder)) if louder else found
    started = tuple(gazetteer.search(query, suggestions))
    if started and len(key) < MIN_PREFIX:
        return Resolution(query, "unknown", suggestions=started)
    sounding, alike = gazetteer.sounds_like(query, suggestions)
    if started and not (alike and sounding[0].population > started[0].population):
        # Only the start of a name: the largest such place, with the others offered.
        return Resolution(query, "name", started[:1], started[1:], started[0].lat, started[0].lon)
    if alike:
        # Written as it sounds ("Kimper", "Anjé"): the largest place that sounds so, the others offered.
        others = _unique([*sounding[1:], *started])[:suggestions]
        return Resolution(query, "sounds_like", tuple(sounding[:1]), others, sounding[0].lat, sounding[0].lon)
    close = _unique([*sounding, *gazetteer.suggest(query, suggestions)])
    return Resolution(query, "unknown", suggestions=close[:suggestions])


def _unique(places: list[Place]) -> tuple[Place, ...]:
    return tuple({place.insee_code: place for place in places}.values())
