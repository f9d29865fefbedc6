"""The disciplines' API as the body records them: the votes it needs, the facts the rule set
asks (a post held, the child, the relations, the unit receiving a dissolved organization's
members), and a decision read as of a day: in force, lapsed, its bans and until when."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.inspections.models import Discipline

D = dt.date


@pytest.fixture
def api(tree: SimpleNamespace, token_clients: Any, inspector: Any) -> Any:
    return token_clients([("c1_inspector", "inspector", tree.C1)])["c1_inspector"]


def _body(member: Any, **extra: Any) -> dict[str, Any]:
    return {
        "subject_kind": "member",
        "member": member.pk,
        "form": "warning",
        "body": "C1",
        "body_kind": "inspection_committee",
        "decided_on": "2025-03-03",
        "violation": "Vi phạm quy định về nêu gương",
        "violation_on": "2024-11-01",
        "votes": {"warning": 5, "none": 2},
        "voters_total": 7,
        **extra,
    }


def _post(api: Any, body: dict[str, Any]) -> Any:
    return api.post("/api/v1/disciplines", body, content_type="application/json")


def test_the_live_api_needs_the_votes(api: Any, people: SimpleNamespace) -> None:
    body = _body(people.k1)
    del body["votes"], body["voters_total"]
    response = _post(api, body)
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "discipline.votes_missing"
    assert response.json()["field"] == "votes" and response.json()["source"]
    assert not Discipline.objects.exists()


def test_a_lapsed_discipline_is_not_in_force_and_its_bans_say_until_when(
    api: Any, people: SimpleNamespace
) -> None:
    created = _post(api, _body(people.k1))
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert created.json()["lapses_on"] == "2026-03-03"

    def read(day: str) -> dict[str, Any]:
        response = api.get(f"/api/v1/disciplines/{pk}", {"as_of": day})
        assert response.status_code == 200, response.content
        return response.json()

    during = read("2025-06-01")
    assert during["status"] == "in_force" and during["in_force"] is True
    bans = {b["code"]: b for b in during["bans"]}
    assert bans["transfer"]["until"] == "2026-03-03" and bans["transfer"]["active"]
    assert bans["higher_post"]["until"] == "2028-03-03"
    after = read("2026-06-01")
    assert after["status"] == "lapsed" and after["in_force"] is False
    bans = {b["code"]: b for b in after["bans"]}
    assert not bans["transfer"]["active"] and bans["higher_post"]["active"]
    assert bans["higher_post"]["label"] == "No higher post" and bans["higher_post"]["source"]
    listed = api.get("/api/v1/disciplines", {"as_of": "2026-06-01"}).json()["items"]
    assert [(d["status"], d["in_force"]) for d in listed] == [("lapsed", False)]


def test_the_api_takes_the_post_the_child_and_the_relations(
    api: Any, people: SimpleNamespace
) -> None:
    removal = _body(people.k1, form="removal_from_post", votes={"removal_from_post": 5})
    assert _post(api, removal).json()["code"] == "discipline.form_needs_post"
    assert _post(api, {**removal, "holds_post": True}).status_code == 201
    child = _post(api, _body(people.k1b, raising_child_under_12_months=True))
    assert child.status_code == 422 and child.json()["code"] == "discipline.child_under"
    born = _post(api, _body(people.k1b, youngest_child_born_on="2024-12-01"))
    assert born.json()["code"] == "discipline.child_under"
    assert "2025-12-01" in born.json()["message"]
    own = _post(api, _body(people.k1b, relations=["own_committee_member"]))
    assert own.status_code == 422 and own.json()["code"] == "discipline.beyond_authority"
    strange = _post(api, _body(people.k1b, relations=["cousin"]))
    assert strange.json()["code"] == "discipline.relation_unknown"
    assert Discipline.objects.count() == 1
