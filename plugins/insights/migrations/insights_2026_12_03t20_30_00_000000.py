from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-03T20:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "One row per counted thing, which writes add to"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def one_row_per_count():
        # Written by hand: the counts are added to with INSERT … ON CONFLICT, which needs these unique
        # indexes (Piccolo declares no index over several columns). The provider leads the index, so
        # reading one provider's figures uses it too.
        engine = engine_finder()
        await engine.run_ddl('CREATE UNIQUE INDEX provider_count_key ON "provider_count" ("provider", "day", "counter")')
        await engine.run_ddl('CREATE UNIQUE INDEX network_count_key ON "network_count" ("day", "counter")')

    manager.add_raw(one_row_per_count)
    return manager
