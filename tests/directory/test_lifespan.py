"""What the app does when it starts and stops, beyond the plugins' hooks."""

import gc

from directory.testing import serve


async def test_start_up_freezes_what_it_loaded_and_shutdown_releases_it(app):
    async with serve(app) as client:
        assert (await client.get("/health")).status_code == 200
        assert gc.get_freeze_count() > 0  # left out of full collections while the app runs
    assert gc.get_freeze_count() == 0
