"""What the app does when it starts and stops, beyond the plugins' hooks."""

import gc

import httpx


async def test_start_up_freezes_what_it_loaded_and_shutdown_releases_it(app):
    # The app's own lifespan, not ``serve``, which freezes the test run's heap itself.
    assert gc.get_freeze_count() == 0
    async with app.lifespan(), httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                                 base_url="http://testserver.local") as client:
        assert (await client.get("/health")).status_code == 200
        assert gc.get_freeze_count() > 0  # left out of full collections while the app runs
    assert gc.get_freeze_count() == 0
