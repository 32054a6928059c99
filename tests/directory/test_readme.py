"""The README stays true: its settings table is the settings, its layout is the tree."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from directory.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


class Recording(dict):
    """An empty environment that remembers every variable asked of it."""

    def __init__(self) -> None:
        super().__init__()
        self.asked: set[str] = set()

    def get(self, key, default=None):  # noqa: ANN001, ANN201 - dict's signature
        self.asked.add(key)
        return default

    def __contains__(self, key) -> bool:  # noqa: ANN001 - dict's signature
        self.asked.add(key)
        return False


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_configuration_table_names_every_setting_and_nothing_else():
    environment = Recording()
    Settings.from_env(environment)
    rows = [line for line in _section("Configuration").splitlines() if line.startswith("| `")]
    first_cells = [row.split("|")[1] for row in rows]
    documented = set(re.findall(r"`((?:CHANNEL_EXPERT_|DATABASE_URL)[A-Z0-9_]*)`", "\n".join(first_cells)))
    suite_only = {"CHANNEL_EXPERT_TEST_DATABASE_URL"}  # read by the test kit, not by the directory
    assert documented - suite_only == environment.asked


def _layout() -> str:
    return _section("Project layout").split("```", 2)[1]


def _tracked() -> list[str]:
    listed = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return listed.stdout.split()


def test_the_layout_names_every_top_level_entry_and_every_package_of_the_code():
    layout = _layout()
    tracked = _tracked()
    top = {path.split("/")[0] for path in tracked}
    assert sorted(entry for entry in top if entry not in layout) == []
    packages = {path.rsplit("/", 1)[0] for path in tracked
                if path.endswith(".py") and path.split("/")[0] in ("directory", "plugins", "search", "geo")
                and "/migrations/" not in path and path.count("/") >= 1}
    missing = sorted(package for package in packages if f"{package.rsplit('/', 1)[-1]}/" not in layout)
    assert missing == []


def test_the_layout_names_every_module_of_the_core_and_of_the_engines():
    layout = _layout()
    code = re.compile(r"(directory|search|geo|plugins/\w+)(/\w+)*/\w+\.py")
    modules = [path for path in _tracked() if code.fullmatch(path)
               and "/migrations/" not in path and not path.endswith("__init__.py")]
    # A package's own modules by file name; a sub-package's (accounts/, a plugin's) by name in its line.
    missing = sorted(path for path in modules if path.count("/") == 1 and f"{Path(path).name}" not in layout
                     or path.count("/") > 1 and not re.search(rf"\b{Path(path).stem}\b", layout))
    assert missing == []


def test_every_built_in_plugins_setting_is_documented_in_the_manuals(plugin_manager):
    """The README's table holds the core's settings; each plugin's own are in its page of docs/."""
    from directory.platform.plugin_settings import variable

    manuals = "\n".join(path.read_text(encoding="utf-8") for path in (ROOT / "docs").glob("*.md"))
    missing = [variable(plugin, name) for plugin, values in plugin_manager.plugin_settings.items()
               if plugin.startswith("plugins.") for name in values.__struct_fields__
               if not re.search(rf"`{variable(plugin, name)}[`=]", manuals)]
    assert missing == []
