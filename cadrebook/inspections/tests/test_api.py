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
