"""The core's modules form layers: no import circle, counting imports inside functions (not those
only type checkers read).

A circle closed by an import inside a function works until someone moves that import, and
it hides which module is the leaf: ``settings`` and ``database`` must stay at the bottom.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in (ROOT / package).rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _for_type_checkers(node: ast.AST) -> bool:
    """``if TYPE_CHECKING:``: imports that never run, only read by type checkers."""
    return isinstance(node, ast.If) and (getattr(node.test, "id", None) == "TYPE_CHECKING"
                                         or getattr(node.test, "attr", None) == "TYPE_CHECKING")


def _run_nodes(tree: ast.AST):
    """Every node of the module that can run: functions included, type checkers' imports left out."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        pending.extend(child for child in ast.iter_child_nodes(node) if not _for_type_checkers(child))


def _imports(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package's modules that ``name`` imports anywhere in its code, functions included."""
    found = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in _run_nodes(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[:len(package) - node.level + 1] + ([base] if base else []))
            targets = [base, *(f"{base}.{alias.name}" for alias in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def circles(package: str) -> list[list[str]]:
    """The groups of modules that import each other, directly or not (Tarjan's algorithm)."""
    known = _modules(package)
    graph = defaultdict(set, {name: _imports(name, path, known) for name, path in known.items()})
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(module: str) -> None:
        order[module] = low[module] = len(order)
        stack.append(module)
        for imported in graph[module]:
            if imported not in order:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], order[imported])
        if low[module] == order[module]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(known):
        if module not in order:
            visit(module)
    return found


def test_no_module_of_the_core_imports_itself_through_others():
    assert circles("directory") == []


def test_settings_and_the_database_modules_import_nothing_of_the_directory_above_them():
    known = _modules("directory")
    assert _imports("directory.settings", known["directory.settings"], known) == set()
    assert _imports("directory.engines", known["directory.engines"], known) == set()
    assert _imports("directory.database", known["directory.database"], known) == {"directory.engines"}


def test_the_check_finds_a_circle_closed_inside_a_function(tmp_path, monkeypatch):
    package = tmp_path / "layers"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def later():\n    from layers import high\n")
    (package / "high.py").write_text("from typing import TYPE_CHECKING\nfrom layers.low import later\n"
                                     "if TYPE_CHECKING:\n    from layers import typed\n")
    (package / "typed.py").write_text("from layers import high\n")
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)
    assert circles("layers") == [["layers.high", "layers.low"]]
