"""What each listing brings its provider, and the network's dashboard for staff.

Appearances in search results (``search_answered``), visits of a provider's page (a
middleware, ``visits``) and the searches that found nobody are counted in memory per app and
written every minute by a task of the app (``counting``); a lead's steps (``lead_changed``) are
counted in the step's transaction. A recurring job sums the days into weeks (``rollup``), which
is all the pages read. Nothing stored names a visitor: only counts per provider (or for the
network) per day and per week.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from litestar import Litestar

from directory.plugin_api import SearchAnswered, hookimpl, static_files_router
from plugins.insights import counting, digest, hookspecs, privacy, rollup, visits
from plugins.insights.routes import (
    DigestUnsubscribeController,
    NetworkDashboardController,
    ProviderStatisticsController,
    account_statistics,
)

HERE = Path(__file__).parent
TASK = "insights_flush"
logger = logging.getLogger("plugins.insights")


@hookimpl
def privacy_sections(register):
    privacy.describe(register)


def add_hooks(plugin_manager):
    plugin_manager.add_hookspecs(hookspecs)  # for other plugins' figures on the dashboard


@hookimpl
def register_piccolo_apps(register):
    register("plugins.insights.piccolo_app")


@hookimpl
def register_routes(register):
    register(ProviderStatisticsController)
    register(NetworkDashboardController)
    register(account_statistics)
    register(DigestUnsubscribeController)
    register(static_files_router("/static/insights", HERE / "static", name="insights-static"))


@hookimpl
def register_templates(register):
    register(HERE / "templates")


@hookimpl
def account_links(register):
    register("Statistiques de mes fiches", "/compte/statistiques", 30)


@hookimpl
def staff_links(register):
    register("Le réseau en chiffres", "/equipe/reseau", 50)


@hookimpl
def register_jobs(register, plugin_manager):
    register(rollup.TASK, rollup.run, every=rollup.EVERY, timeout_s=600)  # a catch-up sums many weeks
    register(digest.TASK, digest.send, daily_at=digest.SEND_AT, timeout_s=600)


@hookimpl
async def provider_data_export(provider_id, register):
    register("insights", {"weekly_digest": await digest.exported(provider_id)})


@hookimpl
def register_edge_middleware(register):
    register(visits.count_visits)  # at the edge: most provider pages are answered from memory


@hookimpl
def search_answered(app: Litestar, answered: SearchAnswered) -> None:
    # A further page is the same search, and appearances count on the first.
    if answered.page == 1 and not visits.by_robot():
        visits.tally().note_search(answered.total, answered.shown)


@hookimpl(optionalhook=True)
async def lead_changed(change) -> None:  # noqa: ANN001 - the leads plugin's LeadChange
    await counting.lead_stepped(change)


@hookimpl
async def startup(app: Litestar) -> None:
    app.state[TASK] = asyncio.create_task(_flush_every_minute())


@hookimpl
async def shutdown(app: Litestar) -> None:
    task = app.state.get(TASK)
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    await visits.tally().flush()


async def _flush_every_minute() -> None:
    while True:
        await asyncio.sleep(counting.FLUSH_EVERY_S)
        try:
            await visits.tally().flush()
        except Exception:  # noqa: BLE001 - the database may be away: the counts wait for the next write
            logger.warning("could not write the counts; they are kept for the next write", exc_info=True)
