from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T20:39:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "One digest subscription per member and listing"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def one_subscription():
        # Written by hand: Piccolo declares no index over several columns.
        await engine_finder().run_ddl(
            'CREATE UNIQUE INDEX digest_subscription_key ON "digest_subscription" ("account", "provider")')

    manager.add_raw(one_subscription)
    return manager
