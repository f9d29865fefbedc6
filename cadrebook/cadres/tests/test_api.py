"""The cadre API: /terms, /positions and /appointments. Writes go through the services (the
rule set's refusals come back in the house's shape, with their source), reads are scoped
(out of scope answers 404 or an empty list) and the holders' personal data is masked for a
role without view_sensitive."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client

from cadrebook.accounts.roles import Role
from cadrebook.cadres.models import PostEnd, PostHolding
from cadrebook.cadres.services import post_appoint, post_elect
from cadrebook.core.models import AuditEntry
from cadrebook.members.selectors import MASK

# The competent level's decision to appoint outside planning, for the posts these tests need
# but whose planning they are not about.
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


D = dt.date


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


def _election(people: SimpleNamespace, terms: SimpleNamespace, **kw: Any) -> dict[str, Any]:
    return {
        "how": "elected",
        "unit": "C1",
        "position": "secretary",
        "member": people.k1.pk,
        "started_on": "2025-01-01",
        "term": terms.c1.pk,
        "votes_for": 7,
        "votes_cast": 9,
        **kw,
    }


def test_an_election_is_recorded_through_the_service_and_read_back(
    clients: dict[str, Client], people: SimpleNamespace, terms: SimpleNamespace
) -> None:
    response = _post(clients["api_board"], "/api/v1/appointments", _election(people, terms))
    assert response.status_code == 201, response.content
    body = response.json()
    holding = PostHolding.objects.get(pk=body["id"])
    assert (holding.how, holding.votes_for, holding.votes_total) == ("elected", 7, 9)
    assert AuditEntry.objects.filter(event_type="post.elected", object_id=str(holding.pk)).exists()
    assert response["Location"] == f"/api/v1/appointments/{holding.pk}"
    detail = clients["api_board"].get(response["Location"]).json()
    assert detail["member"]["full_name"] == people.k1.full_name
    assert (detail["position"], detail["term"], detail["end"]) == ("secretary", terms.c1.pk, None)
    assert (detail["votes_for"], detail["votes_cast"]) == (7, 9)
    # The term's planned end: five years from its start.
    assert detail["planned_end"] == "2030-01-01"


def test_a_refusal_carries_the_rules_code_and_source_and_writes_nothing(
    clients: dict[str, Client], people: SimpleNamespace, terms: SimpleNamespace
) -> None:
    response = _post(
        clients["api_board"],
        "/api/v1/appointments",
        _election(people, terms, votes_for=5, votes_cast=10),
    )
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == ("cadres.not_elected", "votes_for")
    assert "Party Statute art. 10" in body["source"]
    response = _post(
        clients["api_board"],
        "/api/v1/appointments",
        _election(people, terms, member=people.probationary.pk),
    )
    assert response.json()["code"] == "cadres.full_member_required"
    assert response.json()["source"]
    assert PostHolding.objects.count() == 0


def test_an_election_without_its_votes_is_refused_on_the_field_missing(
    clients: dict[str, Client], people: SimpleNamespace, terms: SimpleNamespace
) -> None:
    body = _election(people, terms)
    del body["votes_cast"]
    response = _post(clients["api_board"], "/api/v1/appointments", body)
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == (
        "cadres.votes_missing",
        "votes_cast",
    )
    assert not PostHolding.objects.exists()


def test_an_election_without_a_term_is_refused(
    clients: dict[str, Client], people: SimpleNamespace, terms: SimpleNamespace
) -> None:
    response = _post(
        clients["api_board"], "/api/v1/appointments", _election(people, terms, term=None)
    )
    assert response.status_code == 422
    assert (response.json()["code"], response.json()["field"]) == ("cadres.term_missing", "term")


def test_an_appointment_runs_the_rule_sets_months_and_ends_with_its_reason(
    clients: dict[str, Client], people: SimpleNamespace, terms: SimpleNamespace, decision: Any
) -> None:
    payload = {
        "how": "appointed",
        "unit": "C1",
        "position": "inspection_chair",
        "member": people.k1.pk,
        "started_on": "2025-03-10",
        "document": decision.pk,
    }
    # Not in planning: refused with the rule's source, nothing written.
    refused = _post(clients["api_board"], "/api/v1/appointments", payload)
    assert refused.status_code == 422
    assert (refused.json()["code"], refused.json()["field"]) == ("cadres.not_planned", "member")
    assert "377-QĐ/TW" in refused.json()["source"]
    assert not PostHolding.objects.exists()
    # The competent level's decision to appoint outside planning lets it through, recorded.
    response = _post(
        clients["api_board"],
        "/api/v1/appointments",
        payload | {"outside_planning_document": decision.pk},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    entry = AuditEntry.objects.get(event_type="post.appointed", object_id=str(body["id"]))
    assert entry.after["planning"] == "competent_decision"
    assert entry.after["outside_planning_document"] == decision.pk
    assert body["planned_end"] == "2030-03-10"
    assert (body["document"], body["document_text"]) == (decision.pk, decision.symbol)
    path = f"/api/v1/appointments/{body['id']}/end"
    ended = _post(clients["api_board"], path, {"ended_on": "2026-06-30", "reason": "resigned"})
    assert ended.status_code == 200, ended.content
    assert ended.json()["end"]["reason"] == "resigned"
    assert ended.json()["end"]["ended_on"] == "2026-06-30"
    assert PostEnd.objects.get(holding_id=body["id"]).reason == "resigned"
    again = _post(clients["api_board"], path, {"ended_on": "2026-07-30", "reason": "retired"})
    assert (again.status_code, again.json()["code"]) == (422, "cadres.already_ended")
    # A removal by discipline comes with the discipline's decision, not by hand.
    by_hand = _post(
        clients["api_board"], path, {"ended_on": "2026-07-30", "reason": "removed_by_discipline"}
    )
    assert by_hand.status_code == 422


def test_the_holders_personal_data_is_masked_without_view_sensitive(
    clients: dict[str, Client],
    organizer: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    terms: SimpleNamespace,
) -> None:
    h = post_elect(
        actor=organizer,
        member=people.older,
        unit=tree.C1,
        position="secretary",
        term=terms.c1,
        started_on=D(2025, 1, 1),
        votes_for=7,
        votes_total=9,
    )
    board = clients["api_board"].get(f"/api/v1/appointments/{h.pk}").json()["member"]
    assert board["birth_date"] == "1970-01-10"
    assert board["retires_on"] == "2027-05-31"  # the end of the month the age is reached
    viewer = clients["api_viewer"].get(f"/api/v1/appointments/{h.pk}").json()["member"]
    assert viewer["full_name"] == people.older.full_name
    assert (viewer["birth_date"], viewer["ethnicity"], viewer["retires_on"]) == (MASK,) * 3
    listed = clients["api_viewer"].get("/api/v1/appointments").json()["items"]
    assert [m["member"]["birth_date"] for m in listed] == [MASK]
    seats = clients["api_viewer"].get("/api/v1/positions", {"unit": "C1", "as_of": "2025-06-01"})
    secretary = next(p for p in seats.json()["positions"] if p["code"] == "secretary")
    assert secretary["holders"][0]["member"]["birth_date"] == MASK
    text = clients["api_viewer"].get("/api/v1/appointments").content.decode()
    assert "1970" not in text
    # The unmasked read is audited as a page of the members' list is; the masked one is not.
    assert AuditEntry.objects.filter(
        event_type="member.list_viewed", actor__username="api_board"
    ).exists()
    assert not AuditEntry.objects.filter(
        event_type="member.list_viewed", actor__username="api_viewer"
    ).exists()


def test_out_of_scope_answers_404_and_lists_are_empty(
    clients: dict[str, Client],
    organizer: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    terms: SimpleNamespace,
) -> None:
    h = post_elect(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="secretary",
        term=terms.c1,
        started_on=D(2025, 1, 1),
        votes_for=7,
        votes_total=9,
    )
    other = clients["api_other"]
    assert other.get(f"/api/v1/appointments/{h.pk}").status_code == 404
    assert other.get("/api/v1/appointments").json()["items"] == []
    assert other.get("/api/v1/terms").json()["items"] == [
        t for t in other.get("/api/v1/terms").json()["items"] if t["unit"] in ("C2", "GC")
    ]
    assert other.get("/api/v1/positions", {"unit": "C1"}).status_code == 404
    ended = _post(
        other, f"/api/v1/appointments/{h.pk}/end", {"ended_on": "2026-01-01", "reason": "resigned"}
    )
    assert ended.status_code == 404
    closed = _post(other, f"/api/v1/terms/{terms.c1.pk}/close", {"end": "2026-01-01"})
    assert closed.status_code == 404
    # The clerk sees C1's posts but may not record them.
    clerk = clients["api_clerk"]
    assert clerk.get(f"/api/v1/appointments/{h.pk}").status_code == 200
    refused = _post(
        clerk, f"/api/v1/appointments/{h.pk}/end", {"ended_on": "2026-01-01", "reason": "resigned"}
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
    assert not PostEnd.objects.exists()


def test_the_list_filters_by_unit_position_person_day_and_notice(
    clients: dict[str, Client],
    organizer: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    terms: SimpleNamespace,
) -> None:
    chair = post_appoint(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="inspection_chair",
        started_on=D(2025, 3, 10),
        outside_planning_text=OUTSIDE_PLANNING,
    )
    secretary = post_elect(
        actor=organizer,
        member=people.gc,
        unit=tree.C2,
        position="secretary",
        term=_term(organizer, tree.C2),
        started_on=D(2025, 1, 1),
        votes_for=7,
        votes_total=9,
    )
    board = clients["api_board"]

    def ids(**query: Any) -> list[int]:
        response = board.get("/api/v1/appointments", query)
        assert response.status_code == 200, response.content
        return [i["id"] for i in response.json()["items"]]

    assert set(ids()) == {chair.pk, secretary.pk}
    assert ids(unit="C1") == [chair.pk]
    assert ids(position="secretary") == [secretary.pk]
    assert ids(person=people.k1.pk) == [chair.pk]
    assert ids(as_of="2025-02-01") == [secretary.pk]  # the chair begins in March
    # The appointment ends 2030-03-10; 90 working days before is in the autumn of 2029.
    assert ids(ending_within_working_days=90, as_of="2029-12-01") == [chair.pk]
    assert ids(ending_within_working_days=90, as_of="2029-06-01") == []


def _term(organizer: Any, unit: Any) -> Any:
    from cadrebook.cadres.services import committee_term_open

    return committee_term_open(actor=organizer, unit=unit, start=D(2025, 1, 1))


def test_terms_are_opened_listed_and_closed_with_their_posts(
    clients: dict[str, Client], tree: SimpleNamespace, people: SimpleNamespace
) -> None:
    board = clients["api_board"]
    opened = _post(board, "/api/v1/terms", {"unit": "C1", "start": "2025-01-01"})
    assert opened.status_code == 201, opened.content
    term = opened.json()
    assert (term["unit"], term["label"], term["end"]) == ("C1", "2025-2030", None)
    assert [t["id"] for t in board.get("/api/v1/terms", {"unit": "C1"}).json()["items"]] == [
        term["id"]
    ]
    elected = _post(
        board,
        "/api/v1/appointments",
        {
            "how": "elected",
            "unit": "C1",
            "position": "secretary",
            "member": people.k1.pk,
            "started_on": "2025-01-01",
            "term": term["id"],
            "votes_for": 7,
            "votes_cast": 9,
        },
    )
    assert elected.status_code == 201
    closed = _post(board, f"/api/v1/terms/{term['id']}/close", {"end": "2026-06-30"})
    assert closed.status_code == 200, closed.content
    assert closed.json()["end"] == "2026-06-30"
    end = PostEnd.objects.get(holding_id=elected.json()["id"])
    assert (end.reason, end.ended_on) == ("end_of_term", D(2026, 6, 30))
    # The clerk sees C1 but may not open its terms.
    refused = _post(clients["api_clerk"], "/api/v1/terms", {"unit": "G1", "start": "2025-01-01"})
    assert refused.status_code == 403


def test_positions_of_a_unit_kind_and_the_seats_of_a_unit(
    clients: dict[str, Client],
    organizer: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    terms: SimpleNamespace,
) -> None:
    board = clients["api_board"]
    cell = board.get("/api/v1/positions", {"unit_kind": "grassroots_cell"}).json()
    codes = [p["code"] for p in cell["positions"]]
    assert codes == ["secretary", "deputy_secretary", "committee_member"]
    member = next(p for p in cell["positions"] if p["code"] == "committee_member")
    # The cell committee's minimum of full members and its at most seven seats, with sources.
    assert {(s["max"], s["min_full_members"]) for s in member["seats"]} == {(None, 9), (7, None)}
    assert all(s["source"] for s in member["seats"]) and member["holders"] is None
    h = post_elect(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="secretary",
        term=terms.c1,
        started_on=D(2025, 1, 1),
        votes_for=7,
        votes_total=9,
    )
    seats = board.get("/api/v1/positions", {"unit": "C1", "as_of": "2025-06-01"}).json()
    assert (seats["unit"], seats["unit_kind"], seats["as_of"]) == (
        "C1",
        "commune_committee",
        "2025-06-01",
    )
    by_code = {p["code"]: p for p in seats["positions"]}
    assert [x["appointment"] for x in by_code["secretary"]["holders"]] == [h.pk]
    assert by_code["deputy_secretary"]["holders"] == []
    before = board.get("/api/v1/positions", {"unit": "C1", "as_of": "2024-12-31"}).json()
    assert all(p["holders"] == [] for p in before["positions"])
    unknown = board.get("/api/v1/positions", {"unit_kind": "nowhere"})
    assert (unknown.status_code, unknown.json()["code"]) == (422, "cadres.unit_kind_unknown")
