"""Helpers of the import tests: write a file, run an import as someone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from cadrebook.accounts.services import role_grant
from cadrebook.imports.pipeline import Report, run_import


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., str]:
    counter = iter(range(1, 10_000))

    def write(text: str | bytes, name: str = "", encoding: str = "utf-8") -> str:
        path = tmp_path / (name or f"file{next(counter)}.csv")
        data = text if isinstance(text, bytes) else text.encode(encoding)
        path.write_bytes(data)
        return str(path)

    return write


@pytest.fixture
def run(write_file: Callable[..., str]) -> Callable[..., Report]:
    """run(kind, text_or_path, actor=None, **options) -> Report; actor None is the system."""

    def go(kind: str, text: str, actor: Any = None, **options: Any) -> Report:
        path = text if text.endswith((".csv", ".xlsx")) and "\n" not in text else write_file(text)
        return run_import(actor=actor, kind=kind, path=path, **options)

    return go


@pytest.fixture
def grant(actor: Any) -> Callable[..., Any]:
    """grant(user, role, unit) through the service."""

    def give(user: Any, role: str, unit: Any) -> Any:
        return role_grant(actor=actor, user=user, role=role, unit=unit)

    return give
