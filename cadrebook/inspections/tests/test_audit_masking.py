"""The audit log shows what a discipline or an inspection recorded (the violation, the votes,
the findings) only to those who may read the files (`view_inspections`): an organizer who
reads the unit's log sees that something happened, not its content."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from django.contrib.auth import get_user_model
from django.test import Client

from cadrebook.accounts.services import role_grant
from cadrebook.inspections.services import discipline_decide

D = dt.date
SECRET = "Vi phạm quy định về nêu gương"


def _discipline(inspector: Any, tree: SimpleNamespace, member: Any) -> Any:
    return discipline_decide(
        actor=inspector,
        subject_kind="member",
        member=member,
        form="warning",
        body=tree.C1,
        body_kind="inspection_committee",
        decided_on=D(2025, 3, 3),
        violation=SECRET,
        violation_on=D(2024, 11, 1),
        votes={"warning": 5},
        voters_total=7,
    )


def test_an_organizer_without_view_inspections_sees_no_discipline_snapshot(
    inspector: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    token_clients: Any,
) -> None:
    d = _discipline(inspector, tree, people.k1)
    clients = token_clients(
        [("organizer", "organizer", tree.C1), ("c1_inspector", "inspector", tree.C1)]
    )

    def entries(persona: str) -> list[dict[str, Any]]:
        response = clients[persona].get(
            "/api/v1/audit", {"object": f"inspections.discipline:{d.pk}"}
        )
        assert response.status_code == 200, response.content
        return response.json()["items"]

    masked = entries("organizer")
    assert [e["event_type"] for e in masked] == ["discipline.decided"]
    assert masked[0]["after"] is None and masked[0]["before"] is None
    assert SECRET not in str(masked) and "warning" not in masked[0]["object_repr"]
    shown = entries("c1_inspector")
    assert shown[0]["after"]["violation"] == SECRET


def test_the_audit_pages_mask_the_content_too(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    d = _discipline(inspector, tree, people.k1)
    organizer = get_user_model().objects.create_user(username="organizer")
    role_grant(actor=None, user=organizer, role="organizer", unit=tree.C1)
    client = Client()
    client.force_login(organizer)
    for url in ("/audit/unit/C1/", f"/audit/object/inspections.discipline/{d.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert SECRET not in response.content.decode(), url
    client.force_login(inspector)
    assert SECRET in client.get("/audit/unit/C1/").content.decode()
