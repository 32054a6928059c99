"""Reports of outdated or wrong information on a listing: anyone sends one, staff deal with it."""

from __future__ import annotations

from typing import Any

from directory import validation
from directory.platform import clock
from directory.tables import Report

MIN_LENGTH, MAX_LENGTH = 10, 2000


async def send(provider_id: int, message: str, contact: str) -> None:
    """Record a report on a listing; ``validation.InvalidValue`` says what is wrong, in French."""
    text = validation.plain_text(message.replace("\r\n", "\n"), multiline=True).strip()
    if not MIN_LENGTH <= len(text) <= MAX_LENGTH:
        raise validation.InvalidValue(f"Décrivez ce qui est erroné en {MIN_LENGTH} à {MAX_LENGTH} caractères.")
    address = validation.email(contact)
    await Report.insert(Report(provider=provider_id, message=text, contact=address, created_at=clock.now()))


async def open_reports() -> list[dict[str, Any]]:
    """The reports staff have not dealt with, oldest first."""
    return await Report.select(Report.id, Report.message, Report.contact, Report.created_at,
                               Report.provider.slug, Report.provider.trade_name).where(
        Report.resolved_at.is_null()).order_by(Report.created_at)


async def resolve(report_id: int) -> bool:
    """Mark a report as dealt with; False if there is no such open report."""
    done = await Report.update({Report.resolved_at: clock.now()}).where(
        (Report.id == report_id) & Report.resolved_at.is_null()).returning(Report.id)
    return bool(done)
