"""The client a request comes from, for rate limits: X-Forwarded-For counts only from a trusted proxy."""

from __future__ import annotations

from dataclasses import replace

import pytest

from directory.app import create_app
from directory.routes.accounts import ATTEMPTS_PER_CLIENT
from directory.settings import Settings, SettingsError
from directory.testing import csrf_token, serve

# The test client connects from 127.0.0.1, as a local reverse proxy (or a local attacker) would.


async def _sign_in_attempts(client, count: int, forwarded_for) -> list[int]:  # noqa: ANN001 - a callable of i
    """``count`` wrong sign-ins for unknown accounts (no account lock), each with its X-Forwarded-For."""
    token = await csrf_token(client, "/compte/connexion")
    statuses = []
    for i in range(count):
        answer = await client.post("/compte/connexion", headers={"X-Forwarded-For": forwarded_for(i)},
                                   data={"email": f"personne{i}@example.fr", "password": "pas le bon",
                                         "_csrf_token": token})
        statuses.append(answer.status_code)
    return statuses


async def test_without_a_trusted_proxy_a_rotating_forwarded_for_still_hits_the_sign_in_limit(settings,
                                                                                           plugin_manager):
    async with serve(create_app(replace(settings, trusted_proxies=()), plugin_manager)) as client:
        statuses = await _sign_in_attempts(client, ATTEMPTS_PER_CLIENT + 1, lambda i: f"203.0.113.{i + 1}")
    assert statuses[:ATTEMPTS_PER_CLIENT] == [400] * ATTEMPTS_PER_CLIENT and statuses[-1] == 429


async def test_an_untrusted_peer_cannot_borrow_a_trusted_proxys_header(settings, plugin_manager):
    async with serve(create_app(replace(settings, trusted_proxies=("10.0.0.5",)), plugin_manager)) as client:
        statuses = await _sign_in_attempts(client, ATTEMPTS_PER_CLIENT + 1, lambda i: f"203.0.113.{i + 1}")
    assert statuses[-1] == 429


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(settings, plugin_manager):
    async with serve(create_app(replace(settings, trusted_proxies=("127.0.0.1",)), plugin_manager)) as client:
        one_client = await _sign_in_attempts(client, ATTEMPTS_PER_CLIENT + 1, lambda i: "198.51.100.7")
        another = await _sign_in_attempts(client, 1, lambda i: "198.51.100.8")
        # A client that forges a header is named by the proxy's last hop, which it cannot forge.
        forged = await _sign_in_attempts(client, 1, lambda i: "198.51.100.9, 198.51.100.7")
    assert one_client[-1] == 429 and another == [400] and forged == [429]


def test_trusted_proxies_are_addresses_or_networks():
    assert Settings.from_env({"CHANNEL_EXPERT_TRUSTED_PROXIES": "10.0.0.5, 172.18.0.0/16"}).trusted_proxies == (
        "10.0.0.5", "172.18.0.0/16")
    assert Settings.from_env({}).trusted_proxies == ()
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        Settings(trusted_proxies=("le-proxy",))
