"""The funnel of outcomes: staff's page and its CSV, and each provider's own on its dashboard."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest

from directory.tables import Provider
from directory.testing import sign_in
from plugins.reviews.tables import Engagement

ODET_ROW = ["Agence Odet", "3", "3", "2", "1", "1", "1", "1"]
KERF_ROW = ["Studio Kerfeunteun", "1", "1", "1", "1", "0", "0", "0"]


@pytest.fixture
async def outcomes(site, network, manual_clock):
    """Agence Odet accepted three requests in Finistère (ordered, not retained, never answered),
    Studio Kerfeunteun one in Morbihan (a quote)."""
    ids = {row["slug"]: row["id"] for row in await Provider.select(Provider.id, Provider.slug)}
    odet, kerf, now = ids[network["odet"]], ids[network["kerf"]], manual_clock.now()
    for provider, departement, values in (
            (odet, "29", {"tpe_outcome": "commande", "provider_outcome": "devis-recu", "asks": 1}),
            (odet, "29", {"provider_outcome": "pas-retenu", "asks": 2}),
            (odet, "29", {"asks": 2, "without_news_at": now}),
            (kerf, "56", {"tpe_outcome": "devis-recu", "asks": 1})):
        await Engagement.insert(Engagement(lead_id=1, provider=provider, departement=departement,
                                           accepted_at=now - timedelta(days=50), **values))


def _table_rows(html: str, caption: str) -> list[list[str]]:
    """The header and rows of the page's table with ``caption``, as text."""
    table = re.search(rf"<caption[^>]*>{re.escape(caption)}</caption>(.*?)</table>", html, re.DOTALL)[1]
    cells = r"<t[hd][^>]*>(.*?)</t[hd]>"
    return [[re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(cells, row, re.DOTALL)]
            for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)]


async def test_staff_see_the_funnel_per_provider_and_per_departement(site, outcomes):
    await sign_in(site, "equipe@example.fr")
    page = await site.get("/equipe/suites")
    assert page.status_code == 200
    providers = _table_rows(page.text, "Suites par prestataire")
    assert providers[0] == ["Prestataire", "Acceptées", "Interrogées", "Réponses", "Devis", "Commandes",
                            "Pas retenu", "Sans nouvelles"]
    assert providers[1:] == [ODET_ROW, KERF_ROW, ["Ensemble", "4", "4", "3", "2", "1", "1", "1"]]
    departements = _table_rows(page.text, "Suites par département")
    assert [row[0] for row in departements[1:]] == ["29", "56", "Ensemble"]
    assert departements[1][1:] == ODET_ROW[1:]


@pytest.mark.parametrize("by, caption", [("prestataires", "Suites par prestataire"),
                                         ("departements", "Suites par département")])
async def test_each_csv_download_holds_the_table_of_the_page(site, outcomes, by, caption):
    await sign_in(site, "equipe@example.fr")
    page = await site.get("/equipe/suites")
    download = await site.get(f"/equipe/suites/{by}.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    assert f'filename="suites-{by}.csv"' in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig")), delimiter=";"))
    assert rows == _table_rows(page.text, caption)
    assert (await site.get("/equipe/suites/autre.csv")).status_code == 404


@pytest.mark.parametrize("path", ["/equipe/suites", "/equipe/suites/prestataires.csv"])
async def test_the_funnel_is_staffs_only(site, outcomes, path):
    anonymous = await site.get(path, follow_redirects=False)
    assert anonymous.status_code in (302, 303, 401, 403) and "Agence Odet" not in anonymous.text
    await sign_in(site, "membre.odet@example.fr")
    member = await site.get(path, follow_redirects=False)
    assert member.status_code in (302, 303, 403) and "Studio Kerfeunteun" not in member.text


async def test_a_provider_sees_its_own_funnel_and_no_other_on_its_dashboard(site, outcomes):
    await sign_in(site, "membre.odet@example.fr")
    page = await site.get("/compte/demandes")
    assert "Suites de vos demandes acceptées" in page.text
    assert _table_rows(page.text, "Suites de vos demandes acceptées")[1:] == [ODET_ROW]
    assert "Studio Kerfeunteun" not in page.text and "Ensemble" not in page.text


async def test_a_provider_without_accepted_requests_sees_no_funnel(site, network):
    await sign_in(site, "membre.steir@example.fr")
    page = await site.get("/compte/demandes")
    assert page.status_code == 200 and "Suites de vos demandes acceptées" not in page.text
