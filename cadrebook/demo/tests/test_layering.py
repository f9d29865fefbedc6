"""The demo sits on top: no app's code imports it (the apps' tests may)."""

from __future__ import annotations

import ast
from pathlib import Path

CADREBOOK = Path(__file__).resolve().parents[2]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_app_imports_the_demo() -> None:
    code = [path.relative_to(CADREBOOK) for path in sorted(CADREBOOK.rglob("*.py"))]
    offenders = [
        str(path)
        for path in code
        if path.parts[0] != "demo"
        and "tests" not in path.parts
        and any(
            name == "cadrebook.demo" or name.startswith("cadrebook.demo.")
            for name in _imports(CADREBOOK / path)
        )
    ]
    assert not offenders
