"""The demo logins: one per role, on the generated province, with their grants."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.models import RoleAssignment
from cadrebook.demo.generator import generate
from cadrebook.demo.logins import DEMO_PASSWORD, create_demo_users

pytestmark = pytest.mark.django_db

SMALL = {
    "communes": 2,
    "grassroots_per_commune": 4,
    "cells_per_grassroots": 3,
    "members": 200,
    "today": dt.date(2026, 6, 30),
}


def test_demo_users_hold_their_grants(cheap_hashing: None) -> None:
    generate(seed=1, **SMALL)
    logins = create_demo_users()
    assert [(u, r) for u, r, _ in logins] == [
        ("national", "administrator"),
        ("organizer", "organizer"),
        ("clerk", "clerk"),
        ("viewer", "viewer"),
        ("inspector", "inspector"),
    ]
    users = get_user_model().objects
    clerk = users.get(username="clerk")
    assert clerk.password.startswith("argon2")
    assert clerk.check_password(DEMO_PASSWORD)
    for username, role, where in logins:
        user = users.get(username=username)
        grant = RoleAssignment.objects.get(user=user)
        assert grant.role == role
        assert (grant.unit.code if grant.unit else "national") == where
    assert users.get(username="national").is_staff
    clerk_unit = RoleAssignment.objects.get(user__username="clerk").unit
    assert clerk_unit.kind in ("cell", "grassroots_cell")
    assert clerk_unit.members.filter(full_name="Đặng Đức Ước").exists()
    viewer_unit = RoleAssignment.objects.get(user__username="viewer").unit
    assert viewer_unit.kind == "commune_committee"
    assert clerk_unit.path.startswith(viewer_unit.path)
    # Running it again changes nothing.
    assert create_demo_users() == logins
    assert RoleAssignment.objects.count() == 5
