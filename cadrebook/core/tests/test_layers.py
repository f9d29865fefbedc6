"""Services write and may read through selectors; selectors only read and never import the
services, so the two never import each other in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

APPS = Path(__file__).resolve().parents[2]
SELECTORS = sorted(APPS.glob("*/selectors.py"))


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_there_are_selectors_to_check():
    assert {p.parent.name for p in SELECTORS} >= {"accounts", "evaluations", "members", "orgs"}


@pytest.mark.parametrize("path", SELECTORS, ids=lambda p: p.parent.name)
def test_selectors_never_import_services(path):
    # A module of a service package (`members/services/engine.py`) counts as the services.
    services = sorted(m for m in imported_modules(path) if "services" in m.split("."))
    assert not services, f"{path.parent.name}/selectors.py imports {services}"
