"""What a TPE's own words ask for: the catalogue's services a sentence names, and the words left.

Pure functions over a ``Lexicon`` (phrasings → services, read from ``lexicon.toml`` and staff
additions): no database, no app. A phrasing matches when the stems of its words appear in the
text in the same order, with at most ``GAP`` other words between two of them ("vendre mes
gâteaux sur internet" holds "vendre … internet"); a long word may carry a typo, by the search's
own rule. Longer phrasings are tried first and each word of the text counts for one phrasing
only, so "site e-commerce" is e-commerce, not also a showcase site. A weak phrasing ("site",
"mail", "informatique") names its service only when nothing else is understood: "j'ai reçu un
mail d'arnaque" is cybersecurity, not also e-mail.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

from rapidfuzz.distance import OSA

from search.text import STOP_WORDS_FR, stem, tokens, typo_budget

GAP = 2  # other words allowed between two words of a phrasing
CACHED = 8192  # texts (and misspelt words) a lexicon remembers
SHIPPED = Path(__file__).with_name("lexicon.toml")


class LexiconError(ValueError):
    """The lexicon names an unknown service, or a filler word that a phrasing needs."""


@dataclass(frozen=True)
class Phrasing:
    text: str
    stems: tuple[str, ...]
    services: tuple[str, ...]
    weak: bool = False


@dataclass(frozen=True)
class Understanding:
    """The services a text names (in the catalogue's order), the text's words that named each, and
    the words left to search for (folded, without stop or filler words)."""

    services: tuple[str, ...] = ()
    words: Mapping[str, str] = field(default_factory=dict)
    rest: tuple[str, ...] = ()


@dataclass(frozen=True)
class Lexicon:
    """Phrasings by the stem of their first word, the filler stems, and every stem they use."""

    phrasings: tuple[Phrasing, ...]
    filler: frozenset[str] = frozenset()
    service_order: tuple[str, ...] = ()
    by_first: Mapping[str, tuple[Phrasing, ...]] = field(default_factory=dict)
    # Each folded word of the phrasings under what it becomes with one or two letters taken out:
    # a misspelt word shares one of these with the word it misspells (symmetric deletion).
    by_deletion: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    stem_of_word: Mapping[str, str] = field(default_factory=dict)
    cache: dict[str, Understanding] = field(default_factory=dict, compare=False, repr=False)
    typo_cache: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, entries: Mapping[str, Iterable[str]], filler: Iterable[str],
              services: Iterable[str], weak: Mapping[str, Iterable[str]] | None = None) -> Lexicon:
        """A lexicon from phrasings per service slug (``weak`` ones apart); ``services`` is the catalogue."""
        catalogue = tuple(services)
        weak = weak or {}
        unknown = sorted((set(entries) | set(weak)) - set(catalogue))
        if unknown:
            raise LexiconError(f"unknown services in the lexicon: {', '.join(unknown)}")
        by_text: dict[tuple[str, ...], tuple[str, set[str]]] = {}
        weak_stems: set[tuple[str, ...]] = set()
        for strength, listed in ((False, entries), (True, weak)):
            for service, texts in listed.items():
                for text in texts:
                    stems = content_stems(text)
                    if stems:
                        by_text.setdefault(stems, (text, set()))[1].add(service)
                        if strength:
                            weak_stems.add(stems)
        filler_stems = frozenset(stem(word) for text in filler for word in _content(text))
        clashing = sorted({s for stems in by_text for s in stems} & filler_stems)
        if clashing:
            raise LexiconError(f"filler words used by phrasings: {', '.join(clashing)}")
        phrasings = tuple(Phrasing(text, stems, tuple(s for s in catalogue if s in named), stems in weak_stems)
                          for stems, (text, named) in by_text.items())
        by_first: dict[str, list[Phrasing]] = {}
        for phrasing in sorted(phrasings, key=lambda p: -len(p.stems)):
            by_first.setdefault(phrasing.stems[0], []).append(phrasing)
        words = {word for p in phrasings for word in _content(p.text)}
        by_deletion: dict[str, list[str]] = {}
        for word in sorted(words):
            for variant in _deletions(word, 2):
                by_deletion.setdefault(variant, []).append(word)
        return cls(phrasings, filler_stems, catalogue, {k: tuple(v) for k, v in by_first.items()},
                   {variant: tuple(listed) for variant, listed in by_deletion.items()},
                   {word: stem(word) for word in words})

    @classmethod
    def shipped(cls, services: Iterable[str], extra: Mapping[str, Iterable[str]] | None = None,
                extra_weak: Mapping[str, Iterable[str]] | None = None) -> Lexicon:
        """The lexicon shipped in ``lexicon.toml``, with ``extra`` (and ``extra_weak``) phrasings per service."""
        data = _shipped_data()
        entries = {slug: list(entry["phrases"]) for slug, entry in data["services"].items()}
        weak = {slug: list(entry.get("weak", ())) for slug, entry in data["services"].items()}
        for added, into in ((extra, entries), (extra_weak, weak)):
            for slug, texts in (added or {}).items():
                into.setdefault(slug, []).extend(texts)
        built = _built(_frozen(entries), tuple(data.get("filler", ())), tuple(services), _frozen(weak))
        return replace(built, cache={}, typo_cache={})  # each lexicon remembers its own understandings

    def understand(self, text: str) -> Understanding:
        """The services ``text`` names and the words it leaves (see the module's doc).

        Remembered per lexicon, within ``CACHED`` texts: people search with the same words, and
        a lexicon that staff replaced goes with its own memory.
        """
        found = self.cache.get(text)
        if found is None:
            if len(self.cache) >= CACHED:
                self.cache.clear()
            found = self.cache[text] = _understand(self, text)
        return found


def _frozen(listed: Mapping[str, Iterable[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((slug, tuple(texts)) for slug, texts in listed.items())


@lru_cache(maxsize=4)
def _built(entries: tuple, filler: tuple[str, ...], services: tuple[str, ...], weak: tuple) -> Lexicon:
    """``Lexicon.build`` remembered for the same phrasings: every app's start-up, and each server
    after a staff edit, builds the same lexicon (tens of milliseconds of stemming and deletions)."""
    return Lexicon.build(dict(entries), filler, services, dict(weak))


@lru_cache(maxsize=1)
def _shipped_data() -> dict:
    """``lexicon.toml`` as read once: the file is part of the release."""
    return tomllib.loads(SHIPPED.read_text("utf-8"))


def _content(text: str) -> list[str]:
    return [word for word in tokens(text) if word not in STOP_WORDS_FR]


def content_stems(text: str) -> tuple[str, ...]:
    """The stems of a text's words, stop words left out: what a phrasing is matched on."""
    return tuple(stem(word) for word in _content(text))


def _understand(lexicon: Lexicon, text: str) -> Understanding:
    words = _content(text)
    stems = [_known_stem(lexicon, word) for word in words]
    used = [False] * len(words)
    named: dict[str, str] = {}
    weakly: dict[str, str] = {}
    # Longest phrasings first, wherever they start; a word once used is not used again.
    candidates = sorted(((position, phrasing) for position, s in enumerate(stems)
                         for phrasing in lexicon.by_first.get(s, ())),
                        key=lambda item: (-len(item[1].stems), item[0]))
    for position, phrasing in candidates:
        if used[position]:
            continue
        spots = _follow(stems, used, position, phrasing.stems)
        if spots is None:
            continue
        for spot in spots:
            used[spot] = True
        for service in phrasing.services:
            (weakly if phrasing.weak else named).setdefault(service, " ".join(words[spot] for spot in spots))
    named = named or weakly
    rest = tuple(word for word, s, taken in zip(words, stems, used) if not taken and s not in lexicon.filler)
    services = tuple(s for s in lexicon.service_order if s in named)
    return Understanding(services, {service: named[service] for service in services}, rest)


def _follow(stems: list[str], used: list[bool], start: int, wanted: tuple[str, ...]) -> list[int] | None:
    """The positions of ``wanted`` in ``stems`` from ``start``, in order, each within ``GAP`` words of the last."""
    spots, position = [start], start
    for target in wanted[1:]:
        for step in range(position + 1, min(position + GAP + 2, len(stems))):
            if not used[step] and stems[step] == target:
                spots.append(step)
                position = step
                break
        else:
            return None
    return spots


def _known_stem(lexicon: Lexicon, word: str) -> str:
    """The word's stem, or that of a lexicon word it misspells (one typo from 5 letters, two from 9)."""
    own = stem(word)
    if own in lexicon.by_first or word in lexicon.stem_of_word or not typo_budget(word):
        return own
    if word not in lexicon.typo_cache:
        if len(lexicon.typo_cache) >= CACHED:
            lexicon.typo_cache.clear()
        lexicon.typo_cache[word] = _typo_stem(lexicon, word)
    return lexicon.typo_cache[word] or own


def _typo_stem(lexicon: Lexicon, word: str) -> str | None:
    budget = typo_budget(word)
    near = {w for variant in _deletions(word, budget) for w in lexicon.by_deletion.get(variant, ())}
    found = [(distance, w) for w in near if (distance := OSA.distance(word, w, score_cutoff=budget)) <= budget]
    if not found:
        return None
    # Among words as close, the one that starts like it: "caise" is "caisse", not "casse".
    best = min(found, key=lambda item: (item[0], -len(os.path.commonprefix((word, item[1]))), item[1]))
    return lexicon.stem_of_word[best[1]]


def _deletions(word: str, depth: int) -> set[str]:
    """``word`` and what it becomes with up to ``depth`` letters taken out."""
    found, layer = {word}, {word}
    for _ in range(depth):
        layer = {variant[:i] + variant[i + 1:] for variant in layer for i in range(len(variant))}
        found |= layer
    return found
