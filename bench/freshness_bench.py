"""Freshness: time from a commit to the change being searchable in every running server.

Two ``channel-expert serve`` processes (embedded search engine) run on one PostgreSQL
database holding the demo network; eight ``channel-expert import`` processes then write 300
new providers each, all at once. Each import's rows carry a word of their own. The bench
polls the database and both servers: an import's commit is the first moment the database
shows its 300 rows, and it is searchable in a server once that server finds all 300 by their
word. Goal: p99 of (searchable - commit) at most 2 s over the 8 imports x 2 servers.

Run: ``.venv/bin/python bench/freshness_bench.py [--database-url postgresql://…]``; the
database (default ``channel_expert_bench`` on 127.0.0.1) is created if missing and emptied.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
import httpx
import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory import exchange
from directory.demo import demo_records
from geo import Gazetteer

SEED = 11
IMPORTS = 8
ROWS = 300
SERVERS = 2
GOAL_S = 2.0
POLL_S = 0.02
GIVE_UP_S = 60.0
# One word per import, far apart so that typo tolerance never mixes them up.
WORDS = ("quokka", "gondolier", "okapi", "wapiti", "narval", "axolotl", "pangolin", "ornithorynque")
COMMAND = [sys.executable, "-c", "from directory.cli import main; main()"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def fresh_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = await asyncpg.connect(url.rsplit("/", 1)[0] + "/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


def write_imports(folder: Path) -> list[Path]:
    """Eight CSV files of 300 new providers, each word in its own file's descriptions."""
    gazetteer = Gazetteer.default()
    rng = random.Random(SEED)
    taken = {record.siret for record in demo_records(gazetteer)}
    pool = [record for record in demo_records(gazetteer, seed=SEED) if record.siret not in taken]
    rng.shuffle(pool)
    files = []
    for number, word in enumerate(WORDS[:IMPORTS]):
        chosen = pool[number * ROWS:(number + 1) * ROWS]
        records = [msgspec.structs.replace(record, trade_name=f"{record.trade_name} {word.title()} {n}",
                                           description=f"{record.description} Mot repère : {word}.")
                   for n, record in enumerate(chosen)]
        path = folder / f"{word}.csv"
        with path.open("w", encoding="utf-8", newline="") as stream:
            exchange.write_csv(records, stream)
        files.append(path)
    return files


def wait_until_up(urls: list[str]) -> None:
    deadline = time.monotonic() + 120
    for url in urls:
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{url} did not start")
            time.sleep(0.2)


async def measure(database_url: str, urls: list[str], imports: list[subprocess.Popen]) -> dict[str, list[float]]:
    """Poll the database and the servers until every import is searchable everywhere."""
    connection = await asyncpg.connect(database_url)
    committed: dict[str, float] = {}
    seen: dict[tuple[str, str], float] = {}
    start = time.monotonic()
    async with httpx.AsyncClient(timeout=5) as http:
        while len(seen) < IMPORTS * len(urls) and time.monotonic() - start < GIVE_UP_S:
            for word in WORDS[:IMPORTS]:
                if word not in committed:
                    rows = await connection.fetchval(
                        "SELECT count(*) FROM provider WHERE description LIKE $1", f"%repère : {word}.%")
                    if rows == ROWS:
                        committed[word] = time.monotonic()
                for url in urls:
                    if (word, url) not in seen:
                        found = (await http.get(f"{url}/api/search", params={"q": word, "limit": 1})).json()
                        if found["total"] >= ROWS:
                            seen[word, url] = time.monotonic()
            await asyncio.sleep(POLL_S)
    await connection.close()
    for process in imports:
        process.wait(timeout=60)
    failed = [process.args[-1] for process in imports if process.returncode != 0]
    if failed or len(seen) < IMPORTS * len(urls):
        raise SystemExit(f"imports failed: {failed}; searchable: {len(seen)} of {IMPORTS * len(urls)}")
    return {url: [seen[word, url] - committed[word] for word in WORDS[:IMPORTS]] for url in urls}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/channel_expert_bench")
    database_url = parser.parse_args().database_url
    asyncio.run(fresh_database(database_url))
    environment = {**os.environ, "DATABASE_URL": database_url, "CHANNEL_EXPERT_LOG_LEVEL": "WARNING",
                   "CHANNEL_EXPERT_ACCESS_LOG": "false"}
    subprocess.run([*COMMAND, "seed", "--yes"], env=environment, check=True, stdout=subprocess.DEVNULL)
    servers = []
    with tempfile.TemporaryDirectory() as folder:
        files = write_imports(Path(folder))
        try:
            urls = []
            for _ in range(SERVERS):
                port = _free_port()
                servers.append(subprocess.Popen([*COMMAND, "serve", "--port", str(port)], env=environment,
                                                stdout=subprocess.DEVNULL))
                urls.append(f"http://127.0.0.1:{port}")
            wait_until_up(urls)
            imports = [subprocess.Popen([*COMMAND, "import", str(path)], env=environment, stdout=subprocess.DEVNULL)
                       for path in files]
            delays = asyncio.run(measure(database_url, urls, imports))
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)
    every = sorted(delay for values in delays.values() for delay in values)
    p99 = every[min(len(every) - 1, round(0.99 * (len(every) - 1)))]
    print(f"{IMPORTS} concurrent imports of {ROWS} rows, {SERVERS} servers, PostgreSQL:")
    for url, values in delays.items():
        print(f"  {url}: " + ", ".join(f"{value:.2f}" for value in sorted(values)) + " s")
    print(f"commit -> searchable: median {statistics.median(every):.2f} s, p99 {p99:.2f} s, max {every[-1]:.2f} s "
          f"(goal p99 <= {GOAL_S:.0f} s: {'met' if p99 <= GOAL_S else 'NOT met'})")


if __name__ == "__main__":
    main()
