"""``channel-expert serve``: the address links and badges name, and the clients it trusts.

With ``CHANNEL_EXPERT_PUBLIC_URL`` set, links name that address; without it, ``serve`` names
the address it listens on (and says so), while other processes, which cannot know it, refuse to
write links. X-Forwarded-For counts only from ``CHANNEL_EXPERT_TRUSTED_PROXIES`` (none by default).
"""

from __future__ import annotations

import asyncio
import contextlib
import email
import email.policy
import json
import re
import subprocess
import time
from pathlib import Path

import httpx

from directory.routes.accounts import ATTEMPTS_PER_CLIENT
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


@contextlib.asynccontextmanager
async def _serving(environment: dict[str, str], **extra: str):
    """``channel-expert serve`` on a free port of 127.0.0.1, started, without a public URL; yields
    its address and, once it has stopped, fills ``printed`` with what it wrote (its output, then its log)."""
    port = free_port()
    server = subprocess.Popen([*COMMAND, "serve", "--port", str(port)], stdout=subprocess.PIPE,  # noqa: ASYNC220 - it runs beside the test
                              stderr=subprocess.PIPE, text=True, env=_without_public_url(environment, **extra))
    url, printed = f"http://127.0.0.1:{port}", []
    try:
        await asyncio.to_thread(_wait_for, lambda: _health(url), START_WITHIN_S, f"{url} did not start")
        yield url, printed
    finally:
        server.terminate()
        printed.extend(server.communicate(timeout=30))


async def test_serve_without_a_public_url_writes_links_with_the_port_it_listens_on(environment, tmp_path):
    [slug] = await add_providers(provider_row(trade_name="Alpha Web", email="contact@alpha.fr"))
    mail = tmp_path / "mail"
    async with _serving(environment, CHANNEL_EXPERT_MAIL_DIR=str(mail), CHANNEL_EXPERT_WORKER_IN_APP="true") as (
            url, printed):
        await asyncio.to_thread(_claim, url, slug)
        [text] = await asyncio.to_thread(_wait_for, lambda: _mail_texts(mail), 30, "no claim mail was delivered")
    assert f"{url}/compte/lien/" in text and ":8000" not in text
    assert f"Adresse publique (liens des messages, badges) : {url}, celle d'écoute" in printed[0]
    assert "définissez-la en production avant le premier badge" in printed[0]


def _sign_ins_forwarded_for_others(url: str, count: int) -> list[int]:
    """``count`` wrong sign-ins from this machine, each claiming another client in X-Forwarded-For."""
    with httpx.Client(base_url=url, timeout=10) as browser:
        token = re.search(r'name="_csrf_token" value="([^"]+)"', browser.get("/compte/connexion").text)[1]
        return [browser.post("/compte/connexion", headers={"X-Forwarded-For": f"203.0.113.{i + 1}"},
                             data={"email": f"personne{i}@example.fr", "password": "pas le bon",
                                   "_csrf_token": token}).status_code for i in range(count)]


async def test_serve_trusts_no_forwarded_for_by_default_not_even_from_this_machine(environment):
    async with _serving(environment, CHANNEL_EXPERT_WORKER_IN_APP="false") as (url, _):
        statuses = await asyncio.to_thread(_sign_ins_forwarded_for_others, url, ATTEMPTS_PER_CLIENT + 1)
    assert statuses[:-1] == [400] * ATTEMPTS_PER_CLIENT and statuses[-1] == 429


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


def _ask(url: str) -> str:
    """A search with a value the log must not keep; the answer's request id."""
    asked = {"q": "site", "near": "33000", "motdepasse": "s3cret-ici"}
    answered = httpx.get(f"{url}/recherche", params=asked, headers={"accept": "text/html"}, timeout=10)
    assert answered.status_code == 200
    return answered.headers["x-request-id"]


async def test_serve_logs_json_lines_with_the_request_id_when_asked(environment):
    async with _serving(environment, CHANNEL_EXPERT_LOG_FORMAT="json", CHANNEL_EXPERT_LOG_LEVEL="INFO",
                        CHANNEL_EXPERT_WORKER_IN_APP="false") as (url, printed):
        rid = await asyncio.to_thread(_ask, url)
    lines = [json.loads(line) for line in printed[1].splitlines() if line.strip()]  # every line is JSON
    assert {"time", "level", "logger", "message"} <= set(lines[0])
    [access] = [line for line in lines
                if line["logger"] == "directory.access" and line.get("request_id") == rid]
    assert access["http"]["method"] == "GET" and access["http"]["status"] == 200
    assert access["http"]["target"].startswith("/recherche?") and "motdepasse=…" in access["http"]["target"]
    assert "s3cret-ici" not in printed[1]
    assert any(line["logger"].startswith("uvicorn") for line in lines)  # the server's own lines too
