"""Deny by default: every route says who may call it, and the guard holds to it."""

from __future__ import annotations

from dataclasses import replace

import pytest
from litestar import get
from litestar.routes import HTTPRoute

from directory.accounts import users
from directory.accounts.guards import declared
from directory.app import create_app
from directory.plugin_api import STAFF, hookimpl
from directory.tables import Account, Membership
from directory.testing import STRONG, serve, sign_in


def test_every_route_of_the_app_declares_its_access(settings, plugin_manager):
    app = create_app(settings, plugin_manager)
    undeclared = sorted(f"{sorted(handler.http_methods)} {route.path}" for route in app.routes
                        if isinstance(route, HTTPRoute) for handler in route.route_handlers if declared(handler) is None)
    assert undeclared == []


@get("/equipe/tableau", include_in_schema=False, opt=STAFF)
async def staff_board() -> str:
    return "tableau de l'équipe"


@get("/oublie", include_in_schema=False)
async def forgotten() -> str:
    return "ouvert à tous ?"


class Routes:
    @hookimpl
    def register_routes(self, register):
        register(staff_board)
        register(forgotten)


@pytest.fixture
async def site(apps, settings, plugin_manager):
    await Membership.delete(force=True)
    await Account.delete(force=True)
    await users.add_staff("equipe@example.fr", STRONG)
    member = await users.add_staff("membre@example.fr", STRONG)
    await Account.update({Account.is_staff: False}).where(Account.email == member.email)
    plugin_manager.register(Routes(), name="routes")
    async with serve(apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False), plugin_manager)) as client:
        yield client


async def test_a_route_that_declares_nothing_is_refused_to_everyone(site):
    assert (await site.get("/oublie")).status_code == 403
    await sign_in(site, "equipe@example.fr")
    assert (await site.get("/oublie")).status_code == 403


@pytest.mark.parametrize("who, status", [(None, 401), ("membre@example.fr", 403), ("equipe@example.fr", 200)])
async def test_staff_pages_are_for_staff_only(site, who, status):
    if who:
        await sign_in(site, who)
    answer = await site.get("/equipe/tableau")
    assert answer.status_code == status
    if status == 401:
        assert answer.json()["detail"] == "Connectez-vous pour accéder à cette page."
        browser = await site.get("/equipe/tableau", headers={"accept": "text/html"})
        assert browser.status_code == 303 and browser.headers["location"] == "/compte/connexion"
