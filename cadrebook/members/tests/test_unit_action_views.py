"""Restructuring in the browser: move, merge, rename and dissolve a unit, each with a
check-your-answers step, the service's refusal next to the field, and scope."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.core.models import AuditEntry
from cadrebook.members import services as ms
from cadrebook.members.selectors import members_as_of
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import ancestors_on
from cadrebook.orgs.services import unit_create

pytestmark = pytest.mark.django_db
ON = dt.date(2025, 7, 1)


@pytest.fixture
def world() -> dict[str, Any]:
    """P1 > C1 > K1 (a member), C2; P2 elsewhere. An organizer of P1, a clerk of K1."""
    p1 = unit_create(actor=None, code="P1", name="Tỉnh Một", kind="province_committee")
    c1 = unit_create(actor=None, code="C1", name="Xã Một", kind="commune_committee", parent=p1)
    c2 = unit_create(actor=None, code="C2", name="Xã Hai", kind="commune_committee", parent=p1)
    k1 = unit_create(actor=None, code="K1", name="Chi bộ Một", kind="grassroots_cell", parent=c1)
    p2 = unit_create(actor=None, code="P2", name="Tỉnh Hai", kind="province_committee")
    c3 = unit_create(actor=None, code="C3", name="Xã Ba", kind="commune_committee", parent=p2)
    m = ms.member_register_applicant(
        actor=None,
        unit=k1,
        date=dt.date(2020, 1, 1),
        full_name="Trần Văn Bình",
        gender="male",
        birth_date=dt.date(1990, 1, 1),
        taken_over=True,
    )
    ms.member_admit(actor=None, member=m, date=dt.date(2020, 2, 1), taken_over=True)
    users = {}
    for name, role, unit in [("organizer", Role.ORGANIZER, p1), ("clerk", Role.CLERK, k1)]:
        users[name] = get_user_model().objects.create_user(username=name)
        role_grant(actor=None, user=users[name], role=role, unit=unit)
    return {"c1": c1, "c2": c2, "k1": k1, "c3": c3, "member": m, "users": users}


def _url(code: str, name: str) -> str:
    return reverse("members:unit_action", args=[code, name])


def test_a_move_shows_the_answers_first_then_moves_from_its_date(client, world):
    client.force_login(world["users"]["organizer"])
    assert "Restructure" in client.get(reverse("orgs:detail", args=["K1"])).content.decode()
    data = {"parent": "C2", "date": ON.isoformat(), "document": "7-QĐ/TU"}
    response = client.post(_url("K1", "move"), data)
    assert response.status_code == 200 and response.context["confirming"]
    answers = dict(response.context["answers"])
    assert "Xã Hai (C2)" in answers.values() and "2025-07-01" in answers.values()
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(code="K1")).code == "C1"
    response = client.post(_url("K1", "move"), {**data, "confirmed": "yes"})
    assert response.status_code == 302
    k1 = OrgUnit.objects.get(code="K1")
    assert OrgUnit.objects.get_parent(k1).code == "C2"
    assert ancestors_on(k1, ON - dt.timedelta(days=1))[1] == world["c1"].pk
    assert world["member"] in members_as_of(world["c1"], dt.date(2024, 12, 31))
    assert AuditEntry.objects.filter(event_type="unit.moved").count() == 1


def test_a_refused_move_names_the_rule_next_to_the_field_and_changes_nothing(client, world):
    client.force_login(world["users"]["organizer"])
    data = {"parent": "C2", "date": "2099-01-01", "confirmed": "yes"}
    response = client.post(_url("K1", "move"), data)
    assert response.status_code == 422
    assert response.context["form"].errors["date"]
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(code="K1")).code == "C1"


def test_a_unit_out_of_reach_is_not_offered_as_a_new_parent(client, world):
    client.force_login(world["users"]["organizer"])
    response = client.post(_url("K1", "move"), {"parent": "C3", "date": ON.isoformat()})
    assert response.status_code == 422 and response.context["form"].errors["parent"]


def test_a_clerk_cannot_restructure_and_an_outsider_does_not_see_the_unit(client, world):
    client.force_login(world["users"]["clerk"])
    assert client.get(_url("K1", "move")).status_code == 403
    assert client.get(_url("C3", "move")).status_code == 404


def test_a_merge_moves_the_units_below_and_dissolves_after_confirmation(client, world):
    client.force_login(world["users"]["organizer"])
    data = {"into": "C2", "date": ON.isoformat(), "document": "8-NQ/TU"}
    assert client.post(_url("C1", "merge"), data).context["confirming"]
    response = client.post(_url("C1", "merge"), {**data, "confirmed": "yes"})
    assert response.status_code == 302
    c1 = OrgUnit.objects.get(code="C1")
    assert c1.dissolved_on == ON
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(code="K1")).code == "C2"


def test_a_rename_keeps_the_old_name_in_the_audit_trail_with_its_date(client, world):
    client.force_login(world["users"]["organizer"])
    data = {"name": "Xã Một Mới", "date": ON.isoformat(), "document": "9-QĐ"}
    assert client.post(_url("C1", "rename"), data).context["confirming"]
    assert client.post(_url("C1", "rename"), {**data, "confirmed": "yes"}).status_code == 302
    entry = AuditEntry.objects.get(event_type="unit.renamed")
    assert entry.before["name"] == "Xã Một" and entry.after["name"] == "Xã Một Mới"
    assert entry.after["date"] == "2025-07-01"


def test_dissolving_a_unit_with_members_is_refused_on_the_page(client, world):
    client.force_login(world["users"]["organizer"])
    data = {"date": ON.isoformat(), "confirmed": "yes"}
    response = client.post(_url("K1", "dissolve"), data)
    assert response.status_code == 422
    assert "active members" in str(response.context["form"].non_field_errors())
    assert OrgUnit.objects.get(code="K1").dissolved_on is None


def test_the_unit_page_shows_the_units_below_as_the_tree_stood_on_a_date(client, world):
    ms.unit_move(actor=None, unit=world["k1"], new_parent=world["c2"], date=ON)
    client.force_login(world["users"]["organizer"])
    now = client.get(reverse("orgs:detail", args=["C1"]))
    assert [r["unit"].code for r in now.context["children"]] == []
    then = client.get(reverse("orgs:detail", args=["C1"]), {"as_of": "2025-06-30"})
    assert [r["unit"].code for r in then.context["children"]] == ["K1"]
    assert "Units below on" in then.content.decode()
    clerk = client.force_login(world["users"]["clerk"]) or client
    assert "Restructure" not in clerk.get(reverse("orgs:detail", args=["K1"])).content.decode()
