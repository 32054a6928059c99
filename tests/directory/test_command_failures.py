"""Commands never hang and never end in a traceback: a busy database is waited for, then explained."""

from __future__ import annotations

import asyncio

from directory import events
from directory.database import failure_message, write_transaction
from directory.tables import Provider
from directory.testing import provider_row
from tests.conftest import COMMAND, csv_text


async def test_an_import_waits_for_another_writer_a_bounded_time_then_exits_with_a_french_message(
        environment, tmp_path):
    source = tmp_path / "import.csv"
    source.write_text(csv_text([provider_row()]), encoding="utf-8")
    async with write_transaction(Provider._meta.db):  # another writer holds the lock
        await events.record(events.PROVIDER_SAVED, ["held"], {"created": True})
        process = await asyncio.create_subprocess_exec(
            *COMMAND, "import", str(source), env={**environment, "CHANNEL_EXPERT_LOCK_TIMEOUT_S": "1"},
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 3
    assert "occupée par une autre écriture" in stderr.decode() and "Traceback" not in stderr.decode()
    assert await Provider.count() == 0


def test_only_connection_failures_are_blamed_on_the_database():
    assert "injoignable" in failure_message(ConnectionRefusedError("refused"))
    assert failure_message(PermissionError("export.csv")) is None  # a file the command writes
