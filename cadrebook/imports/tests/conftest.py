"""Helpers of the import tests: write a file, run an import as someone."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

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


def assert_accounted(report: Report) -> None:
    """Every row read is counted once: created, updated, unchanged or refused."""
    if report.file_error is not None:
        return
    counted = report.created + report.updated + report.unchanged + len(report.refused_rows)
    assert report.rows_read == counted, report.as_dict()


@pytest.fixture
def run(write_file: Callable[..., str]) -> Callable[..., Report]:
    """run(kind, text_or_path, actor=None, **options) -> Report; actor None is the system.
    Every report it gives accounts for each row read (`assert_accounted`)."""

    def go(kind: str, text: str, actor: Any = None, **options: Any) -> Report:
        path = text if text.endswith((".csv", ".xlsx")) and "\n" not in text else write_file(text)
        report = run_import(actor=actor, kind=kind, path=path, **options)
        assert_accounted(report)
        return report

    return go


@pytest.fixture
def grant(actor: Any) -> Callable[..., Any]:
    """grant(user, role, unit) through the service."""

    def give(user: Any, role: str, unit: Any) -> Any:
        return role_grant(actor=actor, user=user, role=role, unit=unit)

    return give


@pytest.fixture
def people(tree: SimpleNamespace) -> SimpleNamespace:
    """A clerk on G1 (K1's parent), a second clerk there, a viewer there, an organizer of
    the province. Users have no password (logged in with force_login)."""
    users = get_user_model().objects

    def user(name: str, role: str, unit: Any) -> Any:
        u = users.create_user(username=name)
        role_grant(actor=None, user=u, role=role, unit=unit)
        return u

    return SimpleNamespace(
        clerk=user("clerk-g1", "clerk", tree.G1),
        colleague=user("colleague-g1", "clerk", tree.G1),
        viewer=user("viewer-g1", "viewer", tree.G1),
        organizer=user("organizer-p", "organizer", tree.P),
    )
