"""Fixtures of the inspection's tests: an inspector everywhere (who may read every document),
the decisions and conclusions of C1's and G1's registers, and members of K1 and GC."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.services import role_grant
from cadrebook.documents.services import document_register, term_create

D = dt.date
BIRTH = D(1980, 3, 1)
ADMITTED = D(2010, 5, 1)


@pytest.fixture
def inspector(db: None) -> Any:
    user = get_user_model().objects.create_user(username="inspector")
    role_grant(actor=None, user=user, role="inspector", unit=None)
    return user


@pytest.fixture
def docs(tree: SimpleNamespace, inspector: Any) -> SimpleNamespace:
    """Decisions and conclusions of C1 and G1 (issued in early 2025), a draft of C1."""
    terms = {
        u: term_create(actor=inspector, unit=u, start=D(2025, 1, 1))
        for u in (tree.C1, tree.G1, tree.P)
    }

    def make(issuer: Any, type: str = "decision", **kw: Any) -> Any:
        values = {"date": D(2025, 3, 1), "title": "Kiểm tra", **kw}
        return document_register(
            actor=inspector, type=type, issuer=issuer, term=terms[issuer], **values
        )

    return SimpleNamespace(
        c1=make(tree.C1),
        c1_conclusion=make(tree.C1, "conclusion", date=D(2025, 6, 1)),
        g1=make(tree.G1),
        p=make(tree.P),
        draft=make(tree.C1, status="draft"),
        late=make(tree.C1, date=D(2025, 9, 1)),
    )


@pytest.fixture
def people(tree: SimpleNamespace, make_member: Any) -> SimpleNamespace:
    """Full members of K1 (under G1, under C1) and GC (under C2)."""
    return SimpleNamespace(
        k1=make_member(tree.K1, BIRTH, ADMITTED, recognized=True),
        k1b=make_member(tree.K1, BIRTH, ADMITTED, recognized=True),
        gc=make_member(tree.GC, BIRTH, ADMITTED, recognized=True),
    )
