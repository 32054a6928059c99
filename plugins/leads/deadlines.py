"""When an offer's answer is due: so many hours after it is made, or so many business hours.

Business hours are Monday to Friday, 9:00 to 18:00, Paris time (public holidays are not
counted out). Pure, so the rule is tested with fixed dates.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
OPENS, CLOSES = time(9), time(18)


def deadline(start: datetime, hours: float, business_hours: bool = False) -> datetime:
    """The moment ``hours`` have passed since ``start`` (only business hours count when asked)."""
    if not business_hours:
        return start + timedelta(hours=hours)
    left = timedelta(hours=hours)
    cursor = start.astimezone(PARIS)
    while True:
        cursor = _next_open(cursor)
        closing = datetime.combine(cursor.date(), CLOSES, PARIS)
        if cursor + left <= closing:
            return (cursor + left).astimezone(start.tzinfo)
        left -= closing - cursor
        cursor = closing


def _next_open(moment: datetime) -> datetime:
    """``moment`` if it falls in business hours, else the next opening."""
    day = moment.date()
    if moment.weekday() < 5 and moment.time() < CLOSES:
        return max(moment, datetime.combine(day, OPENS, PARIS))
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return datetime.combine(day, OPENS, PARIS)
