"""Mail throughput of one worker, to an SMTP server on localhost, on SQLite or PostgreSQL.

Run: ``.venv/bin/python bench/mail_bench.py`` (``--messages 500`` for a quick run;
``--database-url postgresql://…`` for PostgreSQL: the bench empties its job and mail tables).

An aiosmtpd server runs in a process of its own (as a real server would: it does not share this
process's interpreter) and writes down the Message-ID of every message it accepts. The bench
writes N messages in the outbox (in transactions of 100), then times one worker, built as
``channel-expert worker`` builds it, until the outbox is empty. It prints messages per second and
checks that every message arrived exactly once. Goal: >= 100 messages/s on both engines.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from directory.settings import Settings  # noqa: E402 - once the repository is on the path

SEED = 5
SERVER = """
import asyncio, sys
from aiosmtpd.controller import Controller

class Recorder:
    async def handle_DATA(self, server, session, envelope):
        for line in envelope.content.decode().splitlines():
            if line.lower().startswith("message-id:"):
                print(line.split(":", 1)[1].strip(), flush=True)
        return "250 OK"

controller = Controller(Recorder(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
sys.stdin.read()
controller.stop()
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(port: int, log: Path) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)], stdin=subprocess.PIPE,
                              stdout=log.open("w"), text=True)
    for _ in range(100):
        if "ready" in log.read_text():
            return server
        time.sleep(0.05)
    raise RuntimeError("the SMTP server did not start")


async def run(database_url: str, count: int, concurrency: int, folder: Path) -> None:
    from directory.database import bound_engine
    from directory.platform import current, mail
    from directory.platform.services import prepare_database
    from directory.plugin_manager import get_plugin_manager
    from directory.tables import Job, MailMessage

    port = free_port()
    log = folder / "received.txt"
    server = start_server(port, log)
    try:
        settings = replace(Settings(database_url=database_url), mail_transport="smtp", smtp_host="127.0.0.1",
                           smtp_port=port, smtp_tls="none", public_url="https://annuaire.example.fr",
                           mail_concurrency=concurrency)
        manager = get_plugin_manager(settings)
        await prepare_database(settings, manager)
        for table in (Job, MailMessage):
            await table.delete(force=True)
        platform = current.platform()  # the one prepare_database entered: its mail leaves by SMTP
        names = random.Random(SEED)
        for start in range(0, count, 100):
            async with bound_engine().transaction():
                for n in range(start, min(start + 100, count)):
                    link = f"https://annuaire.example.fr/l/{names.randrange(10**9)}"
                    await mail.send(f"tpe{n}@example.fr", "mot-de-passe", {"link": link, "minutes": 60})
        worker = platform.worker()
        began = time.perf_counter()
        async with worker.connected():
            while await worker.run_once():
                pass
        elapsed = time.perf_counter() - began
        sent = await MailMessage.count().where(MailMessage.state == mail.SENT)
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    received = [line for line in log.read_text().splitlines() if line != "ready"]
    engine = "PostgreSQL" if database_url.startswith("postgres") else "SQLite"
    print(f"{engine}, {concurrency} at once: {count} messages in {elapsed:.2f} s = "
          f"{count / elapsed:.0f} messages/s; "
          f"{sent} marked sent, {len(received)} received, {len(received) - len(set(received))} duplicates")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--concurrency", type=int, default=Settings.mail_concurrency)
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = arguments.database_url or f"sqlite:///{folder}/bench.sqlite3"
        asyncio.run(run(url, arguments.messages, arguments.concurrency, Path(folder)))


if __name__ == "__main__":
    main()
