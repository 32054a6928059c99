"""What /metrics costs: per request on the hot path, and per scrape.

Per request: ``Metrics.observe`` (what ``Edges`` calls once per answer) over a fixed mix of
route templates, methods and statuses (seed 7). Per scrape: ``Metrics.exposition`` on a SQLite
database holding a few hundred jobs and messages, with the built-in plugins' readings.
Run: ``.venv/bin/python bench/metrics_bench.py``. The request figure should stay around a
few microseconds, about 1 % of the cheapest route's time; a scrape, a few milliseconds.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from directory.platform import mail
from directory.platform.metrics import Metrics
from directory.platform.services import prepare_database, start_platform
from directory.plugin_manager import get_plugin_manager
from directory.settings import Settings

SEED = 7
CALLS = 200_000
ROUTES = ["/", "/api/search", "/recherche", "/prestataires/{slug}", "/compte/connexion", "/devis", None]


def per_request(metrics: Metrics) -> float:
    """Nanoseconds per ``observe``, the median of five runs."""
    chooser = random.Random(SEED)
    calls = [(chooser.choice(ROUTES), chooser.choice(["GET", "GET", "POST", "HEAD"]),
              chooser.choice([200, 200, 200, 303, 404, 429]), chooser.random() / 10) for _ in range(CALLS)]
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for call in calls:
            metrics.observe(*call)
        runs.append((time.perf_counter() - started) / CALLS * 1e9)
    return statistics.median(runs)


async def per_scrape(settings: Settings, metrics: Metrics) -> tuple[float, int]:
    """Milliseconds per scrape (median of 50) and the size of the text."""
    for number in range(300):
        await mail.send(f"membre{number}@example.fr", "mot-de-passe",
                        {"link": "https://exemple.fr/l", "minutes": 60})
    runs, text = [], b""
    for _ in range(50):
        started = time.perf_counter()
        text = await metrics.exposition()
        runs.append((time.perf_counter() - started) * 1000)
    return statistics.median(runs), len(text)


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{folder}/bench.sqlite3", mail_dir=f"{folder}/mail",
                            worker_in_app=False, public_url="http://127.0.0.1:8000")
        manager = get_plugin_manager(settings)
        await prepare_database(settings, manager)
        metrics = Metrics(settings, manager, start_platform(settings, manager).tasks)
        nanoseconds = per_request(metrics)
        milliseconds, size = await per_scrape(settings, metrics)
    print(f"per request: {nanoseconds:,.0f} ns per observe ({CALLS:,} calls, {len(ROUTES)} routes)")
    print(f"per scrape:  {milliseconds:.1f} ms (median of 50, 300 messages waiting), {size:,} bytes of text")


if __name__ == "__main__":
    asyncio.run(main())
