#!/usr/bin/env python3
"""One command for newcomers: ``python3 dev.py serve`` or ``python3 dev.py test``.

It creates ``.venv`` on first use, installs the pinned dependencies from
``requirements-dev.lock`` and the front-end packages from ``package-lock.json`` (again only
when a lock file changes), then serves the
directory with the demo network loaded, or runs the test suite (on every core: ``-n 0`` keeps
one process). Needs only Python 3.11+.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements-dev.lock"
STAMP = VENV / ".installed-lock"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
USAGE = "usage: python3 dev.py serve [--host H] [--port P] | python3 dev.py test [pytest options]"


def ensure_environment() -> None:
    """Create the virtual environment and install the locked dependencies if needed."""
    if sys.version_info < (3, 11):  # noqa: UP036 - an older python3 may run this file: it says so
        sys.exit("Channel Expert needs Python 3.11 or newer.")
    fingerprint = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == fingerprint:
        return
    if not (BIN / "python").exists() and not (BIN / "python.exe").exists():
        print("Creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    python = str(BIN / "python")
    print("Installing pinned dependencies (requirements-dev.lock) …", flush=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(LOCK)], check=True)
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(fingerprint)


def ensure_assets() -> None:
    """Install the locked front-end packages (the map) when ``package-lock.json`` changes."""
    lock = ROOT / "package-lock.json"
    stamp = ROOT / "node_modules" / ".vendored-lock"
    fingerprint = hashlib.sha256(lock.read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == fingerprint:
        return
    print("Installing front-end packages (package-lock.json) …", flush=True)
    if subprocess.run([sys.executable, str(ROOT / "scripts" / "vendor_assets.py")], check=False).returncode:
        print("The results map is unavailable until the front-end packages are installed.", file=sys.stderr)
        return
    stamp.write_text(fingerprint)


def run(*command: str, environment: dict[str, str] | None = None) -> int:
    return subprocess.run(command, cwd=ROOT, check=False, env=environment).returncode


def test_environment() -> dict[str, str]:
    """This environment, bytecode caches allowed: the suite starts dozens of processes (workers,
    commands, servers), and with ``PYTHONDONTWRITEBYTECODE`` set, as on some machines, each one
    compiled every module again and pytest rewrote every test module again: a sixth of the run."""
    return {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def pytest_arguments(argv: list[str]) -> list[str]:
    """The suite on every core (pytest-xdist, one database per worker) unless the options say how
    many processes (``-n 0``: one), ask for the debugger, which needs the tests in this process,
    or only collect them."""
    chosen = any(arg in ("-n", "--numprocesses", "--pdb", "--trace", "--co", "--collect-only")
                 or arg.startswith(("-n", "--numprocesses=")) for arg in argv) or "no:xdist" in argv
    return argv if chosen else ["-n", "auto", *argv]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("serve", "test"):
        print(USAGE, file=sys.stderr)
        return 2
    ensure_environment()
    ensure_assets()
    if argv[0] == "serve":
        seeded = run(str(BIN / "channel-expert"), "seed", "--if-empty")
        if seeded:
            return seeded
        return run(str(BIN / "channel-expert"), "serve", *argv[1:])
    return run(str(BIN / "python"), "-m", "pytest", *pytest_arguments(argv[1:]), environment=test_environment())


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
