"""Anyone reports outdated information on a listing; staff see the reports and deal with them."""

from __future__ import annotations

import html
from dataclasses import replace

import pytest

from directory.accounts import users
from directory.tables import Account, Report, StoreEntry
from directory.testing import STRONG, add_providers, csrf_token, provider_row, serve


@pytest.fixture
async def site(apps, settings, plugin_manager):
    for table in (Report, Account, StoreEntry):
        await table.delete(force=True)
    await users.add_staff("equipe@example.fr", STRONG)
    async with serve(apps.app(replace(settings, secret_key="k" * 40, worker_in_app=False),
                                plugin_manager)) as client:
        yield client



async def _report(client, slug, **fields):
    path = f"/prestataires/{slug}/signaler"
    return await client.post(path, data={"_csrf_token": await csrf_token(client, path), **fields})


async def test_a_report_reaches_the_staff_queue_and_is_dealt_with(site):
    [slug] = await add_providers(provider_row())
    assert f"/prestataires/{slug}/signaler" in (await site.get(f"/prestataires/{slug}")).text
    sent = await _report(site, slug, message="Le numéro de téléphone ne répond plus.", contact="Tpe@Example.fr")
    assert sent.status_code == 200 and "l'équipe du réseau va vérifier la fiche" in html.unescape(sent.text)

    assert (await site.get("/equipe/signalements")).status_code == 401  # not for visitors
    path = "/compte/connexion"
    await site.post(path, data={"email": "equipe@example.fr", "password": STRONG,
                                "_csrf_token": await csrf_token(site, path)})
    queue = await site.get("/equipe/signalements")
    assert "Le numéro de téléphone ne répond plus." in queue.text and "tpe@example.fr" in queue.text
    [report] = await Report.select(Report.id)
    done = await site.post(f"/equipe/signalements/{report['id']}/traite",
                           data={"_csrf_token": await csrf_token(site, "/equipe/signalements")})
    assert done.status_code == 303
    assert "Aucun signalement en attente." in (await site.get("/equipe/signalements")).text


async def test_robots_filling_the_hidden_field_are_thanked_and_ignored(site):
    [slug] = await add_providers(provider_row())
    sent = await _report(site, slug, message="Achetez nos montres pas chères !", site_web="http://spam.example")
    assert sent.status_code == 200 and await Report.count() == 0


@pytest.mark.parametrize("fields, error", [
    ({"message": "court"}, "10 à 2000 caractères"),
    ({"message": "Adresse fausse \u202e depuis 2024", "contact": ""}, "Caractère de contrôle interdit"),
    ({"message": "Le site web ne fonctionne plus.", "contact": "pas-une-adresse"}, "n'est pas valide"),
])
async def test_a_bad_report_is_explained_in_french_and_keeps_what_was_typed(site, fields, error):
    [slug] = await add_providers(provider_row())
    refused = await _report(site, slug, **fields)
    assert refused.status_code == 400 and error in html.unescape(refused.text)
    assert html.escape(fields["message"], quote=False) in refused.text and await Report.count() == 0


async def test_reports_are_rate_limited_per_client(site):
    [slug] = await add_providers(provider_row())
    for _ in range(5):
        assert (await _report(site, slug, message="Les horaires ont changé.")).status_code == 200
    assert (await _report(site, slug, message="Les horaires ont changé.")).status_code == 429
