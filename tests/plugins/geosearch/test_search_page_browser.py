"""The search page in a real browser (Debian's chromium driven by Playwright): results follow the typing."""

import dataclasses
import re
from urllib.parse import parse_qs

import pytest

from directory.accounts import users
from directory.tables import Account
from directory.testing import add_providers, provider_row
from tests.browser import axe_serious, needs_chromium, needs_front_end, screenshot, served

pytestmark = needs_chromium


@pytest.fixture
async def server(apps, settings, plugin_manager):
    await add_providers(
        provider_row(trade_name="Agence Pixel", services="site-vitrine;e-commerce", postal_code="33000"),
        provider_row(trade_name="Studio Galet", services="referencement", postal_code="33700", commune="Mérignac"),
        provider_row(trade_name="Agence Lumen", postal_code="69003", commune="Lyon 3e Arrondissement"),
    )
    async with served(apps.app(settings, plugin_manager)) as address:
        yield address


@pytest.fixture
async def page(browser):
    """A page in a context of its own, closed with it (the browser lives for the whole run)."""
    opened = await browser.new_page()
    yield opened
    await opened.close()


QUIMPER = {"latitude": 47.996, "longitude": -4.102}
LORIENT = {"latitude": 47.748, "longitude": -3.370}
PESSAC = {"latitude": 44.806, "longitude": -0.631}
TILES = "https://tiles.example/{z}/{x}/{y}.png"
# The smallest PNG there is (one transparent pixel), for tiles a test serves in place of a tile server.
PIXEL = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                      "1f15c4890000000d49444154789c63000100000500010d0a2db40000000049454e44ae426082")


async def outside_requests(page, server: str) -> list[str]:  # noqa: ANN001 - a Playwright page
    """Stop every request that would leave ``server``; the list fills with their addresses."""
    outside: list[str] = []

    async def keep_local(route):  # noqa: ANN001 - a Playwright route
        if route.request.url.startswith(server + "/"):
            await route.continue_()
        else:
            outside.append(route.request.url)
            await route.abort()

    await page.route("**/*", keep_local)
    return outside


async def drawn_departements(page) -> int:  # noqa: ANN001 - a Playwright page
    """How many départements the map draws in view (Leaflet writes "M0 0" for a shape outside it)."""
    return await page.eval_on_selector_all(
        "#results-map path.departement", "paths => paths.filter(p => (p.getAttribute('d') || 'M0 0') !== 'M0 0').length")


async def test_results_update_as_one_types_without_submitting(server, page):
    await page.goto(f"{server}/recherche")
    await page.fill("input[name=near]", "33000")
    await page.fill("input[name=q]", "agence")
    results = page.locator("#search-results")
    # The place alone shows first (two providers), then both fields: wait for the last answer.
    await results.get_by_text("1 prestataire intervient sur site à Bordeaux (33)").wait_for(timeout=5000)
    text = await results.inner_text()
    assert "Agence Pixel" in text and " km" in text
    assert "Agence Lumen" not in text
    assert "near=33000" in page.url  # the address follows, so the search can be shared


async def test_the_place_field_suggests_communes_larger_first(server, page):
    await page.goto(f"{server}/recherche")
    await page.locator("input[name=near]").press_sequentially("bord", delay=30)
    options = page.locator("#places option")
    await options.first.wait_for(state="attached", timeout=5000)
    assert "Bordeaux" in await options.first.get_attribute("value")


async def test_an_unknown_place_is_explained_in_french(server, page):
    await page.goto(f"{server}/recherche")
    await page.fill("input[name=near]", "Montpelloer")
    alert = page.locator("#search-results [role=alert]")
    await alert.wait_for(timeout=5000)
    assert "Lieu inconnu" in await alert.inner_text()


async def test_around_me_searches_around_the_position_the_browser_gives(server, browser):
    context = await browser.new_context(geolocation=QUIMPER, permissions=["geolocation"])
    page = await context.new_page()
    await page.goto(f"{server}/")
    await page.get_by_role("button", name="Autour de moi").click()
    await page.wait_for_url("**/recherche?*")
    located = page.locator("#search-results .located")
    await located.wait_for(timeout=5000)
    assert await located.inner_text() == "Votre position : près de Quimper (29)"
    # The field names the commune, the address keeps the position.
    assert await page.locator("input[name=near]").input_value() == "Quimper (29)"
    assert parse_qs(page.url.split("?", 1)[1])["near"] == ["47.9960,-4.1020"]
    await context.close()


async def test_around_me_on_the_search_page_names_the_commune_and_later_searches_stay_there(server, browser):
    context = await browser.new_context(geolocation=LORIENT, permissions=["geolocation"])
    page = await context.new_page()
    await page.goto(f"{server}/recherche?q=agence&near=33000")
    await page.get_by_role("button", name="Autour de moi").click()
    near = page.locator("input[name=near]")
    await page.wait_for_function("() => document.querySelector('input[name=near]').value === 'Lorient (56)'")
    assert await page.locator("#search-results .located").inner_text() == "Votre position : près de Lorient (56)"
    await page.fill("input[name=q]", "site vitrine")  # a live update with the commune's name in the field
    await page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'site vitrine'")
    assert "à Lorient (56)" in await page.locator("#search-results .count").inner_text()
    assert await near.input_value() == "Lorient (56)"
    await context.close()


async def test_around_me_explains_a_refusal_in_french(server, browser):
    context = await browser.new_context()  # the permission is not granted
    page = await context.new_page()
    await page.goto(f"{server}/recherche")
    await page.get_by_role("button", name="Autour de moi").click()
    status = page.locator(".around-me-status")
    await status.get_by_text("autorisé").wait_for(timeout=5000)
    assert "Indiquez votre code postal ou votre commune" in await status.inner_text()
    await context.close()


async def test_without_javascript_there_is_no_around_me_button_and_the_place_field_works(server, browser):
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    await page.goto(f"{server}/")
    assert not await page.get_by_role("button", name="Autour de moi").is_visible()
    await page.fill(".home-search input[name=near]", "33000")
    await page.click(".home-search button[type=submit]")
    await page.wait_for_url("**/recherche?*")
    assert "Agence Pixel" in await page.locator("#search-results").inner_text()
    assert not await page.locator("#results-map").is_visible()  # the list alone, as the primary view
    await context.close()


async def test_other_places_are_links_that_search_in_place(server, page):
    await page.goto(f"{server}/recherche")
    await page.fill("input[name=near]", "Saint-Martin")
    alternatives = page.locator("#search-results .alternatives a")
    await alternatives.first.wait_for(timeout=5000)
    assert await alternatives.count() >= 3
    chosen = await alternatives.nth(1).inner_text()  # another Saint-Martin
    href = await alternatives.nth(1).get_attribute("href")
    await alternatives.nth(1).click()
    wanted = parse_qs(href[1:])["near"][0]
    await page.wait_for_function("wanted => document.querySelector('input[name=near]').value === wanted", arg=wanted)
    await page.locator("#search-results .count").get_by_text(chosen).wait_for(timeout=5000)


@needs_front_end
async def test_results_show_on_a_map_with_clustered_markers_that_follow_the_list(server, page):
    await page.goto(f"{server}/recherche?near=33000")
    markers = page.locator("#results-map .leaflet-marker-icon:not(.searched-place)")
    await markers.first.wait_for(timeout=5000)
    listed = await page.locator("#search-results [data-list=main] li[data-lat]").count()
    clusters = page.locator("#results-map .marker-cluster")
    shown = await clusters.count()
    # Pixel and Galet are 5 km apart: at the zoom that fits them, one cluster holds both.
    assert listed == 2 and (shown == 1 or await markers.count() == 2)
    await page.fill("input[name=near]", "69003")
    await page.locator("#search-results").get_by_text("Agence Lumen").wait_for(timeout=5000)
    await page.wait_for_function(
        "() => document.querySelectorAll('#results-map .leaflet-marker-icon:not(.searched-place)').length === 1")
    await screenshot(page, "results-map")


@needs_front_end
async def test_without_a_tile_server_the_map_draws_france_with_nothing_from_outside(server, page):
    outside = await outside_requests(page, server)
    await page.goto(f"{server}/recherche?q=agence")  # Bordeaux, Mérignac and Lyon: half of France in view
    await page.locator("#results-map .leaflet-marker-icon").first.wait_for(timeout=5000)
    await page.wait_for_function("() => document.querySelectorAll('#results-map path.departement').length === 101")
    assert await drawn_departements(page) >= 20
    assert "IGN ADMIN EXPRESS" in await page.locator("#results-map .leaflet-control-attribution").inner_text()
    assert await page.locator("#results-map img.leaflet-tile").count() == 0
    await page.wait_for_load_state("networkidle")
    assert outside == []


@needs_front_end
async def test_the_searched_place_is_marked_apart_from_the_results(server, page):
    await page.goto(f"{server}/recherche?near=33000&radius_km=50")
    searched = page.get_by_role("img", name="Lieu recherché : Bordeaux (33)")
    await searched.wait_for(timeout=5000)
    assert await searched.evaluate("marker => marker.closest('.marker-cluster') === null")
    await page.wait_for_function("() => document.querySelectorAll('#results-map path.departement').length === 101")
    assert await drawn_departements(page) >= 1  # Gironde at least, under the markers


@needs_front_end
async def test_a_position_is_marked_as_the_persons_own(server, browser):
    context = await browser.new_context(geolocation=PESSAC, permissions=["geolocation"])
    page = await context.new_page()
    await page.goto(f"{server}/recherche?radius_km=20")
    await page.get_by_role("button", name="Autour de moi").click()
    await page.get_by_role("img", name=re.compile(r"^Votre position, près de .+ \(33\)$")).wait_for(timeout=5000)
    await context.close()


@pytest.fixture
async def tiled_server(apps, settings, plugin_manager):
    await add_providers(provider_row(trade_name="Agence Pixel", postal_code="33000"))
    app = apps.app(dataclasses.replace(settings, map_tiles_url=TILES), plugin_manager)
    async with served(app) as address:
        yield address


@needs_front_end
async def test_with_a_tile_server_the_map_shows_its_tiles_instead_of_the_departements(tiled_server, page):
    tiles: list[str] = []

    async def serve_tile(route):  # noqa: ANN001 - a Playwright route: the tile server, played here
        tiles.append(route.request.url)
        await route.fulfill(body=PIXEL, content_type="image/png")

    await page.route("https://tiles.example/**", serve_tile)
    layer = []
    page.on("request", lambda request: layer.append(request.url) if "departements" in request.url else None)
    await page.goto(f"{tiled_server}/recherche?near=33000")
    await page.locator("#results-map img.leaflet-tile-loaded").first.wait_for(timeout=5000)
    assert tiles and all(url.startswith("https://tiles.example/") for url in tiles)
    assert await page.locator("#results-map path.departement").count() == 0 and layer == []


@needs_front_end
@pytest.mark.parametrize("width, height", [(390, 844), (1280, 900)])
async def test_the_map_fits_a_phone_and_a_desktop(server, browser, width, height):
    context = await browser.new_context(viewport={"width": width, "height": height})
    page = await context.new_page()
    await page.goto(f"{server}/recherche?q=agence")
    await page.wait_for_function("() => document.querySelectorAll('#results-map path.departement').length === 101")
    box = await page.locator("#results-map").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert await page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways scrolling
    await page.locator("#results-map").scroll_into_view_if_needed()
    await screenshot(page, f"results-map-{width}")
    await context.close()


@needs_front_end
@pytest.mark.parametrize("name, path", [("home", "/"), ("results", "/recherche?q=agence&near=33000"),
                                        ("provider", "/prestataires/agence-pixel-bordeaux"),
                                        ("sign-in", "/compte/connexion"),
                                        ("claim", "/compte/revendiquer/agence-pixel-bordeaux"),
                                        ("report", "/prestataires/agence-pixel-bordeaux/signaler")])
async def test_pages_have_no_serious_accessibility_violation(server, browser, name, path):
    context = await browser.new_context(bypass_csp=True)  # to inject axe-core, as a browser extension would
    page = await context.new_page()
    await page.goto(f"{server}{path}")
    await page.wait_for_load_state("networkidle")
    await screenshot(page, name)
    serious = await axe_serious(page)
    await context.close()
    assert serious == []


@needs_front_end
async def test_a_staff_member_signs_in_and_out_in_the_browser(server, browser):
    await Account.delete(force=True)
    await users.add_staff("equipe@channel-expert.example", "quatre chevaux traversent la Garonne")
    context = await browser.new_context(bypass_csp=True)
    page = await context.new_page()
    await page.goto(f"{server}/")
    await page.get_by_role("link", name="Espace prestataire").click()
    await page.get_by_label("Adresse e-mail").fill("equipe@channel-expert.example")
    await page.get_by_label("Mot de passe").fill("pas le bon mot de passe")
    await page.get_by_role("button", name="Se connecter").click()
    assert "Adresse e-mail ou mot de passe incorrect." in await page.inner_text("main")
    await page.get_by_label("Mot de passe").fill("quatre chevaux traversent la Garonne")
    await page.get_by_role("button", name="Se connecter").click()
    await page.get_by_text("Connecté en tant que").wait_for(timeout=5000)
    assert page.url.endswith("/compte")
    await screenshot(page, "account")
    assert await axe_serious(page) == []
    await page.get_by_role("button", name="Se déconnecter").click()
    await page.goto(f"{server}/compte")
    assert page.url.endswith("/compte/connexion")
    await context.close()
