"""Built-in plugins use the public plugin API only, as a third-party plugin must."""

import ast
from pathlib import Path

from directory import plugin_api

PLUGINS = Path(__file__).resolve().parents[2] / "plugins"


def test_built_in_plugins_import_nothing_from_the_core_but_the_plugin_api():
    offenders = []
    for path in PLUGINS.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{path.relative_to(PLUGINS)}: {name}" for name in names
                          if (name == "directory" or name.startswith("directory.")) and name != "directory.plugin_api"]
    assert offenders == []


def test_the_plugin_api_exports_what_it_documents():
    for name in plugin_api.__all__:
        assert getattr(plugin_api, name) is not None
        assert f"``{name}``" in plugin_api.__doc__, f"{name} is exported but not described"
