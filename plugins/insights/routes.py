"""The pages: a provider's statistics (its members and staff) and the network's dashboard (staff)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Redirect, Template

from directory.plugin_api import (
    ACCOUNT,
    STAFF,
    ProblemError,
    csv_download,
    managed_listings,
    provider_for,
    route_path,
)
from plugins.insights import counting, network, statistics
from plugins.insights.charts import Chart, csv_rows, svg

NO_SUCH_CHART = "Ce graphique n'existe pas."


def drawn(charts: tuple[Chart, ...]) -> list[tuple[Chart, object]]:
    """Each chart with its SVG, for the page's template."""
    return [(chart, svg(chart)) for chart in charts]


class ProviderStatisticsController(Controller):
    path = "/compte/prestataires/{slug:str}/statistiques"
    opt = ACCOUNT
    include_in_schema = False

    @get("/", name="provider-statistics")
    async def page(self, request: Request, slug: FromPath[str]) -> Template:
        """The provider's weekly figures over 12 months, each beside its comparables'."""
        provider = await provider_for(request.state.account, slug)
        shown = await statistics.of_provider(provider["id"], counting.today())
        return Template(template_name="insights/statistics.html", context={
            "provider": provider, "statistics": shown, "charts": drawn(shown.charts)})

    @get("/donnees.csv", name="provider-statistics-csv")
    async def download(self, request: Request, slug: FromPath[str]) -> Response:
        """Every series of the page in one CSV."""
        provider = await provider_for(request.state.account, slug)
        shown = await statistics.of_provider(provider["id"], counting.today())
        return csv_download(csv_rows(shown.charts), f"statistiques-{provider['slug']}")


class NetworkDashboardController(Controller):
    path = "/equipe/reseau"
    opt = STAFF
    include_in_schema = False

    @get("/", name="staff-network")
    async def page(self, request: Request) -> Template:
        """The network's funnel, answer times, fairness, searches and départements."""
        shown = await network.dashboard(counting.today())
        return Template(template_name="insights/network.html", context={
            "dashboard": shown, "charts": drawn(shown.charts), "departements": network.table(shown.departements),
            "needs_path": route_path(request, "staff-needs")})

    @get("/donnees/{key:str}", name="staff-network-csv")
    async def download(self, key: FromPath[str]) -> Response:
        """One chart's data (or the départements' table, ``departements``) as CSV."""
        shown = await network.dashboard(counting.today())
        if key == "departements":
            return csv_download(network.table_csv(shown.departements), "reseau-departements")
        chart = next((chart for chart in shown.charts if chart.key == key), None)
        if chart is None:
            raise ProblemError(404, NO_SUCH_CHART)
        return csv_download(csv_rows((chart,)), f"reseau-{chart.key}")


@get("/compte/statistiques", name="account-statistics", opt=ACCOUNT, include_in_schema=False)
async def account_statistics(request: Request) -> Template | Redirect:
    """The member area's way to statistics: straight to them for one listing, else a list of listings."""
    listings = await managed_listings(request.state.account["id"])
    if len(listings) == 1:
        return Redirect(f"/compte/prestataires/{listings[0]['slug']}/statistiques", status_code=303)
    return Template(template_name="insights/account.html", context={"listings": listings})
