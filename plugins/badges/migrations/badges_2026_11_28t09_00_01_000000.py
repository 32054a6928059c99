"""Every award's status bit gets its status entry, so that it outlives the award.

Bits of awards already erased with their provider are lost: nothing recorded them.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.tables import Migration

ID = "2026-11-28T09:00:01:000000"
VERSION = "1.38.0"
DESCRIPTION = "A status entry for every award's status bit"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="badges", description=DESCRIPTION)

    async def copy_indexes() -> None:
        await Migration._meta.db.run_ddl(
            "INSERT INTO status_entry (status_index, revoked_at, created_at) "
            "SELECT status_index, revoked_at, created_at FROM badge_award "
            "WHERE status_index NOT IN (SELECT status_index FROM status_entry)"
        )

    manager.add_raw(copy_indexes)
    return manager
