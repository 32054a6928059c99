"""Text folding and tokenising shared by indexing and querying."""

from __future__ import annotations

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")


def fold(text: str) -> str:
    """Lower-case, without accents or ligatures: "Référencement" and "referencement" meet."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae").replace("Æ", "ae")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def tokens(text: str) -> list[str]:
    """The words of ``text``, folded; punctuation and hyphens separate words."""
    return _WORD.findall(fold(text))


def typo_budget(word: str) -> int:
    """Typos allowed in a query word, by Meilisearch's default rule: 1 from 5 letters, 2 from 9."""
    return 2 if len(word) >= 9 else 1 if len(word) >= 5 else 0
