"""Counting what happens to listings, off the request's path, with nothing about who did it.

Searches and visits are counted in memory by the app that served them (``Tally``, one per app
through ``kept``) and written every ``FLUSH_EVERY_S`` by a task of that app, and at its
shutdown: a page never waits for a database write. Each write adds to one row per (provider,
day, counter) with ``INSERT … ON CONFLICT DO UPDATE SET value = value + …``, so several servers
sum their counts and a restart doubles nothing: a count leaves memory when the write that holds
it commits, and comes back to memory if the write fails. A ``kill -9`` loses what the app had
counted since its last write: at most one flush period.

Why a task of each app and not a recurring job: a recurring job runs once per period, in one
worker, which never sees the servers' memory.

A lead's steps (``lead_changed``) are written at once, inside the step's own transaction: the
count commits or rolls back with the step.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from directory.plugin_api import clock, in_pieces, tables, write_transaction
from plugins.insights import answer_times
from plugins.insights.tables import NetworkCount, ProviderCount

PARIS = ZoneInfo("Europe/Paris")
FLUSH_EVERY_S = 60.0
MAX_PENDING = 200_000  # distinct (listing, day, counter) kept between two writes; more are dropped
MAX_PAGES = 20_000  # distinct pages of results noted before they are added up per slug
BATCH = 200  # rows per INSERT statement
SHOWN, VISITS = "shown", "visits"
SEARCHES, SEARCHES_EMPTY = "searches", "searches_empty"
# A lead's steps as counters: an expired offer is one the provider missed.
OFFERED, ACCEPTED, DECLINED, MISSED, RECEIVED, UNASSIGNED = (
    "offered", "accepted", "declined", "missed", "received", "unassigned")
ANSWERED = "answered"  # offers accepted or declined; their times per bucket: ``answer_times``
STEP_COUNTERS = {"offered": OFFERED, "accepted": ACCEPTED, "declined": DECLINED, "expired": MISSED,
                 "received": RECEIVED, "unassigned": UNASSIGNED}
# Robots and scripts that say what they are; a browser always sends a User-Agent.
ROBOT = re.compile(r"bot|crawl|spider|slurp|archiver|fetch|preview|monitor|scan|curl|wget|python|httpx|"
                   r"go-http|java/|libwww|scrapy|headless|lighthouse|facebookexternalhit|^$", re.IGNORECASE)


def by_departement(counter: str, departement: str) -> str:
    """The network counter of ``counter`` in one département: "received@29"."""
    return f"{counter}@{departement}"


@lru_cache(maxsize=4096)
def is_robot(user_agent: str) -> bool:
    """Whether a request comes from a robot or a script by its own account (or tells nothing).

    Remembered per User-Agent: a few browsers' strings make most requests, and the expression
    cost tens of microseconds a request (a tenth of a search's CPU time)."""
    return bool(ROBOT.search(user_agent.strip()))


def today(moment: datetime | None = None) -> date:
    """The day in Paris of ``moment`` (now by default): counters are per French day."""
    return (moment or clock.now()).astimezone(PARIS).date()


class Tally:
    """One app's counts since its last write: per (day, counter) the count of each slug, and the network's.

    A search's page is noted as it is, by identity: the same answer served again from memory
    (most searches) is one more count of the same page, and its slugs are added up once per
    write (``fold``). Noting a search costs a dictionary lookup, where adding its twenty slugs
    each time cost several microseconds, a tenth of what a search answered from memory costs the
    server. Slugs are counted per (day, counter) rather than under (slug, day, counter) keys: a
    page adds its slugs with one ``Counter.update`` over strings, whose hashes Python keeps.
    """

    def __init__(self) -> None:
        self.listings: dict[tuple[date, str], Counter[str]] = {}
        self.network: Counter[tuple[date, str]] = Counter()
        self.pages: dict[tuple[date, int], list] = {}  # (day, id of the page's slugs): [slugs, total, times]
        self._day, self._day_starts, self._day_ends = date.min, None, None

    def note_search(self, total: int, shown: tuple[str, ...]) -> None:
        """A search a person made: one more search (and one more that found nothing), and one
        appearance for each provider on the page."""
        key = (self._today(), id(shown))  # the page is kept below: its id names no other meanwhile
        page = self.pages.get(key)
        if page is None:
            if len(self.pages) >= MAX_PAGES:
                self.fold()
            self.pages[key] = [shown, total, 1]
        else:
            page[2] += 1

    def note_visit(self, slug: str) -> None:
        """A person (not a robot) opened a provider's page."""
        self._note(self._today(), VISITS, (slug,), 1)

    def fold(self) -> None:
        """Add the pages noted into the counts per slug."""
        pages, self.pages = self.pages, {}
        for (day, _), (shown, total, times) in pages.items():
            self.network[(day, SEARCHES)] += times
            if not total:
                self.network[(day, SEARCHES_EMPTY)] += times
            self._note(day, SHOWN, shown, times)

    def _today(self) -> date:
        """``today()``, remembered until the day ends (the clock may be moved back by tests)."""
        now = clock.now()
        if self._day_starts is None or not self._day_starts <= now < self._day_ends:
            self._day = today(now)
            # In UTC, as the clock gives the time: aware times of one zone compare without conversion.
            self._day_starts, self._day_ends = (datetime.combine(day, time(), PARIS).astimezone(UTC)
                                                for day in (self._day, self._day + timedelta(days=1)))
        return self._day

    def _note(self, day: date, counter: str, slugs: Iterable[str], times: int) -> None:
        counts = self.listings.get((day, counter))
        if counts is None:
            counts = self.listings[(day, counter)] = Counter()
        if sum(len(found) for found in self.listings.values()) >= MAX_PENDING:
            slugs = [slug for slug in slugs if slug in counts]  # full: only what is counted goes on
        if times == 1:
            counts.update(slugs)
        else:
            counts.update(dict.fromkeys(slugs, times))

    async def flush(self) -> int:
        """Write the counts (one transaction) and forget them; returns how many rows were added to.

        On failure the counts go back to memory for the next write, and the error propagates."""
        self.fold()
        listings, network, self.listings, self.network = self.listings, self.network, {}, Counter()
        if not listings and not network:
            return 0
        try:
            ids = await _ids({slug for counts in listings.values() for slug in counts})
            rows = [(ids[slug], day, counter, value) for (day, counter), counts in listings.items()
                    for slug, value in counts.items()
                    if slug in ids]  # a slug no listing has (a typed address) counts for nobody
            async with write_transaction(ProviderCount._meta.db):
                await add(rows)
                await add_network([(day, counter, value) for (day, counter), value in network.items()])
        except BaseException:
            for key, counts in listings.items():
                self.listings.setdefault(key, Counter()).update(counts)
            self.network.update(network)
            raise
        return len(rows) + len(network)


async def _ids(slugs: set[str]) -> dict[str, int]:
    Provider, found = tables.Provider, {}
    for piece in in_pieces(sorted(slugs)):
        rows = await Provider.select(Provider.id, Provider.slug).where(Provider.slug.is_in(list(piece)))
        found.update((row["slug"], row["id"]) for row in rows)
    return found


async def add(rows: list[tuple[int, date, str, int]]) -> None:
    """Add each (provider, day, counter, value) to its row, in the caller's transaction."""
    await _upsert(ProviderCount, "provider, day, counter", rows)


async def add_network(rows: list[tuple[date, str, int]]) -> None:
    """Add each (day, counter, value) to the network's row, in the caller's transaction."""
    await _upsert(NetworkCount, "day, counter", rows)


async def _upsert(table: type, key: str, rows: list[tuple]) -> None:
    name = table._meta.tablename
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        width = len(batch[0])
        values = ", ".join("(" + ", ".join(["{}"] * width) + ")" for _ in batch)
        # Only placeholders are formatted in: every value is a parameter.
        await table.raw(f"INSERT INTO {name} ({key}, value) VALUES {values} "  # noqa: S608 - see above
                        f"ON CONFLICT ({key}) DO UPDATE SET value = {name}.value + excluded.value",
                        *(value for row in batch for value in row))


async def lead_stepped(change) -> None:  # noqa: ANN001 - the leads plugin's LeadChange, never imported
    """Count a lead's step for its provider and for the network, in the step's transaction."""
    counter = STEP_COUNTERS.get(change.kind)
    if counter is None:
        return
    day = today(change.at)
    counts = [(counter, 1)]
    if change.kind in ("accepted", "declined") and change.offered_at is not None:
        seconds = max(0, round((change.at - change.offered_at).total_seconds()))
        counts += [(ANSWERED, 1), (answer_times.counter(seconds), 1)]
    if change.kind in (RECEIVED, UNASSIGNED):  # where TPEs ask, and where nobody answers
        counts.append((by_departement(change.kind, change.departement), 1))
    await add_network([(day, name, value) for name, value in counts])
    if change.provider_id is not None:
        await add([(change.provider_id, day, name, value) for name, value in counts])
