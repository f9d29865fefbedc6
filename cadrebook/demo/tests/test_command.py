"""`cadrebook demo`: a province, its logins, targets and statistics, into an empty database."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from cadrebook.cadres.models import ConfidenceSession, PlanningEntry, PostHolding
from cadrebook.demo.logins import DEMO_PASSWORD
from cadrebook.evaluations.models import Target
from cadrebook.members.models import Member
from cadrebook.reports.aggregates import current_build

pytestmark = pytest.mark.django_db


def test_the_demo_command_fills_an_empty_database_only_once(cheap_hashing: None) -> None:
    out = StringIO()
    call_command("demo", "--members", "120", "--seed", "4", "--if-empty", stdout=out)
    text = out.getvalue()
    assert "120 members" in text
    assert "clerk" in text and DEMO_PASSWORD in text
    assert Member.objects.count() == 120
    out = StringIO()
    call_command("demo", "--members", "120", "--if-empty", stdout=out)
    assert "nothing generated" in out.getvalue()
    assert Member.objects.count() == 120


def test_the_demo_has_targets_and_current_statistics(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    call_command("demo", "--members", "150", "--seed", "5", stdout=StringIO())
    assert Target.objects.filter(indicator="admissions").count() >= 10
    assert current_build() is not None
    # Cadre work through the services: the committees' posts, planning, one confidence vote.
    assert PostHolding.objects.filter(position="secretary").count() >= 2
    assert PlanningEntry.objects.exists()
    assert ConfidenceSession.objects.count() == 1
