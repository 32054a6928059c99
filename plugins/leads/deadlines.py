"""When an offer's answer is due: so many hours after it is made, or so many business hours.

Business hours are Monday to Friday, 9:00 to 18:00, in the provider's own working calendar:
the local time and the public holidays of the département of its office. Alsace and Moselle
keep Good Friday and Saint Stephen's day, overseas départements and collectivities their own
days (abolition of slavery, for instance) and their own time zones, so a provider in Réunion is
not asked to answer during its night. The holidays come from the maintained ``holidays``
package rather than a list typed here, since Easter-based dates move every year. Pure, so the
rule is tested with fixed dates.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

from directory.plugin_api import paris_time

PARIS = ZoneInfo("Europe/Paris")
OPENS, CLOSES = time(9), time(18)

# The département codes whose working calendar differs from mainland France's: the
# ``holidays`` subdivision of each, its time zone, and how its local time is named.
MAINLAND = (None, "Europe/Paris", "")
LOCAL_CALENDARS: dict[str, tuple[str | None, str, str]] = {
    "57": ("57", "Europe/Paris", ""), "67": ("6AE", "Europe/Paris", ""), "68": ("6AE", "Europe/Paris", ""),
    "971": ("971", "America/Guadeloupe", "heure de la Guadeloupe"),
    "972": ("972", "America/Martinique", "heure de la Martinique"),
    "973": ("973", "America/Cayenne", "heure de la Guyane"),
    "974": ("974", "Indian/Reunion", "heure de La Réunion"),
    "975": ("PM", "America/Miquelon", "heure de Saint-Pierre-et-Miquelon"),
    "976": ("976", "Indian/Mayotte", "heure de Mayotte"),
    "977": ("BL", "America/St_Barthelemy", "heure de Saint-Barthélemy"),
    "978": ("MF", "America/Marigot", "heure de Saint-Martin"),
    "986": ("WF", "Pacific/Wallis", "heure de Wallis-et-Futuna"),
    "987": ("PF", "Pacific/Tahiti", "heure de Tahiti"),
    "988": ("NC", "Pacific/Noumea", "heure de Nouméa"),
}


class WorkingCalendar:
    """Working days and hours of one place: weekdays that are not public holidays, 9:00 to 18:00."""

    def __init__(self, subdivision: str | None, zone: str, local_name: str) -> None:
        self.zone = ZoneInfo(zone)
        self.days_off = holidays.France(subdiv=subdivision)  # each year's days are worked out when first asked
        self.local_name = local_name  # "" where the time is Paris's

    def works_on(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.days_off

    def next_open(self, moment: datetime) -> datetime:
        """``moment`` if it falls in working hours, else the next opening."""
        day = moment.date()
        if self.works_on(day) and moment.time() < CLOSES:
            return max(moment, datetime.combine(day, OPENS, self.zone))
        day += timedelta(days=1)
        while not self.works_on(day):
            day += timedelta(days=1)
        return datetime.combine(day, OPENS, self.zone)


def calendar(departement: str) -> WorkingCalendar:
    """The working calendar of offices in ``departement`` (mainland France's when it has no own)."""
    return _calendar(*LOCAL_CALENDARS.get(departement, MAINLAND))


@cache
def _calendar(subdivision: str | None, zone: str, local_name: str) -> WorkingCalendar:
    """One calendar per distinct calendar, made when first needed (each costs a few milliseconds)."""
    return WorkingCalendar(subdivision, zone, local_name)


def local_time(moment: datetime, departement: str) -> str:
    """A moment as people in ``departement`` read it: « 01/12/2026 à 11:00, heure de La Réunion »,
    or as in Paris where the time is Paris's. A deadline counted in local hours is told in them."""
    place = calendar(departement)
    shown = paris_time(moment, place.zone)
    return f"{shown}, {place.local_name}" if place.local_name else shown


def deadline(start: datetime, hours: float, business_hours: bool = False, departement: str = "") -> datetime:
    """The moment ``hours`` have passed since ``start``.

    With ``business_hours``, only the working hours of an office in ``departement`` count.
    """
    if not business_hours:
        return start + timedelta(hours=hours)
    place = calendar(departement)
    left = timedelta(hours=hours)
    cursor = start.astimezone(place.zone)
    while True:
        cursor = place.next_open(cursor)
        closing = datetime.combine(cursor.date(), CLOSES, place.zone)
        if cursor + left <= closing:
            return (cursor + left).astimezone(start.tzinfo)
        left -= closing - cursor
        cursor = closing
