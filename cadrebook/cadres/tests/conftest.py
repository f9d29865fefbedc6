"""Fixtures of the cadre tests: an organizer everywhere (who manages cadres), committee terms
of C1 and K1 from 2025, a decision of C1's register, and full members of K1 and GC."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from cadrebook.accounts.services import role_grant
from cadrebook.cadres.services import committee_term_open
from cadrebook.documents.services import document_register

D = dt.date
BIRTH = D(1980, 3, 1)
ADMITTED = D(2010, 5, 1)
TERM_START = D(2025, 1, 1)


@pytest.fixture
def organizer(db: None) -> Any:
    user = get_user_model().objects.create_user(username="organizer")
    role_grant(actor=None, user=user, role="organizer", unit=None)
    return user


@pytest.fixture
def terms(tree: SimpleNamespace, organizer: Any) -> SimpleNamespace:
    """Committee terms 2025-2030 of C1, G1 and K1."""
    return SimpleNamespace(
        c1=committee_term_open(actor=organizer, unit=tree.C1, start=TERM_START),
        g1=committee_term_open(actor=organizer, unit=tree.G1, start=TERM_START),
        k1=committee_term_open(actor=organizer, unit=tree.K1, start=TERM_START),
    )


@pytest.fixture
def decision(tree: SimpleNamespace, organizer: Any, terms: SimpleNamespace) -> Any:
    """An appointment decision of C1's register, dated 2025-03-01."""
    return document_register(
        actor=organizer,
        type="decision",
        issuer=tree.C1,
        term=terms.c1,
        date=D(2025, 3, 1),
        title="Bổ nhiệm",
    )


@pytest.fixture
def people(tree: SimpleNamespace, make_member: Any) -> SimpleNamespace:
    """Full members of K1 (under G1, under C1) and GC (under C2), a probationary member of
    K1, and a woman of K1 close to retirement."""
    return SimpleNamespace(
        k1=make_member(tree.K1, BIRTH, ADMITTED, recognized=True),
        k1b=make_member(tree.K1, BIRTH, ADMITTED, recognized=True),
        gc=make_member(tree.GC, BIRTH, ADMITTED, recognized=True),
        probationary=make_member(tree.K1, D(1995, 1, 1), D(2024, 12, 1)),
        # Born 1970-01-10, a woman: 57y4m by the schedule of 2027, so she retires at the
        # end of May 2027 (less than 60 months after 2022-05-31).
        older=make_member(tree.K1, D(1970, 1, 10), ADMITTED, recognized=True, gender="female"),
    )


# Clients of the pages: an organizer of the province, a viewer of C1, an organizer of C2.


def client_for(tree: SimpleNamespace, username: str, role: str, unit: Any) -> Client:
    user = get_user_model().objects.create_user(username=username)
    role_grant(actor=None, user=user, role=role, unit=unit)
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def board(tree: SimpleNamespace) -> Client:
    """An organizer of the province: manages cadres, reads personal data."""
    return client_for(tree, "board", "organizer", tree.P)


@pytest.fixture
def viewer(tree: SimpleNamespace) -> Client:
    """A viewer of C1: sees the planning, not the personal data, manages nothing."""
    return client_for(tree, "viewer", "viewer", tree.C1)


@pytest.fixture
def other(tree: SimpleNamespace) -> Client:
    """An organizer of C2: C1 is out of scope."""
    return client_for(tree, "other", "organizer", tree.C2)
