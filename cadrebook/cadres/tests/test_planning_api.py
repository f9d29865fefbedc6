"""The planning and confidence-vote API: /planning (the entries, the structure report, add,
remove) and /confidence-votes (the sessions with their counts and outcomes, record one).
Writes go through the services (refusals with the rule's code and source, nothing
written), reads are scoped (out of scope: 404) and the people's personal data is masked for
a role without view_sensitive; a vote shows counts only."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from cadrebook.accounts.roles import Role
from cadrebook.cadres.models import ConfidenceResult, ConfidenceSession, PlanningEntry
from cadrebook.cadres.planning_rules import confidence_rules, planning_rules
from cadrebook.cadres.services import planning_add, post_appoint
from cadrebook.core.models import AuditEntry
from cadrebook.members.selectors import MASK

D = dt.date
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


@pytest.fixture
def clients(token_clients: Any, tree: SimpleNamespace) -> dict[str, Client]:
    """A province organizer, a viewer of C1 (no personal data), an organizer of C2 (C1 is
    out of their scope) and a clerk of C1 (sees, may not manage cadres)."""
    return token_clients(
        [
            ("api_board", Role.ORGANIZER, tree.P),
            ("api_viewer", Role.VIEWER, tree.C1),
            ("api_other", Role.ORGANIZER, tree.C2),
            ("api_clerk", Role.CLERK, tree.C1),
        ]
    )


def _post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def _entry(terms: SimpleNamespace, member: Any, decision: Any, **kw: Any) -> dict[str, Any]:
    return {
        "unit": "C1",
        "term": terms.c1.pk,
        "position": "secretary",
        "member": member.pk,
        "added_on": "2025-03-01",
        "document": decision.pk if decision is not None else None,
        **kw,
    }


# Planning ----------------------------------------------------------------------------------


def test_a_person_is_added_through_the_service_and_listed(
    clients: dict[str, Client], people: SimpleNamespace, terms: SimpleNamespace, decision: Any
) -> None:
    response = _post(clients["api_board"], "/api/v1/planning", _entry(terms, people.k1, decision))
    assert response.status_code == 201, response.content
    body = response.json()
    entry = PlanningEntry.objects.get(pk=body["id"])
    assert (entry.member, entry.position, entry.added_on) == (people.k1, "secretary", D(2025, 3, 1))
    assert AuditEntry.objects.filter(event_type="planning.added", object_id=str(entry.pk)).exists()
    assert (body["document"], body["document_text"], body["removal"]) == (
        decision.pk,
        decision.symbol,
        None,
    )
    listed = clients["api_board"].get("/api/v1/planning", {"unit": "C1", "as_of": "2025-06-01"})
    assert [e["id"] for e in listed.json()["items"]] == [entry.pk]
    # Before the day added: not yet in it.
    before = clients["api_board"].get("/api/v1/planning", {"unit": "C1", "as_of": "2025-02-01"})
    assert before.json()["items"] == []


def test_a_refusal_carries_the_rules_code_and_source_and_writes_nothing(
    clients: dict[str, Client], people: SimpleNamespace, terms: SimpleNamespace
) -> None:
    response = _post(
        clients["api_board"], "/api/v1/planning", _entry(terms, people.k1, None, document=None)
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "planning.approval_missing"
    assert body["source"] == planning_rules().approval_source
    assert not PlanningEntry.objects.exists()


def test_a_removal_keeps_the_entry_and_the_history_shows_it(
    clients: dict[str, Client], people: SimpleNamespace, terms: SimpleNamespace, decision: Any
) -> None:
    made = _post(clients["api_board"], "/api/v1/planning", _entry(terms, people.k1, decision))
    entry_id = made.json()["id"]
    refused = _post(
        clients["api_board"],
        f"/api/v1/planning/{entry_id}/remove",
        {"removed_on": "2025-09-01", "reason": "review"},
    )
    assert refused.json()["code"] == "planning.reason_missing"
    removed = _post(
        clients["api_board"],
        f"/api/v1/planning/{entry_id}/remove",
        {"removed_on": "2025-09-01", "reason": "review", "note": "Không hoàn thành nhiệm vụ"},
    )
    assert removed.status_code == 200, removed.content
    assert removed.json()["removal"]["reason"] == "review"
    assert AuditEntry.objects.filter(event_type="planning.removed.review").exists()
    on_day = clients["api_board"].get("/api/v1/planning", {"unit": "C1", "as_of": "2025-10-01"})
    assert on_day.json()["items"] == []
    history = clients["api_board"].get("/api/v1/planning", {"unit": "C1", "history": True})
    (kept,) = history.json()["items"]
    assert (kept["id"], kept["removal"]["removed_on"]) == (entry_id, "2025-09-01")


def test_planning_is_scoped_and_managed(
    clients: dict[str, Client], people: SimpleNamespace, terms: SimpleNamespace, decision: Any
) -> None:
    body = _entry(terms, people.k1, decision)
    assert _post(clients["api_other"], "/api/v1/planning", body).status_code == 404
    assert _post(clients["api_clerk"], "/api/v1/planning", body).status_code == 403
    assert not PlanningEntry.objects.exists()
    entry_id = _post(clients["api_board"], "/api/v1/planning", body).json()["id"]
    path = f"/api/v1/planning/{entry_id}/remove"
    removal = {"removed_on": "2025-09-01", "reason": "other", "note": "x"}
    assert _post(clients["api_other"], path, removal).status_code == 404
    assert _post(clients["api_clerk"], path, removal).status_code == 403
    assert clients["api_other"].get("/api/v1/planning", {"unit": "C1"}).status_code == 404
    structure = clients["api_other"].get("/api/v1/planning/structure", {"unit": "C1"})
    assert structure.status_code == 404


def test_the_persons_data_is_masked_without_view_sensitive(
    clients: dict[str, Client],
    organizer: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    terms: SimpleNamespace,
    decision: Any,
) -> None:
    planning_add(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        position="secretary",
        member=people.k1,
        added_on=D(2025, 3, 1),
        document=decision,
    )
    query = {"unit": "C1", "as_of": "2025-06-01"}
    board = clients["api_board"].get("/api/v1/planning", query).json()["items"][0]["member"]
    assert board["birth_date"] == "1980-03-01"
    viewer = clients["api_viewer"].get("/api/v1/planning", query)
    member = viewer.json()["items"][0]["member"]
    assert member["full_name"] == people.k1.full_name
    assert (member["birth_date"], member["ethnicity"], member["retires_on"]) == (MASK,) * 3
    assert "1980" not in viewer.content.decode()
    assert AuditEntry.objects.filter(
        event_type="member.list_viewed", actor__username="api_board"
    ).exists()
    assert not AuditEntry.objects.filter(
        event_type="member.list_viewed", actor__username="api_viewer"
    ).exists()


def test_the_structure_report_marks_the_shortfalls_and_masks_for_a_viewer(
    clients: dict[str, Client],
    organizer: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    terms: SimpleNamespace,
    decision: Any,
) -> None:
    for m in (people.k1, people.k1b):
        planning_add(
            actor=organizer,
            unit=tree.C1,
            term=terms.c1,
            position="secretary",
            member=m,
            added_on=D(2025, 3, 1),
            document=decision,
        )
    query = {"unit": "C1", "as_of": "2025-06-01"}
    report = clients["api_board"].get("/api/v1/planning/structure", query)
    assert report.status_code == 200, report.content
    body = report.json()
    (secretary,) = body["lists"]
    assert secretary["people"] == 2 and body["whole"]["people"] == 2
    # Two men of 45 born the same day: no women, two brackets empty.
    assert secretary["age_brackets"] == [0, 2, 0]
    women = next(s for s in secretary["shares"] if s["code"] == "women")
    assert (women["count"], women["share"], women["short"]) == (0, 0.0, True)
    assert women["target"] == float(planning_rules().targets["women"])
    assert set(secretary["shortfalls"]) >= {"women", "age_brackets"}
    masked = clients["api_viewer"].get("/api/v1/planning/structure", query).json()["lists"][0]
    assert masked["age_brackets"] is None
    young = next(s for s in masked["shares"] if s["code"] == "young")
    assert (young["count"], young["share"], young["short"]) == (None, None, False)


# Confidence votes --------------------------------------------------------------------------


@pytest.fixture
def holders(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, decision: Any
) -> SimpleNamespace:
    """k1 deputy secretary and k1b inspection chair of C1 from 2025-03-10."""
    return SimpleNamespace(
        **{
            position: post_appoint(
                actor=organizer,
                member=member,
                unit=tree.C1,
                position=position,
                started_on=D(2025, 3, 10),
                document=decision,
                outside_planning_text=OUTSIDE_PLANNING,
            )
            for position, member in (
                ("deputy_secretary", people.k1),
                ("inspection_chair", people.k1b),
            )
        }
    )


def _vote(people: SimpleNamespace, **kw: Any) -> dict[str, Any]:
    return {
        "unit": "C1",
        "held_on": "2025-11-20",
        "summoned": 30,
        "present": 21,
        "results": [
            {"member": people.k1.pk, "high": 15, "confidence": 4, "low": 2},
            {"member": people.k1b.pk, "high": 2, "confidence": 4, "low": 15},
        ],
        "document_text": "Biên bản 01",
        **kw,
    }


def test_a_vote_is_recorded_with_counts_only_and_its_outcomes_read_back(
    clients: dict[str, Client], people: SimpleNamespace, holders: SimpleNamespace
) -> None:
    response = _post(clients["api_board"], "/api/v1/confidence-votes", _vote(people))
    assert response.status_code == 201, response.content
    session = ConfidenceSession.objects.get(pk=response.json()["id"])
    assert AuditEntry.objects.filter(
        event_type="confidence.vote", object_id=str(session.pk)
    ).exists()
    assert ConfidenceResult.objects.filter(session=session).count() == 2
    listed = clients["api_viewer"].get("/api/v1/confidence-votes", {"unit": "C1"})
    (item,) = listed.json()["items"]
    assert (item["summoned"], item["present"], item["quorate"]) == (30, 21, True)
    results = {r["member"]["id"]: r for r in item["results"]}
    assert set(results[people.k1.pk]) == {
        "member",
        "position",
        "high",
        "confidence",
        "low",
        "outcome",
        "source",
    }
    assert set(results[people.k1.pk]["member"]) == {"id", "full_name"}
    assert (results[people.k1.pk]["position"], results[people.k1.pk]["outcome"]) == (
        "deputy_secretary",
        "",
    )
    # 15 "low" of 21: two thirds and more, flagged for dismissal with the rule's source.
    assert results[people.k1b.pk]["outcome"] == "dismissal"
    assert results[people.k1b.pk]["source"] == confidence_rules().low_dismissal_source


def test_a_vote_without_the_quorum_is_refused_with_its_source(
    clients: dict[str, Client], people: SimpleNamespace, holders: SimpleNamespace
) -> None:
    response = _post(clients["api_board"], "/api/v1/confidence-votes", _vote(people, present=10))
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "confidence.no_quorum"
    assert response.json()["source"] == confidence_rules().quorum_source
    assert not ConfidenceSession.objects.exists()


def test_votes_are_scoped_and_managed(
    clients: dict[str, Client], people: SimpleNamespace, holders: SimpleNamespace
) -> None:
    assert _post(clients["api_other"], "/api/v1/confidence-votes", _vote(people)).status_code == 404
    assert _post(clients["api_clerk"], "/api/v1/confidence-votes", _vote(people)).status_code == 403
    assert not ConfidenceSession.objects.exists()
    assert _post(clients["api_board"], "/api/v1/confidence-votes", _vote(people)).status_code == 201
    assert clients["api_other"].get("/api/v1/confidence-votes").json()["items"] == []
    listed = clients["api_other"].get("/api/v1/confidence-votes", {"unit": "C1"})
    assert listed.status_code == 404
