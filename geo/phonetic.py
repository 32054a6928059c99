"""A French phonetic key for place names: "Kimper" and "Quimper", "Sin Malo" and "Saint-Malo" meet.

People who type a place they have only heard write it as it sounds. The key spells a name
by its sounds, roughly: silent endings dropped, "é" endings (-er, -ez, -et) as one sound,
one letter per consonant sound (k for c/qu/ck, s for c before e/i, j for g before e/i, f
for ph), nasal vowels as one symbol each, o for au/eau, e for ai/ei, doubled letters made
single, and no spaces. Two names with the same key sound alike; it finds candidates, it is
not a transcription.
"""

from __future__ import annotations

import re

from geo.names import fold

_FINAL_E_ACUTE = re.compile(r"[éèê](?![a-zà-ÿ])")
_VOWEL = "aeiouy"
# Rewrites applied in order to the folded name (spaces kept between words until the end).
_REWRITES = tuple((re.compile(pattern), replacement) for pattern, replacement in (
    (r"[^a-z ]+", " "),
    (r"\bst\b", "saint"), (r"\bste\b", "sainte"),
    (r"c(?=[eiy])", "s"), (r"g(?=[eiy])", "j"),
    (rf"(?<=[{_VOWEL}])ill", "y"),
    (r"\b([a-z]{2,})(?:er|ez|et|ed)s?\b", r"\g<1>4"),  # the sound é: Angers, Anjé
    (r"\b([a-z]{2,}?)(?:ent|es|e|s|t|x|d|z|p|g)\b", r"\1"),  # silent endings: Bresse, Bourg
    (r"sch|sh", "ch"), (r"ph", "f"), (r"th", "t"), (r"gn", "ni"), (r"gu", "g"),
    (r"qu|q|ck|c(?!h)", "k"),
    (r"([a-z])\1+", r"\1"),
    (rf"(?<=[{_VOWEL}][nm])[tdp](?![{_VOWEL}])", ""),  # Montpellier, Nantes
    (rf"(?:ain|ein|aim|in|im|yn|ym|un|um)(?![{_VOWEL}])", "1"),
    (rf"(?:an|am|en|em)(?![{_VOWEL}])", "2"),
    (rf"(?:on|om)(?![{_VOWEL}])", "3"),
    (r"eau|au", "o"), (r"ai|ei|ey", "e"), (r"oi|oy", "wa"), (r"ou", "u"), (r"y", "i"),
    (r"w(?!a)", "v"), (r"x", "ks"), (r"z", "s"), (r"(?<!c)h", ""),
    (r"([a-z])\1+", r"\1"), (r" ", ""),
))


def french_key(name: str) -> str:
    """The phonetic key of a place name (see the module docstring)."""
    text = fold(_FINAL_E_ACUTE.sub("ez", name.lower()))
    for pattern, replacement in _REWRITES:
        text = pattern.sub(replacement, text)
    return text
