"""Text folding, tokenising and French word forms, shared by indexing and querying."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from importlib import resources

import snowballstemmer

_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, without accents or ligatures: "Référencement" and "referencement" meet."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[str]:
    """The words of ``text``, folded; punctuation and hyphens separate words."""
    return _WORD.findall(fold(text))


def content_words(text: str, stop_words: frozenset[str]) -> list[str]:
    """The words of ``text``, folded, without ``stop_words``: what a query searches for."""
    return [word for word in tokens(text) if word not in stop_words]


def typo_budget(word: str) -> int:
    """Typos allowed in a query word, by Meilisearch's default rule: 1 from 5 letters, 2 from 9."""
    return 2 if len(word) >= 9 else 1 if len(word) >= 5 else 0


def _read_stop_words() -> frozenset[str]:
    lines = resources.files("search").joinpath("data/stop_words_fr.txt").read_text("utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


# French words a query may ignore: they say nothing of what is searched for ("je", "mon", "sur").
STOP_WORDS_FR = _read_stop_words()
_STEMMER = snowballstemmer.stemmer("french")


@lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """The French Snowball stem of a folded word: "reparer", "reparation" and "repare" give "repar"."""
    return _STEMMER.stemWord(word)
