"""The network's signing key: read from outside the database, its public half published.

The secret key is the ``CHANNEL_EXPERT_BADGES_SIGNING_KEY`` setting (a ``Multikey`` secret,
``z…``), or else the file ``CHANNEL_EXPERT_BADGES_SIGNING_KEY_FILE`` names; a missing file is
created with a new key (readable by its owner only) so a new installation signs at once. The
key is never logged nor stored in the database: only its public half is, in ``SigningKey``,
and every public key ever recorded is published, so that after a new key is introduced the
credentials signed with the old one still verify.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from pathlib import Path

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from directory.plugin_api import Secret, clock, kept, settings_of
from plugins.badges import credentials
from plugins.badges.tables import SigningKey

logger = logging.getLogger("plugins.badges")


class BadgeSettings(msgspec.Struct, kw_only=True):
    """The ``CHANNEL_EXPERT_BADGES_…`` settings."""

    signing_key: Secret = ""  # the secret key itself; wins over the file
    signing_key_file: str = "var/badges-signing.key"
    issuer_name: str = "Réseau Channel Expert"


def badge_settings() -> BadgeSettings:
    return settings_of("plugins.badges")


class SigningKeyError(RuntimeError):
    """The configured key cannot be read: the message says where, never what."""


def write_new_key(path: Path) -> str:
    """Write a new secret key to ``path`` (owner-only); returns its public ``Multikey``.

    The key is written to a temporary file first, then linked into place: a reader never sees
    a half-written key, and of two processes creating it at once, one wins (``FileExistsError``
    for the other, which then reads the winner's).
    """
    key = Ed25519PrivateKey.generate()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".new-key-")
    try:
        with os.fdopen(descriptor, "w") as file:  # mkstemp made it readable by its owner only
            file.write(credentials.secret_multibase(key) + "\n")
        os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return credentials.public_multibase(key.public_key())


def _secret_key(settings: BadgeSettings) -> Ed25519PrivateKey:
    if settings.signing_key:
        origin, text = "CHANNEL_EXPERT_BADGES_SIGNING_KEY", settings.signing_key
    else:
        path = Path(settings.signing_key_file)
        with contextlib.suppress(FileExistsError):  # another process made it first: use that one
            if not path.exists():
                logger.warning("new badge signing key written to %s (public key %s)", path, write_new_key(path))
        origin, text = str(path), path.read_text(encoding="utf-8")
    try:
        return credentials.secret_key(text)
    except (credentials.CredentialError, ValueError) as error:
        raise SigningKeyError(f"la clé de signature des badges ({origin}) est illisible : {error}") from None


class _SigningKeys:
    """The key of the settings it was read with, its public half recorded in the app's database:
    read once per app (a new key takes a restart, as docs/badges.md says), not on every signature."""

    def __init__(self) -> None:
        self.key: Ed25519PrivateKey | None = None

    async def current(self) -> Ed25519PrivateKey:
        if self.key is None:
            key = _secret_key(badge_settings())
            await SigningKey.insert(SigningKey(public_key=credentials.public_multibase(key.public_key()),
                                               introduced_at=clock.now())).on_conflict(
                target=SigningKey.public_key, action="DO NOTHING")
            self.key = key
        return self.key


async def signing_key() -> Ed25519PrivateKey:
    """The current secret key, its public half recorded for publication."""
    return await kept("plugins.badges.signing-key", _SigningKeys).current()


async def published() -> dict[str, Ed25519PublicKey]:
    """Every public key recorded, by its ``Multikey``, oldest first."""
    rows = await SigningKey.select(SigningKey.public_key).order_by(SigningKey.id)
    return {row["public_key"]: credentials.public_key(row["public_key"]) for row in rows}
