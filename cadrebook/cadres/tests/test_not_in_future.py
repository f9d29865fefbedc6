"""What cadre work records has happened: an election, an appointment, a post's end, a term's
close, a confidence vote, a nomination round, a planning entry, its removal and the yearly
review, a rotation plan's decision and a stint's end, and a past post or planning entry
taken over from old files, dated after today, are refused (`date.in_future`, on the date's
field) and write nothing, as the members' and the inspections' facts are. A stint's
planned start is a plan: it may lie ahead."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from cadrebook.cadres.history import holding_take_over, planning_take_over
from cadrebook.cadres.models import (
    ConfidenceSession,
    NominationRound,
    PlanningEntry,
    PlanningRemoval,
    PlanningReview,
    PostEnd,
    PostHolding,
    RotationPlan,
    RotationStint,
    RotationStintEnd,
)
from cadrebook.cadres.services import (
    committee_term_close,
    confidence_session_record,
    holding_end,
    planning_add,
    planning_remove,
    planning_review,
    planning_round_record,
    post_appoint,
    post_elect,
    rotation_plan_record,
    rotation_stint_add,
    rotation_stint_end,
)
from cadrebook.core.errors import ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.documents.models import Term

D = dt.date
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"
MODELS = (
    PostHolding,
    PostEnd,
    ConfidenceSession,
    NominationRound,
    PlanningEntry,
    PlanningRemoval,
    PlanningReview,
    RotationPlan,
    RotationStint,
    RotationStintEnd,
    AuditEntry,
)


def _tomorrow() -> dt.date:
    return timezone.localdate() + dt.timedelta(days=1)


def _state() -> tuple[Any, ...]:
    return (
        *(m.objects.count() for m in MODELS),
        Term.objects.filter(end__isnull=False).count(),
    )


def _refused_in_future(field: str, call: Callable[[], Any]) -> None:
    before = _state()
    with pytest.raises(ServiceError) as caught:
        call()
    assert (caught.value.code, caught.value.field) == ("date.in_future", field)
    assert "in the future" in caught.value.message
    assert _state() == before


@pytest.fixture
def setup(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
) -> SimpleNamespace:
    """k1 deputy secretary of C1 from 2025-03-10, planned for C1's secretary from
    2025-04-01; P's rotation plan for 2025 with k1's stint to C2 from 2025-06-01."""
    deputy = post_appoint(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="deputy_secretary",
        started_on=D(2025, 3, 10),
        document_text="3-QĐ/ĐU",
        outside_planning_text=OUTSIDE_PLANNING,
    )
    entry = planning_add(
        actor=organizer,
        unit=tree.C1,
        term=terms.c1,
        position="secretary",
        member=people.k1,
        added_on=D(2025, 4, 1),
        document=decision,
    )
    plan = rotation_plan_record(
        actor=organizer, unit=tree.P, year=2025, decided_on=D(2025, 5, 1), document_text="9-QĐ/TU"
    )
    stint = rotation_stint_add(
        actor=organizer,
        plan=plan,
        member=people.k1,
        to_unit=tree.C2,
        to_position="deputy_secretary",
        planned_start=D(2025, 6, 1),
    )
    return SimpleNamespace(deputy=deputy, entry=entry, plan=plan, stint=stint)


def test_posts_and_their_ends_are_not_recorded_ahead(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    setup: SimpleNamespace,
) -> None:
    ahead = _tomorrow()
    _refused_in_future(
        "started_on",
        lambda: post_elect(
            actor=organizer,
            member=people.k1b,
            unit=tree.C1,
            position="secretary",
            term=terms.c1,
            started_on=ahead,
            votes_for=7,
            votes_total=9,
        ),
    )
    _refused_in_future(
        "started_on",
        lambda: post_appoint(
            actor=organizer,
            member=people.k1b,
            unit=tree.C1,
            position="inspection_chair",
            started_on=ahead,
            outside_planning_text=OUTSIDE_PLANNING,
        ),
    )
    _refused_in_future(
        "ended_on",
        lambda: holding_end(
            actor=organizer, holding=setup.deputy, ended_on=ahead, reason="resigned"
        ),
    )
    _refused_in_future(
        "end", lambda: committee_term_close(actor=organizer, term=terms.c1, end=ahead)
    )
    _refused_in_future(
        "ended_on",
        lambda: holding_take_over(
            actor=organizer,
            member=people.k1b,
            unit=tree.C1,
            position="committee_member",
            how="appointed",
            started_on=D(2025, 1, 10),
            ended_on=ahead,
            end_reason="resigned",
        ),
    )
    # Today is not ahead: the post ends today.
    end = holding_end(
        actor=organizer, holding=setup.deputy, ended_on=timezone.localdate(), reason="resigned"
    )
    assert end.ended_on == timezone.localdate()


def test_votes_planning_and_rotation_are_not_recorded_ahead(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    decision: Any,
    setup: SimpleNamespace,
) -> None:
    ahead = _tomorrow()
    _refused_in_future(
        "held_on",
        lambda: confidence_session_record(
            actor=organizer,
            unit=tree.C1,
            held_on=ahead,
            summoned=30,
            present=21,
            results=[{"member": people.k1, "high": 15, "confidence": 4, "low": 2}],
        ),
    )
    _refused_in_future(
        "held_on",
        lambda: planning_round_record(
            actor=organizer,
            unit=tree.C1,
            term=terms.c1,
            step="leadership",
            held_on=ahead,
            ballots=9,
            nominations=[
                {
                    "member": people.k1b,
                    "position": "secretary",
                    "purpose": "planning",
                    "votes_for": 7,
                }
            ],
        ),
    )
    _refused_in_future(
        "added_on",
        lambda: planning_add(
            actor=organizer,
            unit=tree.C1,
            term=terms.c1,
            position="secretary",
            member=people.k1b,
            added_on=ahead,
            document=decision,
        ),
    )
    _refused_in_future(
        "removed_on",
        lambda: planning_remove(
            actor=organizer, entry=setup.entry, removed_on=ahead, reason="other", note="Chuyển"
        ),
    )
    _refused_in_future(
        "reviewed_on",
        lambda: planning_review(
            actor=organizer,
            unit=tree.C1,
            term=terms.c1,
            year=ahead.year,
            reviewed_on=ahead,
            remove=[],
            add=[],
            document=decision,
        ),
    )
    _refused_in_future(
        "removed_on",
        lambda: planning_take_over(
            actor=organizer,
            member=people.k1b,
            unit=tree.C1,
            term=terms.c1,
            position="secretary",
            added_on=D(2025, 2, 1),
            removed_on=ahead,
            reason="other",
            note="Chuyển công tác",
        ),
    )
    _refused_in_future(
        "decided_on",
        lambda: rotation_plan_record(
            actor=organizer, unit=tree.P, year=ahead.year, decided_on=ahead, document_text="X"
        ),
    )
    _refused_in_future(
        "ended_on",
        lambda: rotation_stint_end(actor=organizer, stint=setup.stint, ended_on=ahead),
    )
    # A stint's planned start is a plan: it may lie ahead.
    plan = rotation_plan_record(
        actor=organizer,
        unit=tree.P,
        year=timezone.localdate().year,
        decided_on=timezone.localdate(),
        document_text="10-QĐ/TU",
    )
    rotation_stint_end(actor=organizer, stint=setup.stint, ended_on=timezone.localdate())
    assert rotation_stint_add(
        actor=organizer,
        plan=plan,
        member=people.k1,
        to_unit=tree.C2,
        to_position="deputy_secretary",
        planned_start=ahead,
    )
