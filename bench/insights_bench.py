"""Insights figures: what counting costs /api/search over HTTP, and how fast the pages read the counts.

Run: ``.venv/bin/python bench/insights_bench.py`` (``--providers 100000 --days 730 --leads
1000000`` by default; ``--no-http`` skips the HTTP part, which needs ``wrk`` from Debian, and
``--no-pages`` the pages' part). The pages' engine is the one ``DATABASE_URL`` names, an empty
database (a temporary SQLite file without it): run it once per engine.

Over HTTP, two servers of the same database answer the same searches in the same run, one with
the insights plugin (counting on) and one with it disabled (counting off); short runs alternate
and the median ratio is printed (target: counting adds at most 3 %). wrk sends a browser's
User-Agent, or the robot filter would count nothing.

In process, the database is filled with ``--providers`` providers and ``--days`` days of
synthetic daily counts and ``--leads`` lead events (``insights_bench_data``), the rollup job
sums them into weeks (timed: its catch-up of every week, then one ordinary run), then a
provider's statistics page data and the network's dashboard data are timed, each against its
goal (200 ms at 100,000 providers, two years, a million lead events).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import insights_bench_data
from search_bench import QUERIES, WRK_SCRIPT, running, search_path, typical_searches, wait_until_up, wrk

from directory.platform import current
from directory.platform.services import prepare_database, start_platform, use_database
from directory.plugin_manager import get_plugin_manager
from directory.settings import Settings
from directory.tables import Provider
from geo import Gazetteer
from plugins.insights import counting, network, rollup
from plugins.insights import statistics as provider_statistics

ROOT = Path(__file__).resolve().parent.parent
BROWSER = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
TODAY = date(2026, 12, 3)
GOAL_MS = 200


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


async def timed(label: str, make, goal_ms: float, times: int = 7) -> None:  # noqa: ANN001 - async, no argument
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        await make()
        spent.append(1000 * (time.perf_counter() - start))
    median = statistics.median(spent)
    print(f"  {label}: median {median:.0f} ms, worst {max(spent):.0f} ms over {times}; goal ≤ {goal_ms:.0f} ms: "
          f"{'pass' if max(spent) <= goal_ms else 'FAIL'}", flush=True)


async def pages(database_url: str, days: int, leads: int) -> None:
    settings = Settings.from_env({**os.environ, "DATABASE_URL": database_url})
    manager = get_plugin_manager(settings)
    engine, _ = use_database(settings, manager)
    current.enter(start_platform(settings, manager, engine))
    await prepare_database(settings, manager)
    name = settings.database_url.split(":")[0]
    start = time.perf_counter()
    await insights_bench_data.fill(TODAY, days, leads)
    ids = [row["id"] for row in await Provider.select(Provider.id).order_by(Provider.id)]
    print(f"{name}: {len(ids):,} providers, {days} days, {await counting.ProviderCount.count():,} daily rows "
          f"({await counting.ProviderCount.count().where(counting.ProviderCount.counter == counting.OFFERED):,} "
          f"offers) written in {time.perf_counter() - start:.0f} s", flush=True)
    start = time.perf_counter()
    weeks = await rollup.roll_up(TODAY)
    print(f"  rollup catching up {weeks} weeks: {time.perf_counter() - start:.0f} s", flush=True)
    start = time.perf_counter()
    await rollup.roll_up(TODAY)
    print(f"  rollup of the current week (each 10-minute run): {time.perf_counter() - start:.1f} s", flush=True)
    await timed("a provider's statistics (data of the page)",
                lambda: provider_statistics.of_provider(ids[len(ids) // 2], TODAY), GOAL_MS)
    await timed("the network's dashboard (data of the page)", lambda: network.dashboard(TODAY), GOAL_MS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--providers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--leads", type=int, default=1_000_000, help="lead events spread over the days")
    parser.add_argument("--no-pages", action="store_true", help="time counting over HTTP only")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=6, help="alternating off/on runs")
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="insights-pages-"))
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    try:
        if not arguments.no_pages:
            subprocess.run([sys.executable, str(ROOT / "bench" / "search_bench_data.py"), str(arguments.providers)],
                           env={**os.environ, "DATABASE_URL": database_url}, check=True, cwd=ROOT)
            asyncio.run(pages(database_url, arguments.days, arguments.leads))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    if not arguments.no_http:
        over_http(arguments.providers, arguments.seconds, arguments.rounds)


if __name__ == "__main__":
    main()
