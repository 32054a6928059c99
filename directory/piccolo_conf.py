"""Piccolo's configuration module: the engine comes from ``DATABASE_URL``.

Piccolo's migration runner looks its engine and apps up here; ``directory.database.bind``
replaces ``DB`` when the app is built with other settings (the test suite does). The apps are
the core's and each enabled plugin's, so a plugin author runs
``PICCOLO_CONF=directory.piccolo_conf piccolo migrations new <app> --auto`` as for the core.
"""

from piccolo.conf.apps import AppRegistry

from directory.database import register_apps
from directory.platform.services import plugin_apps
from directory.plugin_manager import get_plugin_manager
from directory.settings import Settings

_settings = Settings.from_env()
DB = _settings.engine()

APP_REGISTRY = AppRegistry(apps=["directory.piccolo_app"])
register_apps(module for modules in plugin_apps(get_plugin_manager(_settings)).values() for module in modules)
