"""Badge classes carry thresholds on measured results (``plugins/badges/measures.py``): none on
the classes already defined."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Text
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-08T01:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "Measured thresholds of badge classes"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="badges", description=DESCRIPTION)

    manager.add_column(
        table_class_name="BadgeClass",
        tablename="badge_class",
        column_name="thresholds",
        db_column_name="thresholds",
        column_class_name="Text",
        column_class=Text,
        params={
            "default": "[]",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
