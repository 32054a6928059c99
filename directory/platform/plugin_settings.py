"""Plugins' own settings: typed, read from namespaced environment variables, checked at start-up.

A plugin returns a ``msgspec.Struct`` class from its ``plugin_settings`` hook; each field is read
from ``CHANNEL_EXPERT_<PLUGIN>_<FIELD>`` (``<PLUGIN>`` is the plugin's name, upper-cased, its
package path dropped: ``plugins.leads`` reads ``CHANNEL_EXPERT_LEADS_…``). Fields without a
default are required; ``list`` fields take comma-separated values; fields typed ``Secret`` are
never shown (``channel-expert plugins --json`` masks them). A bad or missing value stops the
start-up with one line, in French and English, naming the variable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import msgspec

from directory.platform import current
from directory.settings import PREFIX, SettingsError

if TYPE_CHECKING:
    from directory.plugin_manager import PluginManager

Secret = Annotated[str, msgspec.Meta(extra={"secret": True})]
MASK = "********"

def namespace(plugin_name: str) -> str:
    """The part of the variables' names that stands for the plugin: ``plugins.leads`` → ``LEADS``."""
    return re.sub(r"[^A-Z0-9]+", "_", plugin_name.rsplit(".", 1)[-1].upper()).strip("_")


def variable(plugin_name: str, field: str) -> str:
    return f"{PREFIX}{namespace(plugin_name)}_{field.upper()}"


def _fields(schema: type[msgspec.Struct]) -> list[msgspec.inspect.Field]:
    return list(msgspec.inspect.type_info(schema).fields)


def _is_secret(field: msgspec.inspect.Field) -> bool:
    return isinstance(field.type, msgspec.inspect.Metadata) and bool((field.type.extra or {}).get("secret"))


def _is_list(field: msgspec.inspect.Field) -> bool:
    kind = field.type.type if isinstance(field.type, msgspec.inspect.Metadata) else field.type
    return isinstance(kind, (msgspec.inspect.ListType, msgspec.inspect.TupleType, msgspec.inspect.VarTupleType,
                             msgspec.inspect.SetType, msgspec.inspect.FrozenSetType))


def read(plugin_name: str, schema: type[msgspec.Struct], environ: Mapping[str, str]) -> msgspec.Struct:
    """The plugin's settings from ``environ``, or a ``SettingsError`` naming the faulty variable."""
    values: dict[str, Any] = {}
    for field in _fields(schema):
        name = variable(plugin_name, field.name)
        if name in environ:
            raw = environ[name]
            values[field.encode_name] = [item.strip() for item in raw.split(",") if item.strip()] \
                if _is_list(field) else raw
    try:
        return msgspec.convert(values, schema, strict=False)
    except msgspec.ValidationError as error:
        message = str(error)
        missing = re.search(r"missing required field `(\w+)`", message)
        at = re.search(r"at `\$\.(\w+)", message)
        if missing:
            name = variable(plugin_name, missing[1])
            raise SettingsError(f"{name} est obligatoire pour le plugin {plugin_name} / {name} is required") from None
        name = variable(plugin_name, at[1]) if at else f"{PREFIX}{namespace(plugin_name)}_*"
        reason = message.split(" - at ")[0]
        raise SettingsError(f"{name} : valeur invalide pour le plugin {plugin_name} / invalid value: {reason}") from None


def load_one(manager: PluginManager, plugin_name: str, environ: Mapping[str, str]) -> None:
    """Read and check one plugin's settings (if it declares any) onto ``manager``."""
    for _, schema in manager.answers("plugin_settings", plugin=plugin_name):
        if not (isinstance(schema, type) and issubclass(schema, msgspec.Struct)):
            raise SettingsError(f"the plugin {plugin_name} must return a msgspec.Struct class from plugin_settings")
        manager.plugin_settings[plugin_name] = read(plugin_name, schema, environ)


def settings_of(plugin_name: str) -> Any:  # noqa: ANN401 - the plugin's own settings class
    """The settings of the plugin registered as ``plugin_name``, read when the running app's
    plugins were loaded."""
    try:
        return current.platform().plugin_manager.plugin_settings[plugin_name]
    except KeyError:
        raise LookupError(f"the plugin {plugin_name!r} declares no settings (see the plugin_settings hook)") from None


def shown(plugin_name: str, values: msgspec.Struct) -> dict[str, Any]:
    """Each variable with its value, secrets masked, for ``channel-expert plugins``."""
    return {variable(plugin_name, field.name): MASK if _is_secret(field) and getattr(values, field.name)
            else getattr(values, field.name) for field in _fields(type(values))}
