"""A province's two terms and a helper to register documents in them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.documents.services import document_register, term_create

D = dt.date


@pytest.fixture
def terms(tree: SimpleNamespace, actor: Any) -> SimpleNamespace:
    """P's term 2020-2025 (closed at its congress) and 2025-2030 (running); C1's 2020-2025."""
    old = term_create(actor=actor, unit=tree.P, start=D(2020, 10, 16), end=D(2025, 10, 15))
    new = term_create(actor=actor, unit=tree.P, start=D(2025, 10, 16))
    c1 = term_create(actor=actor, unit=tree.C1, start=D(2020, 7, 1), end=D(2025, 7, 31))
    return SimpleNamespace(old=old, new=new, c1=c1)


@pytest.fixture
def register(tree: SimpleNamespace, terms: SimpleNamespace, actor: Any) -> Callable[..., Any]:
    """register(type, number=None, **fields): a document of P in its running term."""

    def make(type: str = "resolution", number: int | None = None, **fields: Any) -> Any:
        values: dict[str, Any] = {
            "issuer": tree.P,
            "term": terms.new,
            "date": D(2026, 1, 5),
            "title": f"Về công tác {type}",
        }
        values.update(fields)
        return document_register(actor=actor, type=type, number=number, **values)

    return make
