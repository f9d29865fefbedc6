"""The planning pages (issue 20): a unit's lists with their people, structure report, flags
and history; the structure per level; the forms (a nomination round, an addition, a removal
confirmed first, the yearly review). Writes go through the services: a refusal shows the
rule's code and source and writes nothing. Reads are scoped (out of scope: 404), the
personal data is masked for a role without view_sensitive, and a page that showed it
unmasked is audited."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from cadrebook.cadres.models import (
    NominationRound,
    PlanningEntry,
    PlanningRemoval,
    PlanningReview,
)
from cadrebook.cadres.planning_rules import confidence_rules, planning_rules
from cadrebook.cadres.services import confidence_session_record, planning_add, post_appoint
from cadrebook.core.models import AuditEntry
from cadrebook.members.selectors import MASK

D = dt.date


@pytest.fixture
def planned(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, terms: Any, decision: Any
) -> PlanningEntry:
    """k1 in the planning for C1's secretary from 2025-03-01."""
    return planning_add(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        position="secretary",
        member=people.k1,
        added_on=D(2025, 3, 1),
        document=decision,
    )


def _unit_url(code: str = "C1", **query: str) -> str:
    url = reverse("cadres_planning:unit", kwargs={"code": code})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_the_units_planning_shows_its_people_structure_and_history(
    board: Client, planned: PlanningEntry, people: SimpleNamespace, decision: Any
) -> None:
    response = board.get(_unit_url(as_of="2025-06-01"))
    assert response.status_code == 200
    page = response.content.decode()
    assert people.k1.full_name in page
    assert "1980-03-01" in page or "March 1, 1980" in page or "01/03/1980" in page
    assert decision.symbol in page
    assert 'data-testid="structure"' in page
    # One man of 45: no women, brackets empty, both marked short.
    assert 'data-testid="shortfall"' in page
    assert escape(planning_rules().targets_source) in page


def test_the_page_masks_the_personal_data_without_view_sensitive_and_audits_the_rest(
    board: Client, viewer: Client, planned: PlanningEntry, people: SimpleNamespace
) -> None:
    masked = viewer.get(_unit_url(as_of="2025-06-01"))
    assert masked.status_code == 200
    page = masked.content.decode()
    assert people.k1.full_name in page and MASK in page
    assert "1980" not in page
    assert not AuditEntry.objects.filter(
        event_type="member.list_viewed", actor__username="viewer"
    ).exists()
    board.get(_unit_url(as_of="2025-06-01"))
    entry = AuditEntry.objects.get(event_type="member.list_viewed", actor__username="board")
    assert entry.after["members"] == [people.k1.pk]
    assert entry.unit.code == "C1"


def test_a_unit_out_of_scope_answers_404_and_a_write_needs_manage_cadres(
    other: Client, viewer: Client, planned: PlanningEntry
) -> None:
    assert other.get(_unit_url()).status_code == 404
    assert other.get(reverse("cadres_planning:add", kwargs={"code": "C1"})).status_code == 404
    remove = reverse("cadres_planning:remove", kwargs={"pk": planned.pk})
    assert other.get(remove).status_code == 404
    assert viewer.get(_unit_url()).status_code == 200
    assert viewer.get(reverse("cadres_planning:add", kwargs={"code": "C1"})).status_code == 403
    assert viewer.post(remove, {}).status_code == 403
    assert other.get(reverse("cadres_planning:unit", kwargs={"code": "NOPE"})).status_code == 404


def _add(client: Client, terms: Any, member: Any, **kw: Any) -> Any:
    data = {
        "term": terms.c1.pk,
        "position": "secretary",
        "member": str(member.pk),
        "added_on": "2025-03-01",
        "document": "",
        "document_text": "",
        **kw,
    }
    return client.post(reverse("cadres_planning:add", kwargs={"code": "C1"}), data)


def test_a_person_is_added_through_the_service(
    board: Client, terms: Any, people: SimpleNamespace, decision: Any
) -> None:
    response = _add(board, terms, people.k1, document=str(decision.pk))
    assert response.status_code == 302, response.content.decode()
    entry = PlanningEntry.objects.get()
    assert (entry.member, entry.position, entry.document) == (people.k1, "secretary", decision)
    assert AuditEntry.objects.filter(event_type="planning.added").exists()


def test_a_refusal_shows_the_rules_code_and_source_and_writes_nothing(
    board: Client, terms: Any, people: SimpleNamespace
) -> None:
    response = _add(board, terms, people.k1)
    assert response.status_code == 422
    page = response.content.decode()
    assert "planning.approval_missing" in page
    assert escape(planning_rules().approval_source) in page
    assert not PlanningEntry.objects.exists()


def test_the_limit_of_people_a_post_is_refused_with_its_source(
    board: Client,
    organizer: Any,
    tree: SimpleNamespace,
    terms: Any,
    decision: Any,
    make_member: Any,
) -> None:
    limit = planning_rules().max_candidates
    members = [
        make_member(tree.K1, D(1980, 3, 1), D(2010, 5, 1), recognized=True)
        for _ in range(limit + 1)
    ]
    for m in members[:limit]:
        planning_add(
            actor=organizer,
            unit=tree.C1,
            term=terms.c1,
            position="secretary",
            member=m,
            added_on=D(2025, 3, 1),
            document=decision,
        )
    response = _add(board, terms, members[-1], document=str(decision.pk))
    assert response.status_code == 422
    page = response.content.decode()
    assert "planning.post_full" in page and escape(planning_rules().max_candidates_source) in page
    assert PlanningEntry.objects.count() == limit


def test_a_removal_is_confirmed_first_then_kept_in_the_history(
    board: Client, planned: PlanningEntry, people: SimpleNamespace
) -> None:
    url = reverse("cadres_planning:remove", kwargs={"pk": planned.pk})
    data = {"removed_on": "2025-09-01", "reason": "review", "note": "", "document": ""}
    refused = board.post(url, data)
    assert refused.status_code == 422
    assert "planning.reason_missing" in refused.content.decode()
    data["note"] = "Không hoàn thành nhiệm vụ"
    asked = board.post(url, data)
    assert asked.status_code == 200
    assert 'data-testid="confirm"' in asked.content.decode()
    assert not PlanningRemoval.objects.exists()
    done = board.post(url, {**data, "confirmed": "yes"})
    assert done.status_code == 302
    removal = PlanningRemoval.objects.get(entry=planned)
    assert (removal.reason, removal.note) == ("review", "Không hoàn thành nhiệm vụ")
    page = board.get(_unit_url(as_of="2025-10-01")).content.decode()
    assert 'data-testid="no-lists"' in page
    assert "Không hoàn thành nhiệm vụ" in page


def test_a_nomination_round_is_recorded_with_its_votes(
    board: Client, terms: Any, people: SimpleNamespace
) -> None:
    url = reverse("cadres_planning:round_new", kwargs={"code": "C1"})
    data = {
        "term": terms.c1.pk,
        "step": "committee",
        "held_on": "2025-02-20",
        "ballots": "20",
        "nominations": f"{people.k1.pk}; secretary; planning; 25",
        "document_text": "Biên bản 1",
    }
    refused = board.post(url, data)
    assert refused.status_code == 422
    assert "planning.votes_invalid" in refused.content.decode()
    assert not NominationRound.objects.exists()
    data["nominations"] = (
        f"{people.k1.full_name} (#{people.k1.pk}); secretary; planning; 15\n"
        f"{people.k1b.pk}; deputy_secretary; planning; 12"
    )
    assert board.post(url, data).status_code == 302
    made = NominationRound.objects.get()
    assert sorted(n.votes_for for n in made.nominations.all()) == [12, 15]
    page = board.get(_unit_url()).content.decode()
    assert people.k1b.full_name in page


def test_the_yearly_review_is_confirmed_and_recorded(
    board: Client, planned: PlanningEntry, terms: Any, people: SimpleNamespace, decision: Any
) -> None:
    url = reverse("cadres_planning:review_new", kwargs={"code": "C1"})
    data = {
        "term": terms.c1.pk,
        "year": "2025",
        "reviewed_on": "2025-12-15",
        "remove": f"{planned.pk}; review; Sức khoẻ yếu",
        "add": f"{people.k1b.pk}; secretary",
        "document": str(decision.pk),
    }
    asked = board.post(url, data)
    assert asked.status_code == 200, asked.content.decode()
    assert not PlanningReview.objects.exists()
    assert board.post(url, {**data, "confirmed": "yes"}).status_code == 302
    review = PlanningReview.objects.get()
    assert PlanningRemoval.objects.get(entry=planned).review == review
    assert PlanningEntry.objects.get(review=review).member == people.k1b


def test_the_structure_per_level_renders_and_masks_for_a_viewer(
    board: Client, viewer: Client, planned: PlanningEntry
) -> None:
    url = reverse("cadres_planning:structure") + "?as_of=2025-06-01"
    page = board.get(url).content.decode()
    assert 'data-testid="structure-row"' in page and 'data-testid="shortfall"' in page
    masked = viewer.get(url)
    assert masked.status_code == 200
    assert 'data-testid="masked"' in masked.content.decode()


def test_a_person_a_vote_flags_is_marked_in_the_list_with_the_rules_source(
    board: Client,
    organizer: Any,
    tree: SimpleNamespace,
    terms: Any,
    people: SimpleNamespace,
    decision: Any,
) -> None:
    post_appoint(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="deputy_secretary",
        started_on=D(2025, 3, 1),
        outside_planning_text="05-QĐ/TU (outside planning)",
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
    confidence_session_record(
        actor=organizer,
        unit=tree.C1,
        held_on=D(2025, 11, 20),
        summoned=30,
        present=21,
        results=[{"member": people.k1, "high": 2, "confidence": 4, "low": 15}],
    )
    before = board.get(_unit_url(as_of="2025-11-01")).content.decode()
    assert 'data-testid="flag"' not in before
    page = board.get(_unit_url(as_of="2025-12-01")).content.decode()
    assert page.count('data-testid="flag"') == 1
    assert escape(confidence_rules().low_out_of_planning_source) in page
