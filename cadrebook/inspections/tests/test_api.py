"""The inspections' API beyond the personas: the files are read with `view_inspections` only
(an inspector of another subtree and a viewer of everything get 404, as for a missing one),
every read of a file is audited, a program counts "completed N of M", lists filter."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.core.models import AuditEntry
from cadrebook.inspections.services import (
    Finding,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
    program_create,
    program_item_add,
)

D = dt.date


@pytest.fixture
def world(tree: SimpleNamespace, inspector: Any, docs: SimpleNamespace, token_clients: Any) -> Any:
    """C1's program of 2025 with two items, one done by KT-01 (concluded), KT-02 open."""
    program = program_create(
        actor=inspector, body=tree.C1, body_kind="inspection_committee", year=2025, title="CT"
    )
    items = [
        program_item_add(actor=inspector, program=program, kind="thematic", subject_unit=u)
        for u in (tree.K1, tree.K2)
    ]
    done = inspection_open(
        actor=inspector,
        code="KT-01",
        body=tree.C1,
        body_kind="inspection_committee",
        kind="thematic",
        decided_on=D(2025, 3, 3),
        document=docs.c1,
        program_item=items[0],
        subject_units=[tree.K1],
    )
    for step, day in (("plan", 10), ("working", 20), ("report", 25)):
        inspection_record_step(actor=inspector, inspection=done, step=step, done_on=D(2025, 3, day))
    inspection_conclude(
        actor=inspector,
        inspection=done,
        concluded_on=D(2025, 6, 2),
        document=docs.c1_conclusion,
        findings=[Finding(done.subjects.get(), False)],
    )
    other = inspection_open(
        actor=inspector,
        code="KT-02",
        body=tree.C1,
        body_kind="inspection_committee",
        kind="surprise",
        decided_on=D(2025, 4, 1),
        document=docs.c1,
        subject_units=[tree.K2],
    )
    clients = token_clients(
        [
            ("c1_inspector", "inspector", tree.C1),
            ("c2_inspector", "inspector", tree.C2),
            ("viewer", "viewer", None),
        ]
    )
    return SimpleNamespace(program=program, done=done, other=other, clients=clients)


def test_a_file_is_read_with_view_inspections_only_and_every_read_is_audited(world):
    path = f"/api/v1/inspections/{world.done.pk}"
    response = world.clients["c1_inspector"].get(path)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["code"] == "KT-01" and body["conclusion"]["concluded_on"] == "2025-06-02"
    assert [s["step"] for s in body["steps"]][0] == "decision"
    assert body["subjects"][0]["unit"] == "K1" and body["subjects"][0]["violation_found"] is False
    assert AuditEntry.objects.filter(event_type="inspection.viewed").count() == 1
    for persona in ("c2_inspector", "viewer"):  # another subtree; plain `view` everywhere
        refused = world.clients[persona].get(path)
        assert refused.status_code == 404 and refused.json()["code"] == "not_found"
        listed = world.clients[persona].get("/api/v1/inspections")
        assert listed.status_code == 200 and listed.json()["items"] == []
    assert AuditEntry.objects.filter(event_type="inspection.viewed").count() == 1


def test_a_program_says_completed_n_of_m(world):
    client = world.clients["c1_inspector"]
    body = client.get(f"/api/v1/inspection-programs/{world.program.pk}").json()
    assert body["progress"] == {"planned": 2, "started": 1, "completed": 1}
    assert [i["done"] for i in body["items"]] == [True, False]
    assert AuditEntry.objects.filter(event_type="inspection.program_viewed").count() == 1
    assert (
        world.clients["c2_inspector"]
        .get(f"/api/v1/inspection-programs/{world.program.pk}")
        .status_code
        == 404
    )


def test_the_list_filters_by_unit_kind_and_year(world):
    client = world.clients["c1_inspector"]

    def codes(**query: Any) -> list[str]:
        response = client.get("/api/v1/inspections", query)
        assert response.status_code == 200, response.content
        return [i["code"] for i in response.json()["items"]]

    assert codes() == ["KT-02", "KT-01"]
    assert codes(kind="surprise") == ["KT-02"]
    assert codes(year=2024) == []
    assert codes(unit="C1", year=2025) == ["KT-02", "KT-01"]
    assert client.get("/api/v1/inspections", {"unit": "C2"}).status_code == 404


def test_a_refusal_of_the_services_answers_code_message_field_and_source(world):
    client = world.clients["c1_inspector"]
    response = client.post(
        f"/api/v1/inspections/{world.other.pk}/steps",
        {"step": "report", "done_on": "2025-04-10"},
        content_type="application/json",
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "inspection.step_out_of_order" and body["field"] == "step"
    assert body["source"]
    # An inspector of C2 may not open one for C1: C1 is out of sight (404).
    response = world.clients["c2_inspector"].post(
        "/api/v1/inspections",
        {
            "code": "KT-X",
            "body": "C1",
            "body_kind": "inspection_committee",
            "kind": "thematic",
            "decided_on": "2025-04-01",
        },
        content_type="application/json",
    )
    assert response.status_code == 404


def test_the_inspected_unit_records_its_own_follow_up_of_a_recommendation(
    world, tree, inspector, token_clients
):
    from cadrebook.inspections.services import recommendation_add

    rec = recommendation_add(
        actor=inspector,
        inspection=world.done,
        text="Kiện toàn chi ủy",
        owner_unit=tree.K1,
        deadline=D(2025, 9, 30),
    )
    clients = token_clients([("k1_clerk", "clerk", tree.K1), ("k2_clerk", "clerk", tree.K2)])
    path = f"/api/v1/inspections/{world.done.pk}/recommendations/{rec.pk}/follow-ups"
    body = {"on": "2025-07-01", "status": "partly", "note": "Đã bầu bổ sung"}
    # Another cell's clerk: as if it did not exist.
    refused = clients["k2_clerk"].post(path, body, content_type="application/json")
    assert refused.status_code == 404
    response = clients["k1_clerk"].post(path, body, content_type="application/json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "partly"
    rec.refresh_from_db()
    assert rec.status == "partly"
    # The file itself stays closed to the cell.
    assert clients["k1_clerk"].get(f"/api/v1/inspections/{world.done.pk}").status_code == 404


def test_a_team_member_out_of_sight_is_a_form_error_not_a_bare_404(world, tree, make_member):
    outsider = make_member(tree.GC, D(1980, 1, 1), D(2010, 1, 1), recognized=True)
    payload = {
        "code": "KT-T",
        "body": "C1",
        "body_kind": "inspection_committee",
        "kind": "thematic",
        "decided_on": "2025-04-02",
        "subject_units": ["K2"],
    }
    client = world.clients["c1_inspector"]
    answers = [
        client.post(
            "/api/v1/inspections",
            {**payload, "team": [{"member": pk, "leader": True}]},
            content_type="application/json",
        )
        for pk in (outsider.pk, 10**9)  # out of scope; missing
    ]
    for response in answers:
        assert response.status_code == 422, response.content
        assert response.json()["code"] == "inspection.team_member_unknown"
        assert response.json()["field"] == "team"
    # Alike: nothing tells an existing outsider from a missing id but the id itself.
    assert answers[0].json()["message"].replace(str(outsider.pk), "#") == answers[1].json()[
        "message"
    ].replace(str(10**9), "#")


def test_every_read_of_a_recommendation_is_audited(world, tree, inspector, token_clients):
    """The recommendation and its follow-up, read by the file's inspector or by the unit it
    is addressed to, leave an entry each, on the inspecting body; a refused read none."""
    from cadrebook.inspections.services import recommendation_add

    rec = recommendation_add(
        actor=inspector,
        inspection=world.done,
        text="Kiện toàn chi ủy",
        owner_unit=tree.K1,
        deadline=D(2025, 9, 30),
    )
    clients = token_clients([("k1_viewer", "viewer", tree.K1), ("k2_clerk", "clerk", tree.K2)])
    path = f"/api/v1/inspections/{world.done.pk}/recommendations/{rec.pk}"
    for persona in ("c1_inspector", "k1_viewer"):
        client = world.clients.get(persona) or clients[persona]
        assert client.get(path).status_code == 200
    assert clients["k2_clerk"].get(path).status_code == 404
    entries = AuditEntry.objects.filter(event_type="inspection.recommendation_viewed")
    assert sorted(e.actor_name for e in entries) == sorted(["c1_inspector", "k1_viewer"])
    assert {e.object_id for e in entries} == {str(rec.pk)}
    assert {e.unit_id for e in entries} == {tree.C1.pk}
