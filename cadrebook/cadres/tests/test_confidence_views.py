"""The confidence-vote pages (issue 20): the sessions in scope with the counts of each person
and what they mean by the rule set, the people flagged, and the form that records a
session. Only counts are shown and taken; a session without the quorum is refused with the
rule's code and source and nothing is written; out of scope answers 404; a list read is
audited as the inspections' lists are."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from cadrebook.cadres.models import ConfidenceResult, ConfidenceSession
from cadrebook.cadres.planning_rules import confidence_rules
from cadrebook.cadres.planning_views import LIST_VIEWED
from cadrebook.cadres.services import confidence_session_record, post_appoint
from cadrebook.core.models import AuditEntry

D = dt.date
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


@pytest.fixture
def holders(organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, decision: Any) -> None:
    """k1 deputy secretary and k1b inspection chair of C1 from 2025-03-10."""
    for position, member in (("deputy_secretary", people.k1), ("inspection_chair", people.k1b)):
        post_appoint(
            actor=organizer,
            member=member,
            unit=tree.C1,
            position=position,
            started_on=D(2025, 3, 10),
            document=decision,
            outside_planning_text=OUTSIDE_PLANNING,
        )


def _form(people: SimpleNamespace, **kw: Any) -> dict[str, Any]:
    return {
        "held_on": "2025-11-20",
        "summoned": "30",
        "present": "21",
        "results": f"{people.k1.pk}; 15; 4; 2\n{people.k1b.pk}; 2; 4; 15",
        "document_text": "Biên bản 01",
        **kw,
    }


NEW = reverse("cadres_planning:confidence_new", kwargs={"code": "C1"})
LIST = reverse("cadres_planning:confidence")


def test_a_vote_is_recorded_and_listed_with_counts_outcomes_and_flags(
    board: Client,  # noqa: F811
    viewer: Client,  # noqa: F811
    people: SimpleNamespace,
    holders: None,
) -> None:
    assert board.get(NEW).status_code == 200
    response = board.post(NEW, _form(people))
    assert response.status_code == 302, response.content.decode()
    session = ConfidenceSession.objects.get()
    assert (session.summoned, session.present) == (30, 21)
    assert ConfidenceResult.objects.filter(session=session).count() == 2
    page = viewer.get(LIST + "?unit=C1&year=2025")
    assert page.status_code == 200
    text = page.content.decode()
    assert people.k1.full_name in text and people.k1b.full_name in text
    # 15 "low" of 21: the dismissal share and more, with the rule's source.
    assert 'data-testid="outcome"' in text
    assert escape(confidence_rules().low_dismissal_source) in text
    assert text.count('data-testid="result"') == 2


def test_only_counts_are_taken_and_shown(
    board: Client,  # noqa: F811
    organizer: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    holders: None,
) -> None:
    confidence_session_record(
        actor=organizer,
        unit=tree.C1,
        held_on=D(2025, 11, 20),
        summoned=30,
        present=21,
        results=[{"member": people.k1, "high": 15, "confidence": 4, "low": 2}],
        document_text="Biên bản 01",
    )
    form = board.get(NEW).content.decode()
    # The form asks counts only: no field names a voter.
    assert "voter" not in form.lower()
    for name in ('name="results"', 'name="summoned"', 'name="present"'):
        assert name in form
    page = board.get(LIST + "?year=2025").content.decode()
    row = page.split('data-testid="result"', 1)[1].split("</tr>", 1)[0]
    cells = [c.split(">", 1)[1] for c in row.split("<td")[1:]]
    # Name, post, the three counts, the outcome: nothing else.
    assert len(cells) == 6
    assert [c.split("<", 1)[0] for c in cells[2:5]] == ["15", "4", "2"]
    fields = {f.name for f in ConfidenceResult._meta.get_fields()}
    assert not {"voter", "voters", "ballot", "ballots"} & fields


def test_a_session_without_the_quorum_is_refused_with_its_code_and_source(
    board: Client,  # noqa: F811
    people: SimpleNamespace,
    holders: None,
) -> None:
    response = board.post(NEW, _form(people, present="10"))
    assert response.status_code == 422
    text = response.content.decode()
    assert "confidence.no_quorum" in text and escape(confidence_rules().quorum_source) in text
    assert not ConfidenceSession.objects.exists()
    assert not AuditEntry.objects.filter(event_type="confidence.vote").exists()


def test_votes_are_scoped_and_recorded_by_who_manages_cadres(
    board: Client,  # noqa: F811
    viewer: Client,  # noqa: F811
    other: Client,  # noqa: F811
    people: SimpleNamespace,
    holders: None,
) -> None:
    assert other.get(NEW).status_code == 404
    assert other.post(NEW, _form(people)).status_code == 404
    assert viewer.post(NEW, _form(people)).status_code == 403
    assert not ConfidenceSession.objects.exists()
    assert board.post(NEW, _form(people)).status_code == 302
    assert other.get(LIST + "?unit=C1").status_code == 404
    assert people.k1.full_name not in other.get(LIST + "?year=2025").content.decode()


def test_a_list_read_is_audited_with_its_filters_and_rows(
    viewer: Client,  # noqa: F811
    organizer: Any,
    tree: SimpleNamespace,
    people: SimpleNamespace,
    holders: None,
) -> None:
    confidence_session_record(
        actor=organizer,
        unit=tree.C1,
        held_on=D(2025, 11, 20),
        summoned=30,
        present=21,
        results=[{"member": people.k1, "high": 15, "confidence": 4, "low": 2}],
    )
    assert viewer.get(LIST + "?unit=C1&year=2025").status_code == 200
    entry = AuditEntry.objects.get(event_type=LIST_VIEWED)
    assert entry.actor.username == "viewer" and entry.unit.code == "C1"
    assert entry.after == {
        "via": "page",
        "list": "confidence_votes",
        "filters": {"unit": "C1", "year": "2025"},
        "rows": 1,
    }
