"""Folding of French place names so that "st etienne", "Saint-Étienne" and "SAINT ETIENNE" meet."""

from __future__ import annotations

import re
import unicodedata

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_SEPARATORS = re.compile(r"[\s\-'’`.,/()]+")


def fold(text: str) -> str:
    """Lower-case, strip accents and ligatures, and turn punctuation into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _SEPARATORS.sub(" ", stripped).strip()


def normalize(name: str) -> str:
    """The key two spellings of the same place share: folded, with St/Ste spelt out."""
    return " ".join(_ABBREVIATIONS.get(word, word) for word in fold(name).split())
