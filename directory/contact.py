"""Messages sent through the contact page: checked, written with their mail, read and erased by staff.

A message is personal data: its author finds it in the data export of the account of that
address, the erasure of an address (``data_rights.forget_addresses``) removes it, and a daily
job erases every message older than ``CHANNEL_EXPERT_CONTACT_RETENTION_DAYS``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from directory import events, validation
from directory.data_rights import forget_addresses
from directory.database import write_transaction
from directory.platform import clock, current, mail
from directory.tables import ContactMessage

RETENTION_TASK = "contact.retention"
LIMITS = {"name": 200, "email": 254, "subject": 200, "message": 5000}
MIN_MESSAGE = 10
MAIL_TEMPLATE = "message-contact"


class ContactErrors(ValueError):
    """Fields to correct: ``errors`` maps each field to its French message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
        self.errors = errors


@dataclass(frozen=True)
class Contact:
    """A checked message: who writes, how to answer them, about what."""

    name: str
    email: str
    subject: str
    message: str


def _line(value: str, limit: int, empty: str) -> str:
    text = validation.plain_text(value.strip())
    if not text:
        raise validation.InvalidValue(empty)
    if len(text) > limit:
        raise validation.InvalidValue(f"{limit} caractères au plus.")
    return text


def _message(value: str) -> str:
    text = validation.plain_text(value.replace("\r\n", "\n").strip(), multiline=True)
    if not MIN_MESSAGE <= len(text) <= LIMITS["message"]:
        raise validation.InvalidValue(
            f"Écrivez votre message en {MIN_MESSAGE} à {LIMITS['message']} caractères.")
    return text


def _address(value: str) -> str:
    address = validation.email(value)
    if not address:
        raise validation.InvalidValue(
            "Indiquez votre adresse e-mail, pour que l'équipe puisse vous répondre.")
    return address


def clean(form: Mapping[str, str]) -> Contact:
    """Check what the contact form sent; raise ``ContactErrors`` naming every field to correct."""
    checks = {"name": lambda v: _line(v, LIMITS["name"], "Indiquez votre nom."),
              "email": _address,
              "subject": lambda v: _line(v, LIMITS["subject"], "Indiquez l'objet de votre message."),
              "message": _message}
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, check in checks.items():
        try:
            values[name] = check(form.get(name) or "")
        except validation.InvalidValue as error:
            errors[name] = str(error)
    if not form.get("consent"):
        errors["consent"] = ("Cochez la case pour accepter que l'équipe garde votre message "
                             "le temps d'y répondre.")
    if errors:
        raise ContactErrors(errors)
    return Contact(**values)


async def send(contact: Contact) -> int:
    """Write the message for staff, and its copy to ``CHANNEL_EXPERT_CONTACT_EMAIL`` when one is set,
    in one transaction: a message acknowledged to its author is never lost. Returns its id."""
    settings = current.platform().settings
    async with write_transaction(ContactMessage._meta.db):
        [row] = await ContactMessage.insert(ContactMessage(
            name=contact.name, email=contact.email, subject=contact.subject, message=contact.message,
            created_at=clock.now())).returning(ContactMessage.id)
        if settings.contact_email:
            await mail.send(settings.contact_email, MAIL_TEMPLATE, {"contact": contact, "id": row["id"]})
    return row["id"]


async def listing(limit: int = 200) -> list[dict[str, Any]]:
    """The latest messages, newest first, those not dealt with before the others."""
    rows = await ContactMessage.select().order_by(ContactMessage.id, ascending=False).limit(limit)
    return sorted(rows, key=lambda row: row["handled_at"] is not None)


async def mark_handled(message_id: int, staff_email: str) -> bool:
    """Staff dealt with a message (and say who did); False when there is no such message waiting."""
    done = await ContactMessage.update({ContactMessage.handled_at: clock.now(),
                                        ContactMessage.handled_by: staff_email}).where(
        (ContactMessage.id == message_id) & ContactMessage.handled_at.is_null()).returning(ContactMessage.id)
    return bool(done)


async def erase_sender(message_id: int, staff_email: str) -> int:
    """Erase every message from the sender of ``message_id`` (an erasure asked of staff), and what
    else is held about that address; the event outbox keeps who did it and how many. Returns how many."""
    async with write_transaction(ContactMessage._meta.db):
        row = await ContactMessage.select(ContactMessage.email).where(ContactMessage.id == message_id).first()
        if row is None:
            return 0
        count = await ContactMessage.count().where(ContactMessage.email == row["email"])
        await forget_addresses([row["email"]])
        await events.record(events.CONTACT_ERASED, [str(message_id)], {"messages": count}, staff_email)
    return count


async def apply_retention(payload: dict[str, Any]) -> None:
    """The daily job: erase the messages older than the contact retention period."""
    days = current.platform().settings.contact_retention_days
    await ContactMessage.delete().where(ContactMessage.created_at < clock.now() - timedelta(days=days))
