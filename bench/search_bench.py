"""Search figures: the embedded engine in process, then /api/search over HTTP against a bare app.

Run: ``.venv/bin/python bench/search_bench.py`` (add ``--sizes 3000`` for a quick run,
``--no-http`` to skip the HTTP part, which needs ``wrk`` from Debian).
The searches mix what people ask (see ``typical_searches``), planned as the search plugin plans
them ("who serves me" takes two engine queries: those who come, and those who work remotely).
With ``--badge-filter``, one provider in ten holds a badge and every other search over HTTP
filters on it (``filter=badges:…``), as TPEs who want a certified provider do; with
``--rating-filter``, one provider in ten has verified reviews (which also rank every search) and
every other search keeps only providers with reviews (``filter=avis:…``).
Over HTTP, the directory runs as ``channel-expert serve`` does, and the yardstick is a plain
Litestar app in a process of its own (``bare_app.py``), so the ratio includes everything the
directory adds to a request. ``--checkout DIR`` serves another checkout of the directory with the
same searches, for before/after figures.
Targets: in process, p99 < 5 ms at 3,000 providers and < 50 ms at 100,000; over HTTP (servers
on core 0, wrk on core 1, 8 connections), /api/search at least 1/3 of the bare app's requests per
second at 3,000 (p99 < 10 ms) and 1/10 at 100,000. The HTTP figures alternate short bare and
search runs and print the median ratio with the spread of the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory import catalogue, schemas
from directory.demo import demo_records
from geo import Gazetteer, resolve
from plugins.geosearch.documents import INDEX_SETTINGS, base_document
from plugins.geosearch.service import SearchParameters, plan
from search import GeoPoint, SearchQuery, create_backend

SEED = 7
QUERIES = 2000
TEXTS = ["", "", "agence web", "site vitrine", "e-commerce", "agance web", "maintenance informatique",
         "maintenace", "cybersecurite", "referencement naturel", "reseau wifi", "telephonie", "formation"]


def records(count: int, gazetteer: Gazetteer):
    """``count`` demo providers: the demo network, then more networks from further seeds (one per SIRET)."""
    found, seed, sirets = [], 1, set()
    while len(found) < count:
        for record in demo_records(gazetteer, seed=seed):
            if record.siret not in sirets:
                sirets.add(record.siret)
                found.append(record)
        seed += 1
    return found[:count]


def as_provider(record, index: int, gazetteer: Gazetteer) -> schemas.Provider:
    """A provider profile from a demo record, without a database, to build its search document."""
    labels = {s.slug: s.label for s in catalogue.SERVICES}
    place = gazetteer.commune(record.insee_code)
    now = datetime.now(UTC)
    return schemas.Provider(
        slug=f"p{index}", kind=record.kind, legal_name=record.legal_name, trade_name=record.trade_name,
        siret=record.siret, description=record.description, website=record.website, email=record.email,
        phone=record.phone,
        address=schemas.Address(record.street, record.postal_code, record.commune, record.insee_code,
                                record.departement, place.departement_name, record.region, place.region_name),
        latitude=record.latitude, longitude=record.longitude,
        service_area=schemas.ServiceArea(record.service_radius_km, record.service_departements, record.on_site,
                                         record.remote),
        services=[schemas.ServiceRef(s, labels[s]) for s in record.services], sectors=record.sectors,
        team_size=record.team_size, languages=record.languages, year_founded=record.year_founded,
        logo_url=record.logo_url, state=record.state, created_at=now, updated_at=now, url=f"/prestataires/p{index}",
    )


def documents(count: int, gazetteer: Gazetteer) -> list[dict]:
    built = []
    for index, record in enumerate(records(count, gazetteer)):
        document = {"id": f"p{index}"}
        base_document(as_provider(record, index, gazetteer), document)
        built.append(document)
    return built


def typical_searches(gazetteer: Gazetteer, count: int) -> list[tuple[SearchParameters, str]]:
    """What people ask, with the place as they type it: a postal code or a commune name.

    Text (sometimes none, sometimes misspelt), "who serves me" (two in three) or within 30 km,
    kinds and services, and page 2 or 3 now and then. Places are weighted by population.
    """
    rng = random.Random(SEED)
    places = [p for p in gazetteer.places() if p.kind != "city" and p.postal_codes]
    searches = []
    for place in rng.choices(places, weights=[p.population + 1 for p in places], k=count):
        near = place.postal_codes[0] if rng.random() < 0.6 else place.name
        parameters = SearchParameters(
            q=rng.choice(TEXTS), near=near, radius_km=30 if rng.random() < 1 / 3 else None,
            kind=rng.choice([None, None, "web_agency", "reseller"]),
            services=(rng.choice(sorted(catalogue.SERVICE_SLUGS)),) if rng.random() < 0.2 else (),
            page=rng.choice([1, 1, 1, 1, 1, 1, 1, 2, 2, 3]),
        )
        searches.append((parameters, place.departement))
    return searches


def engine_queries(gazetteer: Gazetteer, searches) -> list[list[SearchQuery]]:
    """The engine queries of each search, as the search plugin plans them."""
    planned = []
    for parameters, departement in searches:
        resolution = resolve(gazetteer, parameters.near)
        steps = plan(parameters, GeoPoint(resolution.lat, resolution.lon), departement)
        planned.append([steps.query] + ([steps.remote_only] if steps.remote_only else []))
    return planned


def search_path(parameters: SearchParameters) -> str:
    """The /api/search address of a search."""
    query = [("q", parameters.q), ("near", parameters.near)]
    query += [("radius_km", str(parameters.radius_km))] if parameters.radius_km else []
    query += [("kind", parameters.kind)] if parameters.kind else []
    query += [("services", service) for service in parameters.services]
    query += [("page", str(parameters.page))] if parameters.page > 1 else []
    return "/api/search?" + urlencode(query)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def in_process(size: int, gazetteer: Gazetteer) -> None:
    docs = documents(size, gazetteer)
    backend = create_backend("embedded")
    await backend.configure(INDEX_SETTINGS)
    started = time.perf_counter()
    await backend.rebuild(docs)
    built = time.perf_counter() - started
    gc.collect()
    gc.freeze()  # as the app does once started (see directory.app)
    searches = engine_queries(gazetteer, typical_searches(gazetteer, QUERIES))
    for queries in searches[:200]:  # warm the typo cache as a running server would be
        for query in queries:
            await backend.search(query)
    samples, hits = [], []
    for queries in searches:
        started = time.perf_counter()
        results = [await backend.search(query) for query in queries]
        samples.append((time.perf_counter() - started) * 1000)
        hits.append(results[0].total)
    target = 5 if size <= 3000 else 50
    print(f"in process, {size:>7} providers: index built in {built:.1f} s; p50 {statistics.median(samples):.2f} ms, "
          f"p99 {percentile(samples, .99):.2f} ms, max {max(samples):.1f} ms (target p99 < {target} ms); "
          f"median {statistics.median(hits):.0f} hits per query")


WRK_SCRIPT = """
local paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
"""


def wrk(url_or_script: tuple[str, str | None], seconds: int) -> tuple[float, float]:
    """Requests per second and p99 latency (ms), wrk pinned to core 1."""
    url, script = url_or_script
    command = ["taskset", "-c", "1", "wrk", "-t1", "-c8", f"-d{seconds}s", "--latency"]
    if script:
        command += ["-s", script]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output)[1])
    value, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", output).groups()
    p99 = float(value) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    return rps, p99


# What the data script adds, the filter every other HTTP search then carries, and how the figures say it.
FILTERS = {"badge": ("--badges", urlencode([("filter", "badges:Channel Expert certifié")]), "a badge"),
           "rating": ("--reviews", urlencode([("filter", "avis:Avec avis vérifiés")]), "verified reviews")}


def wait_until_up(url: str) -> None:
    for _ in range(600):
        if subprocess.run(["curl", "-sf", url], capture_output=True, check=False).returncode == 0:
            return
        time.sleep(0.5)
    raise SystemExit(f"{url} never answered")


@contextlib.contextmanager
def running(servers: list[subprocess.Popen], workdir: Path) -> Iterator[None]:
    """Stop the servers and remove the work folder once the block ends, however it ends."""
    try:
        yield
    finally:
        for server in servers:
            server.terminate()
            server.wait()
        shutil.rmtree(workdir, ignore_errors=True)


def over_http(size: int, gazetteer: Gazetteer, seconds: int, rounds: int, checkout: Path,
              filtered: str = "") -> None:
    """``filtered``: a key of ``FILTERS``, or "" for the searches alone."""
    data_option, extra, named = FILTERS[filtered] if filtered else ("", "", "")
    workdir = Path(tempfile.mkdtemp(prefix="search-bench-"))
    database = f"sqlite:///{workdir / 'bench.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database, "CHANNEL_EXPERT_LOG_LEVEL": "WARNING"}
    subprocess.run([sys.executable, str(checkout / "bench" / "search_bench_data.py"), str(size),
                    *([data_option] if data_option else [])], env=env, check=True, cwd=checkout)
    # The checkout's own package, not the one installed: ``python -c`` puts the working folder first.
    serve = [sys.executable, "-c", "from directory.cli import main; main()", "serve", "--port", "8765"]
    bare_app = [sys.executable, str(Path(__file__).with_name("bare_app.py")), "8766"]
    servers = [subprocess.Popen(["taskset", "-c", "0", *serve], env=env, cwd=checkout,
                                stdout=subprocess.DEVNULL),
               subprocess.Popen(["taskset", "-c", "0", *bare_app], cwd=ROOT)]
    with running(servers, workdir):
        wait_until_up("http://127.0.0.1:8765/health")
        wait_until_up("http://127.0.0.1:8766/")
        paths = workdir / "paths.txt"
        lines = [search_path(parameters) + (f"&{extra}" if extra and number % 2 else "")
                 for number, (parameters, _) in enumerate(typical_searches(gazetteer, QUERIES))]
        paths.write_text("\n".join(lines) + "\n")
        script = workdir / "paths.lua"
        script.write_text(WRK_SCRIPT % paths)
        bare, search = ("http://127.0.0.1:8766/", None), ("http://127.0.0.1:8765", str(script))
        wrk(bare, 2)  # warm-up
        wrk(search, 2)
        # This machine's speed drifts by tens of percent within a minute: alternate short runs
        # and compare each search run with the bare run just before it.
        runs = [(wrk(bare, seconds), wrk(search, seconds)) for _ in range(rounds)]
        ratios = sorted(bare_run[0] / search_run[0] for bare_run, search_run in runs)
        target = 3 if size <= 3000 else 10
        print(f"over HTTP, {size:>7} providers{f' (half the searches filter on {named})' if named else ''}, "
              f"{rounds} alternating runs of {seconds} s: bare app "
              f"{statistics.median(b[0] for b, _ in runs):,.0f} req/s (p99 {statistics.median(b[1] for b, _ in runs):.1f} ms); "
              f"/api/search {statistics.median(s[0] for _, s in runs):,.0f} req/s "
              f"(p99 {statistics.median(s[1] for _, s in runs):.1f} ms, worst {max(s[1] for _, s in runs):.1f} ms); "
              f"ratio 1/{statistics.median(ratios):.2f} (runs from 1/{ratios[0]:.2f} to 1/{ratios[-1]:.2f}; "
              f"target better than 1/{target})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="3000,100000")
    parser.add_argument("--no-http", action="store_true")
    parser.add_argument("--seconds", type=int, default=3, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=10, help="alternating bare/search runs per size")
    parser.add_argument("--badge-filter", action="store_true", help="half the HTTP searches filter on a badge")
    parser.add_argument("--rating-filter", action="store_true",
                        help="verified reviews for one provider in ten, and half the HTTP searches filter on them")
    parser.add_argument("--checkout", type=Path, default=ROOT,
                        help="the directory's checkout to serve over HTTP")
    arguments = parser.parse_args()
    gazetteer = Gazetteer.default()
    sizes = [int(size) for size in arguments.sizes.split(",")]
    for size in sizes:
        asyncio.run(in_process(size, gazetteer))
    if not arguments.no_http:
        for size in sizes:
            over_http(size, gazetteer, arguments.seconds, arguments.rounds, arguments.checkout.resolve(),
                      "badge" if arguments.badge_filter else "rating" if arguments.rating_filter else "")


if __name__ == "__main__":
    main()
