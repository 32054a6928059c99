"""Accounts: creating them, and the staff who moderate the directory."""

from __future__ import annotations

from dataclasses import dataclass

from directory import validation
from directory.accounts import passwords
from directory.database import write_transaction
from directory.platform import clock
from directory.tables import Account


@dataclass(frozen=True)
class StaffAdded:
    email: str
    created: bool  # False: an existing account became staff


async def add_staff(email: str, password: str) -> StaffAdded:
    """Create a staff account, or make an existing account staff with this new password.

    The address must be valid and the password pass the policy (``passwords.check``);
    otherwise ``validation.InvalidValue`` or ``passwords.WeakPassword`` says why, in French.
    """
    address = validation.email(email)
    if not address:
        raise validation.InvalidValue("Donnez l'adresse e-mail du membre de l'équipe.")
    passwords.check(password, known_words=(address,))
    now = clock.now()
    values = {Account.password_hash: passwords.hash_password(password), Account.is_staff: True,
              Account.active: True, Account.password_changed_at: now}
    async with write_transaction(Account._meta.db):
        updated = await Account.update(values).where(Account.email == address).returning(Account.id)
        if not updated:
            await Account.insert(Account(email=address, created_at=now, **{c._meta.name: v for c, v in values.items()}))
    return StaffAdded(address, created=not updated)
