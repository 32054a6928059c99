"""Gazetteer figures: load time and memory, lookup and reverse latency, postal-code points.

Run: ``.venv/bin/python bench/geo_bench.py`` (``--accuracy`` also checks every point against
the IGN polygons; that needs ``pip install -e '.[gazetteer-build]'``).
Targets: load < 1 s and < 100 MB; lookups and reverse lookups < 1 ms; a postal code's point
within 1 km (median) and 5 km (95th percentile) of its communes' official centroids.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time

SEED = 42
QUERIES = 20_000

# In a fresh process: the package's modules first, then the data alone is timed and weighed.
LOAD_PROBE = """
import json, resource, time
from geo import Gazetteer
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.perf_counter()
Gazetteer.default()
elapsed = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
print(json.dumps({"seconds": elapsed, "rss_growth_mb": rss / 1024}))
"""


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def timed(label: str, function, arguments: list) -> None:
    samples = []
    for argument in arguments:
        start = time.perf_counter_ns()
        function(*argument)
        samples.append((time.perf_counter_ns() - start) / 1000)
    print(f"{label:<34} p50 {percentile(samples, .5):7.1f} µs   p99 {percentile(samples, .99):7.1f} µs   "
          f"max {max(samples):8.1f} µs   (target p99 < 1000 µs)")


def load_figures() -> None:
    runs = [json.loads(subprocess.run([sys.executable, "-c", LOAD_PROBE], capture_output=True, text=True,
                                      check=True).stdout) for _ in range(3)]
    best = min(runs, key=lambda r: r["seconds"])
    print(f"load: {best['seconds']:.2f} s (target < 1 s), peak memory growth {best['rss_growth_mb']:.0f} MB "
          f"(target < 100 MB), best of {len(runs)} fresh processes")


def latency_figures() -> None:
    from geo import Gazetteer, resolve

    gazetteer = Gazetteer.default()
    rng = random.Random(SEED)
    places = gazetteer.places()
    codes = gazetteer.postal_codes()
    names = [p.name for p in places]
    timed("postal_code(code)", gazetteer.postal_code, [(rng.choice(codes),) for _ in range(QUERIES)])
    timed("commune(insee_code)", gazetteer.commune, [(rng.choice(places).insee_code,) for _ in range(QUERIES)])
    timed("named(name)", gazetteer.named, [(rng.choice(names),) for _ in range(QUERIES)])
    prefixes = [(rng.choice(names)[: rng.randint(2, 8)], 10) for _ in range(QUERIES)]
    timed("search(prefix, 10), warm", gazetteer.search, prefixes)
    timed("search(prefix, 10), first time", lambda text: gazetteer._complete_name.__wrapped__(gazetteer, text, 10),
          [(rng.choice(names)[: rng.randint(3, 8)].lower(),) for _ in range(2_000)])
    timed("resolve(text)", lambda text: resolve(gazetteer, text), [(rng.choice(names + codes),) for _ in range(QUERIES)])
    points = [(rng.uniform(42.5, 50.8), rng.uniform(-4.5, 7.8)) for _ in range(QUERIES)]
    timed("reverse(lat, lon)", gazetteer.reverse, points)


def postal_code_figures(reference: dict[str, tuple[float, float]] | None) -> None:
    from geo import Gazetteer, distance_km, resolve

    gazetteer = Gazetteer.default()
    to_code_point, to_own_point = [], []
    for code in gazetteer.postal_codes():
        found = resolve(gazetteer, code)
        for place in found.places:
            official = reference.get(place.insee_code) if reference else (place.lat, place.lon)
            if official is None:
                continue
            to_code_point.append(distance_km(found.lat, found.lon, *official))
            to_own_point.append(distance_km(place.lat, place.lon, *official))
    source = "IGN polygon centroids" if reference else "the gazetteer's own points"
    print(f"postal codes: {len(gazetteer.postal_codes())}, (code, commune) pairs: {len(to_code_point)}; "
          f"reference: {source}")
    print(f"  commune chosen within its code, point to official centroid: median {statistics.median(to_own_point):.3f} km,"
          f" p95 {percentile(to_own_point, .95):.3f} km (target 1 km / 5 km)")
    print(f"  the code's single point (its largest commune) to each commune's centroid: "
          f"median {statistics.median(to_code_point):.2f} km, p95 {percentile(to_code_point, .95):.2f} km")


def official_centroids() -> dict[str, tuple[float, float]]:
    """Area-weighted centroids recomputed from the IGN polygons, independently of the shipped file."""
    sys.path.insert(0, "scripts")
    import shapely.wkb
    from build_gazetteer import NULL, read

    centroids = {}
    for commune in read("communes"):
        if commune["type"] in ("COM", "ARM") and commune["geometry"] not in (NULL, ""):
            shape = shapely.wkb.loads(bytes.fromhex(commune["geometry"])).centroid
            centroids[commune["code"]] = (shape.y, shape.x)
    return centroids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--accuracy", action="store_true", help="compare with the IGN polygons (slower)")
    arguments = parser.parse_args()
    load_figures()
    latency_figures()
    postal_code_figures(official_centroids() if arguments.accuracy else None)


if __name__ == "__main__":
    main()
