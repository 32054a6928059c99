"""A third-party plugin as its author would write it: its own settings, tables and migrations."""

import msgspec

from directory.plugin_api import Secret, hookimpl


class ForumSettings(msgspec.Struct):
    api_key: Secret
    max_posts: int = 10
    moderators: list[str] = []


@hookimpl
def plugin_settings():
    return ForumSettings


@hookimpl
def register_piccolo_apps(register):
    register("ce_forum.piccolo_app")
