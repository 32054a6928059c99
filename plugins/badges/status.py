"""The status lists: each award's bit, handed out once and kept for ever, and the signed lists
that publish it.

An award has one index, which its credentials name in two lists (``credentialStatus``):

- revocation (``/badges/statuts/N``): set when staff revoke the award, and when its holder is
  erased: the award goes with its provider, its ``StatusEntry`` stays, and a bit whose award
  is gone is published as revoked, so no erasure turns a credential back into a valid one;
- suspension (``/badges/statuts/suspension/N``): set while the holder's listing is unlisted
  (suspended by staff, or left by its members and not yet erased), cleared when staff restore
  it. It is read from the providers' state each time a list is published, so the list never
  disagrees with the listing's page.

Indexes are drawn at random in the list being filled, half full at most, so that an index says
nothing of its holder nor of its date. The first list of each purpose is published from the
start, empty, so that the address the verification page names answers before the first award.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from directory.plugin_api import catalogue, clock
from plugins.badges import credentials, issuer, keys, verification
from plugins.badges.credentials import PURPOSES, REVOCATION, STATUS_LIST_BITS, SUSPENSION
from plugins.badges.tables import BadgeAward, StatusEntry

LIST_FILL = STATUS_LIST_BITS // 2
MAX_LISTS = 10_000  # 650 million awards: more than the network will ever make
UNLISTED = [catalogue.SUSPENDED, catalogue.LEFT]  # the listings whose credentials are suspended
PATHS = {REVOCATION: "/badges/statuts/", SUSPENSION: "/badges/statuts/suspension/"}
ERASED_HOLDER = ("L'attestation a été révoquée : son titulaire a été retiré de l'annuaire et ses données ont été "
                 "effacées.")


def list_url(purpose: str, number: int) -> str:
    return f"{issuer.site()}{PATHS[purpose]}{number}"


def entries(index: int) -> list[dict[str, Any]]:
    """The ``credentialStatus`` of a new credential for the award at ``index``: one entry per purpose."""
    number = index // STATUS_LIST_BITS + 1
    return [credentials.status_entry(list_url(purpose, number), index, purpose) for purpose in PURPOSES]


async def new_index() -> int:
    """A bit never handed out before, recorded at once: call it in the award's transaction."""
    taken = {row["status_index"] for row in await StatusEntry.select(StatusEntry.status_index)}
    start = len(taken) // LIST_FILL * STATUS_LIST_BITS
    while True:
        index = start + secrets.randbelow(STATUS_LIST_BITS)
        if index not in taken:
            await StatusEntry.insert(StatusEntry(status_index=index, created_at=clock.now()))
            return index


async def revoke(index: int) -> None:
    """Set the revocation bit at ``index`` for ever (in the revoking transaction)."""
    await StatusEntry.update({StatusEntry.revoked_at: clock.now()}).where(StatusEntry.status_index == index)


def _in_list(column: Any, number: int) -> Any:
    start = (number - 1) * STATUS_LIST_BITS
    return (column >= start) & (column < start + STATUS_LIST_BITS)


async def _set_bits(purpose: str, number: int) -> frozenset[int] | None:
    """The set bits of list ``number`` of ``purpose``, or None when the list was never begun."""
    if number > 1 and not await StatusEntry.exists().where(_in_list(StatusEntry.status_index, number)):
        return None
    if purpose == REVOCATION:
        rows = await StatusEntry.select(StatusEntry.status_index).where(
            _in_list(StatusEntry.status_index, number) & (
                StatusEntry.revoked_at.is_not_null()
                | StatusEntry.status_index.not_in(BadgeAward.select(BadgeAward.status_index))))
    else:
        rows = await BadgeAward.select(BadgeAward.status_index).where(
            _in_list(BadgeAward.status_index, number) & BadgeAward.provider.state.is_in(UNLISTED))
    start = (number - 1) * STATUS_LIST_BITS
    return frozenset(row["status_index"] - start for row in rows)


class StatusLists:
    """The signed status list credentials, re-signed only when one of their bits changes.

    One per app (``app.state.badge_status_lists``): what it holds was signed for that app's database.
    """

    def __init__(self) -> None:
        self._signed: dict[tuple[str, int], tuple[frozenset[int], dict[str, Any]]] = {}

    async def get(self, purpose: str, number: int) -> dict[str, Any] | None:
        """List ``number`` (from 1) of ``purpose``, or None when there is no such list."""
        if purpose not in PATHS or not 1 <= number <= MAX_LISTS:
            return None
        bits = await _set_bits(purpose, number)
        if bits is None:
            return None
        url = list_url(purpose, number)
        cached = self._signed.get((purpose, number))
        if cached is None or cached[0] != bits or cached[1]["id"] != url:
            document = credentials.status_list_credential(url, issuer.issuer_profile(),
                                                          credentials.encode_status_list(set(bits)), clock.now(), purpose)
            self._signed[(purpose, number)] = cached = (bits, await issuer.sign(document))
        return cached[1]


async def _erased(references: set[tuple[str, int]]) -> set[tuple[str, int]]:
    """Those of our revocation (list URL, index) whose award went with its holder."""
    indexes = {index for _, index in references if 0 <= index < MAX_LISTS * STATUS_LIST_BITS}
    if not indexes:
        return set()
    recorded = {row["status_index"] for row in await StatusEntry.select(StatusEntry.status_index).where(
        StatusEntry.status_index.is_in(sorted(indexes)))}
    held = {row["status_index"] for row in await BadgeAward.select(BadgeAward.status_index).where(
        BadgeAward.status_index.is_in(sorted(indexes)))}
    return {reference for reference in references if reference[1] in recorded - held}


async def verifier(documents: list[Any], lists: StatusLists) -> verification.Verifier:
    """A verifier of this network's credentials for ``documents``: its keys, the status lists those
    documents name (only ours, each read once), and why a bit is set when its holder was erased."""
    ours = {purpose: re.compile(re.escape(issuer.site() + path) + r"([0-9]{1,6})") for purpose, path in PATHS.items()}
    named = {(purpose, reference) for document in documents if isinstance(document, dict)
             for purpose, reference in credentials.status_references(document).items()}
    found = {(purpose, url): int(match[1]) for purpose, (url, _) in named if (match := ours[purpose].fullmatch(url))}
    published = {url: await lists.get(purpose, number) for (purpose, url), number in found.items()}
    erased = await _erased({reference for purpose, reference in named
                            if purpose == REVOCATION and (purpose, reference[0]) in found})

    def explain(purpose: str, url: str, index: int) -> str | None:
        return ERASED_HOLDER if purpose == REVOCATION and (url, index) in erased else None

    return verification.Verifier(issuer.issuer_id(), await keys.published(), published.get, explain)


async def verify(document: Any, lists: StatusLists) -> verification.Verdict:
    return (await verifier([document], lists)).verify(document, clock.now())
