"""The shape of the reports app: no import cycle between its modules (the aggregates' build
and reader, the sources, the selectors), and it reads the other apps through their public
names, never a private helper or the names of their audit events."""

from __future__ import annotations

import ast
from pathlib import Path

from cadrebook.core import contributions

REPORTS = Path(__file__).resolve().parents[1]


def _modules() -> dict[str, ast.Module]:
    result = {}
    for path in REPORTS.rglob("*.py"):
        if "tests" in path.parts or "migrations" in path.parts:
            continue
        parts = path.relative_to(REPORTS.parent.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        result[name] = ast.parse(path.read_text())
    return result


def _imports(tree: ast.Module, known: set[str]) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            found |= {n for n in names if n in known}
    return found


def test_no_cycle_between_the_modules_of_reports() -> None:
    modules = _modules()
    known = set(modules)
    graph = {name: _imports(tree, known) - {name} for name, tree in modules.items()}
    # A package imports what its __init__ re-exports; its modules importing each other
    # through the package is not a cycle of code.
    for name in graph:
        graph[name] = {n for n in graph[name] if not name.startswith(n + ".")}
    seen: dict[str, int] = {}

    def visit(name: str, path: list[str]) -> None:
        if seen.get(name) == 1:
            raise AssertionError(" -> ".join([*path, name]))
        if seen.get(name) == 2:
            return
        seen[name] = 1
        for other in sorted(graph[name]):
            visit(other, [*path, name])
        seen[name] = 2

    for name in sorted(graph):
        visit(name, [])
    assert "cadrebook.reports.aggregates.read" in graph


def test_reports_use_no_private_name_of_another_app_nor_its_audit_event_names() -> None:
    for name, tree in _modules().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                if node.module.startswith("cadrebook.") and not node.module.startswith(
                    "cadrebook.reports"
                ):
                    private = [a.name for a in node.names if a.name.startswith("_")]
                    assert not private, (name, node.module, private)
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value not in ("member.", "unit.", "import."), (name, node.value)


def test_the_apps_declare_the_audit_events_that_change_the_statistics() -> None:
    declared = {c.app: (c.event_types, c.followable) for c in contributions.counted_changes()}
    assert declared["members"] == (("member.",), True)
    assert declared["orgs"][1] is False and declared["imports"][1] is False
