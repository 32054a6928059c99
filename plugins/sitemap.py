"""``/sitemap.xml`` and ``/robots.txt``, so search engines find every published provider page."""

from __future__ import annotations

from xml.sax.saxutils import escape

from litestar import Request, Response, get

from directory.plugin_api import CACHED, PUBLIC, catalogue, hookimpl, public_url, tables


@get("/sitemap.xml", include_in_schema=False, media_type="application/xml", opt={**PUBLIC, **CACHED})
async def sitemap(request: Request) -> Response[str]:
    base = request.app.state.settings.public_url  # never the Host header, which any client can set
    table = tables.Provider
    rows = await table.select(table.slug, table.updated_at).where(table.state == catalogue.PUBLISHED).order_by(table.slug)
    urls = [f"<url><loc>{escape(base)}/</loc></url>"] + [
        f"<url><loc>{escape(base + public_url(row['slug']))}</loc>"
        f"<lastmod>{row['updated_at'].date().isoformat()}</lastmod></url>"
        for row in rows
    ]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">' + "".join(urls) + "</urlset>"
    )
    return Response(body, media_type="application/xml")


@get("/robots.txt", include_in_schema=False, media_type="text/plain", opt={**PUBLIC, **CACHED})
async def robots(request: Request) -> str:
    base = request.app.state.settings.public_url
    return f"User-agent: *\nDisallow: /api/\nSitemap: {base}/sitemap.xml\n"


@hookimpl
def register_routes(register):
    register(sitemap)
    register(robots)
