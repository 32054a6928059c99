from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-12-04T20:12:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "One row per weekly figure; daily counts found by day"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="insights", description=DESCRIPTION)

    async def weekly_keys():
        # Written by hand: Piccolo declares no index over several columns. The rollup job reads a
        # week's daily counts by day, and each page reads its weekly rows by these keys.
        engine = engine_finder()
        # Covering: a week's rows are read from the index alone, not from pages all over the table.
        await engine.run_ddl(
            'CREATE INDEX provider_count_day ON "provider_count" ("day", "provider", "counter", "value")')
        await engine.run_ddl(
            'CREATE UNIQUE INDEX provider_week_key ON "provider_week" ("provider", "week", "counter")')
        await engine.run_ddl('CREATE INDEX provider_week_week ON "provider_week" ("week", "counter")')
        await engine.run_ddl(
            'CREATE UNIQUE INDEX peer_week_key ON "peer_week" ("kind", "departement", "week", "counter")')
        await engine.run_ddl('CREATE UNIQUE INDEX network_week_key ON "network_week" ("week", "counter")')

    manager.add_raw(weekly_keys)
    return manager
