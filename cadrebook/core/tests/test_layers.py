"""Services write and may read through selectors; selectors only read and never import the
services, so the two never import each other in a cycle. And the import contracts of
pyproject.toml (layers, no cycles) hold."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
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


# The import contracts (pyproject.toml, [tool.importlinter]): `make test` runs lint-imports;
# these keep them whole, and run them for a plain pytest too.
ROOT = APPS.parent


def _contracts() -> list[dict[str, object]]:
    with open(ROOT / "pyproject.toml", "rb") as f:
        return tomllib.load(f)["tool"]["importlinter"]["contracts"]


def test_every_app_has_its_place_in_the_layers():
    (layers,) = [c for c in _contracts() if c["type"] == "layers"]
    placed = {m.strip() for layer in layers["layers"] for m in str(layer).split("|")}
    apps = {f"cadrebook.{p.parent.name}" for p in APPS.glob("*/__init__.py")}
    assert apps == placed, "an app missing from [tool.importlinter]'s layers, or one too many"


def test_the_import_contracts_hold():
    lint = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
