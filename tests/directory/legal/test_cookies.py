"""The site sets only strictly necessary cookies (the session and the CSRF token): no consent banner is owed.

The walk covers the main pages, every public form sent right and wrong, signing in and out, and
error pages; a cookie of any other name, from the core or a plugin, fails it.
"""

from __future__ import annotations

from http.cookies import SimpleCookie

from directory.accounts.sessions import COOKIE as SESSION_COOKIE
from directory.routes.forms import CSRF_COOKIE
from directory.testing import STRONG, add_account, add_providers, csrf_token, provider_row, serve
from tests.directory.legal.conftest import legal_settings, send_message

NECESSARY = {SESSION_COOKIE, CSRF_COOKIE}
PAGES = ["/", "/?kind=agence-web", "/recherche", "/recherche?q=site+vitrine&near=33000",
         "/prestataires/{slug}", "/prestataires/{slug}/signaler", "/devis", "/devis?prestataire={slug}",
         "/diagnostic", "/badges",
         "/badges/verifier", "/compte/connexion", "/compte/mot-de-passe-oublie", "/compte/revendiquer/{slug}",
         "/mentions-legales", "/confidentialite", "/accessibilite", "/contact", "/sitemap.xml", "/robots.txt",
         "/schema", "/health", "/prestataires/inconnu", "/page-inconnue", "/recherche?q=%00", "/equipe",
         "/compte"]


async def test_no_page_form_or_error_sets_a_cookie_other_than_the_session_and_csrf_ones(
        apps, settings, plugin_manager, manual_clock):
    [slug] = await add_providers(provider_row(trade_name="Agence Pixel", email="contact@agence-pixel.fr"))
    await add_account("dirigeant@agence-pixel.fr", provider=slug)
    seen: dict[str, set[str]] = {}

    def note(response) -> None:  # noqa: ANN001 - an httpx response
        for header in response.headers.get_list("set-cookie"):
            for name in SimpleCookie(header):
                seen.setdefault(name, set()).add(f"{response.request.method} {response.request.url.path}")

    async with serve(apps.app(legal_settings(settings), plugin_manager)) as client:
        client.event_hooks["response"] = [lambda response: _async(note, response)]
        for path in PAGES:
            await client.get(path.format(slug=slug), headers={"accept": "text/html"})
        await send_message(client, manual_clock)
        await send_message(client, manual_clock, email="")
        report = f"/prestataires/{slug}/signaler"
        await client.post(report, data={"_csrf_token": await csrf_token(client, report), "message": "Court"})
        await client.post("/devis", data={"_csrf_token": await csrf_token(client, "/devis"), "near": "33000"})
        await client.post("/contact", data={"name": "sans jeton"})  # refused: no CSRF token
        sign_in = {"_csrf_token": await csrf_token(client, "/compte/connexion"),
                   "email": "dirigeant@agence-pixel.fr"}
        await client.post("/compte/connexion", data={**sign_in, "password": "mauvais mot de passe"})
        await client.post("/compte/connexion", data={**sign_in, "password": STRONG})
        for path in ("/compte", f"/compte/prestataires/{slug}", "/compte/demandes", "/equipe", "/contact"):
            await client.get(path, headers={"accept": "text/html"})
        await client.post("/compte/deconnexion", data={"_csrf_token": await csrf_token(client, "/compte")})
    assert set(seen) - NECESSARY == set(), seen
    assert NECESSARY <= set(seen)  # the walk did reach the pages that set them


async def _async(function, response) -> None:  # noqa: ANN001 - httpx awaits event hooks on an async client
    function(response)
