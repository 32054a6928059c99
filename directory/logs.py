"""What log lines look like: text for people, or JSON lines for a log collector, each with the
request id of the request it was written for.

``CHANNEL_EXPERT_LOG_FORMAT=json`` writes one JSON object per line (``time``, ``level``,
``logger``, ``message``, ``request_id`` during a request, ``http`` for the access log's fields,
``error`` for a traceback); every character outside ASCII is escaped, so no input can forge a
line or turn a terminal's text around. The text format escapes the same characters itself.
The request id is read where the line is logged (a filter on the handler); formatting and
writing happen in a thread of their own (``BackgroundHandler``), off the request's path.
"""

from __future__ import annotations

import atexit
import contextvars
import json
import logging
import logging.config
import logging.handlers
import queue
import re
from datetime import UTC, datetime
from typing import Any

from directory.database import DRIVER_LOGGERS
from directory.settings import Settings

TEXT_FORMAT = "%(levelname)s - %(asctime)s - %(name)s - %(message)s"
# The request being answered, set by the edge for everything the request's task logs.
REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# What a terminal or a log viewer may take for a line break, a colour or a change of direction.
_UNSAFE_IN_LOG = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


class RequestIdFilter(logging.Filter):
    """Give each record the id of the request it was written for ("" outside requests)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = REQUEST_ID.get()
        return True


class EscapingFormatter(logging.Formatter):
    """A log formatter that writes control characters escaped, so no input can forge a log line."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        record.message = _UNSAFE_IN_LOG.sub(lambda match: match[0].encode("unicode_escape").decode(), record.message)
        return super().formatMessage(record)


class JsonFormatter(logging.Formatter):
    """One JSON object per record (see the module's docstring)."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname, "logger": record.name, "message": record.getMessage(),
        }
        if getattr(record, "request_id", ""):
            entry["request_id"] = record.request_id
        if getattr(record, "http", None):
            entry["http"] = record.http
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=True)


class BackgroundHandler(logging.handlers.QueueHandler):
    """Hands each record to a thread that formats and writes it to standard error.

    The request pays for putting a record on a queue, not for formatting and writing it (the
    access log alone cost the cheapest route about a third of its throughput). The record goes
    as it is: ``QueueHandler`` would format it here, and drop its traceback on the way, which
    the JSON lines' ``error`` needs. Filters (the request id) still run here, in the request's
    context.
    """

    def __init__(self) -> None:
        super().__init__(queue.SimpleQueue())
        self.writer = logging.StreamHandler()
        self.listener = logging.handlers.QueueListener(self.queue, self.writer)
        self.listener.start()
        atexit.register(self.close)  # what waits in the queue is written before the process ends

    def setFormatter(self, fmt: logging.Formatter | None) -> None:  # noqa: N802 - logging's name
        super().setFormatter(fmt)
        self.writer.setFormatter(fmt)

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        return record  # formatted by the writer, in its thread

    def close(self) -> None:
        if self.listener._thread is not None:  # noqa: SLF001 - stopping twice fails in the standard library
            self.listener.stop()
        super().close()


def formatters(settings: Settings) -> dict[str, dict[str, Any]]:
    """The ``standard`` formatter of the settings' log format, as ``logging.config`` takes it."""
    if settings.log_format == "json":
        return {"standard": {"()": JsonFormatter}}
    return {"standard": {"()": EscapingFormatter, "format": TEXT_FORMAT}}


def configure_process(settings: Settings) -> None:
    """Log as the app does, in a process without the app (the worker)."""
    logging.config.dictConfig({
        "version": 1, "disable_existing_loggers": False,
        "formatters": formatters(settings), "filters": {"request_id": {"()": RequestIdFilter}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "standard",
                                 "filters": ["request_id"]}},
        "root": {"level": settings.log_level, "handlers": ["console"]},
        "loggers": {name: {"level": "WARNING"} for name in DRIVER_LOGGERS},
    })
