"""``channel-expert serve`` and the public URL: links and badges name the address people reach the site at.

With ``CHANNEL_EXPERT_PUBLIC_URL`` set, that address; without it, ``serve`` names the address it
listens on (and says so), while other processes, which cannot know it, refuse to write links.
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import re
import subprocess
import time
from pathlib import Path

import httpx

from directory.settings import Settings
from directory.tables import Provider
from directory.testing import add_providers, provider_row
from plugins.badges.tables import BadgeAward
from tests.conftest import COMMAND, free_port

START_WITHIN_S = 60.0


def _without_public_url(environment: dict[str, str], **extra: str) -> dict[str, str]:
    return {**{k: v for k, v in environment.items() if k != "CHANNEL_EXPERT_PUBLIC_URL"}, **extra}


def _wait_for(condition, within_s: float, message: str):  # noqa: ANN001, ANN202 - a callable and its result
    start = time.monotonic()
    while not (found := condition()):
        if time.monotonic() - start > within_s:
            raise AssertionError(message)
        time.sleep(0.1)
    return found


def _health(url: str) -> bool:
    with contextlib.suppress(httpx.HTTPError):
        return httpx.get(f"{url}/health", timeout=2).status_code == 200
    return False


def _claim(url: str, slug: str) -> None:
    """Ask for the claim link of ``slug`` as a browser does: the page, then its form."""
    with httpx.Client(base_url=url, timeout=10) as browser:
        page = browser.get(f"/compte/revendiquer/{slug}")
        token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)[1]
        sent = browser.post(f"/compte/revendiquer/{slug}", data={"_csrf_token": token})
        assert sent.status_code == 200 and "Un lien vient d'être envoyé" in sent.text.replace("&#39;", "'")


def _mail_texts(folder: Path) -> list[str]:
    return [email.message_from_bytes(path.read_bytes(), policy=email.policy.default).get_body(("plain",)).get_content()
            for path in sorted(folder.glob("*.eml"))]


async def test_serve_without_a_public_url_writes_links_with_the_port_it_listens_on(environment, tmp_path):
    [slug] = await add_providers(provider_row(trade_name="Alpha Web", email="contact@alpha.fr"))
    port, mail = free_port(), tmp_path / "mail"
    server = subprocess.Popen([*COMMAND, "serve", "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=_without_public_url(environment, CHANNEL_EXPERT_MAIL_DIR=str(mail),
                                                                 CHANNEL_EXPERT_WORKER_IN_APP="true"))
    url = f"http://127.0.0.1:{port}"
    try:
        await asyncio.to_thread(_wait_for, lambda: _health(url), START_WITHIN_S, f"{url} did not start")
        await asyncio.to_thread(_claim, url, slug)
        [text] = await asyncio.to_thread(_wait_for, lambda: _mail_texts(mail), 30, "no claim mail was delivered")
    finally:
        server.terminate()
        printed, _ = server.communicate(timeout=30)
    assert f"{url}/compte/lien/" in text and ":8000" not in text
    assert f"Adresse publique (liens des messages, badges) : {url}, celle d'écoute" in printed
    assert "définissez-la en production avant le premier badge" in printed


def test_the_public_url_set_wins_and_an_address_on_every_interface_names_the_loopback():
    assert Settings(public_url="https://annuaire.example.fr").served_at("0.0.0.0", 8080).public_url == (
        "https://annuaire.example.fr")
    assert Settings().served_at("0.0.0.0", 8080).public_url == "http://127.0.0.1:8080"
    assert Settings().served_at("::", 8080).public_url == "http://[::1]:8080"
    assert Settings().served_at("localhost", 8141).public_url == "http://localhost:8141"
    assert Settings().served_at().public_url == "http://127.0.0.1:8000"
    assert Settings.from_env({}).public_url == ""


async def test_without_a_public_url_a_worker_warns_and_a_command_signs_no_badge_with_a_guessed_address(environment):
    [slug] = await add_providers(provider_row(trade_name="Alpha Web", email="contact@alpha.fr"))

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([*COMMAND, *args], env=_without_public_url(environment), capture_output=True,
                              text=True, timeout=120)

    worker = await asyncio.to_thread(run, "worker", "--once")
    assert worker.returncode == 0 and "CHANNEL_EXPERT_PUBLIC_URL n'est pas défini" in worker.stderr
    refused = await asyncio.to_thread(run, "badges", "award", slug, "specialiste-cybersecurite")
    assert refused.returncode == 1 and "CHANNEL_EXPERT_PUBLIC_URL is not set" in refused.stderr
    assert "Traceback" not in refused.stderr
    provider = await Provider.select(Provider.id).where(Provider.slug == slug).first()
    assert await BadgeAward.count().where(BadgeAward.provider == provider["id"]) == 0
