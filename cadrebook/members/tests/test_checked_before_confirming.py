"""The browser's check-your-answers step comes after the service's checks (issue 14): a
restructuring, a destructive member action or a correction that the service would refuse is
refused on the form's field before the answers are shown, not after the user confirmed them;
and asking the service writes nothing (no change, no event, no audit entry)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.dry_run import refusal_of
from cadrebook.core.models import AuditEntry
from cadrebook.members import services as ms
from cadrebook.members.models import Member, MemberEvent, MemberPeriod
from cadrebook.orgs.models import OrgUnit, UnitPlacement
from cadrebook.orgs.services import unit_create

pytestmark = pytest.mark.django_db
D = dt.date
ON = D(2025, 7, 1)


@pytest.fixture
def world(client: Any) -> dict[str, Any]:
    """P1 > C1 > K1 (a probationary member admitted 2025-03-03), C2. The organizer of P1 is
    signed in."""
    p1 = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c1 = unit_create(actor=None, code="C1", name="Xã Một", kind="commune_committee", parent=p1)
    c2 = unit_create(actor=None, code="C2", name="Xã Hai", kind="commune_committee", parent=p1)
    k1 = unit_create(actor=None, code="K1", name="Chi bộ Một", kind="grassroots_cell", parent=c1)
    member = ms.member_register_applicant(
        actor=None,
        unit=k1,
        date=D(2025, 1, 6),
        full_name="Trần Văn Bình",
        gender="male",
        birth_date=D(1990, 1, 1),
        taken_over=True,
    )
    ms.member_admit(actor=None, member=member, date=D(2025, 3, 3), taken_over=True)
    user = get_user_model().objects.create_user(username="organizer")
    role_grant(actor=None, user=user, role=Role.ORGANIZER, unit=p1)
    client.force_login(user)
    return {"c1": c1, "c2": c2, "k1": k1, "member": member}


def written() -> tuple[int, ...]:
    """Counts of everything a restructuring or a member action writes."""
    return (
        AuditEntry.objects.count(),
        MemberEvent.objects.count(),
        MemberPeriod.objects.count(),
        UnitPlacement.objects.count(),
    )


def _unit_url(code: str, name: str) -> str:
    return reverse("members:unit_action", args=[code, name])


@pytest.mark.parametrize(
    ("code", "data", "field", "words"),
    [
        ("K1", {"parent": "C2", "date": "2099-01-01"}, "date", "in the future"),
        ("C2", {"parent": "C1", "date": ON.isoformat()}, "parent", "cannot stand under"),
    ],
)
def test_a_restructuring_the_service_refuses_is_refused_before_the_answers(
    client: Any, world: dict[str, Any], code: str, data: dict[str, str], field: str, words: str
) -> None:
    before = written()
    response = client.post(_unit_url(code, "move"), data)
    assert response.status_code == 422 and not response.context["confirming"]
    assert words in str(response.context["form"].errors[field])
    assert written() == before


def test_a_restructuring_asks_to_confirm_and_the_check_leaves_nothing_behind(
    client: Any, world: dict[str, Any]
) -> None:
    before = written()
    for code, name, data in [
        ("K1", "move", {"parent": "C2", "date": ON.isoformat()}),
        ("C1", "merge", {"into": "C2", "date": ON.isoformat()}),
        ("C2", "dissolve", {"date": ON.isoformat()}),
        ("C2", "rename", {"name": "Xã Hai Mới", "date": ON.isoformat()}),
    ]:
        response = client.post(_unit_url(code, name), data)
        assert response.status_code == 200 and response.context["confirming"], name
        # The page shows the unit as it stands, not as the rolled-back check left it.
        unit = response.context["unit"]
        assert unit.dissolved_on is None and unit.name in ("Chi bộ Một", "Xã Một", "Xã Hai")
    assert written() == before
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(code="K1")).code == "C1"
    assert not OrgUnit.objects.filter(dissolved_on__isnull=False).exists()
    assert Member.objects.get(pk=world["member"].pk).unit_id == world["k1"].pk
    # Confirmed, it is done.
    data = {"parent": "C2", "date": ON.isoformat(), "confirmed": "yes"}
    assert client.post(_unit_url("K1", "move"), data).status_code == 302
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(code="K1")).code == "C2"


def _action_url(member: Member, name: str) -> str:
    return reverse("members:action", args=[member.pk, name])


def test_a_member_action_the_service_refuses_is_refused_before_the_answers(
    client: Any, world: dict[str, Any]
) -> None:
    member = world["member"]
    before = written()
    # The recognition is reviewed only after the probation (until 2026-03-03).
    data = {"date": "2025-09-01", "reason": "not fit", "document": "2-NQ"}
    response = client.post(_action_url(member, "not_recognize"), data)
    assert response.status_code == 422 and not response.context["confirming"]
    assert "2026-03-03" in str(response.context["form"].errors["date"])
    response = client.post(
        _action_url(member, "remove"), {"date": "2099-01-01", "reason": "gone", "document": "3"}
    )
    assert response.status_code == 422 and not response.context["confirming"]
    assert "in the future" in str(response.context["form"].errors["date"])
    assert written() == before


def test_a_member_action_asks_to_confirm_and_the_check_leaves_nothing_behind(
    client: Any, world: dict[str, Any]
) -> None:
    member = world["member"]
    before = written()
    data = {"date": "2025-09-01", "reason": "moved abroad", "document": "3-QĐ"}
    response = client.post(_action_url(member, "remove"), data)
    assert response.status_code == 200 and response.context["confirming"]
    assert response.context["member"].status == "probationary"
    assert written() == before
    assert Member.objects.get(pk=member.pk).status == "probationary"
    response = client.post(_action_url(member, "remove"), {**data, "confirmed": "yes"})
    assert response.status_code == 302
    assert Member.objects.get(pk=member.pk).status == "removed"


def test_a_correction_the_service_refuses_is_refused_before_the_answers(
    client: Any, world: dict[str, Any]
) -> None:
    member = world["member"]
    admitted = member.events.get(type="admitted")
    url = reverse("members:correct", args=[member.pk, admitted.pk])
    before = written()
    # Admitted before being registered: the corrected history breaks the fold.
    data = {"what": "date", "date": "2024-12-02", "reason": "typo"}
    response = client.post(url, data)
    assert response.status_code == 422 and not response.context["confirming"]
    assert response.context["form"].errors
    assert written() == before
    response = client.post(url, {**data, "date": "2025-03-04"})
    assert response.status_code == 200 and response.context["confirming"]
    assert written() == before


def test_the_check_discards_what_the_service_leaves_for_the_commit(world: dict[str, Any]) -> None:
    """Callbacks a service registers for its commit go with the rolled-back check."""
    from django.db import transaction

    ran: list[str] = []

    def service() -> None:
        ms.member_remove(actor=None, member=world["member"], date=ON, reason="gone", document="3")
        transaction.on_commit(lambda: ran.append("committed"))

    assert refusal_of(service) is None
    assert ran == [] and Member.objects.get(pk=world["member"].pk).status == "probationary"
