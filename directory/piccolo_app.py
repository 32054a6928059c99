"""The Piccolo app that owns the directory's tables and migrations."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from directory.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="directory",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
