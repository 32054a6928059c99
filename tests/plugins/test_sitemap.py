async def test_sitemap_lists_every_published_provider_page(client, network):
    response = await client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert response.text.count("<url>") == 1 + 5  # the home page and the published providers
    assert "/prestataires/pixel-gironde-bordeaux</loc>" in response.text
    assert "brouillon" not in response.text


async def test_robots_points_to_the_sitemap_and_keeps_crawlers_off_the_api(client):
    text = (await client.get("/robots.txt")).text
    assert "Sitemap: " in text and "/sitemap.xml" in text
    assert "Disallow: /api/" in text
