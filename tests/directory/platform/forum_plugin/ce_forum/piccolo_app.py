from pathlib import Path

from piccolo.conf.apps import AppConfig

from ce_forum.tables import ForumPost

APP_CONFIG = AppConfig(
    app_name="ce_forum",
    migrations_folder_path=str(Path(__file__).parent / "migrations"),
    table_classes=[ForumPost],
    migration_dependencies=["directory.piccolo_app"],
)
