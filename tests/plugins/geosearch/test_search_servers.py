"""Several servers on one database: each in-memory index follows every write, wherever it comes from."""

from __future__ import annotations

import contextlib
import signal
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from directory.testing import provider_row
from tests.conftest import COMMAND, csv_text, free_port

FRESH_WITHIN_S = 2.0
START_WITHIN_S = 60.0


@contextlib.contextmanager
def running_servers(environment: dict[str, str], count: int) -> Iterator[list[tuple[subprocess.Popen, str]]]:
    """``count`` servers on one SQLite database, without their job workers: a server paused by a test
    must not be paused in the middle of a job's write, holding the database's lock."""
    environment = {**environment, "CHANNEL_EXPERT_WORKER_IN_APP": "false"}
    servers = []
    try:
        for _ in range(count):
            port = free_port()
            process = subprocess.Popen([*COMMAND, "serve", "--port", str(port)], env=environment,
                                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            servers.append((process, f"http://127.0.0.1:{port}"))
        for process, url in servers:
            _wait_until(lambda url=url: _answers(url), START_WITHIN_S, f"{url} did not start")
        yield servers
    finally:
        for process, _ in servers:
            process.send_signal(signal.SIGCONT)
            process.terminate()
        for process, _ in servers:
            process.wait(timeout=30)


def _answers(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    return False


def _wait_until(condition, within_s: float, message: str) -> float:
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > within_s:
            raise AssertionError(message)
        time.sleep(0.05)
    return time.monotonic() - start


def _pause(process: subprocess.Popen, database_url: str) -> None:
    """Stop ``process`` at a moment it holds no SQLite write lock.

    A server writes its report to the database every few seconds; stopped in the middle of
    that write it would hold the whole file's lock, which says nothing about the index.
    PostgreSQL locks rows, and the import never touches a server's report row.
    """
    path = database_url.removeprefix("sqlite:").removeprefix("///")
    while True:
        process.send_signal(signal.SIGSTOP)
        if not database_url.startswith("sqlite:") or _writable(path):
            return
        process.send_signal(signal.SIGCONT)
        time.sleep(0.05)


def _writable(path: str) -> bool:
    connection = sqlite3.connect(path, timeout=0.5, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        connection.close()


def _finds(url: str, word: str) -> bool:
    return httpx.get(f"{url}/api/search", params={"q": word}, timeout=5).json()["total"] > 0


def _command(environment: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*COMMAND, *args], env=environment, capture_output=True, text=True, timeout=120)


def test_an_import_reaches_every_server_and_search_check_tells_a_paused_one(environment, tmp_path: Path):
    source = tmp_path / "import.csv"
    source.write_text(csv_text([provider_row(trade_name="Agence Zéphyrine")]), encoding="utf-8")
    with running_servers(environment, 2) as [(_, first_url), (second, second_url)]:
        _pause(second, environment["DATABASE_URL"])  # paused during the import
        imported = _command(environment, "import", str(source))
        assert imported.returncode == 0, imported.stderr
        _wait_until(lambda: _finds(first_url, "zephyrine"), FRESH_WITHIN_S, "the first server is stale")
        checked = _command(environment, "search-check", "--wait", "0")
        # Behind, or silent if the import took longer than a server may stay quiet: a fault either way.
        paused = next(line for line in checked.stdout.splitlines() if f"(pid {second.pid}," in line)
        assert checked.returncode == 1, checked.stdout
        assert "en retard" in paused or "ne se signale plus" in paused, checked.stdout
        second.send_signal(signal.SIGCONT)
        _wait_until(lambda: _finds(second_url, "zephyrine"), FRESH_WITHIN_S, "the paused server never caught up")
        checked = _command(environment, "search-check")
        assert checked.returncode == 0 and checked.stdout.count("à jour") == 2, checked.stdout
        source.write_text(csv_text([provider_row(trade_name="Studio Quetzal")]), encoding="utf-8")
        assert _command(environment, "import", str(source)).returncode == 0
        for url in (first_url, second_url):
            _wait_until(lambda url=url: _finds(url, "quetzal"), FRESH_WITHIN_S, f"{url} is stale")
