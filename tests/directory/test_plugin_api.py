"""Built-in and example plugins use the public plugin API only, as a third-party plugin must."""

import ast
from pathlib import Path

from directory import plugin_api

ROOT = Path(__file__).resolve().parents[2]
PLUGINS, EXAMPLES = ROOT / "plugins", ROOT / "examples"


def _core_imports(folder: Path) -> list[str]:
    """What the Python files below ``folder`` import from the core, but the plugin API (and, in
    a plugin's own tests, the pytest kit the directory ships for them)."""
    found = []
    for path in folder.rglob("*.py"):
        in_tests = "tests" in path.relative_to(ROOT).parts
        allowed = {"directory.plugin_api"} | ({"directory.testing"} if in_tests else set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            found += [f"{path.relative_to(ROOT)}: {name}" for name in names
                      if (name == "directory" or name.startswith("directory.")) and name not in allowed]
    return found


def test_built_in_plugins_import_nothing_from_the_core_but_the_plugin_api():
    assert _core_imports(PLUGINS) == []


def test_example_plugins_import_nothing_from_the_core_but_the_plugin_api_and_the_test_kit():
    assert list(EXAMPLES.rglob("*.py")), "the examples hold no plugin to check"
    assert _core_imports(EXAMPLES) == []


def test_the_plugin_api_exports_what_it_documents():
    for name in plugin_api.__all__:
        assert getattr(plugin_api, name) is not None
        assert f"``{name}``" in plugin_api.__doc__, f"{name} is exported but not described"
