"""The evaluation's API (`/api/v1/evaluations/`): a round from opening to reconsideration, the
worklists scoped to the caller, the issue's bad input refused with the rule's code and source
and nothing written, 404 outside the scope and 403 for a role that sees but may not act."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.accounts.roles import Role
from cadrebook.core.models import AuditEntry
from cadrebook.evaluations.models import (
    Decision,
    ModelRecord,
    Proposal,
    Rating,
    Round,
    SelfAssessment,
    Subject,
)

D = dt.date
BIRTH = D(1985, 3, 1)
ROUND = {
    "unit": "C1",
    "kind": "yearly",
    "year": 2025,
    "reference_date": "2025-12-15",
    "self_assessment_until": "2025-12-20",
    "proposals_until": "2025-12-25",
    "decisions_until": "2025-12-31",
}


@pytest.fixture
def w(tree, docs, k1_members, make_member, token_clients, settings) -> SimpleNamespace:
    settings.CADREBOOK_API_WRITES_PER_TOKEN = "10000/min"
    settings.CADREBOOK_API_WRITES_PER_IP = "10000/min"
    outside = make_member(tree.GC, BIRTH, D(2012, 1, 1), recognized=True)
    clients = token_clients(
        [
            ("p_organizer", Role.ORGANIZER, tree.P),
            ("k1_clerk", Role.CLERK, tree.K1),
            ("g1_viewer", Role.VIEWER, tree.G1),
            ("c2_organizer", Role.ORGANIZER, tree.C2),
        ]
    )
    return SimpleNamespace(
        tree=tree,
        docs=docs,
        k1=k1_members,
        outside=outside,
        organizer=clients["p_organizer"],
        clerk=clients["k1_clerk"],
        viewer=clients["g1_viewer"],
        outsider=clients["c2_organizer"],
    )


def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/evaluations{path}", body, content_type="application/json")


def _get(client: Any, path: str, params: dict[str, Any] | None = None) -> Any:
    return client.get(f"/api/v1/evaluations{path}", params or {})


def _rows() -> tuple[int, ...]:
    return (
        Round.objects.count(),
        SelfAssessment.objects.count(),
        Proposal.objects.count(),
        Decision.objects.count(),
        Rating.objects.count(),
        ModelRecord.objects.count(),
        AuditEntry.objects.count(),
    )


def _refused(call: Any, code: str, status: int = 422, *, source: bool = True) -> dict[str, Any]:
    before = _rows()
    response = call()
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code, body
    if source:
        assert body.get("source"), body
    assert _rows() == before, "a refusal wrote something"
    return body


def _open(w: SimpleNamespace) -> int:
    response = _post(w.organizer, "/rounds", ROUND)
    assert response.status_code == 201, response.content
    assert w.organizer.get(response["Location"]).status_code == 200
    return int(response.json()["id"])


def _subject_id(w: SimpleNamespace, round_id: int, **lookup: Any) -> int:
    response = _get(w.organizer, f"/rounds/{round_id}/subjects", lookup)
    assert response.status_code == 200, response.content
    [item] = response.json()["items"]
    return int(item["id"])


def _decide(w: SimpleNamespace, client: Any, subject: int, level: str, score: str, **kw: Any):
    # The deciding unit's own document: C1 decides for G1, G1 for its cells and members.
    decider = Subject.objects.get(pk=subject).deciding_unit.code
    document = w.docs.c1 if decider == "C1" else w.docs.g1
    body = {"level": level, "score": score, "document": document.pk, **kw}
    return _post(client, f"/subjects/{subject}/decision", body)


def _decide_collectives(w: SimpleNamespace, round_id: int) -> None:
    for code in ("K1", "K2"):
        subject = _subject_id(w, round_id, organization=code)
        assert _decide(w, w.organizer, subject, "good", "80").status_code == 201


def test_a_round_from_opening_to_decision_through_the_api(w):
    round_id = _open(w)
    listed = _get(w.organizer, "/rounds", {"year": 2025}).json()["items"]
    assert [r["id"] for r in listed] == [round_id]
    member = w.k1[0]
    # The clerk of K1 reaches the round from below and sees K1's subjects only.
    clerk_round = _get(w.clerk, f"/rounds/{round_id}").json()
    assert clerk_round["under"] == "K1"
    assert clerk_round["progress"]["not_assessed"] == 8  # 7 members and the cell itself
    subjects = _get(w.clerk, f"/rounds/{round_id}/subjects", {"state": "not_assessed"}).json()
    assert {s["home"] for s in subjects["items"]} == {"K1"}
    subject = _subject_id(w, round_id, member=member.pk)
    # The clerk records the member's self-assessment on the member's behalf, and the proposal.
    body = {"scores": {"general": 27, "tasks": "61.5"}, "review": "Tốt"}
    response = _post(w.clerk, f"/subjects/{subject}/self-assessment", body)
    assert response.status_code == 201, response.content
    assert response.json()["score"] == "88.50"
    proposal = {"score": "88.5", "level": "good", "votes_for": 6, "votes_against": 0, "present": 7}
    response = _post(w.clerk, f"/subjects/{subject}/proposal", proposal)
    assert response.status_code == 201, response.content
    state = _get(w.clerk, f"/subjects/{subject}").json()
    assert (state["state"], state["proposed_level"]) == ("awaiting_decision", "good")
    # The clerk does not decide: the grassroots committee's office does.
    _refused(lambda: _decide(w, w.clerk, subject, "good", "88.5"), "forbidden", 403, source=False)
    _decide_collectives(w, round_id)
    response = _decide(w, w.organizer, subject, "good", "88.5")
    assert response.status_code == 201, response.content
    decided = response.json()
    assert decided["quota"]["unit"] == "G1"
    assert (decided["quota"]["good"], decided["quota"]["excellent"]) == (1, 0)
    assert decided["warning"] is None
    assert Rating.objects.get(member=member, year=2025).level == "good"
    detail = _get(w.organizer, f"/rounds/{round_id}", {"unit": "G1"}).json()
    assert detail["progress"]["decided"] == 3
    assert detail["quota"][0]["unit"] == "G1"
    history = _get(w.organizer, f"/ratings/members/{member.pk}").json()
    assert [(h["year"], h["level"]) for h in history] == [(2025, "good")]
    assert AuditEntry.objects.filter(event_type="member.dossier_viewed").exists()
    ratings = _get(w.organizer, "/ratings", {"unit": "G1", "year": 2025}).json()["items"]
    assert {r["subject"] for r in ratings} >= {
        "K1",
        "K2",
        member.external_id or f"cadrebook:{member.pk}",
    }


def test_the_issues_bad_input_is_refused_with_the_rules_code_and_nothing_written(w):
    round_id = _open(w)
    _decide_collectives(w, round_id)
    subject = _subject_id(w, round_id, member=w.k1[0].pk)
    org = w.organizer
    body = _refused(
        lambda: _decide(w, org, subject, "excellent", "101"), "evaluation.score_out_of_range"
    )
    assert body["field"] == "score"
    _refused(
        lambda: _decide(w, org, subject, "excellent", "60"), "evaluation.level_contradicts_score"
    )
    body = _refused(
        lambda: _decide(w, org, subject, "good", "80", deciding_unit="C1"), "evaluation.not_decider"
    )
    assert "366-QĐ/TW" in body["source"]
    # The quota: 20 % of those rated good in G1's group; 4 good allow no excellent.
    for member in w.k1[1:5]:
        other = _subject_id(w, round_id, member=member.pk)
        assert _decide(w, org, other, "good", "80").status_code == 201
    body = _refused(
        lambda: _decide(w, org, subject, "excellent", "95"), "evaluation.quota_exceeded"
    )
    assert "366-QĐ/TW" in body["source"] and body["field"] == "level"
    # A member outside the round's subtree (GC stands under C2) is not one of its subjects.
    _refused(
        lambda: _get(org, f"/rounds/{round_id}/subjects", {"member": w.outside.pk}),
        "evaluation.outside_round",
    )
    # A closed round: closed by the service after everything is decided.
    for s in Subject.objects.filter(round_id=round_id, excluded=""):
        if not s.decisions.exists():
            level = "good" if s.kind == "unit" else "completed"
            assert (
                _decide(w, org, s.pk, level, "80" if level == "good" else "60").status_code == 201
            )
    response = _post(org, f"/rounds/{round_id}/close", {})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "closed"
    _refused(lambda: _decide(w, org, subject, "good", "80"), "evaluation.round_closed", 409)
    # Reconsideration, with its document and reason.
    body = {"level": "completed", "score": "65", "document": w.docs.g1.pk, "reason": "Appeal"}
    response = _post(org, f"/subjects/{subject}/reconsideration", body)
    assert response.status_code == 201, response.content
    assert response.json()["reconsideration"] is True
    assert Rating.objects.get(member=w.k1[0], year=2025).level == "completed"


def test_a_warned_quota_is_recorded_with_the_warning_and_the_count(
    alt_tree, make_member, token_clients, settings
):
    settings.CADREBOOK_API_WRITES_PER_TOKEN = "10000/min"
    members = [make_member(alt_tree.B1, BIRTH, D(2015, 1, 1), recognized=True) for _ in range(3)]
    clients = token_clients([("n_admin", Role.ADMINISTRATOR, None)])
    national = clients["n_admin"]
    body = {**ROUND, "unit": "N", "kind": "annual"}
    round_id = _post(national, "/rounds", body).json()["id"]
    ids = [
        _get(national, f"/rounds/{round_id}/subjects", {"member": m.pk}).json()["items"][0]["id"]
        for m in members
    ]
    rules_doc: dict[str, Any] = {"level": "excellent", "score": "9.5"}
    first = _post(national, f"/subjects/{ids[0]}/decision", rules_doc)
    assert first.status_code == 201, first.content
    second = _post(national, f"/subjects/{ids[1]}/decision", rules_doc)
    assert second.status_code == 201, second.content
    answer = second.json()
    assert answer["over_quota"] is True
    assert answer["warning"]["code"] == "evaluation.quota_exceeded"
    assert answer["warning"]["source"] == "test statute 11l"
    assert answer["quota"]["excellent"] == 2 and answer["quota"]["over"] == 2


def test_out_of_scope_answers_404_and_a_role_that_only_sees_answers_403(w):
    round_id = _open(w)
    subject = _subject_id(w, round_id, member=w.k1[0].pk)
    for path in (f"/rounds/{round_id}", f"/rounds/{round_id}/subjects", f"/subjects/{subject}"):
        assert _get(w.outsider, path).status_code == 404, path
    assert _get(w.outsider, "/rounds").json()["items"] == []
    assert _get(w.outsider, f"/ratings/members/{w.k1[0].pk}").status_code == 404
    assert _get(w.outsider, "/ratings/units/K1").status_code == 404
    scores = {"scores": {"general": 20, "tasks": 60}}
    _refused(
        lambda: _post(w.outsider, f"/subjects/{subject}/self-assessment", scores),
        "not_found",
        404,
        source=False,
    )
    _refused(
        lambda: _post(w.viewer, f"/subjects/{subject}/self-assessment", scores),
        "forbidden",
        403,
        source=False,
    )
    _refused(
        lambda: _post(w.outsider, f"/rounds/{round_id}/close", {}), "not_found", 404, source=False
    )
    _refused(
        lambda: _post(w.viewer, f"/rounds/{round_id}/close", {}), "forbidden", 403, source=False
    )
    _refused(
        lambda: _post(w.clerk, f"/rounds/{round_id}/close", {}), "forbidden", 403, source=False
    )
    _refused(
        lambda: _post(
            w.clerk,
            "/rounds",
            {
                **ROUND,
                "year": 2024,
                "reference_date": "2024-12-15",
                "self_assessment_until": "2024-12-20",
                "proposals_until": "2024-12-25",
                "decisions_until": "2024-12-31",
            },
        ),
        "not_found",
        404,
        source=False,
    )
    # The clerk's lists hold K1's subjects only; another cell's subject is out of sight.
    k2 = _subject_id(w, round_id, organization="K2")
    assert _get(w.clerk, f"/subjects/{k2}").status_code == 404
    assert _get(w.clerk, f"/rounds/{round_id}/subjects", {"organization": "K2"}).status_code == 404


def test_models_are_registered_then_recognized(w):
    org = w.organizer
    body = {"unit": "K1", "year": 2025, "kind": "four_good", "date": "2025-01-15"}
    response = _post(org, "/models/registrations", body)
    assert response.status_code == 201, response.content
    assert org.get(response["Location"]).json()["four_good"]["registered"] == 1
    _refused(
        lambda: _post(org, "/models/registrations", body), "evaluation.model_recorded", source=False
    )
    _refused(
        lambda: _post(org, "/models/registrations", {**body, "kind": "five_good"}),
        "evaluation.model_unknown",
    )
    done = _post(org, "/models/recognitions", {**body, "date": "2025-12-20", "recognized": True})
    assert done.status_code == 201 and done.json()["step"] == "recognized"
    _refused(
        lambda: _post(w.clerk, "/models/registrations", {**body, "kind": "clean_strong"}),
        "forbidden",
        403,
        source=False,
    )


def test_cursors_page_the_lists(w):
    _open(w)
    response = _get(w.organizer, "/rounds", {"cursor": "x1"})
    assert response.status_code == 422 and response.json()["code"] == "cursor.invalid"


def test_the_steps_as_collections_record_and_list_within_the_callers_scope(w):
    """`/assessments`, `/proposals`, `/decisions`: a step recorded by naming its subject in the
    body, as the subject's own endpoints do it, and the records listed for what the caller
    sees; another part of the organization's caller gets 404 for the round and the subject."""
    round_id = _open(w)
    subject = _subject_id(w, round_id, member=w.k1[0].pk)
    body = {"subject": subject, "scores": {"general": 27, "tasks": "61.5"}, "review": ""}
    response = _post(w.clerk, "/assessments", body)
    assert response.status_code == 201, response.content
    assert (response.json()["subject"], response.json()["score"]) == (subject, "88.50")
    proposal = {"subject": subject, "score": "88.5", "level": "good"}
    proposal |= {"votes_for": 6, "votes_against": 0, "present": 7}
    assert _post(w.clerk, "/proposals", proposal).status_code == 201
    _decide_collectives(w, round_id)
    decision = {"subject": subject, "level": "good", "score": "88.5", "document": w.docs.g1.pk}
    _refused(lambda: _post(w.clerk, "/decisions", decision), "forbidden", 403, source=False)
    response = _post(w.organizer, "/decisions", decision)
    assert response.status_code == 201, response.content
    assert response.json()["quota"]["unit"] == "G1"
    bad = {**decision, "score": "101"}
    _refused(lambda: _post(w.organizer, "/decisions", bad), "evaluation.score_out_of_range")

    listed = _get(w.clerk, "/assessments", {"round": round_id}).json()["items"]
    assert [(a["subject"], a["score"]) for a in listed] == [(subject, "88.50")]
    listed = _get(w.clerk, "/proposals", {"subject": subject}).json()["items"]
    assert [(p["level"], p["votes_for"]) for p in listed] == [("good", 6)]
    decisions = _get(w.organizer, "/decisions", {"round": round_id, "unit": "G1"}).json()
    assert {d["subject"] for d in decisions["items"]} >= {subject}
    assert all(d["deciding_unit"] == "G1" for d in decisions["items"])
    # The clerk of K1 sees K1's subjects' decisions only (the cell's own and its members').
    mine = _get(w.clerk, "/decisions", {"round": round_id}).json()["items"]
    homes = set(
        Subject.objects.filter(pk__in=[d["subject"] for d in mine]).values_list(
            "home__code", flat=True
        )
    )
    assert homes == {"K1"}
    # Outside the caller's scope: 404, like a missing one.
    assert _get(w.outsider, "/decisions", {"round": round_id}).status_code == 404
    assert _get(w.outsider, "/proposals", {"subject": subject}).status_code == 404
    outsider_body = {**body, "scores": {"general": 20, "tasks": 50}}
    assert _post(w.outsider, "/assessments", outsider_body).status_code == 404
    assert _get(w.organizer, "/assessments", {"round": 10**9}).status_code == 404


def test_a_self_assessment_score_with_more_decimals_is_refused_not_rounded_over_a_threshold(w):
    """29.999 + 60 is 89.999, "good": rounded to 30.00 it would be recorded as 90.00, the
    threshold of "excellent". Refused like the proposal's and the decision's scores."""
    round_id = _open(w)
    subject = _subject_id(w, round_id, member=w.k1[0].pk)
    path = f"/subjects/{subject}/self-assessment"
    body = _refused(
        lambda: _post(w.organizer, path, {"scores": {"general": "29.999", "tasks": "60"}}),
        "evaluation.score_decimals",
    )
    assert body["field"] == "scores" and "29.999" in body["message"]
    done = _post(w.organizer, path, {"scores": {"general": "29.5", "tasks": "60"}})
    assert done.status_code == 201, done.content
    assert done.json()["score"] == "89.50"
