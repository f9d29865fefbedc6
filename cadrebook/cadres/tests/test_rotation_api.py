"""The rotation API: /rotations (plans: list, record one, one with its stints),
/rotations/{id}/stints (add a stint) and /rotation-stints/{id}/end. Writes go through the
services (refusals as {"code", "message", "field"} with the rule's source, nothing
written), reads are scoped (out of scope: 404) and the rotated people's personal data is
masked for a role without view_sensitive."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from cadrebook.accounts.roles import Role
from cadrebook.cadres.models import RotationPlan, RotationStint, RotationStintEnd
from cadrebook.cadres.services import planning_add, post_appoint
from cadrebook.core.models import AuditEntry
from cadrebook.members.selectors import MASK

D = dt.date
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


@pytest.fixture
def clients(token_clients: Any, tree: SimpleNamespace) -> dict[str, Client]:
    """A province organizer, a viewer of the province (no personal data), an organizer of
    C2 (P's plans are out of their scope) and a clerk of P (sees, may not manage cadres)."""
    return token_clients(
        [
            ("api_board", Role.ORGANIZER, tree.P),
            ("api_viewer", Role.VIEWER, tree.P),
            ("api_other", Role.ORGANIZER, tree.C2),
            ("api_clerk", Role.CLERK, tree.P),
        ]
    )


@pytest.fixture
def planned(
    tree: SimpleNamespace, organizer: Any, terms: Any, people: Any, decision: Any
) -> SimpleNamespace:
    """people.k1 deputy secretary of C1 from 2025-03-01, planned for C1's secretary."""
    held = post_appoint(
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
    return SimpleNamespace(held=held, member=people.k1)


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def _plan(client: Client, **kw: Any) -> Any:
    body = {"unit": "P", "year": 2025, "decided_on": "2025-05-01", "document_text": "9-QĐ/TU"}
    return _post(client, "/api/v1/rotations", {**body, **kw})


def _stint_body(member: Any, **kw: Any) -> dict[str, Any]:
    return {
        "member": member.pk,
        "to_unit": "C2",
        "to_position": "deputy_secretary",
        "planned_start": "2025-06-01",
        **kw,
    }


def test_a_plan_and_its_stints_go_through_the_services(
    clients: dict[str, Client], planned: SimpleNamespace
) -> None:
    board = clients["api_board"]
    made = _plan(board)
    assert made.status_code == 201, made.content
    plan = made.json()
    assert (plan["unit"], plan["year"], plan["document_text"], plan["items"]) == (
        "P",
        2025,
        "9-QĐ/TU",
        [],
    )
    assert made["Location"] == f"/api/v1/rotations/{plan['id']}"
    assert AuditEntry.objects.filter(event_type="rotation.plan_recorded").count() == 1
    added = _post(board, f"/api/v1/rotations/{plan['id']}/stints", _stint_body(planned.member))
    assert added.status_code == 201, added.content
    stint = added.json()
    assert stint["from_appointment"] == planned.held.pk
    assert (stint["from_unit"], stint["from_position"]) == ("C1", "deputy_secretary")
    assert (stint["to_unit"], stint["planned_end"], stint["end"]) == ("C2", "2028-06-01", None)
    assert stint["member"]["birth_date"] == "1980-03-01"  # the board reads personal data
    one = board.get(f"/api/v1/rotations/{plan['id']}").json()
    assert [s["id"] for s in one["items"]] == [stint["id"]] and one["stints"] == 1
    listed = board.get("/api/v1/rotations", {"unit": "P", "year": 2025}).json()
    assert [(p["id"], p["stints"]) for p in listed["items"]] == [(plan["id"], 1)]
    assert board.get("/api/v1/rotations", {"year": 2024}).json()["items"] == []
    ended = _post(
        board,
        f"/api/v1/rotation-stints/{stint['id']}/end",
        {"ended_on": "2026-06-30", "note": "Về nhận nhiệm vụ mới", "document_text": "12-QĐ/TU"},
    )
    assert ended.status_code == 200, ended.content
    assert ended.json()["end"] == {
        "ended_on": "2026-06-30",
        "note": "Về nhận nhiệm vụ mới",
        "document": None,
        "document_text": "12-QĐ/TU",
    }
    assert AuditEntry.objects.filter(event_type="rotation.stint_ended").exists()
    again = _post(board, f"/api/v1/rotation-stints/{stint['id']}/end", {"ended_on": "2026-07-01"})
    assert again.status_code == 422
    assert again.json()["code"] == "rotation.already_ended"
    assert RotationStintEnd.objects.count() == 1


def test_a_refusal_names_its_code_field_and_source_and_writes_nothing(
    clients: dict[str, Client], planned: SimpleNamespace, people: Any, organizer: Any
) -> None:
    board = clients["api_board"]
    refused = _plan(board, document_text="")
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == (
        "rotation.decision_missing",
        "document",
    )
    plan = _plan(board).json()
    # Not in planning: the rule's source (65-QĐ/TW) comes with the refusal.
    held = post_appoint(
        actor=organizer,
        member=people.k1b,
        unit=planned.held.unit,
        position="committee_member",
        started_on=D(2025, 3, 1),
        outside_planning_text=OUTSIDE_PLANNING,
    )
    assert held.pk
    body = _stint_body(people.k1b, to_position="committee_member")
    refused = _post(board, f"/api/v1/rotations/{plan['id']}/stints", body)
    assert refused.status_code == 422, refused.content
    answer = refused.json()
    assert answer["code"] == "rotation.not_planned" and answer["field"] == "member"
    assert "65-QĐ/TW" in answer["source"]
    body = _stint_body(planned.member, to_position="secretary")
    refused = _post(board, f"/api/v1/rotations/{plan['id']}/stints", body)
    assert refused.json()["code"] == "rotation.not_equal_post"
    assert not RotationStint.objects.exists()


def test_rotations_are_scoped_and_managed(
    clients: dict[str, Client], planned: SimpleNamespace
) -> None:
    plan = _plan(clients["api_board"]).json()
    stint = _post(
        clients["api_board"], f"/api/v1/rotations/{plan['id']}/stints", _stint_body(planned.member)
    ).json()
    # Out of scope: as if it did not exist.
    other = clients["api_other"]
    assert other.get(f"/api/v1/rotations/{plan['id']}").status_code == 404
    assert other.get("/api/v1/rotations").json()["items"] == []
    assert _post(other, f"/api/v1/rotations/{plan['id']}/stints", {}).status_code in (404, 422)
    body = _stint_body(planned.member, planned_start="2026-01-01")
    assert _post(other, f"/api/v1/rotations/{plan['id']}/stints", body).status_code == 404
    end = {"ended_on": "2026-01-01"}
    assert _post(other, f"/api/v1/rotation-stints/{stint['id']}/end", end).status_code == 404
    assert _plan(other).status_code == 404
    # Seen but not managed: 403, nothing written.
    clerk = clients["api_clerk"]
    assert clerk.get(f"/api/v1/rotations/{plan['id']}").status_code == 200
    assert _plan(clerk).status_code == 403
    assert _post(clerk, f"/api/v1/rotations/{plan['id']}/stints", body).status_code == 403
    assert _post(clerk, f"/api/v1/rotation-stints/{stint['id']}/end", end).status_code == 403
    assert (RotationPlan.objects.count(), RotationStint.objects.count()) == (1, 1)
    assert not RotationStintEnd.objects.exists()


def test_the_rotated_peoples_personal_data_is_masked_without_view_sensitive(
    clients: dict[str, Client], planned: SimpleNamespace
) -> None:
    plan = _plan(clients["api_board"]).json()
    _post(
        clients["api_board"], f"/api/v1/rotations/{plan['id']}/stints", _stint_body(planned.member)
    )
    before = AuditEntry.objects.filter(event_type="member.list_viewed").count()
    (seen,) = clients["api_viewer"].get(f"/api/v1/rotations/{plan['id']}").json()["items"]
    member = seen["member"]
    assert (member["birth_date"], member["ethnicity"], member["retires_on"]) == (MASK,) * 3
    assert AuditEntry.objects.filter(event_type="member.list_viewed").count() == before
    clients["api_board"].get(f"/api/v1/rotations/{plan['id']}")
    assert AuditEntry.objects.filter(event_type="member.list_viewed").count() == before + 1
