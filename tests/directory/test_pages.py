"""The public pages speak French and show what the API holds."""

from directory.plugin_api import hookimpl
from directory.testing import add_providers, provider_row, serve


async def test_home_lists_providers_with_french_filters(client, network):
    response = await client.get("/")
    assert response.status_code == 200
    assert '<html lang="fr">' in response.text
    assert "Trouver un prestataire" in response.text
    assert "5 prestataires" in response.text
    assert "Pixel Gironde" in response.text and "Brouillon Web" not in response.text


async def test_home_filters_work_without_javascript(client, network):
    response = await client.get("/?kind=reseller&departement=33")
    assert "1 prestataire<" in response.text
    assert "Bordeaux Micro Services" in response.text
    assert "Lumen Web" not in response.text


async def test_home_ignores_unknown_filter_values(client, network):
    response = await client.get("/?kind=plombier&departement=zz")
    assert response.status_code == 200
    assert "5 prestataires" in response.text


async def test_provider_page_shows_the_profile_in_french(client, network):
    response = await client.get("/prestataires/pixel-gironde-bordeaux")
    assert response.status_code == 200
    text = response.text
    assert "<h1>Pixel Gironde</h1>" in text
    assert "Agence web" in text and "Services proposés" in text
    assert "Site vitrine" in text and "E-commerce" in text
    assert "05 56 00 00 00" in text and "Nouvelle-Aquitaine" in text


async def test_missing_provider_page_is_a_french_404_page(client):
    response = await client.get("/prestataires/personne", headers={"accept": "text/html"})
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Page introuvable" in response.text


class PortfolioPlugin:
    @hookimpl
    def provider_page_sections(self, provider, register):
        register("Portfolio", f"<p>Réalisations de {provider.trade_name}</p>", 10)


async def test_plugins_add_sections_to_provider_pages(apps, settings, plugin_manager, network):
    plugin_manager.register(PortfolioPlugin(), name="portfolio")
    async with serve(apps.app(settings, plugin_manager)) as client:
        text = (await client.get("/prestataires/pixel-gironde-bordeaux")).text
    assert "<h2>Portfolio</h2>" in text and "Réalisations de Pixel Gironde" in text


async def test_static_files_and_api_docs_are_served_locally(client):
    assert (await client.get("/static/style.css")).status_code == 200
    docs = await client.get("/schema")
    assert docs.status_code == 200 and "/static/swagger/swagger-ui-bundle.js" in docs.text
    assert (await client.get("/static/swagger/swagger-ui-bundle.js")).status_code == 200


async def test_the_header_links_to_the_pages_plugins_add(client):
    text = (await client.get("/")).text
    assert '<a href="/">Annuaire</a>' in text and '<a href="/recherche">Rechercher</a>' in text


async def test_home_pagination_keeps_the_filters(client, settings):
    await add_providers(*[provider_row(trade_name=f"Agence {i:02d}") for i in range(30)])
    text = (await client.get("/?kind=web_agency")).text
    assert 'href="/?kind=web_agency&amp;page=2"' in text
    assert "Agence 29" in (await client.get("/?kind=web_agency&page=2")).text


async def test_the_service_area_reads_as_french_and_says_no_radius_for_remote_work(settings, client):
    await add_providers(
        provider_row(trade_name="Cantal Info", postal_code="15000", commune="Aurillac", service_radius_km="80"),
        provider_row(trade_name="Web Distance", postal_code="15000", commune="Aurillac", service_radius_km="10",
                     on_site="non", remote="oui"),
    )
    on_site = (await client.get("/prestataires/cantal-info-aurillac")).text.replace("&#39;", "'")
    assert "Dans un rayon de 80 km autour d'Aurillac." in on_site
    remote = (await client.get("/prestataires/web-distance-aurillac")).text
    assert "À distance uniquement" in remote and "rayon" not in remote


async def test_the_logo_is_described_with_de_before_the_trade_name(client):
    slugs = await add_providers(*(provider_row(trade_name=name, logo_url=f"https://{domain}/logo.png")
                                  for name, domain in (("Agence Pixel", "pixel.fr"), ("Le Fournil", "fournil.fr"),
                                                       ("Hibiscus Web", "hibiscus.fr"))))
    alts = [(await client.get(f"/prestataires/{slug}")).text.split('class="logo"')[1].split('alt="')[1].split('"')[0]
            for slug in slugs]
    assert alts == ["Logo d&#39;Agence Pixel", "Logo du Fournil", "Logo de Hibiscus Web"]
