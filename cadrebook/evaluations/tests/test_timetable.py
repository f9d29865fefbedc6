"""The round's timetable enforced: a step after its deadline (self-assessment after D1, the
cell's proposal after D2, the decision after D3) is recorded marked late when the rule set
warns, refused with its code and source when it refuses; the committee changes the timetable
with a reason, the earlier dates kept. And the quota checked on a reconsideration."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.core.errors import ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.evaluations import services as ev
from cadrebook.evaluations.models import (
    Decision,
    Proposal,
    Round,
    SelfAssessment,
    Subject,
    TimetableChange,
)
from cadrebook.evaluations.rules import evaluation_rules
from cadrebook.evaluations.services import rounds as rounds_service

D = dt.date


def _open(actor: Any, unit: Any) -> Round:
    return ev.round_open(
        actor=actor,
        unit=unit,
        kind="yearly",
        year=2025,
        reference_date=D(2025, 12, 15),
        self_assessment_until=D(2025, 12, 20),
        proposals_until=D(2025, 12, 25),
        decisions_until=D(2025, 12, 31),
    )


def _on(monkeypatch: Any, day: dt.date) -> None:
    monkeypatch.setattr(rounds_service, "_today", lambda: day)


def _refusing(monkeypatch: Any) -> None:
    original = rounds_service._rules_of
    monkeypatch.setattr(
        rounds_service,
        "_rules_of",
        lambda r: dataclasses.replace(original(r), timetable_enforcement="refuse"),
    )


@pytest.fixture
def w(tree: SimpleNamespace, organizer: Any, docs: SimpleNamespace, k1_members: list[Any]) -> Any:
    round_ = _open(organizer, tree.C1)
    return SimpleNamespace(
        round=round_,
        tree=tree,
        actor=organizer,
        docs=docs,
        cell=Subject.objects.get(round=round_, unit=tree.K1),
        member=Subject.objects.get(round=round_, member=k1_members[0]),
        members=[Subject.objects.get(round=round_, member=m) for m in k1_members],
    )


def _assess(w: Any, subject: Subject) -> SelfAssessment:
    return ev.subject_self_assess(
        actor=w.actor, subject=subject, scores={"general": 25, "tasks": 55}
    )


def _propose(w: Any, subject: Subject) -> Proposal:
    return ev.subject_propose(
        actor=w.actor,
        subject=subject,
        score=Decimal(80),
        level="good",
        votes_for=5,
        votes_against=0,
        present=5,
    )


def _decide(w: Any, subject: Subject, level: str = "good", score: int = 80) -> Decision:
    return ev.subject_decide(
        actor=w.actor,
        subject=subject,
        deciding_unit=subject.deciding_unit,
        level=level,
        score=Decimal(score),
        document=w.docs.g1,
    )


def test_the_rule_sets_warn_by_default_with_their_source(rules):
    assert evaluation_rules(rules).timetable_enforcement == "warn"
    assert evaluation_rules(rules).timetable_source.startswith("366-QĐ/TW")


def test_steps_on_time_are_not_late_and_each_deadline_is_its_own(w, monkeypatch):
    _on(monkeypatch, D(2025, 12, 20))  # D1 itself: on time
    assert not _assess(w, w.member).late
    _on(monkeypatch, D(2025, 12, 21))  # after D1, before D2
    assert _assess(w, w.member).late
    assert not _propose(w, w.member).late
    _on(monkeypatch, D(2025, 12, 31))
    assert _propose(w, w.cell).late
    assert not _decide(w, w.cell).late
    _on(monkeypatch, D(2026, 1, 2))
    late = _decide(w, w.member)
    assert late.late and late.pk  # warned: recorded all the same
    entry = AuditEntry.objects.filter(event_type="evaluation.decided").latest("id")
    assert entry.after["late"] is True


def test_a_late_step_is_refused_when_the_rule_set_refuses(w, monkeypatch):
    _refusing(monkeypatch)
    _on(monkeypatch, D(2025, 12, 21))
    before = (SelfAssessment.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ServiceError) as info:
        _assess(w, w.member)
    assert info.value.code == "evaluation.after_deadline"
    assert "2025-12-20" in info.value.message
    assert info.value.source.startswith("366-QĐ/TW")
    assert (SelfAssessment.objects.count(), AuditEntry.objects.count()) == before
    _propose(w, w.member)  # D2 not passed: the proposal stands
    _on(monkeypatch, D(2026, 1, 1))
    with pytest.raises(ServiceError) as info:
        _decide(w, w.cell)
    assert info.value.code == "evaluation.after_deadline"
    assert not Decision.objects.exists()


def test_the_committee_changes_the_timetable_and_the_earlier_dates_are_kept(w, monkeypatch):
    _refusing(monkeypatch)
    _on(monkeypatch, D(2026, 1, 3))
    change = ev.round_reschedule(
        actor=w.actor,
        round=w.round,
        self_assessment_until=D(2025, 12, 20),
        proposals_until=D(2025, 12, 25),
        decisions_until=D(2026, 1, 10),
        reason="The committee meets on 8 January",
    )
    w.round.refresh_from_db()
    assert w.round.decisions_until == D(2026, 1, 10)
    assert (change.previous_decisions_until, change.decisions_until) == (
        D(2025, 12, 31),
        D(2026, 1, 10),
    )
    entry = AuditEntry.objects.get(event_type="evaluation.round_rescheduled")
    assert entry.before["decisions_until"] == "2025-12-31"
    assert entry.after["decisions_until"] == "2026-01-10"
    assert not _decide(w, w.cell).late  # within the new D3
    ev.round_reschedule(
        actor=w.actor,
        round=w.round,
        self_assessment_until=D(2025, 12, 20),
        proposals_until=D(2025, 12, 25),
        decisions_until=D(2026, 1, 20),
        reason="Again",
    )
    history = list(TimetableChange.objects.filter(round=w.round).order_by("id"))
    assert [c.decisions_until for c in history] == [D(2026, 1, 10), D(2026, 1, 20)]
    with pytest.raises(ValueError):
        history[0].save()


@pytest.mark.parametrize(
    ("dates", "reason", "code"),
    [
        ((D(2025, 12, 26), D(2025, 12, 25), D(2025, 12, 31)), "x", "evaluation.timetable_order"),
        ((D(2025, 12, 20), D(2025, 12, 25), D(2026, 1, 5)), "  ", "evaluation.reason_missing"),
        (
            (D(2025, 12, 20), D(2025, 12, 25), D(2025, 12, 31)),
            "x",
            "evaluation.timetable_unchanged",
        ),
    ],
)
def test_a_bad_timetable_change_is_refused_with_nothing_written(w, dates, reason, code):
    before = (TimetableChange.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ServiceError) as info:
        ev.round_reschedule(
            actor=w.actor,
            round=w.round,
            self_assessment_until=dates[0],
            proposals_until=dates[1],
            decisions_until=dates[2],
            reason=reason,
        )
    assert info.value.code == code
    assert (TimetableChange.objects.count(), AuditEntry.objects.count()) == before
    w.round.refresh_from_db()
    assert w.round.decisions_until == D(2025, 12, 31)


def test_a_closed_rounds_timetable_does_not_change(w):
    for subject in Subject.objects.filter(round=w.round, excluded="", kind="unit").order_by(
        "home__depth"
    ):
        ev.subject_decide(
            actor=w.actor,
            subject=subject,
            deciding_unit=subject.deciding_unit,
            level="good",
            score=Decimal(80),
            document=w.docs.c1 if subject.deciding_unit == w.tree.C1 else w.docs.g1,
        )
    for subject in Subject.objects.filter(round=w.round, excluded="", kind="member"):
        _decide(w, subject)
    ev.round_close(actor=w.actor, round=w.round)
    with pytest.raises(ServiceError) as info:
        ev.round_reschedule(
            actor=w.actor,
            round=w.round,
            self_assessment_until=D(2025, 12, 20),
            proposals_until=D(2025, 12, 25),
            decisions_until=D(2026, 1, 5),
            reason="Too late",
        )
    assert info.value.code == "evaluation.round_closed"


def test_a_reconsideration_is_held_to_the_quota_of_decided_levels(w):
    for subject in Subject.objects.filter(round=w.round, excluded="", kind="unit").order_by(
        "home__depth"
    ):
        ev.subject_decide(
            actor=w.actor,
            subject=subject,
            deciding_unit=subject.deciding_unit,
            level="good",
            score=Decimal(80),
            document=w.docs.c1 if subject.deciding_unit == w.tree.C1 else w.docs.g1,
        )
    members = list(Subject.objects.filter(round=w.round, excluded="", kind="member"))
    good = members[:5]
    for subject in good:
        _decide(w, subject)
    _decide(w, members[5], "excellent", 95)  # floor(0.2 x 5) = 1
    for subject in members[6:]:
        _decide(w, subject, "completed", 60)
    ev.round_close(actor=w.actor, round=w.round)

    def reconsider(subject: Subject, level: str, score: int) -> Decision:
        return ev.subject_reconsider(
            actor=w.actor,
            subject=subject,
            deciding_unit=w.tree.G1,
            level=level,
            score=Decimal(score),
            document=w.docs.g1,
            reason="Appeal",
        )

    before = (Decision.objects.count(), AuditEntry.objects.count())
    with pytest.raises(ServiceError) as info:
        reconsider(members[6], "excellent", 95)  # a second excellent for 5 good
    assert info.value.code == "evaluation.quota_exceeded"
    assert "2 rated excellent for 5 rated good" in info.value.message
    with pytest.raises(ServiceError) as info:
        reconsider(good[0], "completed", 60)  # one good fewer: 1 excellent for 4 good
    assert info.value.code == "evaluation.quota_exceeded"
    assert (Decision.objects.count(), AuditEntry.objects.count()) == before
    # Lowering the excellent one eases the quota: recorded.
    assert reconsider(members[5], "good", 85).level == "good"
    # Now 0 excellent for 6 good: one may be raised.
    assert reconsider(members[6], "excellent", 95).reconsideration
