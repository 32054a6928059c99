"""Logs keep no secret: capability links, query values, and, at DEBUG, no statement's parameters.

A TPE's follow-up link lets anyone add to, close or delete its request; a provider's answer link
shows the TPE's name, e-mail and phone; a session id replayed as a cookie signs in. None of them,
nor a password, a password hash or an address, may reach a log record at any level.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest
from litestar import get
from litestar.params import FromPath

from directory.app import create_app
from directory.plugin_api import PUBLIC, hookimpl
from directory.tables import MailMessage
from directory.testing import STRONG, add_account, add_providers, csrf_token, provider_row, serve, sign_in

SITE = "http://annuaire.example.fr"
TPE = {"services": ["e-commerce"], "near": "29000", "description": "Une boutique en ligne pour notre crêperie.",
       "budget": "1000-3000", "start": "1-mois", "contact_name": "Anne Le Goff", "company_name": "Crêperie Ty Anne",
       "contact_email": "anne@ty-anne.fr", "contact_phone": "02 98 76 54 32", "consent": "oui"}


class Records:
    """Every log record created while it is installed, whatever its logger, level or handler."""

    def __enter__(self) -> list[logging.LogRecord]:
        self.records: list[logging.LogRecord] = []
        self.make = logging.getLogRecordFactory()

        def recording(*args, **kwargs):
            record = self.make(*args, **kwargs)
            self.records.append(record)
            return record

        logging.setLogRecordFactory(recording)
        return self.records

    def __exit__(self, *exc_info) -> None:
        logging.setLogRecordFactory(self.make)


def _text(records: list[logging.LogRecord]) -> str:
    """What the server would print: every message, the test client's own lines left out."""
    return "\n".join(record.getMessage() for record in records if not record.name.startswith("httpx"))


@get("/essai/{token:str}/voir", include_in_schema=False, opt=PUBLIC)
async def plugin_link(token: FromPath[str]) -> str:
    return "ok"


class LinkPlugin:
    @hookimpl
    def register_routes(self, register):
        register(plugin_link)


@pytest.fixture
async def quimper(settings, manual_clock):
    [slug] = await add_providers(provider_row(trade_name="Agence Odet", email="odet@example.fr",
                                              postal_code="29000", commune="Quimper", services="e-commerce"))
    await add_account("membre.odet@example.fr", provider=slug)
    return slug


async def _ask_for_quotes(client, manual_clock):
    page = (await client.get("/devis")).text
    fields = {"_csrf_token": re.search(r'name="_csrf_token" value="([^"]+)"', page)[1],
              "formulaire": re.search(r'name="formulaire" value="([^"]+)"', page)[1]}
    manual_clock.advance(seconds=30)
    sent = await client.post("/devis", data={**TPE, **fields})
    assert sent.status_code == 303, sent.text[:300]
    mails = {row["recipient"]: row["text"] for row in await MailMessage.select()}
    follow = re.search(rf"{SITE}(/devis/suivi/\S+)", mails["anne@ty-anne.fr"])[1]
    answer = re.search(rf"{SITE}(/demandes/reponse/\S+)", mails["membre.odet@example.fr"])[1]
    return follow, answer


@pytest.mark.parametrize("level", ["INFO", "DEBUG"])
async def test_a_quote_request_its_links_and_a_sign_in_leave_no_secret_in_any_log_record(
        settings, plugin_manager, quimper, manual_clock, level):
    root = logging.getLogger()
    before = root.level
    app = create_app(replace(settings, secret_key="k" * 40, public_url=SITE, log_level=level), plugin_manager)
    try:
        with Records() as records:
            async with serve(app) as client:
                in_force = root.level
                follow, answer = await _ask_for_quotes(client, manual_clock)
                assert (await client.get(follow)).status_code == 200
                assert "notre crêperie" in (await client.get(answer)).text
                await sign_in(client, "membre.odet@example.fr")
                session = client.cookies["ce_session"]
                changed = await client.post("/compte/mot-de-passe", data={
                    "current": STRONG, "new": "sept loutres nagent sous le pont Neuf",
                    "_csrf_token": await csrf_token(client, "/compte")})
                assert changed.status_code in (200, 303)
    finally:
        root.setLevel(before)
    logged = _text(records)
    assert '"GET /devis/suivi/…" 200' in logged and '"GET /demandes/reponse/…" 200' in logged
    secrets = {"follow link": follow.split("/")[-1], "answer link": answer.split("/")[-1], "session id": session,
               "password": STRONG, "new password": "sept loutres", "password hash": "$argon2id$",
               "TPE's e-mail": "anne@ty-anne.fr", "TPE's phone": "98 76 54 32", "member's e-mail": "membre.odet@",
               "TPE's name": "Anne Le Goff"}
    assert [name for name, secret in secrets.items() if secret in logged] == []
    assert in_force == logging.getLevelName(level)


async def test_every_capability_path_is_masked_plugins_and_wrong_methods_included(settings, plugin_manager):
    plugin_manager.register(LinkPlugin(), name="links")
    app = create_app(settings, plugin_manager)
    with Records() as records:
        async with serve(app) as client:
            for path in ("/compte/lien/Sésame-1", "/devis/suivi/Sésame-2", "/devis/suivi/Sésame-3/cloturer",
                         "/demandes/reponse/Sésame-4", "/essai/Sésame-5/voir"):
                await client.get(path)
    logged = _text(records)
    assert "Sésame" not in logged
    for masked in ("/compte/lien/…", "/devis/suivi/…", "/devis/suivi/…/cloturer", "/demandes/reponse/…",
                   "/essai/…/voir"):
        assert f"GET {masked}\"" in logged


async def test_query_values_are_masked_but_the_search_parameters(client):
    with Records() as records:
        await client.get("/compte/mot-de-passe?current=Sesame1&new=Sesame2&lone")
        await client.get("/recherche?q=site+vitrine&near=33000&page=2&radius_km=30&services=e-commerce")
        await client.get("/devis/suivi/abc?nouvelle=1&prestataire=pixel-gironde")
    logged = _text(records)
    assert "Sesame" not in logged and "lone" not in logged
    assert "/compte/mot-de-passe?current=…&new=…&…" in logged
    assert "/recherche?q=site+vitrine&near=33000&page=2&radius_km=30&services=e-commerce" in logged
    assert "/devis/suivi/…?nouvelle=1&prestataire=pixel-gironde" in logged


async def test_an_unexpected_error_on_a_capability_path_logs_the_path_masked(settings, plugin_manager):
    @get("/casse/{token:str}", include_in_schema=False, opt=PUBLIC)
    async def broken(token: FromPath[str]) -> str:
        raise ZeroDivisionError

    class Broken:
        @hookimpl
        def register_routes(self, register):
            register(broken)

    plugin_manager.register(Broken(), name="broken")
    with Records() as records:
        async with serve(create_app(settings, plugin_manager)) as client:
            assert (await client.get("/casse/Sesame9")).status_code == 500
    [error] = [record for record in records if record.name == "directory.errors"]
    assert "/casse/…" in error.getMessage() and "Sesame9" not in _text(records)


async def test_a_position_is_logged_to_the_kilometre_not_to_the_house(client):
    """"Autour de moi" puts the TPE's position, to about ten metres, in the address: the log keeps
    two decimals, next to the client's address."""
    with Records() as records:
        await client.get("/recherche?q=site&near=47.7483%2C-3.3700")
        await client.get("/api/places/resolved?near=47.74831,-3.37004")
    logged = _text(records)
    assert "7483" not in logged and "3700" not in logged and "37004" not in logged
    assert "/recherche?q=site&near=47.75,-3.37" in logged and "/api/places/resolved?near=47.75,-3.37" in logged
