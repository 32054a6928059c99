"""``/metrics``: who may read it, and whether its figures say what happened."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from directory.app import create_app
from directory.platform import jobs, mail
from directory.platform.metrics import Metrics
from directory.plugin_api import GaugeMetricFamily, hookimpl
from directory.routes.accounts import ATTEMPTS_PER_CLIENT
from directory.routes.metrics import worker_app, worker_listener
from directory.settings import Settings, SettingsError
from directory.tables import Job
from directory.testing import csrf_token, serve

TOKEN = "t" * 40
ELSEWHERE = ("203.0.113.9", 40000)  # a client on another machine


def figures(text: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of a scrape, parsed by prometheus_client's own parser: (name, labels) → value."""
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def value(scraped: dict[tuple[str, frozenset], float], name: str, **labels: str) -> float:
    return scraped[(name, frozenset(labels.items()))]


@contextlib.asynccontextmanager
async def client_at(app, address: tuple[str, int]) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` (its lifespan running) whose requests come from ``address``."""
    async with serve(app):
        transport = httpx.ASGITransport(app=app, client=address)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver.local") as http:
            yield http


async def test_a_local_operator_reads_the_figures_in_prometheus_text(client):
    answer = await client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    scraped = figures(answer.text)
    assert value(scraped, "channel_expert_metrics_reading_ok", source="directory") == 1
    assert value(scraped, "channel_expert_jobs", task=mail.DELIVER_TASK, state="ready") == 0


async def test_a_client_on_another_machine_finds_no_endpoint(settings, plugin_manager):
    async with client_at(create_app(settings, plugin_manager), ELSEWHERE) as remote:
        answer = await remote.get("/metrics")
        browsing = await remote.get("/metrics", headers={"Accept": "text/html"})
    assert answer.status_code == 404 and answer.headers["content-type"] == "application/problem+json"
    assert "channel_expert" not in answer.text
    assert browsing.status_code == 404 and browsing.headers["content-type"] == "application/problem+json"


async def test_the_worker_refuses_a_client_from_elsewhere_as_the_app_does(settings, plugin_manager):
    worker = worker_app(replace(settings, metrics_token=TOKEN), Metrics(settings, plugin_manager, jobs.Tasks()))
    transport = httpx.ASGITransport(app=worker, client=ELSEWHERE)
    async with httpx.AsyncClient(transport=transport, base_url="http://worker:9100") as remote:
        browsing = await remote.get("/metrics", headers={"Accept": "text/html"})
        right = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert browsing.status_code == 401 and browsing.headers["content-type"] == "application/problem+json"
    assert right.status_code == 200 and "channel_expert_jobs" in right.text


async def test_a_forwarded_header_cannot_pass_for_a_local_client(settings, plugin_manager):
    async with client_at(create_app(settings, plugin_manager), ELSEWHERE) as remote:
        assert (await remote.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1"})).status_code == 404
    # Behind a trusted proxy on this machine, every visitor connects from loopback: the proxy's
    # headers say the request is not local, whatever address they name.
    proxied = create_app(replace(settings, trusted_proxies=("127.0.0.1",)), plugin_manager)
    async with client_at(proxied, ("127.0.0.1", 5000)) as through_proxy:
        for header in ({"X-Forwarded-For": "127.0.0.1"}, {"X-Forwarded-For": "198.51.100.7"},
                       {"Forwarded": "for=127.0.0.1"}):
            assert (await through_proxy.get("/metrics", headers=header)).status_code == 404
        assert (await through_proxy.get("/metrics")).status_code == 200  # the operator on the machine


async def test_with_a_token_only_its_holder_reads_the_figures_from_elsewhere(settings, plugin_manager):
    app = create_app(replace(settings, metrics_token=TOKEN), plugin_manager)
    async with client_at(app, ELSEWHERE) as remote:
        missing = await remote.get("/metrics")
        wrong = await remote.get("/metrics", headers={"Authorization": "Bearer " + "x" * 40})
        other_scheme = await remote.get("/metrics", headers={"Authorization": f"Basic {TOKEN}"})
        forged = await remote.get("/metrics", headers={"X-Forwarded-For": "127.0.0.1",
                                                         "Authorization": "Bearer nope"})
        right = await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert missing.status_code == 401 and missing.headers["www-authenticate"].startswith("Bearer")
    assert missing.headers["content-type"] == "application/problem+json"
    assert wrong.status_code == 403 and other_scheme.status_code == 401 and forged.status_code == 403
    assert right.status_code == 200 and "channel_expert_jobs" in right.text


async def test_requests_are_counted_by_route_template_never_by_raw_path(client):
    for slug in ("premiere", "deuxieme", "troisieme"):
        assert (await client.get(f"/prestataires/{slug}")).status_code == 404
    await client.head("/")
    await client.get("/nulle-part/ici")
    scraped = figures((await client.get("/metrics")).text)
    assert value(scraped, "channel_expert_http_requests_total", route="/prestataires/{slug}", method="GET",
                 status="404") == 3
    assert value(scraped, "channel_expert_http_requests_total", route="/", method="HEAD", status="200") == 1
    assert value(scraped, "channel_expert_http_requests_total", route="(unrouted)", method="GET",
                 status="404") == 1
    assert value(scraped, "channel_expert_http_request_duration_seconds_count",
                 route="/prestataires/{slug}") == 3
    assert not any("premiere" in dict(labels).get("route", "") for _, labels in scraped)


async def test_a_rate_limit_refusal_is_counted(client):
    token = await csrf_token(client, "/compte/connexion")
    for attempt in range(ATTEMPTS_PER_CLIENT + 1):
        await client.post("/compte/connexion", data={"email": f"personne{attempt}@example.fr",
                                                     "password": "pas le bon", "_csrf_token": token})
    scraped = figures((await client.get("/metrics")).text)
    assert value(scraped, "channel_expert_rate_limit_refusals_total", route="/compte/connexion") == 1
    assert value(scraped, "channel_expert_http_requests_total", route="/compte/connexion", method="POST",
                 status="429") == 1


async def test_the_queue_and_the_mail_outbox_are_read_when_scraped(client, manual_clock):
    await mail.send("ada@example.fr", "mot-de-passe", {"link": "https://exemple.fr/lien", "minutes": 60})
    await jobs.enqueue(mail.DELIVER_TASK, {"id": 0}, at=manual_clock.now() + timedelta(hours=1))
    await Job.insert(Job(task=mail.DELIVER_TASK, payload="{}", state=jobs.FAILED, run_at=manual_clock.now(),
                         created_at=manual_clock.now(), attempts=12))
    manual_clock.advance(seconds=90)  # nobody works the queue
    scraped = figures((await client.get("/metrics")).text)
    deliver = {state: value(scraped, "channel_expert_jobs", task=mail.DELIVER_TASK, state=state)
               for state in ("ready", "scheduled", "running", "failed")}
    assert deliver == {"ready": 1, "scheduled": 1, "running": 0, "failed": 1}
    assert value(scraped, "channel_expert_job_oldest_ready_age_seconds", task=mail.DELIVER_TASK) == 90
    assert value(scraped, "channel_expert_job_oldest_ready_age_seconds", task="store.purge") == 0
    assert value(scraped, "channel_expert_mail_pending") == 1
    assert value(scraped, "channel_expert_mail_failed") == 1


class Broken:
    """A plugin whose figures cannot be read."""

    @hookimpl
    def register_metrics(self, register):
        async def read():
            raise RuntimeError("table gone")

        register(read)


class Counting:
    """A plugin that adds a figure of its own."""

    @hookimpl
    def register_metrics(self, register):
        async def read():
            return [GaugeMetricFamily("channel_expert_forum_posts", "Posts of the forum.", value=7)]

        register(read)


async def test_plugins_add_figures_and_one_that_fails_is_a_fault_left_out(settings, plugin_manager):
    plugin_manager.register(Broken(), name="broken")
    plugin_manager.register(Counting(), name="counting")
    async with serve(create_app(settings, plugin_manager)) as client:
        scraped = figures((await client.get("/metrics")).text)
        health = (await client.get("/health")).json()
    assert value(scraped, "channel_expert_forum_posts") == 7
    assert value(scraped, "channel_expert_metrics_reading_ok", source="broken") == 0
    assert value(scraped, "channel_expert_metrics_reading_ok", source="counting") == 1
    assert value(scraped, "channel_expert_metrics_reading_ok", source="directory") == 1
    assert "table gone" in health["checks"]["plugin broken"]["detail"]["hooks"]["register_metrics"]["error"]
    # The failure is in the next scrape's process figures.
    async with serve(create_app(settings, plugin_manager)) as client:
        scraped = figures((await client.get("/metrics")).text)
    assert value(scraped, "channel_expert_plugin_failures_total", plugin="broken",
                 hook="register_metrics") >= 1


def _listening_socket() -> socket.socket:
    """A loopback socket on a port of the range these tests may use, already listening: a client
    that connects waits in its backlog until the listener serves it."""
    for port in range(9200, 9250):
        bound = socket.socket()
        try:
            bound.bind(("127.0.0.1", port))
        except OSError:
            bound.close()
            continue
        bound.listen()
        return bound
    pytest.skip("no free port in 9200-9249")


async def test_the_worker_serves_its_figures_on_a_port_of_its_own(settings, plugin_manager, manual_clock):
    bound = _listening_socket()
    worker_settings = replace(settings, worker_metrics_port=bound.getsockname()[1], metrics_token=TOKEN)
    tasks = jobs.Tasks()
    tasks.register(mail.DELIVER_TASK, mail.deliver)
    await jobs.enqueue(mail.DELIVER_TASK, {"id": 0})
    manual_clock.advance(seconds=400)
    listener = worker_listener(worker_settings, Metrics(worker_settings, plugin_manager, tasks))
    serving = asyncio.create_task(listener.serve(sockets=[bound]))
    try:
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"http://127.0.0.1:{worker_settings.worker_metrics_port}/metrics")
    finally:
        listener.should_exit = True
        await serving
        bound.close()
    assert answer.status_code == 200
    scraped = figures(answer.text)
    assert value(scraped, "channel_expert_job_oldest_ready_age_seconds", task=mail.DELIVER_TASK) == 400


def test_a_short_token_or_a_port_that_is_no_port_stops_the_start_up():
    with pytest.raises(SettingsError, match="METRICS_TOKEN must be at least 32 characters"):
        Settings.from_env({"CHANNEL_EXPERT_METRICS_TOKEN": "court"})
    with pytest.raises(SettingsError, match="WORKER_METRICS_PORT must be a port number"):
        Settings.from_env({"CHANNEL_EXPERT_WORKER_METRICS_PORT": "neuf-mille"})
    assert Settings.from_env({"CHANNEL_EXPERT_WORKER_METRICS_PORT": "9100"}).worker_metrics_port == 9100
    assert Settings.from_env({}).worker_metrics_port == 0
