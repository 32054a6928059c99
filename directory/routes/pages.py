"""The public web pages, in French: the list of providers and each provider's page."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter
from litestar.response import Template
from markupsafe import Markup

from directory import catalogue, providers, structured_data
from directory.accounts.guards import PUBLIC, signed_in
from directory.platform.cache import CACHED
from directory.plugin_manager import PluginManager
from directory.problems import ProblemError
from directory.routes.forms import NOT_PUBLISHED
from directory.routes.providers import SLUG
from directory.settings import Settings
from directory.tables import Membership
from geo import Gazetteer

PAGE_SIZE = 24


async def _manager(request: Request, slug: str) -> str:
    """Who the visitor is to the listing ``slug``: "member" (it manages it), "staff", or "" (anyone,
    who may claim it)."""
    account = await signed_in(request)
    if account is None:
        return ""
    if await Membership.exists().where((Membership.provider.slug == slug) & (Membership.account == account["id"])):
        return "member"
    return "staff" if account["is_staff"] else ""


class PageController(Controller):
    opt = PUBLIC
    include_in_schema = False

    @get("/", name="home", opt=CACHED)
    async def home(
        self,
        gazetteer: NamedDependency[Gazetteer],
        plugin_manager: NamedDependency[PluginManager],
        kind: FromQuery[str] = "",
        service: FromQuery[str] = "",
        departement: FromQuery[str] = "",
        page: Annotated[int, QueryParameter(ge=1, le=10_000)] = 1,
    ) -> Template:
        """The directory's front page: filters that work without JavaScript, and the results."""
        filters = providers.ProviderFilters(
            kind=kind if kind in catalogue.KINDS else None,
            service=service if service in catalogue.SERVICE_SLUGS else None,
            departement=departement.upper() if departement.upper() in gazetteer.departements() else None,
        )
        results = await providers.list_providers(filters, sort="name", page=page, limit=PAGE_SIZE)
        if page > max(results.pages, 1):
            raise ProblemError(404, f"Cette page n'existe pas : la liste compte {max(results.pages, 1)} page(s).")
        query = {"kind": filters.kind or "", "service": filters.service or "", "departement": filters.departement or ""}
        kept = [(key, value) for key, value in query.items() if value]
        fragments: list[tuple[int, str]] = []
        plugin_manager.call_isolated("home_page_templates",
                                     register=lambda name, order=100: fragments.append((order, name)))
        return Template(
            template_name="home.html",
            context={
                "fragments": [name for _, name in sorted(fragments)],
                "results": results,
                "filters": {"kind": filters.kind or "", "service": filters.service or "",
                            "departement": filters.departement or ""},
                "kinds": catalogue.KINDS,
                "services": catalogue.SERVICES,
                "departements": sorted(gazetteer.departements().items()),
                "page_link": lambda number: "/?" + urlencode([*kept, ("page", number)]),
            },
        )

    @get("/prestataires/{slug:str}", name="provider", opt=CACHED)
    async def provider(
        self, request: Request, slug: FromPath[str], gazetteer: NamedDependency[Gazetteer],
        plugin_manager: NamedDependency[PluginManager], settings: NamedDependency[Settings],
    ) -> Template:
        """A provider's public page, with the sections that plugins add."""
        provider = await providers.get_provider(slug, gazetteer) if SLUG.match(slug) else None
        if provider is None:
            raise ProblemError(404, NOT_PUBLISHED)
        page_url = settings.public_url + provider.url
        sections: list[tuple[int, str, Markup]] = []
        assets: dict[str, Markup] = {}  # each asset once, however many sections need it

        def register(title: str, html: str, order: int = 100, head: str = "") -> None:
            sections.append((order, title, Markup(html)))
            if head:
                assets.setdefault(head.strip(), Markup(head.strip()))

        await plugin_manager.acall_isolated("provider_page_sections", provider=provider, register=register)
        structured = structured_data.local_business(provider, page_url, gazetteer)
        await plugin_manager.acall_isolated("provider_structured_data", provider=provider, data=structured)
        return Template(
            template_name="provider.html",
            context={
                "provider": provider,
                "structured_data": structured,
                "open_graph": structured_data.open_graph(provider, page_url),
                "page_url": page_url,
                "manager": await _manager(request, slug),
                "kinds": catalogue.KINDS,
                "sectors": catalogue.SECTORS,
                "team_sizes": catalogue.TEAM_SIZES,
                "languages": catalogue.LANGUAGES,
                "sections": [(title, html) for _, title, html in sorted(sections, key=lambda s: s[0])],
                "section_assets": list(assets.values()),
            },
        )
