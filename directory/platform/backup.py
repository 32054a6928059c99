"""Backups of a live database, and their restoration.

SQLite: a plain copy of a file that is being written is not a database (its pages come from
different moments, and the write-ahead log holds the latest ones), and SQLite's own
``.backup`` gives up at once on a lock. ``backup`` uses SQLite's online backup API in one
step, under a busy timeout: it reads one consistent moment while servers go on writing (the
write-ahead log lets readers and writers work side by side), then checks the copy.

PostgreSQL: ``pg_dump`` in its custom format (one consistent snapshot, taken while the site
runs) and ``pg_restore``, both from PostgreSQL's client tools; the connection's password goes
through the environment, never the command line others can read.

Backups hold personal data and live session ids: they are written readable by their owner only.
A restored database is the site as it was at the backup: the jobs that waited then (mail to
send, reminders) wait again, and run when the worker starts, including mail that may have
left between the backup and the restoration. ``restore`` says how many wait.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from directory.engines import sqlite_path
from directory.platform.jobs import READY, RUNNING
from directory.platform.mail import DELIVER_TASK

# The messages a restored database still has to send: with SQLite's placeholders, and with psql's
# variables (``--set``), the values never written into the statement.
_PENDING_MAIL = "SELECT COUNT(*) FROM job WHERE task = ? AND state IN (?, ?)"
_PENDING_MAIL_PSQL = "SELECT COUNT(*) FROM job WHERE task = :'task' AND state IN (:'ready', :'running');\n"
_PENDING = {"task": DELIVER_TASK, "ready": READY, "running": RUNNING}
# Before a PostgreSQL backup is replayed, in the same transaction: objects the backup does not
# hold (a later release's, a plugin's) would otherwise stay, or keep the backup's from dropping.
_EMPTY_SCHEMA = "DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n"


class BackupError(Exception):
    """A backup or a restoration that could not be made; the message says why, in French."""


@dataclass(frozen=True)
class Restored:
    """What a restored database holds that its operator must know before starting the site."""

    pending_mail: int  # messages that waited at the backup, sent when the worker starts


def backup(database_url: str, target: Path, busy_timeout_s: float) -> None:
    """Write a consistent copy of the database ``database_url`` names to ``target``.

    The copy is written beside ``target`` first: a backup that fails leaves the previous one whole.
    """
    source = sqlite_path(database_url)
    if source is not None and not Path(source).exists():
        raise BackupError(f"Aucune base à sauvegarder : {source} n'existe pas.")
    if source is not None and _same_file(Path(source), target):
        raise BackupError(f"{target} est la base elle-même : choisissez un autre fichier.")
    partial = target.with_name(f".{target.name}.partiel")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_CREAT | os.O_WRONLY, 0o600))
    try:
        if source is None:
            _run_client("pg_dump", ["--format=custom", "--no-owner", f"--file={partial}"], database_url)
        else:
            with _connection(source, busy_timeout_s) as live, _connection(str(partial), busy_timeout_s) as copy:
                live.backup(copy)  # in one step: the copy is a single moment of the database
                copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            _check(partial)
    except (sqlite3.Error, BackupError) as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, BackupError):
            raise
        raise BackupError(f"La sauvegarde n'a pas pu être faite : {error}.") from None
    partial.replace(target)


def restore(database_url: str, source: Path, busy_timeout_s: float) -> Restored:
    """Replace the database ``database_url`` names with the backup ``source``, all or nothing.

    Every server and worker must be stopped first: they would go on from what they had in memory
    (on SQLite, a database still open elsewhere is refused).
    """
    if not source.is_file():
        raise BackupError(f"Aucune sauvegarde à restaurer : {source} n'est pas un fichier.")
    target = sqlite_path(database_url)
    if target is None:
        script = _run_client("pg_restore", ["--no-owner", "--file=-", str(source)])  # the backup as SQL
        _run_client("psql", ["--no-psqlrc", "--quiet", "--single-transaction", "--set=ON_ERROR_STOP=1"],
                    database_url, given=_EMPTY_SCHEMA + script)
        return _pending_postgres(database_url)
    placed = Path(target)
    if _same_file(placed, source):
        raise BackupError(f"{source} est la base elle-même : rien à restaurer.")
    _check(source)
    placed.parent.mkdir(parents=True, exist_ok=True)
    if placed.exists():
        _close_log(placed, busy_timeout_s)
    incoming = placed.with_name(f".{placed.name}.restauration")
    shutil.copyfile(source, incoming)
    incoming.replace(placed)
    with _connection(target, busy_timeout_s) as restored:
        restored.execute("PRAGMA journal_mode = WAL")
        return Restored(restored.execute(_PENDING_MAIL, tuple(_PENDING.values())).fetchone()[0])


def _close_log(path: Path, busy_timeout_s: float) -> None:
    """Fold the write-ahead log into the database being replaced, and refuse one still in use.

    Leaving WAL mode takes the only connection: it fails while a server or a worker holds one.
    Without a log beside it, the file is replaced whole and no commit of it is lost half way.
    """
    try:
        with _connection(str(path), busy_timeout_s) as current:
            current.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            mode = current.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    except sqlite3.Error as error:
        raise BackupError(f"La base {path} est encore utilisée ({error}) : arrêtez d'abord les serveurs et "
                          f"le worker.") from None
    if mode != "delete":
        raise BackupError(f"La base {path} est encore utilisée : arrêtez d'abord les serveurs et le worker.")


def _same_file(one: Path, other: Path) -> bool:
    return one.exists() and other.exists() and one.resolve() == other.resolve()


@contextlib.contextmanager
def _connection(path: str, busy_timeout_s: float) -> Iterator[sqlite3.Connection]:
    """A connection that waits ``busy_timeout_s`` for locks, committed and closed at the end."""
    connection = sqlite3.connect(path, timeout=busy_timeout_s)
    try:
        connection.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        with connection:
            yield connection
    finally:
        connection.close()


def _check(path: Path) -> None:
    """Refuse a file that is not a whole SQLite database of the directory."""
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as copy:
            verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} n'est pas une base SQLite lisible : {error}.") from None
    if verdict != "ok":
        raise BackupError(f"{path} est endommagée : {verdict}.")
    if "provider" not in tables:
        raise BackupError(f"{path} n'est pas une sauvegarde de l'annuaire (aucune table des prestataires).")


def _pending_postgres(database_url: str) -> Restored:
    values = [f"--set={name}={value}" for name, value in _PENDING.items()]
    printed = _run_client("psql", ["--no-psqlrc", "--tuples-only", "--no-align", *values], database_url,
                          given=_PENDING_MAIL_PSQL)
    return Restored(int(printed.strip()))


def _run_client(program: str, arguments: list[str], database_url: str | None = None,
                given: str | None = None) -> str:
    """Run one of PostgreSQL's client tools, on ``database_url`` if given (``given`` on its
    input); its output, or a ``BackupError``. The address goes on the command line without its
    password, which goes through the environment; its options (``sslmode``…) are kept."""
    if shutil.which(program) is None:
        raise BackupError(f"{program} est introuvable : installez les outils clients de PostgreSQL "
                          f"(paquet postgresql-client) à la version du serveur ou plus récente.")
    command, environment = [program, *arguments], dict(os.environ)
    if database_url is not None:
        parts = urlsplit(database_url)
        host = parts.hostname or ""
        netloc = (f"{parts.username}@" if parts.username else "") + (f"[{host}]" if ":" in host else host) + (
            f":{parts.port}" if parts.port else "")
        command.append(f"--dbname={parts._replace(netloc=netloc).geturl()}")
        if parts.password:
            environment["PGPASSWORD"] = unquote(parts.password)
    done = subprocess.run(command, env=environment, input=given, capture_output=True, text=True, check=False)
    if done.returncode:
        raise BackupError(f"{program} a échoué : {done.stderr.strip() or done.returncode}")
    return done.stdout
