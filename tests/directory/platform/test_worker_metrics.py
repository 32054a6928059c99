"""``channel-expert worker`` serves its figures on a port of its own and stops cleanly on SIGTERM."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time

import httpx

from tests.conftest import COMMAND
from tests.directory.test_metrics import figures, value

START_WITHIN_S = 60.0


def _free_port_in_range() -> int:
    for port in range(9249, 9199, -1):  # from the top: the in-process listener test takes from the bottom
        with socket.socket() as probe, contextlib.suppress(OSError):
            probe.bind(("127.0.0.1", port))
            return port
    raise AssertionError("no free port in 9200-9249")


def _scrape(url: str) -> httpx.Response | None:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(url, timeout=2)
    return None


def test_a_worker_process_serves_its_figures_until_it_is_stopped(environment):
    port = _free_port_in_range()
    worker = subprocess.Popen([*COMMAND, "worker"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**environment, "CHANNEL_EXPERT_WORKER_METRICS_PORT": str(port),
                                   "CHANNEL_EXPERT_PUBLIC_URL": "http://annuaire.example.fr"})
    try:
        started = time.monotonic()
        while (answer := _scrape(f"http://127.0.0.1:{port}/metrics")) is None:
            assert worker.poll() is None, worker.communicate()[1]
            assert time.monotonic() - started < START_WITHIN_S, "the worker's listener did not start"
            time.sleep(0.1)  # the process starts: Python, the plugins, the database
        assert answer.status_code == 200
        scraped = figures(answer.text)
        assert value(scraped, "channel_expert_jobs", task="mail.deliver", state="failed") == 0
        assert value(scraped, "channel_expert_metrics_reading_ok", source="plugins.leads") == 1
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert f"Mesures : http://127.0.0.1:{port}/metrics" in out
