"""Piccolo's configuration module: the engine comes from ``DATABASE_URL``.

Piccolo's migration runner looks its engine up here; ``directory.database.connect``
replaces ``DB`` when the app is built with other settings (the test suite does).
"""

from piccolo.conf.apps import AppRegistry

from directory.settings import Settings

DB = Settings.from_env().engine()

APP_REGISTRY = AppRegistry(apps=["directory.piccolo_app"])
