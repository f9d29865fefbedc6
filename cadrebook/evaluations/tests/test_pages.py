"""The target pages: the list in the user's scope with what was achieved, and setting a
target through the service (confirmation before a value is replaced, refusals on the field)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.evaluations.models import Target
from cadrebook.evaluations.services import target_set

D = dt.date


@pytest.fixture
def organizer(tree: SimpleNamespace, django_user_model: Any) -> Client:
    """An organizer of C1 (G1, K1, K2 below it): sets the targets of its units."""
    user = django_user_model.objects.create_user(username="c1-organizer")
    role_grant(actor=None, user=user, unit=tree.C1, role="organizer")
    client = Client()
    client.force_login(user)
    return client


def test_the_list_shows_the_targets_in_scope_with_the_achieved_count(
    tree: SimpleNamespace, make_member: Any, actor: Any, organizer: Client
) -> None:
    for _ in range(3):
        make_member(tree.K1, D(1995, 1, 1), D(2024, 3, 1))
    target_set(actor=actor, unit=tree.C1, year=2024, indicator="admissions", target=4)
    target_set(actor=actor, unit=tree.C2, year=2024, indicator="admissions", target=9)
    page = organizer.get(reverse("evaluations:targets") + "?year=2024")
    assert page.status_code == 200
    rows = page.context["rows"]
    assert [(r["target"].unit.code, r["actual"], r["achievement_pct"]) for r in rows] == [
        ("C1", 3, 75.0)
    ]
    assert "Unit C2" not in page.content.decode()  # outside the organizer's scope


def test_setting_a_target_goes_through_the_service_and_is_audited(
    tree: SimpleNamespace, organizer: Client
) -> None:
    url = reverse("evaluations:target_edit", args=["K1"])
    answer = organizer.post(url, {"year": 2025, "indicator": "admissions", "target": 12})
    assert answer.status_code == 302
    assert Target.objects.get(unit=tree.K1, year=2025).target == 12
    assert AuditEntry.objects.filter(event_type="target.set").count() == 1


def test_replacing_a_target_asks_for_confirmation_first(
    tree: SimpleNamespace, actor: Any, organizer: Client
) -> None:
    target_set(actor=actor, unit=tree.K1, year=2025, indicator="admissions", target=12)
    url = reverse("evaluations:target_edit", args=["K1"])
    body = {"year": 2025, "indicator": "admissions", "target": 15}
    asked = organizer.post(url, body)
    assert asked.status_code == 200 and "confirmed" in asked.content.decode()
    assert Target.objects.get(unit=tree.K1, year=2025).target == 12  # not yet
    done = organizer.post(url, {**body, "confirmed": "yes", "replacing": "12"})
    assert done.status_code == 302
    assert Target.objects.get(unit=tree.K1, year=2025).target == 15
    assert AuditEntry.objects.filter(event_type="target.revised").count() == 1


def test_the_services_refusal_is_shown_on_the_field(
    tree: SimpleNamespace, organizer: Client
) -> None:
    url = reverse("evaluations:target_edit", args=["K1"])
    answer = organizer.post(url, {"year": 2025, "indicator": "admissions", "target": -1})
    assert answer.status_code == 422
    assert answer.context["form"].errors["target"] == ["A target cannot be negative."]
    answer = organizer.post(url, {"year": 1800, "indicator": "admissions", "target": 1})
    assert "year" in answer.context["form"].errors
    assert not Target.objects.exists()


def test_a_unit_outside_the_scope_is_404_and_a_viewer_or_clerk_may_not_set(
    tree: SimpleNamespace, organizer: Client, django_user_model: Any
) -> None:
    assert organizer.get(reverse("evaluations:target_edit", args=["C2"])).status_code == 404
    # Setting targets is managing units, as the targets import asks (docs/import-formats.md).
    for role in ("viewer", "clerk"):
        user = django_user_model.objects.create_user(username=f"p-{role}")
        role_grant(actor=None, user=user, unit=tree.P, role=role)
        client = Client()
        client.force_login(user)
        url = reverse("evaluations:target_edit", args=["K1"])
        assert client.get(url).status_code == 403
        body = {"year": 2025, "indicator": "admissions", "target": 3}
        assert client.post(url, body).status_code == 403
    assert not Target.objects.exists()


def test_a_replacement_the_service_refuses_is_refused_before_the_question(
    tree: SimpleNamespace, actor: Any, organizer: Client
) -> None:
    target_set(actor=actor, unit=tree.K1, year=2025, indicator="admissions", target=12)
    url = reverse("evaluations:target_edit", args=["K1"])
    for wrong, message in ((-1, "cannot be negative"), (10**20, "cannot be more than")):
        answer = organizer.post(url, {"year": 2025, "indicator": "admissions", "target": wrong})
        assert answer.status_code == 422
        assert message in answer.context["form"].errors["target"][0]
    assert Target.objects.get(unit=tree.K1, year=2025).target == 12


def test_a_confirmation_of_a_value_changed_since_is_asked_again(
    tree: SimpleNamespace, actor: Any, organizer: Client
) -> None:
    target_set(actor=actor, unit=tree.K1, year=2025, indicator="admissions", target=12)
    url = reverse("evaluations:target_edit", args=["K1"])
    body = {"year": 2025, "indicator": "admissions", "target": 15}
    asked = organizer.post(url, body)
    assert 'name="replacing" value="12"' in asked.content.decode()
    # Someone else sets 20 meanwhile: confirming "12 becomes 15" must not overwrite 20 unasked.
    target_set(actor=actor, unit=tree.K1, year=2025, indicator="admissions", target=20)
    again = organizer.post(url, {**body, "confirmed": "yes", "replacing": "12"})
    assert again.status_code == 200 and again.context["current"] == 20
    assert Target.objects.get(unit=tree.K1, year=2025).target == 20
    done = organizer.post(url, {**body, "confirmed": "yes", "replacing": "20"})
    assert done.status_code == 302
    assert Target.objects.get(unit=tree.K1, year=2025).target == 15
