"""Plugins that fail while the app runs: logged once per burst, reported by ``/health``.

A hook that raises on every request or every indexed document would otherwise fill the log
with the same traceback many times a second. The first failure of a plugin in a hook is
logged with its traceback; later ones within ``BURST`` are counted, and the next log line says
how many there were. ``/health`` reports every plugin that failed within ``BURST``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from directory.platform import clock

logger = logging.getLogger("directory.plugins")
BURST = timedelta(minutes=5)


@dataclass
class Fault:
    error: str
    count: int
    logged_at: datetime
    last_at: datetime
    unlogged: int = 0


class PluginFaults:
    """The recent failures of each plugin in each hook."""

    def __init__(self) -> None:
        self._faults: dict[tuple[str, str], Fault] = {}
        self.failures = 0  # of every plugin in every hook: a page built while it grew may lack a part

    def record(self, plugin: str, hook: str, error: BaseException) -> None:
        self.failures += 1
        now = clock.now()
        text = f"{type(error).__name__}: {error}"[:300]
        fault = self._faults.get((plugin, hook))
        if fault is None or now - fault.logged_at >= BURST:
            since = f" ({fault.unlogged} more failures since the last report)" if fault and fault.unlogged else ""
            logger.error("plugin %r failed in hook %s%s", plugin, hook, since, exc_info=error)
            self._faults[(plugin, hook)] = Fault(text, (fault.count if fault else 0) + 1, now, now)
            return
        fault.error, fault.last_at = text, now
        fault.count += 1
        fault.unlogged += 1

    def totals(self) -> dict[tuple[str, str], int]:
        """How often each plugin failed in each hook since this process started (``/metrics``)."""
        return {key: fault.count for key, fault in self._faults.items()}

    def recent(self) -> dict[str, dict[str, Any]]:
        """Each plugin that failed within ``BURST``: its failures, and per hook the last error."""
        now = clock.now()
        report: dict[str, dict[str, Any]] = {}
        for (plugin, hook), fault in sorted(self._faults.items()):
            if now - fault.last_at < BURST:
                entry = report.setdefault(plugin, {"failures": 0, "hooks": {}})
                entry["failures"] += fault.count
                entry["hooks"][hook] = {"error": fault.error, "failures": fault.count,
                                        "last_failure": fault.last_at.isoformat()}
        return report
