"""`createadmin`: the national administrator the `cadrebook` console script creates."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from cadrebook.accounts.models import RoleAssignment
from cadrebook.core.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_createadmin_makes_a_national_administrator_and_audits_it():
    call_command("createadmin", "chief", password="a-good-password")
    user = get_user_model().objects.get(username="chief")
    assert user.is_superuser and user.password.startswith("argon2")
    grant = RoleAssignment.objects.get(user=user)
    assert grant.role == "administrator" and grant.unit is None
    assert AuditEntry.objects.filter(event_type="user.created", object_id=str(user.pk)).exists()


def test_createadmin_refuses_a_taken_name_and_writes_nothing():
    call_command("createadmin", "chief", password="a-good-password")
    before = AuditEntry.objects.count()
    with pytest.raises(CommandError, match="chief"):
        call_command("createadmin", "chief", password="another-password")
    assert AuditEntry.objects.count() == before
    assert RoleAssignment.objects.count() == 1


def test_createadmin_refuses_a_short_password():
    with pytest.raises(CommandError, match="8 characters"):
        call_command("createadmin", "chief", password="short")
    assert not get_user_model().objects.filter(username="chief").exists()
