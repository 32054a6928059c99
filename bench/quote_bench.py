"""Quote requests under load: searches on ``/recherche`` and a provider import running beside them.

Run: ``.venv/bin/python bench/quote_bench.py`` (SQLite, a fresh file), or with
``--database-url postgresql://…`` (an empty database of its own: the bench seeds it). ``wrk``
comes from Debian. ``--checkout DIR`` serves another checkout, for before/after figures.

The directory runs as ``channel-expert serve`` does, pinned to core 0, on the demo network.
On core 1: wrk sends searches to ``/recherche`` (8 connections), an ``import`` of
``--rows`` providers runs again and again (the first run creates them, later runs update
them), and quote requests go through the real form, one a second: each page's CSRF token
and stamp, then a post that counts its rate limits and routes the request. Goals: no 5xx,
p99 ≤ 2 s on SQLite and ≤ 1 s on PostgreSQL. Prints p50/p99/max of the posts, their
statuses, the imports' durations and exit codes, and the server log's "database is locked".
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx

from bench.leads_bench import _environment, _forms
from bench.search_bench import WRK_SCRIPT, percentile, records, search_path, typical_searches, wait_until_up
from directory import exchange
from directory.demo import demo_records
from geo import Gazetteer

PORT = 9150
MIN_FILL_S = 5  # the form's minimum fill time (directory.form_stamps)


def import_file(folder: Path, rows: int, gazetteer: Gazetteer) -> Path:
    """``rows`` providers that the demo network does not hold, as the import reads them."""
    demo = len(demo_records(gazetteer))
    path = folder / "import.csv"
    with path.open("w", encoding="utf-8") as stream:
        exchange.write_csv(records(demo + rows, gazetteer)[demo:], stream)
    return path


class Imports(threading.Thread):
    """``channel-expert import`` again and again on core 1 until stopped: durations and exit codes."""

    def __init__(self, command: list[str], environment: dict[str, str], checkout: Path, path: Path) -> None:
        super().__init__(daemon=True)
        self.command, self.environment, self.checkout, self.path = command, environment, checkout, path
        self.stopping = threading.Event()
        self.runs: list[tuple[float, int]] = []

    def run(self) -> None:
        while not self.stopping.is_set():
            started = time.perf_counter()
            done = subprocess.run(["taskset", "-c", "1", *self.command, "import", str(self.path)],
                                  env=self.environment, cwd=self.checkout, capture_output=True, check=False)
            self.runs.append((time.perf_counter() - started, done.returncode))


async def quote_requests(forms: list[dict[str, str]],
                         cookies: dict[str, str]) -> list[tuple[float, int | str]]:
    """Post each form one second after the previous one started: (seconds, status or error) each."""
    answers: list[tuple[float, int | str]] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=60) as client:
        client.cookies.update(cookies)

        async def send(form: dict[str, str]) -> None:
            started = time.perf_counter()
            try:
                status: int | str = (await client.post("/devis", data=form)).status_code
            except httpx.HTTPError as error:
                status = type(error).__name__
            answers.append((time.perf_counter() - started, status))

        tasks = []
        for form in forms:
            tasks.append(asyncio.create_task(send(form)))
            await asyncio.sleep(1)
        await asyncio.gather(*tasks)
    return answers


async def prepared_forms(count: int) -> tuple[list[dict[str, str]], dict[str, str]]:
    """``count`` forms filled from their own pages, once their minimum fill time has passed."""
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{PORT}", timeout=60) as client:
        forms = await _forms(client, count)
        cookies = dict(client.cookies)
    run = time.strftime("%H%M%S")  # addresses of their own: a database used before keeps its counts
    for number, form in enumerate(forms):
        form["contact_email"] = f"devis{number}.{run}@charge.example"
    await asyncio.sleep(MIN_FILL_S)
    return forms, cookies


def search_script(folder: Path, gazetteer: Gazetteer) -> Path:
    paths = folder / "paths.txt"
    paths.write_text("\n".join(search_path(parameters).replace("/api/search", "/recherche")
                               for parameters, _ in typical_searches(gazetteer, 2000)) + "\n")
    script = folder / "paths.lua"
    script.write_text(WRK_SCRIPT % paths)
    return script


def run(database_url: str, quotes: int, rows: int, checkout: Path, loads: set[str]) -> None:
    gazetteer = Gazetteer.default()
    folder = Path(tempfile.mkdtemp(prefix="quote-bench-"))
    url = database_url or f"sqlite:///{folder / 'bench.sqlite3'}"
    environment = {**_environment(url, folder), "CHANNEL_EXPERT_LOG_LEVEL": "WARNING"}
    # The checkout's own package, not the one installed: ``python -c`` puts the working folder first.
    command = [sys.executable, "-c", "from directory.cli import main; main()"]
    subprocess.run([*command, "seed", "--yes"], env=environment, cwd=checkout, check=True,
                   capture_output=True)
    path = import_file(folder, rows, gazetteer)
    log = folder / "server.log"
    server = subprocess.Popen(["taskset", "-c", "0", *command, "serve", "--port", str(PORT)], env=environment,
                              cwd=checkout, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    imports = Imports(command, environment, checkout, path)
    try:
        wait_until_up(f"http://127.0.0.1:{PORT}/health")
        forms, cookies = asyncio.run(prepared_forms(quotes))
        wrk = subprocess.Popen(["taskset", "-c", "1", "wrk", "-t1", "-c8", f"-d{quotes + 15}s",
                                "-s", str(search_script(folder, gazetteer)), f"http://127.0.0.1:{PORT}"],
                               stdout=subprocess.PIPE, text=True) if "search" in loads else None
        if "import" in loads:
            imports.start()
        time.sleep(5)  # the searches warmed up, the first import under way
        answers = asyncio.run(quote_requests(forms, cookies))
        imports.stopping.set()
        searches = ""
        if wrk is not None:
            wrk.send_signal(signal.SIGINT)  # wrk prints its figures when interrupted
            searches = wrk.communicate()[0]
        if imports.is_alive():
            imports.join()
    finally:
        server.terminate()
        server.wait(timeout=60)
    report(url, answers, imports.runs, searches, log.read_text(errors="replace"))


def report(url: str, answers, runs, searches: str, log: str) -> None:
    seconds = [elapsed for elapsed, _ in answers]
    statuses = Counter(str(status) for _, status in answers)
    server_errors = sum(n for status, n in statuses.items() if not status.isdigit() or int(status) >= 500)
    engine = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    target = 1 if engine == "PostgreSQL" else 2
    requests = next((line.strip() for line in searches.splitlines() if "requests in" in line),
                    "wrk: no figure")
    print(f"{engine}: {len(answers)} quote requests at 1/s during /recherche load and imports: "
          f"p50 {statistics.median(seconds):.2f} s, p99 {percentile(seconds, .99):.2f} s, "
          f"max {max(seconds):.2f} s (target p99 <= {target} s); statuses {dict(sorted(statuses.items()))}; "
          f"5xx or failures {server_errors}")
    durations = [elapsed for elapsed, _ in runs]
    print(f"   imports: {len(runs)} runs, median {statistics.median(durations) if durations else 0:.1f} s, "
          f"exit codes {dict(Counter(code for _, code in runs))}; searches: {requests}; "
          f"'database is locked' in the server log: {log.count('database is locked')}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default="", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--quotes", type=int, default=60, help="quote requests, one a second")
    parser.add_argument("--rows", type=int, default=1500, help="providers in the import file")
    parser.add_argument("--load", default="search,import", help="what runs beside: search, import, or both")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the directory's checkout to serve")
    arguments = parser.parse_args()
    run(arguments.database_url, arguments.quotes, arguments.rows, arguments.checkout.resolve(),
        set(arguments.load.split(",")))


if __name__ == "__main__":
    main()
