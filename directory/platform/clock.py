"""The one clock that time-based logic reads, so tests move time instead of sleeping.

Code asks ``clock.now()``; the app and the CLI use the system's time; a test installs a
``ManualClock`` with ``clock.use(...)`` and advances it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current time, timezone-aware (UTC)."""


class SystemClock:
    """The machine's time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | None = None, **units: float) -> datetime:
        """Move forward by ``delta`` or by keyword units (``minutes=5``); returns the new time."""
        self._now += (delta or timedelta()) + timedelta(**units)
        return self._now


_current: Clock = SystemClock()


def now() -> datetime:
    """The current time of the installed clock."""
    return _current.now()


@contextlib.contextmanager
def use(clock: Clock) -> Iterator[Clock]:
    """Install ``clock`` for the duration of the block (tests)."""
    global _current
    previous, _current = _current, clock
    try:
        yield clock
    finally:
        _current = previous
