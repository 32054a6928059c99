"""Writes a person waits on go ahead of reads: reads and background catch-up wait while one runs."""

from __future__ import annotations

import asyncio

import pytest

from directory.platform.precedence import Precedence
from directory.testing import serve


async def settle() -> None:
    """Let every task that can run, run (a waiting one stays waiting)."""
    for _ in range(20):
        await asyncio.sleep(0)


async def test_a_read_waits_for_the_urgent_writes_under_way_then_goes():
    precedence = Precedence()
    async with precedence.first():
        async with precedence.first():  # two at once: reads go once both are done
            read = asyncio.create_task(precedence.turn())
            await settle()
        await settle()
        assert not read.done()
    await asyncio.wait_for(read, timeout=5)
    await asyncio.wait_for(precedence.turn(), timeout=5)  # nothing under way: no wait at all


async def test_a_read_never_waits_longer_than_its_bound():
    precedence = Precedence(longest_wait_s=0)
    async with precedence.first():
        await asyncio.wait_for(precedence.turn(), timeout=5)


@pytest.mark.parametrize("method", ["GET", "HEAD"])
async def test_the_app_holds_new_reads_back_while_a_quote_request_is_written(app, method):
    async with serve(app) as client:
        async with app.state.platform.precedence.first():
            read = asyncio.create_task(client.request(method, "/health"))
            await settle()
            assert not read.done()
            posted = await client.post("/health")  # writes are not held back
            assert posted.status_code == 405
        assert (await asyncio.wait_for(read, timeout=5)).status_code == 200
