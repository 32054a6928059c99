"""Lanes of a job worker, and the circuit breaker that lets a lane rest while its server is down.

A lane is a set of tasks with its own loop, its own concurrency and, optionally, a breaker: mail
waiting on a hung SMTP server occupies its own lane, never the one that runs lead deadlines.
The breaker keeps a lane from trying a server that just failed several times in a row: while
it is open the lane claims nothing (the jobs stay ready, their attempts untouched), then it lets
one job through as a probe; the probe's success closes it, its failure opens it for twice as
long (up to ``longest_pause``). Time is read from ``directory.platform.clock``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from directory.platform import clock

CLOSED, OPEN, PROBING = "closed", "open", "probing"


@dataclass
class Breaker:
    """Counts a server's consecutive failures (exceptions of ``trips_on``) and pauses its lane."""

    trips_on: tuple[type[BaseException], ...]
    failures: int = 3  # in a row, before the lane pauses
    first_pause: timedelta = timedelta(seconds=10)
    longest_pause: timedelta = timedelta(minutes=5)
    state: str = field(default=CLOSED, init=False)
    pause: timedelta = field(default=timedelta(0), init=False)
    reopens_at: datetime | None = field(default=None, init=False)
    _failed: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.pause = self.first_pause

    def admits(self, wanted: int) -> int:
        """How many of ``wanted`` jobs the lane may take now: all, one probe, or none."""
        if self.state == OPEN and clock.now() >= self.reopens_at:
            self.state = PROBING
            return 1
        if self.state == CLOSED:
            return wanted
        return 0  # open, or a probe still out

    def unused(self) -> None:
        """The probe the breaker admitted found no job: the next job due is the probe."""
        if self.state == PROBING:
            self.state = OPEN

    def record(self, error: BaseException | None) -> None:
        """Note how a job of the lane ended: ``None`` for a success."""
        if error is None:
            self.state, self.pause, self._failed = CLOSED, self.first_pause, 0
            return
        if not isinstance(error, self.trips_on):
            if self.state == PROBING:  # the probe said nothing about the server: probe again
                self.state = OPEN
            return
        self._failed += 1
        if self.state == PROBING:
            self.pause = min(self.pause * 2, self.longest_pause)
        elif self._failed < self.failures or self.state == OPEN:
            return
        self.state, self.reopens_at = OPEN, clock.now() + self.pause


@dataclass
class Lane:
    """Tasks run apart from the others, ``batch`` claimed at a time and ``concurrency`` at once.

    ``tasks`` None stands for every task that no other lane of the worker names.
    """

    name: str
    tasks: frozenset[str] | None = None
    batch: int = 10
    concurrency: int = 1
    breaker: Breaker | None = None

    def admits(self) -> int:
        """How many jobs the lane may claim now."""
        return self.breaker.admits(self.batch) if self.breaker else self.batch

    def claimed(self, count: int) -> None:
        if self.breaker and not count:
            self.breaker.unused()

    def record(self, error: BaseException | None) -> None:
        if self.breaker:
            self.breaker.record(error)
