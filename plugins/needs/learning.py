"""How the network learns its TPEs' words: searches nobody answered, and phrasings staff add.

Searches are counted in memory on the request's path (``Unheard.note``) and written by a
background task (``Unheard.flush``), so a search never waits for a database write. Staff's
phrasings are rows of ``NeedPhrasing``; each change records a ``needs.lexicon`` event in the
same transaction, and every server, following the event outbox, reloads its lexicon within
``FOLLOW_EVERY_S``.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import msgspec

from directory.plugin_api import catalogue, clock, events, write_transaction
from plugins.needs.tables import NeedPhrasing, UnheardSearch
from plugins.needs.understanding import Lexicon, content_stems
from search.text import STOP_WORDS_FR, content_words, fold

LEXICON_EVENT = "needs.lexicon"
FOLLOW_EVERY_S = 1.0
FLUSH_EVERY_S = 30.0
MAX_PENDING = 5_000  # distinct texts kept in memory between two writes
NOTHING, CORRECTED = "nothing", "corrected"
OUTCOMES = {NOTHING: "Rien trouvé", CORRECTED: "Compris autrement"}
# What looks like someone's address, phone or number is never kept, even typed in the search box.
_PERSONAL = re.compile(r"@|\d{5,}|(?:\d[\s.-]?){8,}")
_SPACES = re.compile(r"\s+")


class LexiconChanged(msgspec.Struct, forbid_unknown_fields=True):
    """Staff added or removed a phrasing: every server reloads its lexicon."""

    service: str


def kept_text(text: str) -> str | None:
    """The text as staff will read it (folded, one space between words, 200 characters), or None if
    it holds nothing to learn or looks like personal data."""
    folded = _SPACES.sub(" ", fold(text)).strip()[:200]
    if not folded or _PERSONAL.search(folded) or not content_words(folded, STOP_WORDS_FR):
        return None
    return folded


class Unheard:
    """The searches to count, per (outcome, text), until the next write; bounded."""

    def __init__(self) -> None:
        self.pending: Counter[tuple[str, str]] = Counter()

    def note(self, text: str, total: int, ignored: tuple[str, ...]) -> None:
        outcome = CORRECTED if ignored else NOTHING if not total else None
        kept = kept_text(text) if outcome else None
        if kept and (len(self.pending) < MAX_PENDING or (outcome, kept) in self.pending):
            self.pending[(outcome, kept)] += 1

    async def flush(self) -> int:
        """Write what was counted (one transaction); returns how many texts."""
        counted, self.pending = self.pending, Counter()
        if not counted:
            return 0
        now = clock.now()
        async with write_transaction(UnheardSearch._meta.db):
            keys = [f"{outcome}:{text}" for outcome, text in counted]
            known = {row["key"]: row["times"] for row in await UnheardSearch.select(
                UnheardSearch.key, UnheardSearch.times).where(UnheardSearch.key.is_in(keys))}
            for (outcome, text), count in counted.items():
                key = f"{outcome}:{text}"
                if key in known:
                    await UnheardSearch.update({UnheardSearch.times: known[key] + count,
                                                UnheardSearch.last_seen: now}).where(UnheardSearch.key == key)
                else:
                    await UnheardSearch.insert(UnheardSearch(key=key, outcome=outcome, text=text, times=count,
                                                             last_seen=now))
        return len(counted)


async def unheard(limit: int = 100, within: timedelta = timedelta(days=180)) -> list[dict]:
    """The most frequent unheard searches of the last ``within``, for staff."""
    return await UnheardSearch.select(UnheardSearch.id, UnheardSearch.outcome, UnheardSearch.text,
                                      UnheardSearch.times, UnheardSearch.last_seen).where(
        UnheardSearch.last_seen >= clock.now() - within).order_by(
        UnheardSearch.times, ascending=False).order_by(UnheardSearch.last_seen, ascending=False).limit(limit)


async def phrasings() -> list[dict]:
    """Staff's phrasings, newest first, with who added them."""
    return await NeedPhrasing.select(NeedPhrasing.id, NeedPhrasing.service, NeedPhrasing.text, NeedPhrasing.weak,
                                     NeedPhrasing.created_at,
                                     NeedPhrasing.added_by.email.as_alias("added_by")).order_by(
        NeedPhrasing.id, ascending=False)


async def load_lexicon() -> Lexicon:
    """The shipped lexicon with staff's phrasings."""
    strong: dict[str, list[str]] = {}
    weak: dict[str, list[str]] = {}
    for row in await NeedPhrasing.select(NeedPhrasing.service, NeedPhrasing.text, NeedPhrasing.weak):
        if row["service"] in catalogue.SERVICE_SLUGS:
            (weak if row["weak"] else strong).setdefault(row["service"], []).append(row["text"])
    return Lexicon.shipped([service.slug for service in catalogue.SERVICES], strong, weak)


class PhrasingError(ValueError):
    """A phrasing staff cannot add, said in French."""


async def add_phrasing(service: str, text: str, weak: bool, account_id: int, unheard_id: int | None = None) -> None:
    """Add a phrasing (and drop the unheard search it answers) in one transaction with its event."""
    if service not in catalogue.SERVICE_SLUGS:
        raise PhrasingError("Choisissez un service du catalogue.")
    one_line = all(char.isprintable() for char in text)  # no line or paragraph separator, no control
    text = text.strip()
    if not one_line or not 2 <= len(text) <= 100:
        raise PhrasingError("Une formulation fait de 2 à 100 caractères, sur une ligne.")
    if not content_stems(text):
        raise PhrasingError("Cette formulation n'a que des mots vides (« je », « mon », « pour »…) : ajoutez ce "
                            "qui dit le besoin.")
    current = await load_lexicon()
    if set(content_stems(text)) & current.filler:  # the lexicon would refuse it (see ``Lexicon.build``)
        raise PhrasingError("Un mot de cette formulation est ignoré comme mot de remplissage : reformulez.")
    if any(p.text == text and service in p.services for p in current.phrasings):
        raise PhrasingError("Cette formulation désigne déjà ce service.")
    async with write_transaction(NeedPhrasing._meta.db):
        await NeedPhrasing.insert(NeedPhrasing(service=service, text=text, weak=int(weak), added_by=account_id,
                                               created_at=clock.now()))
        if unheard_id is not None:
            await UnheardSearch.delete().where(UnheardSearch.id == unheard_id)
        await events.record(LEXICON_EVENT, [service], {"service": service})


async def remove_phrasing(phrasing_id: int) -> bool:
    """Remove one of staff's phrasings, with its event; False if there was none."""
    async with write_transaction(NeedPhrasing._meta.db):
        row = await NeedPhrasing.select(NeedPhrasing.service).where(NeedPhrasing.id == phrasing_id).first()
        if row is None:
            return False
        await NeedPhrasing.delete().where(NeedPhrasing.id == phrasing_id)
        await events.record(LEXICON_EVENT, [row["service"]], {"service": row["service"]})
    return True


async def dismiss(unheard_id: int) -> None:
    """Staff looked at an unheard search and set it aside."""
    await UnheardSearch.delete().where(UnheardSearch.id == unheard_id)
