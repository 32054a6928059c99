"""The insights plugin's Piccolo app: its tables and migrations, applied after the core's."""

from pathlib import Path

from piccolo.conf.apps import AppConfig

from plugins.insights.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="insights",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=list(TABLES),
    migration_dependencies=["directory.piccolo_app"],
)
