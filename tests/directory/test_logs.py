"""Log lines are formatted and written by a thread of their own, whole: the request id of the
request that logged them, and a failure's traceback in the JSON lines' ``error``."""

from __future__ import annotations

import io
import json
import logging

from directory.logs import REQUEST_ID, BackgroundHandler, JsonFormatter, RequestIdFilter


def test_a_line_keeps_its_request_id_and_its_traceback_on_its_way_to_the_writer():
    handler = BackgroundHandler()
    handler.writer.setStream(written := io.StringIO())
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("tests.background")
    logger.addHandler(handler)
    logger.propagate = False
    token = REQUEST_ID.set("0123456789abcdef")
    try:
        try:
            raise ValueError("la base a disparu")
        except ValueError:
            logger.exception("échec de %s", "l'import")
    finally:
        REQUEST_ID.reset(token)
        logger.removeHandler(handler)
        handler.close()  # waits for the writer: every queued line is written
        handler.close()  # and a second close, at exit, is harmless
    [line] = written.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["message"] == "échec de l'import" and entry["request_id"] == "0123456789abcdef"
    assert "ValueError: la base a disparu" in entry["error"] and "Traceback" in entry["error"]
