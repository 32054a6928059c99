"""The forum's own tables start empty in each test (the directory's kit empties the directory's)."""

import pytest
from forum_ambassadeurs.tables import Advisor, Referral


@pytest.fixture(autouse=True)
async def empty_forum(settings):
    for table in (Referral, Advisor):
        await table.delete(force=True)
