from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine.finder import engine_finder

ID = "2026-11-27T06:59:48:302092"
VERSION = "1.38.0"
DESCRIPTION = "One listing per SIRET: the siret index becomes unique"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="directory", description=DESCRIPTION)

    async def unique_siret():
        # Written by hand: Piccolo alters a column to unique with ALTER TABLE, which SQLite lacks.
        # Both engines accept replacing the index.
        engine = engine_finder()
        await engine.run_ddl("DROP INDEX IF EXISTS provider_siret")
        await engine.run_ddl('CREATE UNIQUE INDEX provider_siret ON "provider" ("siret")')

    manager.add_raw(unique_siret)
    return manager
