"""Figures for Prometheus: what this process counts, and what the database holds when scraped.

Two kinds of figures, kept apart on purpose. A process's own (requests by route, their
latency, rate-limit refusals, plugin failures, CPU and memory) live in a ``CollectorRegistry``
of its ``Metrics``, one per app or worker, never prometheus_client's module-level one: two
apps in one process keep their own counts. The database's (the job queue, the mail outbox,
and whatever plugins register with ``register_metrics``: the search index's positions, the
lead funnel) are read at each scrape, a few cheap queries, so every process that is scraped
shows the same truth and nothing has to be kept in step.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from directory.platform import clock, jobs, mail
from directory.plugin_faults import PluginFaults
from directory.plugin_manager import PluginManager
from directory.settings import Settings
from directory.tables import Job, MailMessage

logger = logging.getLogger("directory.metrics")
Reading = Callable[[], Awaitable[Iterable[Metric]]]
CORE = "directory"
HOOK = "register_metrics"
READ_TIMEOUT_S = 5.0
# Seconds: a page answers in milliseconds, an import or an export may take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# Any method reaches the app (see ``http_options``): others share one label, so that a client
# inventing methods cannot make series without end.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNROUTED = "(unrouted)"  # refused before routing, or no route matched: a 404 of any path
JOB_STATES = ("ready", "scheduled", "running", "failed")

__all__ = ["CounterMetricFamily", "GaugeMetricFamily", "Metrics"]


class _PluginFailures:
    """The failures of each plugin in each hook since this process started, read when scraped."""

    def __init__(self, faults: PluginFaults) -> None:
        self.faults = faults

    def describe(self) -> list[Metric]:
        return []  # read at each scrape: nothing to declare up front

    def collect(self) -> list[Metric]:
        family = CounterMetricFamily("channel_expert_plugin_failures", "Failures of a plugin in a hook, "
                                     "since this process started.", labels=("plugin", "hook"))
        for (plugin, hook), count in sorted(self.faults.totals().items()):
            family.add_metric((plugin, hook), count)
        return [family]


class _Families:
    """Families read from the database for one scrape, shaped as prometheus_client's collectors."""

    def __init__(self, families: list[Metric]) -> None:
        self.families = families

    def collect(self) -> list[Metric]:
        return self.families


class Metrics:
    """One process's figures, and the readings of the database its scrapes run."""

    def __init__(self, settings: Settings, manager: PluginManager, tasks: jobs.Tasks) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("channel_expert_http_requests", "HTTP requests answered, by route template, "
                                "method and status.", ("route", "method", "status"), registry=self.registry)
        self.latency = Histogram("channel_expert_http_request_duration_seconds", "Time to answer an HTTP "
                                 "request, by route template.", ("route",), buckets=LATENCY_BUCKETS,
                                 registry=self.registry)
        self.refusals = Counter("channel_expert_rate_limit_refusals", "Requests refused by a rate limit "
                                "(answered 429), by route template.", ("route",), registry=self.registry)
        ProcessCollector(registry=self.registry)
        self.registry.register(_PluginFailures(manager.faults))
        self.faults = manager.faults
        self.tasks = tasks
        self._series: dict[tuple[str, str, int], tuple[Counter, Histogram, Counter | None]] = {}
        self.readings: list[tuple[str, Reading]] = [(CORE, self._platform)]

        def register_of(plugin: str) -> dict[str, object]:
            return {"settings": settings, "register": lambda read: self.readings.append((plugin, read))}

        for _ in manager.answers(HOOK, register_of, on_error=lambda plugin, error: self.faults.record(
                plugin, HOOK, error)):
            pass  # each reading is kept as it is registered

    def observe(self, route: str | None, method: str, status: int, seconds: float) -> None:
        """Count one answered request: on every request's path, so its series are looked up once."""
        key = (route or UNROUTED, method if method in METHODS else "OTHER", status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = (self.requests.labels(key[0], key[1], str(status)),
                                          self.latency.labels(key[0]),
                                          self.refusals.labels(key[0]) if status == 429 else None)
        count, latency, refused = series
        count.inc()
        latency.observe(seconds)
        if refused is not None:
            refused.inc()

    async def exposition(self) -> bytes:
        """The text a scrape gets: this process's figures, then the database's, read now.

        A reading that fails or takes too long leaves its figures out of this scrape (a plugin's
        is a plugin fault); ``channel_expert_metrics_reading_ok`` says which did.
        """
        families: list[Metric] = []
        answered = GaugeMetricFamily("channel_expert_metrics_reading_ok", "1 when the figures of the core "
                                     "or a plugin could be read for this scrape, else 0.", labels=("source",))
        read_ok: dict[str, bool] = {}
        for source, read in self.readings:
            try:
                families.extend(await asyncio.wait_for(read(), READ_TIMEOUT_S))
            except Exception as error:  # noqa: BLE001 - a failing reading is left out, the others are shown
                read_ok[source] = False
                if source == CORE:
                    logger.warning("could not read the database's figures: %s: %s", type(error).__name__,
                                   error)
                else:
                    self.faults.record(source, HOOK, error)
            else:
                read_ok.setdefault(source, True)
        for source, ok in sorted(read_ok.items()):
            answered.add_metric((source,), 1 if ok else 0)
        return generate_latest(self.registry) + generate_latest(_Families([*families, answered]))

    async def _platform(self) -> list[Metric]:
        """The job queue per task and the mail outbox: two queries."""
        now = clock.now()
        rows = await Job.raw(
            "SELECT task, state, COUNT(*) AS total, SUM(CASE WHEN run_at <= {} THEN 1 ELSE 0 END) AS due, "
            "SUM(CASE WHEN attempts > 0 THEN 1 ELSE 0 END) AS retried, MIN(run_at) AS oldest "
            "FROM job GROUP BY task, state", now)
        pending = await MailMessage.count().where(MailMessage.state == mail.PENDING)
        counts = {(task, state): 0 for task in self.tasks.names() for state in JOB_STATES}
        oldest = dict.fromkeys(self.tasks.names(), 0.0)
        retrying = dict.fromkeys(self.tasks.names(), 0)
        for row in rows:
            task, total = row["task"], int(row["total"])
            if row["state"] == jobs.READY:
                due = int(row["due"] or 0)
                counts[(task, "ready")], counts[(task, "scheduled")] = due, total - due
                retrying[task] = int(row["retried"] or 0)
                oldest[task] = max(0.0, (now - _moment(row["oldest"])).total_seconds()) if due else 0.0
            else:
                counts[(task, row["state"])] = total
                oldest.setdefault(task, 0.0)
                retrying.setdefault(task, 0)
        queue = GaugeMetricFamily("channel_expert_jobs", "Jobs by task and state: ready (due now), scheduled "
                                  "(due later), running, failed (given up).", labels=("task", "state"))
        for (task, state), count in sorted(counts.items()):
            queue.add_metric((task, state), count)
        age = GaugeMetricFamily("channel_expert_job_oldest_ready_age_seconds", "How long the oldest job "
                                "that is due has waited for a worker, by task (0 when none waits).",
                                labels=("task",))
        retried = GaugeMetricFamily("channel_expert_jobs_retrying", "Jobs waiting for another try after "
                                    "failing, by task.", labels=("task",))
        for task in sorted(oldest):
            age.add_metric((task,), oldest[task])
            retried.add_metric((task,), retrying[task])
        return [queue, age, retried,
                GaugeMetricFamily("channel_expert_mail_pending", "Messages of the mail outbox not yet "
                                  "accepted by the SMTP server.", value=pending),
                GaugeMetricFamily("channel_expert_mail_retrying", "Messages whose delivery failed and "
                                  "will be tried again.", value=retrying.get(mail.DELIVER_TASK, 0)),
                GaugeMetricFamily("channel_expert_mail_failed", "Messages whose delivery was given up "
                                  "(channel-expert jobs retry sends them again).",
                                  value=counts.get((mail.DELIVER_TASK, jobs.FAILED), 0))]


def _moment(value: datetime | str) -> datetime:
    """A timestamp of a raw query: PostgreSQL gives a datetime, SQLite the text it stores."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)
