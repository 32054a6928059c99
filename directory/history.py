"""The history of every profile: who changed which field, when, through which channel, from what to what.

Every write to a profile (an import, a member's form or API call, a staff decision) records
its rows here in the same transaction as the change, so the history cannot miss a change
nor show one that was rolled back. Values are kept as the import format writes them
(``records.record_to_row``): one readable text per field, lists joined by ";".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from directory.platform import clock
from directory.tables import ProfileChange

WEB, API, IMPORT, STAFF = "web", "api", "import", "staff"
CHANNELS = {WEB: "site", API: "API", IMPORT: "import", STAFF: "équipe"}
WHOLE = ""  # the field of a row about the profile as a whole (created, published, suspended…)
INSERT_BATCH = 500


@dataclass(frozen=True)
class Actor:
    """Who makes a change and through which channel; ``label`` is what the history and events show."""

    label: str
    channel: str
    account_id: int | None = None

    @classmethod
    def of(cls, account: Mapping[str, Any], channel: str) -> Actor:
        """A signed-in account (``sessions.current_account``) acting through ``channel``."""
        return cls(account["email"], STAFF if account.get("is_staff") and channel == WEB else channel, account["id"])


def differences(old: Mapping[str, str], new: Mapping[str, str], fields) -> dict[str, tuple[str, str]]:
    """``{field: (old, new)}`` for each of ``fields`` whose text differs."""
    return {field: (old.get(field, ""), new.get(field, "")) for field in fields
            if old.get(field, "") != new.get(field, "")}


def row(provider_id: int, actor: Actor, field: str, old: str = "", new: str = "") -> ProfileChange:
    """One history row, dated now; ``add`` writes a batch of them."""
    return ProfileChange(provider=provider_id, account=actor.account_id, actor=actor.label[:254],
                         channel=actor.channel, field=field, old_value=old, new_value=new, created_at=clock.now())


async def add(rows: list[ProfileChange]) -> None:
    """Write history rows; call inside the change's transaction."""
    for start in range(0, len(rows), INSERT_BATCH):
        await ProfileChange.insert(*rows[start:start + INSERT_BATCH])


async def record(provider_id: int, actor: Actor, changes: Mapping[str, tuple[str, str]]) -> None:
    """Write one row per changed field of one provider."""
    await add([row(provider_id, actor, field, old, new) for field, (old, new) in changes.items()])


async def of(provider_id: int, limit: int = 500) -> list[dict[str, Any]]:
    """The latest rows of a provider's history, newest first."""
    return await ProfileChange.select(
        ProfileChange.id, ProfileChange.actor, ProfileChange.channel, ProfileChange.field, ProfileChange.old_value,
        ProfileChange.new_value, ProfileChange.created_at,
    ).where(ProfileChange.provider == provider_id).order_by(ProfileChange.id, ascending=False).limit(limit)
