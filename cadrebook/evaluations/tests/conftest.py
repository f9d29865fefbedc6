"""Fixtures of the evaluation's tests: an organizer of P (who may read P's documents), a
decision document of G1 and C1, and members of K1 in good standing."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.services import role_grant
from cadrebook.documents.services import document_register, term_create

D = dt.date
BIRTH = D(1985, 3, 1)
ADMITTED = D(2015, 5, 1)


@pytest.fixture
def organizer(db: None) -> Any:
    user = get_user_model().objects.create_user(username="evaluator")
    role_grant(actor=None, user=user, role="organizer", unit=None)
    return user


@pytest.fixture
def docs(tree: SimpleNamespace, organizer: Any) -> SimpleNamespace:
    """An issued decision of G1 and one of C1; a draft of G1."""
    g1_term = term_create(actor=organizer, unit=tree.G1, start=D(2025, 1, 1))
    c1_term = term_create(actor=organizer, unit=tree.C1, start=D(2025, 1, 1))

    def make(issuer: Any, term: Any, **kw: Any) -> Any:
        values = {"date": D(2025, 12, 20), "title": "Xếp loại", **kw}
        return document_register(
            actor=organizer, type="decision", issuer=issuer, term=term, **values
        )

    return SimpleNamespace(
        g1=make(tree.G1, g1_term),
        c1=make(tree.C1, c1_term),
        draft=make(tree.G1, g1_term, status="draft"),
    )


@pytest.fixture
def k1_members(tree: SimpleNamespace, make_member: Any) -> list[Any]:
    """Seven full members of K1, admitted long before the round."""
    return [make_member(tree.K1, BIRTH, ADMITTED, recognized=True) for _ in range(7)]
