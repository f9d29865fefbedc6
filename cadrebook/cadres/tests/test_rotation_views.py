"""The rotation pages (issue 20): the plans in scope, a plan's page with its stints, the
forms that record a plan, add a stint (the rules' refusals shown with their code and
source, nothing written) and end one (confirmed first). Out of scope answers 404; a write
needs manage_cadres."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from cadrebook.cadres.models import RotationPlan, RotationStint, RotationStintEnd
from cadrebook.cadres.planning_rules import rotation_rules
from cadrebook.cadres.services import (
    planning_add,
    post_appoint,
    rotation_plan_record,
    rotation_stint_add,
)
from cadrebook.cadres.tests.conftest import client_for
from cadrebook.core.models import AuditEntry

D = dt.date
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


@pytest.fixture
def clerk(tree: SimpleNamespace) -> Client:
    """A clerk of the province: sees the plans, does not manage cadres."""
    return client_for(tree, "p-clerk", "clerk", tree.P)


@pytest.fixture
def plan(
    organizer: Any, tree: SimpleNamespace, terms: Any, people: SimpleNamespace, decision: Any
) -> RotationPlan:
    """k1 deputy secretary of C1, planned for C1's secretary; P's rotation plan of 2025."""
    post_appoint(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="deputy_secretary",
        started_on=D(2025, 3, 1),
        outside_planning_text=OUTSIDE_PLANNING,
    )
    planning_add(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        position="secretary",
        member=people.k1,
        added_on=D(2025, 4, 1),
        document=decision,
    )
    return rotation_plan_record(
        actor=organizer, unit=tree.P, year=2025, decided_on=D(2025, 5, 1), document_text="9-QĐ/TU"
    )


def _stint_form(people: SimpleNamespace, **kw: Any) -> dict[str, Any]:
    return {
        "member": str(people.k1.pk),
        "to_unit": "C2",
        "to_position": "deputy_secretary",
        "planned_start": "2025-06-01",
        "planned_end": "",
        **kw,
    }


def test_a_plan_is_recorded_and_listed(board: Client, tree: SimpleNamespace) -> None:  # noqa: F811
    url = reverse("cadres_planning:rotation_plan_new", kwargs={"code": "P"})
    refused = board.post(url, {"year": "2025", "decided_on": "2025-05-01"})
    assert refused.status_code == 422
    assert "rotation.decision_missing" in refused.content.decode()
    assert not RotationPlan.objects.exists()
    made = board.post(url, {"year": "2025", "decided_on": "2025-05-01", "document_text": "9-QĐ"})
    assert made.status_code == 302
    plan = RotationPlan.objects.get()
    assert made["Location"] == reverse("cadres_planning:rotation_plan", kwargs={"pk": plan.pk})
    listed = board.get(reverse("cadres_planning:rotation")).content.decode()
    assert "9-QĐ" in listed


def test_a_stint_is_added_and_its_rules_refusals_are_shown(
    board: Client,  # noqa: F811
    plan: RotationPlan,
    people: SimpleNamespace,
) -> None:
    url = reverse("cadres_planning:stint_new", kwargs={"pk": plan.pk})
    assert board.get(url).status_code == 200
    short = board.post(url, _stint_form(people, planned_end="2025-12-01"))
    assert short.status_code == 422
    text = short.content.decode()
    assert "rotation.stint_too_short" in text and escape(rotation_rules().min_stint_source) in text
    unequal = board.post(url, _stint_form(people, to_position="secretary"))
    assert "rotation.not_equal_post" in unequal.content.decode()
    assert not RotationStint.objects.exists()
    assert not AuditEntry.objects.filter(event_type="rotation.stint_added").exists()
    assert board.post(url, _stint_form(people)).status_code == 302
    stint = RotationStint.objects.get()
    assert (stint.to_unit.code, stint.planned_end) == ("C2", D(2028, 6, 1))
    page = board.get(reverse("cadres_planning:rotation_plan", kwargs={"pk": plan.pk}))
    assert people.k1.full_name in page.content.decode()
    assert 'data-testid="stint"' in page.content.decode()


def test_a_stints_end_is_confirmed_first(
    board: Client,  # noqa: F811
    organizer: Any,
    tree: SimpleNamespace,
    plan: RotationPlan,
    people: SimpleNamespace,
) -> None:
    stint = rotation_stint_add(
        actor=organizer,
        plan=plan,
        member=people.k1,
        to_unit=tree.C2,
        to_position="deputy_secretary",
        planned_start=D(2025, 6, 1),
    )
    url = reverse("cadres_planning:stint_end", kwargs={"pk": stint.pk})
    early = board.post(url, {"ended_on": "2025-05-01"})
    assert early.status_code == 422
    assert "rotation.end_before_start" in early.content.decode()
    data = {"ended_on": "2026-06-30", "note": "Về lại tỉnh"}
    asked = board.post(url, data)
    assert asked.status_code == 200 and 'data-testid="confirm"' in asked.content.decode()
    assert not RotationStintEnd.objects.exists()
    assert board.post(url, {**data, "confirmed": "yes"}).status_code == 302
    end = RotationStintEnd.objects.get(stint=stint)
    assert (end.ended_on, end.note) == (D(2026, 6, 30), "Về lại tỉnh")
    page = board.get(reverse("cadres_planning:rotation_plan", kwargs={"pk": plan.pk}))
    assert 'data-testid="end-stint"' not in page.content.decode()


def test_rotation_is_scoped_and_written_by_who_manages_cadres(
    other: Client,  # noqa: F811
    clerk: Client,
    organizer: Any,
    tree: SimpleNamespace,
    plan: RotationPlan,
    people: SimpleNamespace,
) -> None:
    stint = rotation_stint_add(
        actor=organizer,
        plan=plan,
        member=people.k1,
        to_unit=tree.C2,
        to_position="deputy_secretary",
        planned_start=D(2025, 6, 1),
    )
    plan_url = reverse("cadres_planning:rotation_plan", kwargs={"pk": plan.pk})
    stint_url = reverse("cadres_planning:stint_new", kwargs={"pk": plan.pk})
    end_url = reverse("cadres_planning:stint_end", kwargs={"pk": stint.pk})
    # P's plan is out of C2's organizer's scope.
    assert other.get(plan_url).status_code == 404
    assert other.post(stint_url, _stint_form(people)).status_code == 404
    assert other.post(end_url, {"ended_on": "2026-06-30"}).status_code == 404
    assert "9-QĐ/TU" not in other.get(reverse("cadres_planning:rotation")).content.decode()
    new_plan = reverse("cadres_planning:rotation_plan_new", kwargs={"code": "P"})
    assert other.get(new_plan).status_code == 404
    # A clerk sees the plan and may not write.
    assert clerk.get(plan_url).status_code == 200
    assert clerk.post(stint_url, _stint_form(people)).status_code == 403
    assert clerk.post(end_url, {"ended_on": "2026-06-30"}).status_code == 403
    assert clerk.post(new_plan, {"year": "2026"}).status_code == 403
    assert RotationStint.objects.count() == 1 and not RotationStintEnd.objects.exists()
