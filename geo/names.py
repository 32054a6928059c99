"""Folding of French place names so that "st etienne", "Saint-Étienne" and "SAINT ETIENNE" meet."""

from __future__ import annotations

import re
import unicodedata

_ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_SEPARATORS = re.compile(r"[\s\-'’`.,/()]+")
_ARTICLES = ("le ", "la ", "les ", "l ")
_ARRONDISSEMENT = re.compile(r"^(?P<city>paris|lyon|marseille) (?P<number>\d{1,2})(?:er|e)? arrondissement$")


def fold(text: str) -> str:
    """Lower-case, strip accents and ligatures, and turn punctuation into single spaces."""
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae"))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return _SEPARATORS.sub(" ", stripped).strip()


def normalize(name: str) -> str:
    """The key two spellings of the same place share: folded, with St/Ste spelt out."""
    return " ".join(_ABBREVIATIONS.get(word, word) for word in fold(name).split())


def keys(name: str) -> list[str]:
    """Every key a place name is found by: itself, without its article, short arrondissement forms."""
    key = normalize(name)
    found = [key]
    for article in _ARTICLES:
        if key.startswith(article):
            found.append(key[len(article):])
    arrondissement = _ARRONDISSEMENT.match(key)
    if arrondissement:
        city, number = arrondissement["city"], int(arrondissement["number"])
        found += [f"{city} {number}", f"{city} {number:02d}"]
    return found


def normalize_query(text: str) -> str:
    """A typed query folded like names, "3e", "3ème", "1er" shortened to the number, as in ``keys``.

    "Paris 12e Arrondissement", the place's own name, becomes "paris 12" as well.
    """
    shortened = re.sub(r"\b(\d{1,2})(?:eme|ieme|e|er)\b", r"\1", normalize(text))
    return re.sub(r"\b(\d{1,2}) arrondissement$", r"\1", shortened)


def of_name(name: str) -> str:
    """Any name after French "de", places and trade names alike: "de Lyon", "d'Agence Pixel",
    "du Fournil", "des Ateliers Hibiscus", "d'Yerres", "d'IBM", "d'Éts Martin".

    "Le "/"Les " contract to "du "/"des "; "La " and "L'" keep "de" ("de La Poste", "de L'Atelier"),
    as a name's own article is never elided. "de" elides before a letter that is a vowel,
    accented or not, capital or not, "Y" included ("d'Yvetot"). It never elides before "h": whether an
    h is mute ("d'Hennebont") or aspirated ("de Haguenau") cannot be read from the spelling, and
    "de" before a mute h reads as a slip while "d'" before an aspirated one reads as a mistake.
    A name opening with a digit, a quote or any other sign keeps "de" ("de 2i Conseil",
    "de « Atelier »"): it is cited, not pronounced.
    """
    article, _, rest = name.partition(" ")
    if rest and article.lower() in _CONTRACTED:
        return f"{_CONTRACTED[article.lower()]} {rest}"
    first = fold(name[:1])
    return f"d'{name}" if first and first[0] in "aeiouy" else f"de {name}"


_CONTRACTED = {"le": "du", "les": "des"}
