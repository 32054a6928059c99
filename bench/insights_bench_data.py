"""Two years of daily counts and a million lead events for every provider of the bench database,
written by the database itself (``INSERT … SELECT``): tens of millions of rows in minutes.

The figures follow a fixed hash of (provider, day, counter) rather than a random generator, so
that both engines get the same rows run after run: appearances on 70 % of days (1 to 40),
visits on 30 % (1 to 5), and lead events spread evenly (each an offer accepted, declined or
missed, answered after 6 minutes to 3 days), summed into the network's counts with the
requests per département.
"""

from __future__ import annotations

from datetime import date, timedelta

from directory.tables import Provider
from plugins.insights import answer_times, counting
from plugins.insights.tables import NetworkCount

# A hash of a provider, a day and a salt, in 0..999_999: integer arithmetic both engines compute alike.
HASH = "(((p.id * 7919 + d.n * 104729 + {salt}) * 2654435761) % 1000003)"
SEARCHES_A_DAY, EMPTY_A_DAY = 10_000, 300
# Built again once the rows are in: maintaining them row by row is what slows a bulk load.
INDEXES = {
    "provider_count_key": "CREATE UNIQUE INDEX provider_count_key ON provider_count (provider, day, counter)",
    "provider_count_day": "CREATE INDEX provider_count_day ON provider_count (day, provider, counter, value)",
}


def _hash(salt: int) -> str:
    return HASH.format(salt=salt)


async def fill(today: date, days: int, leads: int) -> None:
    """Write the counts of ``days`` days ending ``today``, with about ``leads`` lead events."""
    run = Provider.raw
    await run("DROP TABLE IF EXISTS bench_day")
    await run("CREATE TABLE bench_day (n INTEGER PRIMARY KEY, day DATE NOT NULL)")
    for start in range(0, days, 200):
        batch = range(start, min(start + 200, days))
        await run("INSERT INTO bench_day (n, day) VALUES " + ", ".join("({}, {})" for _ in batch),
                  *(value for n in batch for value in (n, today - timedelta(days=n))))
    providers = await Provider.count()
    for name in INDEXES:
        await run(f"DROP INDEX {name}")
    per_million = round(1_000_000 * leads / max(providers * days, 1))
    rows = "INSERT INTO provider_count (provider, day, counter, value) SELECT p.id, d.day, "
    pairs = "FROM provider p CROSS JOIN bench_day d WHERE "
    await run(f"{rows}{{}}, 1 + {_hash(1)} % 40 {pairs}{_hash(2)} < 700000", counting.SHOWN)  # noqa: S608
    await run(f"{rows}{{}}, 1 + {_hash(3)} % 5 {pairs}{_hash(4)} < 300000", counting.VISITS)  # noqa: S608
    lead = f"{_hash(5)} < {per_million}"
    outcome = f"{_hash(6)} % 100"
    await run(f"{rows}{{}}, 1 {pairs}{lead}", counting.OFFERED)  # noqa: S608
    for counter, where in ((counting.ACCEPTED, f"{outcome} < 60"),
                           (counting.DECLINED, f"{outcome} BETWEEN 60 AND 84"),
                           (counting.MISSED, f"{outcome} >= 85"), (counting.ANSWERED, f"{outcome} < 85")):
        await run(f"{rows}{{}}, 1 {pairs}{lead} AND {where}", counter)  # noqa: S608
    # Answers after 6 minutes to 3 days: buckets 18 to 67.
    bucket = f"CAST({{}} AS VARCHAR(10)) || CAST(18 + {_hash(7)} % 50 AS VARCHAR(4))"
    await run(f"{rows}{bucket}, 1 {pairs}{lead} AND {outcome} < 85", answer_times.PREFIX)  # noqa: S608
    await run("DROP TABLE bench_day")
    for index in INDEXES.values():
        await run(index)
    await _network(today, days)


async def _network(today: date, days: int) -> None:
    """The network's counts of the same days: the providers' lead steps summed, requests per
    département of the provider offered them, and the searches of a busy site."""
    await NetworkCount.raw(
        "INSERT INTO network_count (day, counter, value) SELECT day, counter, SUM(value) FROM provider_count "
        "WHERE counter IN ({}, {}, {}, {}, {}) OR counter LIKE {} GROUP BY day, counter",
        counting.OFFERED, counting.ACCEPTED, counting.DECLINED, counting.MISSED, counting.ANSWERED,
        f"{answer_times.PREFIX}%")
    await NetworkCount.raw(
        "INSERT INTO network_count (day, counter, value) "
        "SELECT c.day, CAST({} AS VARCHAR(10)) || p.departement, SUM(c.value) "
        "FROM provider_count c JOIN provider p ON p.id = c.provider WHERE c.counter = {} "
        "GROUP BY c.day, p.departement", f"{counting.RECEIVED}@", counting.OFFERED)
    await counting.add_network([(today - timedelta(days=back), counter, value) for back in range(days)
                                for counter, value in ((counting.SEARCHES, SEARCHES_A_DAY),
                                                       (counting.SEARCHES_EMPTY, EMPTY_A_DAY))])
    await NetworkCount.raw(
        "INSERT INTO network_count (day, counter, value) SELECT day, {}, SUM(value) FROM network_count "
        "WHERE counter = {} GROUP BY day", counting.RECEIVED, counting.OFFERED)
