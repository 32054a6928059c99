"""Insights figures: what counting costs /api/search over HTTP, and how fast the pages read the counts.

Run: ``.venv/bin/python bench/insights_bench.py`` (``--providers 100000 --days 730 --leads
1000000`` by default; ``--no-http`` skips the HTTP part, which needs ``wrk`` from Debian, and
``--no-pages`` the pages' part). The pages' engine is the one ``DATABASE_URL`` names, an empty
database (a temporary SQLite file without it): run it once per engine.

Over HTTP (``--http-providers 3000``), two servers of the same database answer the same searches
in the same run, one with the insights plugin (counting on) and one with it disabled (counting
off), both pinned to core 0 and wrk to core 1. ``--rounds`` rounds of one run each, their order
swapped every round so that a drift of the machine cancels out; the median of the rounds' ratios
is printed with its quartiles (target: counting adds at most 3 %). wrk sends a browser's
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
from collections.abc import Awaitable
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

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
PROBE = "bench.writer"  # the network counter the other writer adds to


def over_http(providers: int, seconds: int, rounds: int, port: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="insights-bench-"))
    database = f"sqlite:///{workdir / 'bench.sqlite3'}"
    # No job worker in the servers: the weekly rollup is a job (a worker process of its own in
    # production), and a run of it inside one server would land in one of its rounds.
    env = {**os.environ, "DATABASE_URL": database, "CHANNEL_EXPERT_LOG_LEVEL": "WARNING",
           "CHANNEL_EXPERT_WORKER_IN_APP": "false"}
    subprocess.run([sys.executable, str(ROOT / "bench" / "search_bench_data.py"), str(providers)], env=env,
                   check=True, cwd=ROOT)
    serve = [sys.executable, "-c", "from directory.cli import main; main()", "serve", "--port"]
    # Both servers on core 0 (only one answers at a time), wrk on core 1.
    servers = [subprocess.Popen(["taskset", "-c", "0", *serve, str(port)], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL),
               subprocess.Popen(["taskset", "-c", "0", *serve, str(port + 1)], cwd=ROOT,
                                stdout=subprocess.DEVNULL,
                                env={**env, "CHANNEL_EXPERT_DISABLED_PLUGINS": "plugins.insights"})]
    with running(servers, workdir):
        wait_until_up(f"http://127.0.0.1:{port}/health")
        wait_until_up(f"http://127.0.0.1:{port + 1}/health")
        paths = workdir / "paths.txt"
        paths.write_text("\n".join(search_path(parameters) for parameters, _ in
                                   typical_searches(Gazetteer.default(), QUERIES)) + "\n")
        script = workdir / "paths.lua"
        script.write_text(WRK_SCRIPT % paths + f'wrk.headers["User-Agent"] = "{BROWSER}"\n')
        on, off = (f"http://127.0.0.1:{port}", str(script)), (f"http://127.0.0.1:{port + 1}", str(script))
        wrk(on, 5)  # warm-up: caches, the embedded index, the interpreter's specialisations
        wrk(off, 5)
        runs = []
        for index in range(rounds):  # off then on, then on then off: a drift of the machine cancels out
            order = ((off, servers[1]), (on, servers[0]))
            measured = {target: measure(target, server, seconds) for target, server in order[::1 - 2 * (index % 2)]}
            runs.append((measured[off], measured[on]))
        report(providers, seconds, runs)


class Run(NamedTuple):
    """One wrk run against one server: its throughput, its p99 and the server's CPU time per request."""

    rps: float
    p99_ms: float
    cpu_us: float


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(target: tuple[str, str], server: subprocess.Popen, seconds: int) -> Run:
    """A wrk run, and what it cost the server in CPU time per request served.

    The CPU time per request hardly depends on what else the machine runs (other processes take
    cores, not the server's instructions), where throughput follows every neighbour's load.
    """
    before = cpu_seconds(server.pid)
    rps, p99 = wrk(target, seconds)
    return Run(rps, p99, 1e6 * (cpu_seconds(server.pid) - before) / max(rps * seconds, 1))


def report(providers: int, seconds: int, runs: list[tuple[Run, Run]]) -> None:
    """The cost of counting: the median over rounds of each round's on/off ratio, and its spread."""
    print(f"over HTTP, {providers} providers, {len(runs)} alternating rounds of {seconds} s:", flush=True)
    costs_of = {"throughput": [100 * (off.rps / on.rps - 1) for off, on in runs],
                "CPU per request": [100 * (on.cpu_us / off.cpu_us - 1) for off, on in runs]}
    figures = {"throughput": ("rps", "req/s"), "CPU per request": ("cpu_us", "µs")}
    for label, costs in costs_of.items():
        costs.sort()
        quartiles = statistics.quantiles(costs, n=4) if len(costs) > 1 else [costs[0]] * 3
        median = statistics.median(costs)
        field, unit = figures[label]
        off_value, on_value = (statistics.median(getattr(run[side], field) for run in runs) for side in (0, 1))
        print(f"  {label}: off {off_value:,.0f} {unit}, on {on_value:,.0f} {unit}; counting costs {median:+.1f} % "
              f"(median; quartiles {quartiles[0]:+.1f} to {quartiles[2]:+.1f} %, runs {costs[0]:+.1f} to "
              f"{costs[-1]:+.1f} %); goal ≤ 3 %: {'pass' if median <= 3 else 'FAIL'}", flush=True)
    print(f"  p99 latency: off {statistics.median(off.p99_ms for off, _ in runs):.1f} ms, "
          f"on {statistics.median(on.p99_ms for _, on in runs):.1f} ms", flush=True)


def counting_path(shown: int = 20, times: int = 20_000) -> float:
    """Microseconds of counting's own work per search, in process: the robot check of the edge
    middleware and the search's tally (a page of ``shown`` slugs). Steadier than any HTTP run on
    a shared machine, and compared with the CPU time a search costs the server."""
    tally, slugs = counting.Tally(), [f"prestataire-{index}" for index in range(shown)]
    spent = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(times):
            counting.is_robot(BROWSER)
            tally.note_search(42, slugs)
        spent.append(1e6 * (time.perf_counter() - start) / times)
    print(f"in process, counting per search ({shown} providers shown): median {statistics.median(spent):.1f} µs "
          f"over 5 runs of {times:,}", flush=True)
    return statistics.median(spent)


async def timed(label: str, make, goal_ms: float, times: int = 7) -> None:  # noqa: ANN001 - async, no argument
    await make()  # once first: what a server computes once per process (the populations) is not a view's
    spent = []
    for _ in range(times):
        start = time.perf_counter()
        await make()
        spent.append(1000 * (time.perf_counter() - start))
    median = statistics.median(spent)
    print(f"  {label}: median {median:.0f} ms, worst {max(spent):.0f} ms over {times}; "
          f"goal ≤ {goal_ms:.0f} ms: {'pass' if max(spent) <= goal_ms else 'FAIL'}", flush=True)


async def pages(database_url: str, days: int, leads: int, filled: bool) -> None:
    settings = Settings.from_env({**os.environ, "DATABASE_URL": database_url})
    manager = get_plugin_manager(settings)
    engine, _ = use_database(settings, manager)
    current.enter(start_platform(settings, manager, engine))
    await prepare_database(settings, manager)
    name = settings.database_url.split(":")[0]
    if not filled:
        start = time.perf_counter()
        await insights_bench_data.fill(TODAY, days, leads)
        print(f"{name}: {days} days written in {time.perf_counter() - start:.0f} s", flush=True)
    ids = [row["id"] for row in await Provider.select(Provider.id).order_by(Provider.id)]
    Count = counting.ProviderCount
    offers = await Count.count().where(Count.counter == counting.OFFERED)
    print(f"{name}: {len(ids):,} providers, {await Count.count():,} daily rows ({offers:,} offers)", flush=True)
    if not filled:
        start = time.perf_counter()
        weeks = await rollup.roll_up(TODAY)
        print(f"  rollup catching up {weeks} weeks: {time.perf_counter() - start:.0f} s", flush=True)
    spent, waits = await beside_a_writer(rollup.roll_up(TODAY))
    print(f"  rollup of the current week (each 10-minute run): {spent:.1f} s; another writer meanwhile "
          f"(a row every 50 ms) waited {statistics.median(waits) * 1000:.0f} ms at the median, "
          f"{max(waits) * 1000:.0f} ms at worst", flush=True)
    await timed("a provider's statistics (data of the page)",
                lambda: provider_statistics.of_provider(ids[len(ids) // 2], TODAY), GOAL_MS)
    await timed("the network's dashboard (data of the page)", lambda: network.dashboard(TODAY), GOAL_MS)


async def beside_a_writer(work: Awaitable[Any]) -> tuple[float, list[float]]:
    """How long ``work`` takes while another writer (a quote request, a flush of the counters)
    writes a row every 50 ms, and how long each of its writes waited: on SQLite, the write lock
    ``work`` holds is what they wait for."""
    done, waits = asyncio.Event(), []

    async def writer() -> None:
        while not done.is_set():
            start = time.perf_counter()
            await counting.add_network([(TODAY, PROBE, 1)])
            waits.append(time.perf_counter() - start)
            await asyncio.sleep(0.05)

    task = asyncio.create_task(writer())
    start = time.perf_counter()
    await work
    spent = time.perf_counter() - start
    done.set()
    await task
    return spent, waits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--providers", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--leads", type=int, default=1_000_000, help="lead events spread over the days")
    parser.add_argument("--no-pages", action="store_true", help="time counting over HTTP only")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--filled", action="store_true",
                        help="DATABASE_URL holds a bench database already: time the current week's rollup and the pages")
    parser.add_argument("--http-providers", type=int, default=3000, help="providers of the HTTP part")
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=20, help="rounds of one run off and one on")
    parser.add_argument("--port", type=int, default=8767, help="the counting server's (the other: the next)")
    arguments = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="insights-pages-"))
    database_url = os.environ.get("DATABASE_URL", f"sqlite:///{workdir / 'bench.sqlite3'}")
    try:
        if not arguments.no_pages:
            if not arguments.filled:
                subprocess.run([sys.executable, str(ROOT / "bench" / "search_bench_data.py"),
                                str(arguments.providers)],
                               env={**os.environ, "DATABASE_URL": database_url}, check=True, cwd=ROOT)
            asyncio.run(pages(database_url, arguments.days, arguments.leads, arguments.filled))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    counting_path()
    if not arguments.no_http:
        over_http(arguments.http_providers, arguments.seconds, arguments.rounds, arguments.port)


if __name__ == "__main__":
    main()
