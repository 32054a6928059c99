"""The provider change outbox's rows become ``provider.saved`` events, with the same ids, so
every consumer's position stays valid; then the old table goes."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.apps.migrations.tables import Migration

ID = "2026-11-27T10:18:59:000000"
VERSION = "1.38.0"
DESCRIPTION = "Provider changes move to the event outbox"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="directory", description=DESCRIPTION)
    engine = Migration._meta.db

    async def copy_changes() -> None:
        await engine.run_ddl(
            "INSERT INTO event (id, name, subject, payload, actor, created_at) "
            "SELECT id, 'provider.saved', slug, '{\"created\":false}', '', created_at FROM provider_change"
        )
        if engine.engine_type == "postgres":  # the sequence must continue after the copied ids
            await engine.run_ddl(
                "SELECT setval(pg_get_serial_sequence('event', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM event), false)"
            )

    manager.add_raw(copy_changes)  # raw steps run before the table is dropped
    manager.drop_table(class_name="ProviderChange", tablename="provider_change", schema=None)
    return manager
