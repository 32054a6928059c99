"""Every kind of route over HTTP against a plain Litestar app: the fixed cost of a request, and
the pages that read the database.

Run: ``.venv/bin/python bench/pages_bench.py`` (needs ``wrk`` from Debian; ``--checkout DIR``
serves another checkout of the directory, for before/after figures; ``--postgres URL`` an empty
database, for PostgreSQL's figures beside SQLite's; ``--large`` 100,000 providers instead of the
demo network; ``--only TEXT`` the rows whose name holds it). The directory runs as
``channel-expert serve`` does, pinned to core 0 with the yardstick, ``bare_app.py``, in a process
of its own; wrk runs on core 1 with 8 connections, on ports from 8300. Each row alternates short
runs of the bare app and of the route and prints its median share of the bare app's requests per
second, its p99, its goal and whether it reaches it. Searches come as a mix of 200 (the search
bench's places as codes or names, typos, kinds, services and pages 2 and 3, with sentences, "on
site" and plugins' filters): from memory once each was asked, or built each time (a parameter
no route reads makes each address new).

Measured on the 2-core development machine, the machine shared with other work (load 5 to 8:
the bare app at 3,000-4,000 req/s instead of 15,000-20,000, so every p99 is the queue's), 3
alternating runs of 2 s, before and after results pages and /api/search came from memory:

    route                            before SQLite / PostgreSQL    after SQLite / PostgreSQL
    results pages (mix)              169 (0.064) / 144 (0.055)     4,128 (0.660) / 2,394 (0.626)
    /api/search (mix)                403 (0.227) / 298 (0.399)     2,285 (0.672) / 3,231 (0.676)
    results pages, built each time   109 (0.078) / 244 (0.085)       522 (0.163) /   469 (0.191)
    /api/search, built each time     568 (0.231) / 494 (0.203)       870 (0.387) /   998 (0.322)

(req/s, share of the bare app). At 100,000 providers (``--large --only search``, bare app
2,200 req/s), where PostgreSQL used to fail at start-up (one IN list of every slug): /api/search
from memory 2,415 (0.640, p99 22.6 ms) / 2,526 (0.674, p99 17.2 ms), built each time 535 (0.141)
/ 475 (0.139); results pages (``--only results``, bare app 3,800 req/s) from memory 991 (0.339)
/ 1,394 (0.672), built each time 228 (0.086) / 252 (0.067). The rows built each time run the same code before and after: their difference
is the machine's load between the two runs. Pages from memory skip routing and the framework's
middleware but not the edge (request id, security headers, access log, ETag) nor the observers
of searches.
Earlier figures on a quieter machine (bare app ~15,800 req/s): robots.txt 1.07, the catalogue
1.07, a record 0.99, the listing 0.78, a provider's page 0.97, the home page 0.83. A page built
each time is mostly its template (about 60 % of the time under cProfile, brotli about 10 %, the
search itself 10 %).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from search_bench import WRK_SCRIPT, running, search_path, typical_searches, wait_until_up, wrk  # noqa: E402

from geo import Gazetteer  # noqa: E402 - after the path to the checkout

ROOT = Path(__file__).resolve().parent.parent
SLUG = "{slug}"
RESULTS_MIX, API_MIX = "{results mix}", "{api mix}"  # ~200 searches, as ``mixed_searches`` makes them
BUILT = "&v={random}"  # a parameter no route reads: a new address each time, never answered from memory
# (what is measured, path, the share of the bare app it aims at, p99 goal in ms or None, at 100,000)
ROUTES = [
    ("robots.txt", "/robots.txt", 0.8, None),
    ("catalogue", "/api/services", 0.5, None),
    ("a provider's record", f"/api/providers/{SLUG}", 0.5, None),
    ("the first page of the listing", "/api/providers?limit=20", 0.25, 15),
    ("a provider's page", f"/prestataires/{SLUG}", 0.25, 15),
    ("the home page", "/", 0.25, 15),
    ("results pages, from memory", RESULTS_MIX, 0.25, 15),
    ("/api/search, from memory", API_MIX, (0.4, 0.15), (10, 20)),
    ("results pages, built each time", RESULTS_MIX + BUILT, 0.05, 60),
    ("/api/search, built each time", API_MIX + BUILT, 0.15, 20),
]
SENTENCES = [
    "un site vitrine pour mon restaurant",
    "vendre mes gateaux sur internet",
    "reparer mon ordinateur portable",
    "installer la fibre au bureau",
    "logiciel de caisse boulangerie",
]
PLUGIN_FILTERS = ["avis:Avec avis vérifiés", "badges:Channel Expert certifié"]
MIX_SCRIPT = (
    WRK_SCRIPT.replace('wrk.format("GET", paths[i])', 'wrk.format("GET", paths[i] .. suffix())')
    + """
suffix = function() return %s end
"""
)


def mixed_searches(count: int) -> list[str]:
    """``count`` /api/search addresses: the search bench's mix (places as codes or names, typos, kinds,
    services, pages 2 and 3) with one in five a sentence, one in ten on site only, one in ten on a
    plugin's filter."""
    rng = random.Random(11)
    paths = []
    for parameters, _ in typical_searches(Gazetteer.default(), count):
        path = search_path(parameters)
        if rng.random() < 0.2:
            path = path.replace(
                "q=" + urlencode({"": parameters.q})[1:], urlencode({"q": rng.choice(SENTENCES)}), 1
            )
        if rng.random() < 0.1:
            path += "&on_site=1" if "/api/" not in path else "&on_site=true"
        if rng.random() < 0.1:
            path += "&" + urlencode({"filter": rng.choice(PLUGIN_FILTERS)})
        paths.append(path)
    return paths


def _target(route: str, slug: str, workdir: Path, port: int) -> tuple[str, str | None]:
    """wrk's URL and script for a route: one path, or a mix of searches (with a new address each time)."""
    base = f"http://127.0.0.1:{port}"
    mix, built = route.removesuffix(BUILT), route.endswith(BUILT)
    if mix not in (RESULTS_MIX, API_MIX):
        return base + route.replace(SLUG, slug), None
    paths = mixed_searches(200)
    if mix == RESULTS_MIX:
        paths = [
            path.replace("/api/search?", "/recherche?").replace("on_site=true", "on_site=1") for path in paths
        ]
    if not built:
        for path in paths:  # each search once, as the visitors before the measure did
            with urllib.request.urlopen(base + path) as answer:
                answer.read()
    name = f"{'results' if mix == RESULTS_MIX else 'api'}{'-built' if built else ''}"
    (workdir / f"{name}.txt").write_text("\n".join(paths) + "\n")
    script = workdir / f"{name}.lua"
    script.write_text(
        MIX_SCRIPT % (workdir / f"{name}.txt", '"&v=" .. math.random(1, 2000000000)' if built else '""')
    )
    return base, str(script)


def _serve(checkout: Path, env: dict[str, str], size: int | None, port: int) -> subprocess.Popen:
    """The directory on ``env``'s database filled with the demo network (or ``size`` providers), on core 0."""
    command = [sys.executable, "-c", "from directory.cli import main; main()"]
    filling = (
        [sys.executable, str(ROOT / "bench" / "search_bench_data.py"), str(size)]
        if size
        else [*command, "seed", "--yes"]
    )
    subprocess.run(filling, env=env, cwd=checkout, check=True, capture_output=True)
    return subprocess.Popen(
        ["taskset", "-c", "0", *command, "serve", "--port", str(port)],
        env=env,
        cwd=checkout,
        stdout=subprocess.DEVNULL,
    )


def measure(
    checkout: Path, seconds: int, rounds: int, postgres: str | None, size: int | None, port: int, only: str
) -> None:
    workdir = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    base = {**os.environ, "CHANNEL_EXPERT_LOG_LEVEL": "WARNING", "CHANNEL_EXPERT_WORKER_IN_APP": "false"}
    engines = {
        "SQLite": f"sqlite:///{workdir / 'bench.sqlite3'}",
        **({"PostgreSQL": postgres} if postgres else {}),
    }
    servers = [
        subprocess.Popen(
            ["taskset", "-c", "0", sys.executable, str(ROOT / "bench" / "bare_app.py"), str(port)]
        )
    ]
    ports = {}
    for number, (engine, url) in enumerate(engines.items(), start=1):
        ports[engine] = port + number
        servers.append(_serve(checkout, {**base, "DATABASE_URL": url}, size, ports[engine]))
    large = (size or 0) >= 100_000
    with running(servers, workdir):
        for served in (port, *ports.values()):
            wait_until_up(f"http://127.0.0.1:{served}/" + ("health" if served != port else ""))
        listing = subprocess.run(
            ["curl", "-sf", f"http://127.0.0.1:{port + 1}/api/providers?limit=1"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        slug = listing.split('"slug":"', 1)[1].split('"', 1)[0]
        bare = (f"http://127.0.0.1:{port}/", None)
        print(
            f"{size or 'demo network'} providers; {rounds} alternating runs of {seconds} s (bare app, "
            "route) per row and engine, wrk on core 1, servers on core 0, the machine shared"
        )
        print(
            f"{'route':<32} {'goal':>11}"
            + "".join(f" {engine + ' req/s':>17} {'share':>6} {'p99':>6}      " for engine in engines)
        )
        for name, route, goal, p99_goal in (row for row in ROUTES if only in row[0]):
            goal = goal[large] if isinstance(goal, tuple) else goal
            p99_goal = p99_goal[large] if isinstance(p99_goal, tuple) else p99_goal
            line = f"{name:<32} {goal:>5.2f}/{p99_goal or '-':>3}ms"
            for engine in engines:
                target = _target(route, slug, workdir, ports[engine])
                wrk(target, 1)  # warm-up
                runs = [(wrk(bare, seconds), wrk(target, seconds)) for _ in range(rounds)]
                share = statistics.median(page[0] / yardstick[0] for yardstick, page in runs)
                rps, p99 = (
                    statistics.median(page[0] for _, page in runs),
                    statistics.median(page[1] for _, page in runs),
                )
                met = share >= goal and (p99_goal is None or p99 <= p99_goal)
                line += f" {rps:>17,.0f} {share:>6.3f} {p99:>6.1f} {'atteint' if met else 'MANQUÉ':<7}"
            print(line, flush=True)
        print(f"bare app: {statistics.median(wrk(bare, seconds)[0] for _ in range(3)):,.0f} req/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=4, help="alternating bare/route runs per route")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the directory's checkout to serve")
    parser.add_argument(
        "--postgres", metavar="URL", help="an empty PostgreSQL database: figures side by side"
    )
    parser.add_argument("--large", action="store_true", help="100,000 providers instead of the demo network")
    parser.add_argument(
        "--port", type=int, default=8300, help="the bare app's port; the directory's follow it"
    )
    parser.add_argument("--only", default="", help='the rows whose name holds this text ("search", say)')
    arguments = parser.parse_args()
    measure(
        arguments.checkout.resolve(),
        arguments.seconds,
        arguments.rounds,
        arguments.postgres,
        100_000 if arguments.large else None,
        arguments.port,
        arguments.only,
    )


if __name__ == "__main__":
    main()
