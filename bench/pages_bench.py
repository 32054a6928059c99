"""Every kind of route over HTTP against a plain Litestar app: the fixed cost of a request, and
the pages that read the database.

Run: ``.venv/bin/python bench/pages_bench.py`` (needs ``wrk`` from Debian; ``--checkout DIR``
serves another checkout of the directory, for before/after figures). The directory runs as
``channel-expert serve`` does, on the demo network (``channel-expert seed``, SQLite), pinned to
core 0; the yardstick is ``bare_app.py`` in a process of its own, on the same core; wrk runs
on core 1 with 8 connections. Each route alternates short runs with the bare app's and prints
its median share of the bare app's requests per second, its p99, and whether it reaches the
share it aims at.

Measured on the 2-core development machine (2 rounds of 2 s, the machine shared with other
work, bare app ~20,000 req/s), before and after public pages and API reads came from memory
(``directory.platform.cache``; wrk's requests carry no cookie, as a first visit):

    route                          before req/s (share)   after req/s (share)
    robots.txt                      6,999 (0.35)           6,884 (0.40)
    catalogue                       3,021 (0.15)          23,098 (1.15)
    a provider's record               861 (0.05)          22,036 (1.04)
    the first page of the listing     311 (0.02)          18,239 (0.89)
    a provider's page                 417 (0.02)          18,905 (0.93)
    the home page                     251 (0.01)          17,102 (0.78)
    a results page                    546 (0.03)             642 (0.03)

Answers from memory skip routing and the framework's middleware but not the edge (request id,
security headers, access log, ETag), hence shares near 1. Then robots.txt and the sitemap came
from memory too, and every plugin joined (reviews, statistics): robots.txt 22,264 (1.07), the
catalogue 20,645 (1.07), a record 18,433 (0.99), the listing 14,004 (0.78), a provider's page
16,920 (0.97), the home page 14,391 (0.83), a results page 498 (0.03), a search over the API
built each time 2,709 (0.155), bare app 15,783. Still under their goals: requests that are
built (the framework's middleware, sessions, CSRF, compression) and a results page's template.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import running, wait_until_up, wrk  # noqa: E402 - a script beside this one

ROOT = Path(__file__).resolve().parent.parent
SLUG = "{slug}"
# (what is measured, path, the share of the bare app it aims at, p99 goal in ms or None)
ROUTES = [
    ("robots.txt", "/robots.txt", 0.8, None),
    ("catalogue", "/api/services", 0.5, None),
    ("a provider's record", f"/api/providers/{SLUG}", 0.5, None),
    ("the first page of the listing", "/api/providers?limit=20", 0.25, 15),
    ("a provider's page", f"/prestataires/{SLUG}", 0.25, 15),
    ("the home page", "/", 0.25, 15),
    ("a results page", "/recherche?q=site+vitrine&near=29000", 0.25, 15),
    ("a search over the API (built)", "/api/search?q=site+vitrine&near=29000", 0.4, 10),
]


def measure(checkout: Path, seconds: int, rounds: int) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite3'}",
           "CHANNEL_EXPERT_LOG_LEVEL": "WARNING", "CHANNEL_EXPERT_WORKER_IN_APP": "false"}
    command = [sys.executable, "-c", "from directory.cli import main; main()"]
    subprocess.run([*command, "seed", "--yes"], env=env, cwd=checkout, check=True, capture_output=True)
    servers = [subprocess.Popen(["taskset", "-c", "0", *command, "serve", "--port", "8765"], env=env, cwd=checkout,
                                stdout=subprocess.DEVNULL),
               subprocess.Popen(["taskset", "-c", "0", sys.executable, str(ROOT / "bench" / "bare_app.py"), "8766"])]
    with running(servers, workdir):
        wait_until_up("http://127.0.0.1:8765/health")
        wait_until_up("http://127.0.0.1:8766/")
        listing = subprocess.run(["curl", "-sf", "http://127.0.0.1:8765/api/providers?limit=1"],
                                 capture_output=True, text=True, check=True).stdout
        slug = listing.split('"slug":"', 1)[1].split('"', 1)[0]
        bare = ("http://127.0.0.1:8766/", None)
        print(f"{'route':<32} {'req/s':>8} {'share':>7} {'goal':>6} {'p99 ms':>8}")
        for name, path, goal, p99_goal in ROUTES:
            route = (f"http://127.0.0.1:8765{path.replace(SLUG, slug)}", None)
            wrk(route, 1)  # warm-up
            runs = [(wrk(bare, seconds), wrk(route, seconds)) for _ in range(rounds)]
            share = statistics.median(page[0] / yardstick[0] for yardstick, page in runs)
            rps, p99 = statistics.median(page[0] for _, page in runs), statistics.median(page[1] for _, page in runs)
            met = share >= goal and (p99_goal is None or p99 <= p99_goal)
            print(f"{name:<32} {rps:>8,.0f} {share:>7.3f} {goal:>6.2f} {p99:>8.1f}  {'atteint' if met else 'MANQUÉ'}")
        print(f"bare app: {statistics.median(wrk(bare, seconds)[0] for _ in range(3)):,.0f} req/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=4, help="alternating bare/route runs per route")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the directory's checkout to serve")
    arguments = parser.parse_args()
    measure(arguments.checkout.resolve(), arguments.seconds, arguments.rounds)


if __name__ == "__main__":
    main()
