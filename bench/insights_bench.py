"""Insights figures: what counting costs /api/search over HTTP, and how fast the pages read the counts.

Run: ``.venv/bin/python bench/insights_bench.py`` (``--providers 3000 --days 730`` by default;
``--no-http`` skips the HTTP part, which needs ``wrk`` from Debian).

Over HTTP, two servers of the same database answer the same searches in the same run, one with
the insights plugin (counting on) and one with it disabled (counting off); short runs alternate
and the median ratio is printed (target: counting adds at most 3 %). wrk sends a browser's
User-Agent, or the robot filter would count nothing.

In process, the database is filled with ``--providers`` providers and ``--days`` days of
synthetic daily counts (appearances and visits on most days, offers on some), then a provider's
statistics page data and the network's dashboard data are timed (target: 200 ms at 100,000
providers, two years). The engine is the one ``DATABASE_URL`` names (a temporary SQLite file
without it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from search_bench import QUERIES, WRK_SCRIPT, running, search_path, typical_searches, wait_until_up, wrk

from directory.platform import current
from directory.platform.services import prepare_database, start_platform, use_database
from directory.plugin_manager import get_plugin_manager
from directory.settings import Settings
from directory.tables import Provider
from geo import Gazetteer
from plugins.insights import counting, network
from plugins.insights import statistics as provider_statistics

ROOT = Path(__file__).resolve().parent.parent
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
TODAY = date(2026, 12, 3)


def over_http(providers: int, seconds: int, rounds: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="insights-bench-"))
    database = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database, "CHANNEL_EXPERT_LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, str(ROOT / "bench" / "search_bench_data.py"), str(providers)], env=env,
                   check=True, cwd=ROOT)
    serve = [sys.executable, "-c", "from directory.cli import main; main()", "serve", "--port"]
    servers = [subprocess.Popen(["taskset", "-c", "0", *serve, "8767"], env=env, cwd=ROOT, stdout=subprocess.DEVNULL),
               subprocess.Popen(["taskset", "-c", "0", *serve, "8768"], cwd=ROOT, stdout=subprocess.DEVNULL,
                                env={**env, "CHANNEL_EXPERT_DISABLED_PLUGINS": "plugins.insights"})]
    with running(servers, workdir):
        wait_until_up("http://127.0.0.1:8767/health")
        wait_until_up("http://127.0.0.1:8768/health")
        paths = workdir / "paths.txt"
        paths.write_text("\n".join(search_path(parameters) for parameters, _ in
                                   typical_searches(Gazetteer.default(), QUERIES)) + "\n")
        script = workdir / "paths.lua"
        script.write_text(WRK_SCRIPT % paths + f'wrk.headers["User-Agent"] = "{BROWSER}"\n')
        on, off = ("http://127.0.0.1:8767", str(script)), ("http://127.0.0.1:8768", str(script))
        wrk(on, 2)  # warm-up
        wrk(off, 2)
        runs = [(wrk(off, seconds), wrk(on, seconds)) for _ in range(rounds)]
        costs = sorted(100 * (off_run[0] / on_run[0] - 1) for off_run, on_run in runs)
        print(f"over HTTP, {providers} providers, {rounds} alternating runs of {seconds} s: counting off "
              f"{statistics.median(r[0][0] for r in runs):,.0f} req/s, on {statistics.median(r[1][0] for r in runs):,.0f}"
              f" req/s (p99 {statistics.median(r[1][1] for r in runs):.1f} ms); counting costs "
              f"{statistics.median(costs):+.1f} % (runs from {costs[0]:+.1f} to {costs[-1]:+.1f} %; target ≤ 3 %)")


async def fill(days: int, seed: int = 7) -> list[int]:
    """Synthetic daily counts for every provider: the rows a long-running site would hold."""
    ids = [row["id"] for row in await Provider.select(Provider.id)]
    chance = random.Random(seed)
    rows = []
    for provider_id in ids:
        for back in range(days):
            day = TODAY - timedelta(days=back)
            if chance.random() < 0.7:
                rows.append((provider_id, day, counting.SHOWN, chance.randint(1, 40)))
            if chance.random() < 0.3:
                rows.append((provider_id, day, counting.VISITS, chance.randint(1, 5)))
            if chance.random() < 0.03:
                rows.append((provider_id, day, counting.OFFERED, 1))
        if len(rows) > 20_000:
            await counting.add(rows)
            rows = []
    await counting.add(rows)
    await counting.add_network([(TODAY - timedelta(days=back), counter, 10) for back in range(days)
                                for counter in (counting.RECEIVED, counting.OFFERED, counting.SEARCHES)])
    return ids


async def timed(label: str, make, times: int = 5) -> None:  # noqa: ANN001 - an async function of nothing
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        await make()
        spent.append(1000 * (time.perf_counter() - start))
    print(f"  {label}: median {statistics.median(spent):.0f} ms, worst {max(spent):.0f} ms over {times}")


async def pages(database_url: str, days: int) -> None:
    settings = Settings.from_env({**os.environ, "DATABASE_URL": database_url})
    manager = get_plugin_manager(settings)
    engine, _ = use_database(settings, manager)
    current.enter(start_platform(settings, manager, engine))
    await prepare_database(settings, manager)
    start = time.perf_counter()
    ids = await fill(days)
    rows = await counting.ProviderCount.count()
    print(f"in process, {settings.database_url.split(':')[0]}, {len(ids)} providers, {days} days: "
          f"{rows:,} daily rows written in {time.perf_counter() - start:.0f} s")
    await timed("a provider's statistics", lambda: provider_statistics.of_provider(ids[len(ids) // 2], TODAY))
    await timed("the network's dashboard", lambda: network.dashboard(TODAY))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--providers", type=int, default=3000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=6, help="alternating off/on runs")
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="insights-pages-"))
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    subprocess.run([sys.executable, str(ROOT / "bench" / "search_bench_data.py"), str(arguments.providers)],
                   env={**os.environ, "DATABASE_URL": database_url}, check=True, cwd=ROOT)
    try:
        asyncio.run(pages(database_url, arguments.days))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if not arguments.no_http:
        over_http(arguments.providers, arguments.seconds, arguments.rounds)


if __name__ == "__main__":
    main()
