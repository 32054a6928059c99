"""By default the app runs the jobs itself: a job enqueued before start runs once the app is up."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from directory.app import create_app
from directory.platform import jobs
from directory.plugin_api import hookimpl
from directory.plugin_manager import get_plugin_manager
from directory.testing import serve


class Pinger:
    def __init__(self) -> None:
        self.done = asyncio.Event()
        self.payloads: list[dict] = []

    async def ping(self, payload: dict) -> None:
        self.payloads.append(payload)
        self.done.set()

    @hookimpl
    def register_jobs(self, register):
        register("test.ping", self.ping)


async def test_the_app_runs_jobs_until_it_stops(settings, queue):
    pinger = Pinger()
    manager = get_plugin_manager(settings)
    manager.register(pinger, name="pinger")
    await jobs.enqueue("test.ping", {"n": 1})
    async with serve(create_app(replace(settings, worker_in_app=True), manager)) as client:
        await asyncio.wait_for(pinger.done.wait(), timeout=10)
        assert (await client.get("/health")).status_code == 200
    assert pinger.payloads == [{"n": 1}]
    assert await jobs.listing(["ready", "running", "failed"]) == []


async def test_without_the_in_app_worker_jobs_wait_for_a_worker_process(settings, queue):
    pinger = Pinger()
    manager = get_plugin_manager(settings)
    manager.register(pinger, name="pinger")
    await jobs.enqueue("test.ping", {"n": 2})
    async with serve(create_app(replace(settings, worker_in_app=False), manager)):
        pass
    assert pinger.payloads == [] and len(await jobs.listing(["ready"])) == 1
