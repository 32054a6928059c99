"""``docs/plugins.md`` documents every hook with its exact signature, and no other."""

import inspect
import re
from pathlib import Path

from directory import hookspecs
from plugins.badges import hookspecs as badge_hookspecs
from plugins.insights import hookspecs as insight_hookspecs
from plugins.leads import hookspecs as lead_hookspecs

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
SPEC_MODULES = (hookspecs, lead_hookspecs, insight_hookspecs, badge_hookspecs)  # the core's, and those plugins add


def _hookspecs():
    return {
        name: fn
        for module in SPEC_MODULES
        for name, fn in inspect.getmembers(module, inspect.isfunction)
        if hasattr(fn, f"{hookspecs.PROJECT}_spec")
    }


def _signature(name, fn) -> str:
    signature = inspect.signature(fn)
    params = ", ".join(f"{p.name}: {p.annotation}" for p in signature.parameters.values())
    return f"{name}({params}) -> {signature.return_annotation}"


def test_every_hook_is_documented_with_its_signature():
    text = DOCS.read_text(encoding="utf-8")
    for name, fn in _hookspecs().items():
        assert f"### {name}\n" in text, f"{name} has no section in docs/plugins.md"
        assert _signature(name, fn) in text, f"docs/plugins.md shows another signature for {name}"


def test_only_real_hooks_are_documented():
    text = DOCS.read_text(encoding="utf-8")
    hooks_part = text.split("## Hooks", 1)[1]
    documented = set(re.findall(r"^### (\w+)$", hooks_part, flags=re.MULTILINE))
    assert documented == set(_hookspecs())


def test_every_hookspec_has_a_docstring_with_its_parameters():
    for name, fn in _hookspecs().items():
        doc = inspect.getdoc(fn) or ""
        for param in inspect.signature(fn).parameters:
            assert f":param {param}:" in doc, f"{name} does not document {param}"


def test_every_hook_is_implemented_by_a_built_in_or_example_plugin_or_a_test():
    """A hook nobody implements is a promise nothing keeps: each has at least one implementation."""
    root = DOCS.parents[1]
    sources = "\n".join(path.read_text(encoding="utf-8") for folder in ("plugins", "examples", "tests")
                        for path in (root / folder).rglob("*.py"))
    unused = [name for name in _hookspecs() if not re.search(rf"def {name}\(", sources)]
    assert unused == []
