"""Places typed as they sound: how many of 200 misspellings resolve to the right commune in the top 3.

45 misspellings are written by hand, as people write names they have heard; 155 more are
made from communes drawn by population (fixed seed) with the slips people make by ear
("Saint-" as "Sin", "qu" as "k", "eau" as "o", a silent ending dropped or added, doubled
or single letters…). A misspelling counts when the commune meant is the place found or
one of the first two alternatives offered. Homonyms count when a place of that name is there.

Run: ``.venv/bin/python bench/place_spelling_bench.py``.
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo import Gazetteer, resolve
from geo.names import fold

SEED = 3
HAND_WRITTEN = (
    ("Kimper", "Quimper"), ("Sin Malo", "Saint-Malo"), ("Bourg en Bress", "Bourg-en-Bresse"), ("Bordo", "Bordeaux"),
    ("Marseye", "Marseille"), ("Monpelier", "Montpellier"), ("Tulouse", "Toulouse"), ("Strasbour", "Strasbourg"),
    ("Nisse", "Nice"), ("Anjé", "Angers"), ("Lile", "Lille"), ("Ruan", "Rouen"), ("Perpinian", "Perpignan"),
    ("Shamonix", "Chamonix-Mont-Blanc"), ("Bayone", "Bayonne"), ("Sin Nazaire", "Saint-Nazaire"),
    ("Kolmar", "Colmar"), ("Orlean", "Orléans"), ("Nant", "Nantes"), ("Tour", "Tours"), ("Ajacio", "Ajaccio"),
    ("Pointapitre", "Pointe-à-Pitre"), ("Lemans", "Le Mans"), ("Aurilak", "Aurillac"), ("Gueret", "Guéret"),
    ("Bézié", "Béziers"), ("Poitié", "Poitiers"), ("Limoge", "Limoges"), ("Klermon Ferran", "Clermont-Ferrand"),
    ("Greunoble", "Grenoble"), ("Reinne", "Rennes"), ("Brive la Gaillard", "Brive-la-Gaillarde"),
    ("Avinion", "Avignon"), ("Nime", "Nîmes"), ("Tarbe", "Tarbes"), ("Périgeu", "Périgueux"),
    ("Bergerak", "Bergerac"), ("Lorian", "Lorient"), ("Sin Brieuk", "Saint-Brieuc"), ("Kimperlé", "Quimperlé"),
    ("Konkarno", "Concarneau"), ("Douarnené", "Douarnenez"), ("Morlé", "Morlaix"), ("Chatoru", "Châteauroux"),
    ("Névère", "Nevers"),
)
# Slips made by ear, each a (pattern, replacement) on the lower-cased name.
SLIPS = (
    (r"^saint-", "sin "), (r"^saint-", "sain "), (r"^sainte-", "sinte "), (r"-", " "), (r"-", ""),
    (r"qu", "k"), (r"c(?=[aou])", "k"), (r"ph", "f"), (r"eau", "o"), (r"au", "o"), (r"ll", "l"),
    (r"(?<=[aeiou])l(?=[aeiou])", "ll"), (r"ss", "s"), (r"(?<=[aeiou])s(?=[aeiou])", "z"), (r"é", "ai"),
    (r"è", "ai"), (r"[sxtd]$", ""), (r"e$", ""), (r"(?<=[^e])$", "e"), (r"ille", "iye"), (r"gn", "ni"),
    (r"y", "i"), (r"ch", "sh"), (r"en(?=[^aeiou])", "an"), (r"ai", "è"), (r"ou", "oo"), (r"mm", "m"),
    (r"nn", "n"), (r"tt", "t"), (r"ç", "ss"),
)


def made_up(gazetteer: Gazetteer, count: int) -> list[tuple[str, str]]:
    """``count`` misspellings of communes drawn by population, one or two slips each."""
    rng = random.Random(SEED)
    places = [p for p in gazetteer.places() if p.kind == "commune" and p.population >= 2000]
    made: list[tuple[str, str]] = []
    while len(made) < count:
        place = rng.choices(places, weights=[p.population for p in places])[0]
        typed = place.name.lower()
        for pattern, replacement in rng.sample(SLIPS, len(SLIPS)):
            slipped = re.sub(pattern, replacement, typed, count=1)
            if slipped != typed:
                typed = slipped
                if rng.random() < 0.5 or fold(typed) != fold(place.name.lower()):
                    break
        if fold(typed).replace(" ", "") != fold(place.name).replace("-", "").replace(" ", "").lower():
            made.append((typed.title(), place.name))
    return made


def main() -> None:
    gazetteer = Gazetteer.default()
    cases = list(HAND_WRITTEN) + made_up(gazetteer, 200 - len(HAND_WRITTEN))
    first = top3 = 0
    misses = []
    for typed, meant in cases:
        found = resolve(gazetteer, typed)
        names = [place.name for place in (*found.places[:1], *found.suggestions[:2])] if found.places else \
            [place.name for place in found.suggestions[:3]]
        first += bool(found.places) and found.places[0].name == meant
        top3 += meant in names
        if meant not in names:
            misses.append(f"{typed} -> {', '.join(names) or 'rien'} (voulu : {meant})")
    print(f"{len(cases)} misspellings: {top3} resolve to the right commune in the top 3 ({top3 / len(cases):.0%}), "
          f"{first} as the place found.")
    for miss in misses:
        print("  missed:", miss)


if __name__ == "__main__":
    main()
