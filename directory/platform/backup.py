"""Backups of a live database, and their restoration.

SQLite: a plain copy of a file that is being written is not a database (its pages come from
different moments, and the write-ahead log holds the latest ones), and SQLite's own
``.backup`` gives up at once on a lock. ``backup`` uses SQLite's online backup API in one
step, under a busy timeout: it reads one consistent moment while servers go on writing (the
write-ahead log lets readers and writers work side by side), then checks the copy.

PostgreSQL: ``pg_dump`` in its custom format (one consistent snapshot, taken while the site
runs) and ``pg_restore``, both from PostgreSQL's client tools; the connection's password goes
through the environment, never the command line others can read.

A restored database is the site as it was at the backup: the jobs that waited then (mail to
send, reminders) wait again, and run when the worker starts, including mail that may have
left between the backup and the restoration. ``restore`` says how many wait.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from directory.database import sqlite_path
from directory.platform.jobs import READY, RUNNING
from directory.platform.mail import DELIVER_TASK

# The messages a restored database still has to send.
_PENDING_MAIL = (f"SELECT COUNT(*) FROM job WHERE task = '{DELIVER_TASK}' "
                 f"AND state IN ('{READY}', '{RUNNING}')")


class BackupError(Exception):
    """A backup or a restoration that could not be made; the message says why, in French."""


@dataclass(frozen=True)
class Restored:
    """What a restored database holds that its operator must know before starting the site."""

    pending_mail: int  # messages that waited at the backup, sent when the worker starts


def backup(database_url: str, target: Path, busy_timeout_s: float) -> None:
    """Write a consistent copy of the database ``database_url`` names to ``target``."""
    source = sqlite_path(database_url)
    if source is None:
        _run_client("pg_dump", ["--format=custom", "--no-owner", f"--file={target}"], database_url)
        return
    if not Path(source).exists():
        raise BackupError(f"Aucune base à sauvegarder : {source} n'existe pas.")
    partial = target.with_name(f".{target.name}.partiel")
    partial.unlink(missing_ok=True)
    try:
        with _connection(source, busy_timeout_s) as live, _connection(str(partial), busy_timeout_s) as copy:
            live.backup(copy)  # in one step: the copy is a single moment of the database
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        _check(partial)
    except sqlite3.Error as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"La sauvegarde n'a pas pu être faite : {error}.") from None
    partial.replace(target)


def restore(database_url: str, source: Path, busy_timeout_s: float) -> Restored:
    """Replace the database ``database_url`` names with the backup ``source``.

    Every server and worker must be stopped first: they would go on from what they had in memory.
    """
    if not source.is_file():
        raise BackupError(f"Aucune sauvegarde à restaurer : {source} n'est pas un fichier.")
    target = sqlite_path(database_url)
    if target is None:
        restore_options = ["--clean", "--if-exists", "--no-owner", "--single-transaction", str(source)]
        _run_client("pg_restore", restore_options, database_url, pass_database=True)
        return _pending_postgres(database_url)
    _check(source)
    placed = Path(target)
    placed.parent.mkdir(parents=True, exist_ok=True)
    incoming = placed.with_name(f".{placed.name}.restauration")
    shutil.copyfile(source, incoming)
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):  # the replaced database's log
        stale.unlink(missing_ok=True)
    incoming.replace(placed)
    with _connection(target, busy_timeout_s) as restored:
        restored.execute("PRAGMA journal_mode = WAL")
        return Restored(restored.execute(_PENDING_MAIL).fetchone()[0])


def _connection(path: str, busy_timeout_s: float) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=busy_timeout_s)
    connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
    return connection


def _check(path: Path) -> None:
    """Refuse a file that is not a whole SQLite database of the directory."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} n'est pas une base SQLite lisible : {error}.") from None
    if verdict != "ok":
        raise BackupError(f"{path} est endommagée : {verdict}.")
    if "provider" not in tables:
        raise BackupError(f"{path} n'est pas une sauvegarde de l'annuaire (aucune table des prestataires).")


def _pending_postgres(database_url: str) -> Restored:
    printed = _run_client("psql", ["--no-psqlrc", "--tuples-only", "--no-align", "--command", _PENDING_MAIL],
                          database_url, pass_database=True)
    return Restored(int(printed.strip()))


def _run_client(program: str, arguments: list[str], database_url: str, pass_database: bool = False) -> str:
    """Run one of PostgreSQL's client tools on ``database_url``; its output, or a ``BackupError``."""
    if shutil.which(program) is None:
        raise BackupError(f"{program} est introuvable : installez les outils clients de PostgreSQL "
                          f"(paquet postgresql-client) à la version du serveur ou plus récente.")
    parts = urlsplit(database_url)
    environment = {**os.environ, "PGHOST": parts.hostname or "", "PGPORT": str(parts.port or 5432),
                   "PGUSER": unquote(parts.username or ""), "PGPASSWORD": unquote(parts.password or ""),
                   "PGDATABASE": parts.path.lstrip("/")}
    command = [program, *arguments]
    if pass_database:
        command.append(f"--dbname={parts.path.lstrip('/')}")
    done = subprocess.run(command, env={key: value for key, value in environment.items() if value},
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise BackupError(f"{program} a échoué : {done.stderr.strip() or done.returncode}")
    return done.stdout
