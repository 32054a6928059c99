"""A provider's statistics and the network's dashboard: who sees them, what they show, and CSVs
that hold exactly the charts' data."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from directory.tables import Provider
from directory.testing import add_account, serve, sign_in
from plugins.badges import awards
from plugins.badges.tables import BadgeAward
from plugins.insights import answer_times, counting, network, rollup, statistics, weeks
from plugins.insights.tables import TABLES
from tests.plugins.insights.test_counting import a_server
from tests.plugins.leads.test_flow import network as quimper  # noqa: F401 - the Quimper network, with its members

TODAY = datetime(2026, 3, 11, 10, 0, tzinfo=UTC)  # a Wednesday; its week starts on 9 March
WEEK = date(2026, 3, 9)


async def seed_counts(quimper: dict[str, str]) -> None:
    """Two weeks of counts for Agence Odet and two of its comparables, and the network's."""
    for table in TABLES:
        await table.delete(force=True)
    ids = {row["slug"]: row["id"] for row in await Provider.select(Provider.id, Provider.slug)}
    odet, kerf, dz = (ids[quimper[name]] for name in ("odet", "kerf", "dz"))
    await counting.add([(odet, date(2026, 3, 9), "shown", 10), (odet, date(2026, 3, 10), "shown", 2),
                        (odet, date(2026, 3, 2), "visits", 4), (kerf, date(2026, 3, 10), "shown", 6),
                        (odet, WEEK, "offered", 2), (kerf, WEEK, "offered", 1), (dz, WEEK, "offered", 1),
                        (odet, WEEK, "answered", 2), (odet, WEEK, answer_times.counter(3600), 1),
                        (odet, WEEK, answer_times.counter(2 * 3600), 1),
                        (kerf, WEEK, answer_times.counter(5 * 3600), 1),
                        (odet, date(2025, 1, 1), "visits", 99)])  # more than 12 months ago
    await counting.add_network([(WEEK, "received", 2), (WEEK, "offered", 4), (WEEK, "searches", 30),
                                (WEEK, "searches_empty", 3), (WEEK, "received@29", 2),
                                (WEEK, answer_times.counter(3600), 1),
                                (WEEK, answer_times.counter(2 * 3600), 2)])
    await rollup.roll_up(TODAY.date())


@pytest.fixture
async def site(settings, quimper, manual_clock):
    manual_clock._now = TODAY
    await seed_counts(quimper)
    async with serve(a_server(settings, "a")) as client:
        yield client


def read_csv(text: str) -> list[list[str]]:
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:]), delimiter=";"))


async def test_a_member_sees_its_weekly_figures_beside_its_comparables(site, quimper):
    await sign_in(site, "membre.odet@example.fr")
    page = await site.get(f"/compte/prestataires/{quimper['odet']}/statistiques")
    assert page.status_code == 200, page.text
    assert "3 autres\n    fiches « Agence web »" in page.text  # Studio Kerfeunteun, Douarnenez Web, Brest Digital
    assert page.text.count("<svg") == len(statistics.COUNTED) + 1
    assert "<td>12,0</td><td>2,0</td>" in page.text  # 12 appearances this week; the comparables' 6 / 3
    answer_time = page.text.split("Délai médian", 1)[1].split("</table>", 1)[0]
    # The lower median of one and two hours; Kerfeunteun's five hours, within 5 %: its bucket's middle.
    assert "<td>1,0</td><td>4,8</td>" in answer_time
    visits = page.text.split("Visites de votre fiche", 1)[1].split("</table>", 1)[0]
    assert "<td>4,0</td>" in visits and "<td>99" not in visits  # a visit older than 12 months is left out


async def test_the_csv_holds_every_series_exactly_as_charted(site, quimper):
    await sign_in(site, "membre.odet@example.fr")
    download = await site.get(f"/compte/prestataires/{quimper['odet']}/statistiques/donnees.csv")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/csv")
    rows = read_csv(download.text)
    provider_id = (await Provider.select(Provider.id).where(Provider.slug == quimper["odet"]).first())["id"]
    charts = (await statistics.of_provider(provider_id, WEEK)).charts
    # Each figure as the page's table writes it: rounded to the chart's decimals.
    charted = {(chart.title, series.label, week.isoformat()): None if value is None else round(value, chart.decimals)
               for chart in charts for series in chart.series
               for week, value in zip(chart.weeks, series.values, strict=True)}
    downloaded = {(title, label, week): float(value.replace(",", ".")) if value else None
                  for title, label, week, value, _ in rows[1:]}
    assert downloaded == pytest.approx(charted)
    assert downloaded[("Apparitions en première page des résultats de recherche", statistics.OWN, "2026-03-09")] == 12


async def test_staff_see_the_network_with_its_fairness_and_departements(site, quimper):
    await add_account("equipe.reseau@example.fr", staff=True)
    await sign_in(site, "equipe.reseau@example.fr")
    page = await site.get("/equipe/reseau")
    assert page.status_code == 200 and page.text.count("<svg") == 5
    dashboard = await network.dashboard(WEEK)
    gini, share = (chart.series[0].values[-1] for chart in dashboard.charts if chart.key in ("gini", "part"))
    # Offers 2, 1, 1 among the six published providers (three offered nothing).
    assert gini == pytest.approx(weeks.gini([2, 1, 1, 0, 0, 0])) and share == pytest.approx(50.0)
    finistere = next(row for row in dashboard.departements if row.code == "29")
    assert finistere.offices == 5 and finistere.received == 2 and 900_000 < finistere.inhabitants < 1_000_000
    median = next(chart for chart in dashboard.charts if chart.key == "delai").series[0].values[-1]
    assert median == pytest.approx(2, rel=0.05)  # one answer in an hour, two in two hours
    assert "29 Finistère" in page.text and 'href="/equipe/besoins"' in page.text
    download = read_csv((await site.get("/equipe/reseau/donnees/gini")).text)
    assert download[-1][2:4] == ["2026-03-09", f"{gini:.2f}".replace(".", ",")]
    table = read_csv((await site.get("/equipe/reseau/donnees/departements")).text)
    assert table[0][0] == "code" and len(table) == len(dashboard.departements) + 1
    assert (await site.get("/equipe/reseau/donnees/inconnu")).status_code == 404


@pytest.mark.parametrize("path", ["/compte/prestataires/{kerf}/statistiques",
                                  "/compte/prestataires/{kerf}/statistiques/donnees.csv",
                                  "/equipe/reseau", "/equipe/reseau/donnees/gini"])
async def test_a_member_sees_only_its_own_listing_and_never_the_network(site, quimper, path):
    await sign_in(site, "membre.odet@example.fr")
    assert (await site.get(path.format(**quimper))).status_code == 403


async def test_staff_see_any_providers_statistics_and_strangers_none(site, quimper):
    path = f"/compte/prestataires/{quimper['kerf']}/statistiques"
    assert (await site.get(path, follow_redirects=False)).status_code in (302, 303, 401)
    assert (await site.get("/compte/prestataires/fiche-inconnue/statistiques")).status_code in (302, 303, 401)
    await sign_in(site, "equipe@example.fr")
    assert (await site.get(path)).status_code == 200
    assert (await site.get("/compte/prestataires/fiche-inconnue/statistiques")).status_code == 404


async def test_the_member_area_leads_to_the_statistics_of_its_listing(site, quimper):
    await sign_in(site, "membre.odet@example.fr")
    assert 'href="/compte/statistiques"' in (await site.get("/compte")).text
    answer = await site.get("/compte/statistiques", follow_redirects=False)
    assert answer.headers["location"] == f"/compte/prestataires/{quimper['odet']}/statistiques"


@pytest.mark.parametrize("slug", ["%00", "a%00b", "x" * 5000, "%C3%A9t%C3%A9", "1%27%20OR%201=1"])
async def test_hostile_addresses_are_refused_without_an_error(site, slug):
    await sign_in(site, "equipe@example.fr")
    for path in (f"/compte/prestataires/{slug}/statistiques", f"/equipe/reseau/donnees/{slug}"):
        assert (await site.get(path)).status_code in (400, 404)


async def test_staff_see_the_badges_lapsing_in_the_next_90_days_soonest_first(site, quimper, manual_clock):
    await BadgeAward.delete(force=True)
    soon, later = manual_clock.now() + timedelta(days=20), manual_clock.now() + timedelta(days=60)
    await awards.award(quimper["kerf"], "channel-expert-certifie", actor="test", expires_at=later)
    await awards.award(quimper["odet"], "channel-expert-certifie", actor="test", expires_at=soon)
    await awards.award(quimper["dz"], "channel-expert-certifie", actor="test",
                       expires_at=manual_clock.now() + timedelta(days=120))  # beyond 90 days
    await sign_in(site, "equipe@example.fr")
    page = (await site.get("/equipe/reseau")).text
    section = page.split("Badges qui expirent dans les 90 prochains jours", 1)[1].split("</section>", 1)[0]
    assert section.index("Agence Odet") < section.index("Studio Kerfeunteun")
    assert "Douarnenez" not in section and "31 mars 2026" in section  # 11 March + 20 days
    rows = read_csv((await site.get("/equipe/reseau/donnees/badges-a-renouveler")).text)
    assert [row[0] for row in rows[1:]] == [quimper["odet"], quimper["kerf"]]
    assert rows[1][3] == "2026-03-31"


async def test_the_dashboard_says_when_no_badge_lapses_soon(site):
    await BadgeAward.delete(force=True)
    await sign_in(site, "equipe@example.fr")
    assert "Aucun badge n'expire dans les 90 prochains jours." in (await site.get("/equipe/reseau")).text
