"""What logs may not keep: secrets that travel in paths are cut out before a line is written."""

from __future__ import annotations

import re

# Paths that carry a secret: the single-use links sent by mail.
_SECRET_IN_PATH = re.compile(r"^(/compte/lien/)[^/]+")


def loggable_path(path: str) -> str:
    """A path as logs may keep it: a single-use link's token is replaced by "…"."""
    return _SECRET_IN_PATH.sub(r"\1…", path)
