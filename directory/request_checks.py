"""Why a request's path, query string or body is refused before any route reads it, or None.

Decoders raise ``RecursionError`` on JSON nested about a thousand deep and
``UnicodeDecodeError`` on invalid UTF-8, and PostgreSQL refuses a NUL in any text a query
carries (SQLite keeps it): a 500 on one engine, a stored NUL on the other. The edge of the app
(``directory.edges``) asks these pure functions about every query string and every body of an
unsafe method, so no route, rate limit or database ever sees such input.

A number in a path is read by Python's ``int``, which has no bound; the drivers do: SQLite
raises ``OverflowError`` past 64 bits, and PostgreSQL's ``integer``, which Piccolo's ``Serial``
ids are, stops at 2**31 - 1 (asyncpg raises). No id is larger, so a larger number names nothing.

A route decodes its body as JSON whatever the declared content type, so every body but a
multipart one is checked as JSON could be; urlencoded forms are also checked field by field
once percent-decoded, and multipart forms in their text fields (files may hold any byte).
"""

from __future__ import annotations

import re
from itertools import accumulate
from urllib.parse import unquote_to_bytes

import multipart

from directory.problems import REFUSALS

# Deeper than any document the directory reads (an Open Badges credential is about 6 levels),
# far below the depth where a decoder runs out of stack wherever it is called.
MAX_JSON_DEPTH = 64
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
# ``\u0000`` after an even number of backslashes (an odd number would make it the text "\u0000").
_ESCAPED_NUL = re.compile(rb"(?<!\\)(?:\\\\)*\\u0000")
# Brackets become +1 and -1 (as signed bytes); everything else is left out.
_LEVELS = bytes(1 if byte in b"[{" else 255 if byte in b"]}" else 0 for byte in range(256))
_NOT_BRACKETS = bytes(byte for byte in range(256) if byte not in b"[]{}")
_TOO_DEEP = REFUSALS["depth"].format(levels=MAX_JSON_DEPTH)
_CONTROL_IN_PATH = re.compile(r"[\x00-\x1f\x7f]")
_DIGIT = re.compile(r"\d")
LARGEST_ID = 2**31 - 1


def path_names_nothing(path: str) -> bool:
    """Whether a path holds a control character, or a number no id can be (see the module docstring)."""
    return bool(_CONTROL_IN_PATH.search(path)) or any(
        _beyond_ids(segment) for segment in path.split("/") if _DIGIT.search(segment))


def _beyond_ids(segment: str) -> bool:
    try:
        return abs(int(segment)) > LARGEST_ID  # int as Litestar reads an ``{id:int}`` segment
    except ValueError:  # not a number, or longer than int reads (Litestar's 404 then)
        return False


def query_refusal(query: bytes) -> str | None:
    """Why a raw query string is refused: a NUL, raw or percent-encoded."""
    return REFUSALS["nul"] if b"%00" in query or b"\x00" in query else None


def body_refusal(body: bytes, content_type: bytes) -> str | None:
    """Why a request body is refused, whatever route it is for."""
    media_type, options = multipart.parse_options_header(content_type.decode("latin-1"))
    if media_type == "multipart/form-data":
        return _multipart_refusal(body, options.get("boundary", ""))
    if media_type == "application/x-www-form-urlencoded":
        why = _text_refusal(unquote_to_bytes(body.replace(b"+", b" ")))
        if why:
            return why
    return json_refusal(body)


def json_refusal(data: bytes) -> str | None:
    """Why text that may be decoded as JSON is refused: nested too deep, not UTF-8, or holding a NUL.

    Text that is not JSON at all passes: whoever decodes it says so in its own words.
    """
    if _too_deep(data):
        return _TOO_DEEP
    escaped_nul = b"\\u0000" in data and _ESCAPED_NUL.search(data)
    return _text_refusal(data) or (REFUSALS["nul"] if escaped_nul else None)


def _too_deep(data: bytes) -> bool:
    if data.count(b"[") + data.count(b"{") <= MAX_JSON_DEPTH:
        return False
    levels = memoryview(_JSON_STRING.sub(b"", data).translate(_LEVELS, _NOT_BRACKETS)).cast("b")
    return max(accumulate(levels), default=0) > MAX_JSON_DEPTH


def _text_refusal(text: bytes) -> str | None:
    if b"\x00" in text:
        return REFUSALS["nul"]
    try:
        text.decode("utf-8")
    except UnicodeDecodeError:
        return REFUSALS["utf8"]
    return None


def _multipart_refusal(body: bytes, boundary: str) -> str | None:
    """The first text field's refusal; a body that is not multipart is left to the route's parser."""
    if not boundary:
        return None
    parser = multipart.PushMultipartParser(boundary)
    field: bytearray | None = None
    try:
        for event in [*parser.parse(body), *parser.parse(b"")]:
            if isinstance(event, multipart.MultipartSegment):
                field = None if event.filename is not None else bytearray()
            elif event is None:
                if field is not None and (why := _text_refusal(bytes(field))):
                    return why
                field = None
            elif field is not None:
                field += event
    except multipart.MultipartError:
        return None
    return None
