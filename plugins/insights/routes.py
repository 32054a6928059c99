"""The pages: a provider's statistics (its members and staff) and the network's dashboard (staff)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Request, Response, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from directory.plugin_api import (
    ACCOUNT,
    PUBLIC,
    STAFF,
    ProblemError,
    csv_download,
    flash,
    managed_listings,
    provider_for,
    route_path,
)
from plugins.insights import counting, digest, network, statistics
from plugins.insights.charts import Chart, csv_rows, svg

NO_SUCH_CHART = "Ce graphique n'existe pas."
MEMBERS_ONLY = "Seuls les membres de la fiche reçoivent son résumé de la semaine."
DIGEST_ON, DIGEST_OFF = ("Vous recevrez le résumé de la semaine chaque lundi matin.",
                         "Vous ne recevrez plus le résumé de la semaine.")
LINK_USED = "Ce lien de désabonnement ne sert plus : le résumé est déjà arrêté."
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


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
        account = request.state.account
        provider = await provider_for(account, slug)
        shown = await statistics.of_provider(provider["id"], counting.today())
        member = any(listing["slug"] == provider["slug"] for listing in await managed_listings(account["id"]))
        return Template(template_name="insights/statistics.html", context={
            "provider": provider, "statistics": shown, "charts": drawn(shown.charts), "member": member,
            "digest_on": member and await digest.is_on(account["id"], provider["id"])})

    @post("/resume", name="provider-digest")
    async def digest(self, request: Request, slug: FromPath[str], data: Form) -> Redirect:
        """Turn the member's weekly digest of the listing on or off."""
        account = request.state.account
        provider = await provider_for(account, slug)
        if not any(listing["slug"] == provider["slug"] for listing in await managed_listings(account["id"])):
            raise ProblemError(403, MEMBERS_ONLY)
        on = data.get("recevoir") == "oui"
        await digest.turn(account["id"], provider["id"], on)
        flash(request, DIGEST_ON if on else DIGEST_OFF)
        return Redirect(f"/compte/prestataires/{provider['slug']}/statistiques", status_code=303)

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
        expiring = await network.expiring_awards(request.app.state.plugin_manager)
        return Template(template_name="insights/network.html", context={
            "dashboard": shown, "charts": drawn(shown.charts),
            "departements": network.table(shown.departements),
            "expiring": network.expiring_rows(expiring) if expiring else None,
            "expiring_days": network.EXPIRING_DAYS,
            "expiring_csv": f"/equipe/reseau/donnees/{network.EXPIRING_KEY}",
            "needs_path": route_path(request, "staff-needs")})

    @get("/donnees/{key:str}", name="staff-network-csv")
    async def download(self, request: Request, key: FromPath[str]) -> Response:
        """One chart's data (or the départements' table, ``departements``; the badges to renew,
        ``badges-a-renouveler``) as CSV."""
        if key == network.EXPIRING_KEY:
            awards = await network.expiring_awards(request.app.state.plugin_manager)
            return csv_download(network.expiring_csv(awards), f"reseau-{key}")
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


class DigestUnsubscribeController(Controller):
    """The link in each weekly digest: stops it without signing in (the token is the capability)."""

    path = "/resume-hebdomadaire/{token:str}"
    opt = PUBLIC
    include_in_schema = False

    @get("/", name="digest-unsubscribe")
    async def confirm(self, token: FromPath[str]) -> Template:
        """Ask to confirm: a mail scanner that opens the link unsubscribes nobody."""
        return Template(template_name="insights/unsubscribe.html", context={"done": False})

    @post("/", name="digest-unsubscribed")
    async def unsubscribe(self, token: FromPath[str]) -> Template:
        """End the subscription, once."""
        if not await digest.unsubscribe(token):
            raise ProblemError(404, LINK_USED)
        return Template(template_name="insights/unsubscribe.html", context={"done": True})
