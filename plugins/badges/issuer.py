"""The network as the issuer of credentials: its address, its profile, its keys, its signature."""

from __future__ import annotations

from typing import Any

from directory.plugin_api import clock, mail
from plugins.badges import credentials, keys


def site() -> str:
    return mail.site_url()


def issuer_id() -> str:
    return f"{site()}/badges/emetteur"


def issuer_profile() -> dict[str, Any]:
    """The issuer as credentials embed it (an Open Badges ``Profile``)."""
    return {"id": issuer_id(), "type": ["Profile"], "name": keys.badge_settings().issuer_name, "url": site()}


async def issuer_document() -> dict[str, Any]:
    """The issuer's public profile and controller document: every key ever used, as ``Multikey``."""
    methods = [{"id": f"{issuer_id()}#{public}", "type": "Multikey", "controller": issuer_id(),
                "publicKeyMultibase": public} for public in await keys.published()]
    return {"@context": [*credentials.CREDENTIAL_CONTEXTS, credentials.CID_CONTEXT], **issuer_profile(),
            "verificationMethod": methods, "assertionMethod": [method["id"] for method in methods]}


async def sign(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` signed now with the network's current key."""
    key = await keys.signing_key()
    method = f"{issuer_id()}#{credentials.public_multibase(key.public_key())}"
    return credentials.sign(document, key, method, clock.now())
