from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-11-27T09:47:51:169125"
VERSION = "1.38.0"
DESCRIPTION = "Région codes of three digits: the overseas collectivities"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="directory", description=DESCRIPTION
    )

    manager.alter_column(
        table_class_name="Provider",
        tablename="provider",
        column_name="region",
        db_column_name="region",
        params={"length": 3},
        old_params={"length": 2},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
