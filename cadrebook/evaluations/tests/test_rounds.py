"""The evaluation round from opening to reconsideration, through the services: who is listed
(and why not rated), self-assessment, the cell's proposal, the decision and its checks
(decider, score, caps with their source, order, quota, document), closing, the lock and the
reconsideration; every refusal with its code and nothing written."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import translation

from cadrebook.cadres.services import confidence_session_record, post_appoint
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.evaluations import services as ev
from cadrebook.evaluations.models import Decision, Proposal, Rating, SelfAssessment, Subject
from cadrebook.evaluations.selectors import (
    STATE_AWAITING_DECISION,
    STATE_DECIDED,
    STATE_EXCLUDED,
    STATE_NO_PROPOSAL,
    STATE_NOT_ASSESSED,
    level_counts,
    opening_preview,
    quota_status,
    rating_history,
    round_progress,
    round_subject,
    round_subjects,
    statistics_evaluation,
)
from cadrebook.inspections.models import Discipline
from cadrebook.members import services as ms

D = dt.date
BIRTH = D(1985, 3, 1)
REF = D(2025, 12, 15)


def _open(actor: Any, unit: Any, **kw: Any) -> Any:
    values = {
        "kind": "yearly",
        "year": 2025,
        "reference_date": REF,
        "self_assessment_until": D(2025, 12, 20),
        "proposals_until": D(2025, 12, 25),
        "decisions_until": D(2025, 12, 31),
    }
    return ev.round_open(actor=actor, unit=unit, **(values | kw))


def _subject(round_: Any, *, member: Any = None, unit: Any = None) -> Subject:
    if member is not None:
        return Subject.objects.get(round=round_, member=member)
    return Subject.objects.get(round=round_, unit=unit)


def _rows() -> tuple[int, ...]:
    return (
        SelfAssessment.objects.count(),
        Proposal.objects.count(),
        Decision.objects.count(),
        Rating.objects.count(),
        AuditEntry.objects.count(),
    )


def _refused(code: str, call: Any) -> ServiceError:
    before = _rows()
    with pytest.raises(ServiceError) as info:
        call()
    assert info.value.code == code, info.value
    assert _rows() == before, "a refusal wrote something"
    return info.value


@pytest.fixture
def world(
    tree: SimpleNamespace,
    organizer: Any,
    docs: SimpleNamespace,
    k1_members: list[Any],
    make_member: Any,
) -> SimpleNamespace:
    k2 = make_member(tree.K2, BIRTH, D(2010, 1, 1), recognized=True)
    recent = make_member(tree.K1, BIRTH, D(2025, 8, 1))
    exempt = make_member(tree.K2, BIRTH, D(2012, 1, 1), recognized=True)
    ms.member_exempt(actor=organizer, member=exempt, date=D(2025, 3, 1), reason="health")
    away = make_member(tree.K2, BIRTH, D(2012, 1, 1), recognized=True)
    ms.member_temporary_transfer(
        actor=organizer, member=away, date=D(2025, 10, 1), host=tree.K1, until=D(2026, 3, 1)
    )
    outside = make_member(tree.GC, BIRTH, D(2012, 1, 1), recognized=True)
    round_ = _open(organizer, tree.C1)
    return SimpleNamespace(
        round=round_,
        k1=k1_members,
        k2=k2,
        recent=recent,
        exempt=exempt,
        away=away,
        outside=outside,
        tree=tree,
        actor=organizer,
        docs=docs,
    )


def _decide(w: SimpleNamespace, subject: Subject, level: str, score: str, **kw: Any) -> Decision:
    values = {"deciding_unit": subject.deciding_unit, "document": w.docs.g1}
    return ev.subject_decide(
        actor=w.actor, subject=subject, level=level, score=Decimal(score), **(values | kw)
    )


def _decide_cells(w: SimpleNamespace) -> None:
    for cell in (w.tree.K1, w.tree.K2):
        _decide(w, _subject(w.round, unit=cell), "good", "80")


# Opening ----------------------------------------------------------------------------------


def test_opening_lists_every_member_and_unit_with_the_reason_of_those_not_rated(world):
    w = world
    subjects = {s.member_id or f"u{s.unit_id}": s for s in Subject.objects.filter(round=w.round)}
    members = [*w.k1, w.k2, w.recent, w.exempt, w.away]
    assert {m.pk for m in members} <= set(subjects)
    assert w.outside.pk not in subjects  # GC stands under C2, outside the subtree
    assert subjects[w.exempt.pk].excluded == "exempt"
    assert subjects[w.recent.pk].excluded == "recently_admitted"  # 4.5 months < 6
    assert subjects[w.away.pk].special_case == "temporary_transfer"
    assert subjects[w.away.pk].home_id == w.tree.K2.pk  # rated at home
    assert subjects[w.away.pk].host_unit_id == w.tree.K1.pk
    # Units: G1 decided by C1; K1, K2 by G1; members by their grassroots committee G1.
    assert subjects[f"u{w.tree.G1.pk}"].deciding_unit_id == w.tree.C1.pk
    assert subjects[f"u{w.tree.K1.pk}"].deciding_unit_id == w.tree.G1.pk
    assert subjects[w.k2.pk].deciding_unit_id == w.tree.G1.pk
    excluded = round_subjects(w.round, state=STATE_EXCLUDED)
    assert {s.member_id for s in excluded} == {w.exempt.pk, w.recent.pk}
    entry = AuditEntry.objects.get(event_type="evaluation.round_opened")
    assert entry.after["subjects"]["exempt"] == 1
    assert entry.after["subjects"]["recently_admitted"] == 1


SUBJECT_FIELDS = (
    "kind",
    "member_id",
    "unit_id",
    "home_id",
    "framework",
    "role_group",
    "deciding_unit_id",
    "excluded",
    "special_case",
    "host_unit_id",
    "leads_id",
    "note",
)


def _listed(round_: Any) -> list[tuple[Any, ...]]:
    return list(Subject.objects.filter(round=round_).order_by("id").values_list(*SUBJECT_FIELDS))


def test_opening_in_small_chunks_lists_the_same_subjects(
    tree, organizer, k1_members, make_member, monkeypatch
):
    """The opening reads and writes its subjects a chunk at a time: with chunks of 2 (chunk
    boundaries inside a cell, between cells, a temporary transfer and the exclusions on
    either side of one) it lists the same subjects, in the same order, with the same counts
    as in one chunk; the preview counts them the same, writing nothing."""
    from django.db import transaction

    from cadrebook.evaluations.services import rounds as opening

    make_member(tree.K2, BIRTH, D(2010, 1, 1), recognized=True)
    make_member(tree.K1, BIRTH, D(2025, 8, 1))  # recently admitted
    exempt = make_member(tree.K2, BIRTH, D(2012, 1, 1), recognized=True)
    ms.member_exempt(actor=organizer, member=exempt, date=D(2025, 3, 1), reason="health")
    for _ in range(2):
        away = make_member(tree.K2, BIRTH, D(2012, 1, 1), recognized=True)
        ms.member_temporary_transfer(
            actor=organizer, member=away, date=D(2025, 10, 1), host=tree.K1, until=D(2026, 3, 1)
        )
    make_member(tree.GC, BIRTH, D(2012, 1, 1), recognized=True)  # outside C1
    answers = {
        "kind": "yearly",
        "year": 2025,
        "reference_date": REF,
        "self_assessment_until": D(2025, 12, 20),
        "proposals_until": D(2025, 12, 25),
        "decisions_until": D(2025, 12, 31),
    }
    preview = opening_preview(unit=tree.C1, **answers)
    assert Subject.objects.count() == 0 and not AuditEntry.objects.filter(
        event_type="evaluation.round_opened"
    )
    with transaction.atomic():
        whole = _open(organizer, tree.C1)
        in_one = _listed(whole)
        counts = AuditEntry.objects.get(event_type="evaluation.round_opened").after["subjects"]
        transaction.set_rollback(True)
    monkeypatch.setattr(opening, "SUBJECT_CHUNK", 2)
    chunked = _open(organizer, tree.C1)
    assert _listed(chunked) == in_one
    assert len(in_one) == 12 + 3  # 12 members of C1; G1, K1, K2
    assert AuditEntry.objects.get(event_type="evaluation.round_opened").after["subjects"] == counts
    assert counts == {
        "members": 10,
        "units": 3,
        "exempt": 1,
        "suspended": 0,
        "recently_admitted": 1,
    }
    assert {k: preview[k] for k in counts} == counts
    assert preview["total"] == 15 and preview["excluded"] == 2
    hosted = [row for row in in_one if row[SUBJECT_FIELDS.index("special_case")]]
    assert len(hosted) == 2
    assert {row[SUBJECT_FIELDS.index("host_unit_id")] for row in hosted} == {tree.K1.pk}


def test_the_months_since_admission_come_from_the_rule_set(tree, organizer, make_member, rules):
    # Admitted 5 months before: excluded under vn-2025's 6 months.
    member = make_member(tree.K1, BIRTH, D(2025, 7, 10))
    round_ = _open(organizer, tree.G1)
    assert _subject(round_, member=member).excluded == "recently_admitted"


def test_under_the_alternative_rule_set_two_months_suffice(alt_tree, organizer, make_member):
    member = make_member(alt_tree.B1, BIRTH, D(2025, 9, 1))
    round_ = _open(organizer, alt_tree.N, kind="annual")
    subject = _subject(round_, member=member)
    assert subject.excluded == ""  # 3.5 months >= 2
    assert subject.deciding_unit_id == alt_tree.B1.pk  # the branch is its own grassroots
    assert _subject(round_, unit=alt_tree.B1).deciding_unit_id == alt_tree.N.pk


def test_opening_refuses_bad_kind_order_overlap_and_a_unit_below_the_decider(world):
    w = world
    with pytest.raises(RuleViolation) as info:
        _open(w.actor, w.tree.P, kind="monthly")
    assert info.value.code == "evaluation.round_kind_unknown"
    with pytest.raises(ServiceError) as info:
        _open(w.actor, w.tree.P, proposals_until=D(2025, 12, 1))
    assert info.value.code == "evaluation.timetable_order"
    with pytest.raises(ServiceError) as info:
        _open(w.actor, w.tree.P)  # C1's round covers part of P's subtree
    assert info.value.code == "evaluation.round_overlaps"
    with pytest.raises(RuleViolation) as info:
        _open(w.actor, w.tree.K1, kind="quarter")
    assert info.value.code == "evaluation.opener_below_decider"
    assert "366-QĐ/TW" in info.value.source


def test_a_member_outside_the_rounds_subtree_is_refused(world):
    w = world
    with pytest.raises(RuleViolation) as info:
        round_subject(w.round, member=w.outside)
    assert info.value.code == "evaluation.outside_round"
    assert round_subject(w.round, member=w.k2).home_id == w.tree.K2.pk


# Self-assessment and proposal --------------------------------------------------------------


def test_self_assessment_sums_the_groups_of_the_framework(world):
    w = world
    subject = _subject(w.round, member=w.k1[0])
    row = ev.subject_self_assess(
        actor=w.actor, subject=subject, scores={"general": 27, "tasks": "61.5"}, review="ok"
    )
    assert row.score == Decimal("88.5")
    assert [s.member_id for s in round_subjects(w.round, state=STATE_NO_PROPOSAL)] == [w.k1[0].pk]


@pytest.mark.parametrize(
    ("scores", "code"),
    [
        ({"general": 31, "tasks": 60}, "evaluation.group_over"),
        ({"general": 20}, "evaluation.group_missing"),
        ({"general": 20, "tasks": 60, "charm": 5}, "evaluation.group_unknown"),
        ({"general": -1, "tasks": 60}, "evaluation.score_out_of_range"),
    ],
)
def test_self_assessment_refuses_scores_off_the_framework(world, scores, code):
    subject = _subject(world.round, member=world.k1[0])
    _refused(
        code, lambda: ev.subject_self_assess(actor=world.actor, subject=subject, scores=scores)
    )


def test_an_excluded_member_is_not_assessed(world):
    subject = _subject(world.round, member=world.exempt)
    _refused(
        "evaluation.subject_excluded",
        lambda: ev.subject_self_assess(
            actor=world.actor, subject=subject, scores={"general": 20, "tasks": 50}
        ),
    )


def test_the_cells_proposal_records_the_vote_and_the_host_cells_comments(world):
    w = world
    away = _subject(w.round, member=w.away)
    row = ev.subject_propose(
        actor=w.actor,
        subject=away,
        score=Decimal("75"),
        level="good",
        votes_for=5,
        votes_against=1,
        present=7,
        host_comments="Works well with us.",
    )
    assert (row.votes_for, row.present, row.host_comments) == (5, 7, "Works well with us.")
    assert [s.member_id for s in round_subjects(w.round, state=STATE_AWAITING_DECISION)] == [
        w.away.pk
    ]
    other = _subject(w.round, member=w.k1[0])
    _refused(
        "vote.more_than_present",
        lambda: ev.subject_propose(
            actor=w.actor,
            subject=other,
            score=Decimal("75"),
            level="good",
            votes_for=5,
            votes_against=3,
            present=7,
        ),
    )
    _refused(
        "evaluation.host_comments_not_expected",
        lambda: ev.subject_propose(
            actor=w.actor,
            subject=other,
            score=Decimal("75"),
            level="good",
            votes_for=5,
            votes_against=1,
            present=7,
            host_comments="?",
        ),
    )
    _refused(
        "evaluation.score_out_of_range",
        lambda: ev.subject_propose(
            actor=w.actor,
            subject=other,
            score=Decimal("101"),
            level="excellent",
            votes_for=5,
            votes_against=1,
            present=7,
        ),
    )


def test_the_cells_proposal_names_no_level_above_its_score(world):
    """No cap raises a level and only the deciding level records a reason to rate otherwise:
    a proposal above its score is refused; one below it (a disqualifier the cell saw) stands."""
    w = world
    subject = _subject(w.round, member=w.k1[0])

    def propose(score: str, level: str) -> Any:
        return ev.subject_propose(
            actor=w.actor,
            subject=subject,
            score=Decimal(score),
            level=level,
            votes_for=5,
            votes_against=0,
            present=7,
        )

    error = _refused("evaluation.level_contradicts_score", lambda: propose("60", "excellent"))
    assert error.field == "level" and error.source
    _refused("evaluation.level_contradicts_score", lambda: propose("89.99", "excellent"))
    assert propose("95", "not_completed").level == "not_completed"
    assert propose("90", "excellent").level == "excellent"


def test_a_suspension_and_a_long_leave_are_marked_with_the_rule_sets_months(world):
    w = world
    subject = _subject(w.round, member=w.k1[1])
    ev.subject_mark(actor=w.actor, subject=subject, excluded="suspended", note="pending case")
    assert round_subjects(w.round, state=STATE_EXCLUDED).filter(member=w.k1[1]).exists()
    other = _subject(w.round, member=w.k1[2])
    _refused(
        "evaluation.leave_too_short",
        lambda: ev.subject_mark(
            actor=w.actor, subject=other, special_case="long_leave", leave_months=2
        ),
    )
    ev.subject_mark(actor=w.actor, subject=other, special_case="long_leave", leave_months=3)
    other.refresh_from_db()
    assert other.special_case == "long_leave"


# Decisions ---------------------------------------------------------------------------------


def test_a_decision_writes_the_years_rating_with_its_document(world):
    w = world
    _decide_cells(w)
    subject = _subject(w.round, member=w.k1[0])
    decision = _decide(w, subject, "good", "85")
    rating = Rating.objects.get(member=w.k1[0], year=2025)
    assert (rating.level, rating.score, rating.source) == ("good", Decimal("85"), "round")
    assert (rating.decision, rating.document, rating.rated_in_id) == (
        decision,
        w.docs.g1,
        w.tree.K1.pk,
    )
    assert rating.quota_unit_id == w.tree.G1.pk
    assert AuditEntry.objects.filter(
        event_type="evaluation.decided", object_id=str(decision.pk)
    ).exists()


def test_a_decision_by_a_unit_that_does_not_decide_is_refused_with_the_source(world):
    w = world
    _decide_cells(w)
    subject = _subject(w.round, member=w.k1[0])
    error = _refused(
        "evaluation.not_decider", lambda: _decide(w, subject, "good", "85", deciding_unit=w.tree.C1)
    )
    assert "366-QĐ/TW" in error.source


def test_a_score_off_the_scale_is_refused(world):
    w = world
    _decide_cells(w)
    subject = _subject(w.round, member=w.k1[0])
    _refused("evaluation.score_out_of_range", lambda: _decide(w, subject, "excellent", "100.5"))
    _refused("evaluation.score_out_of_range", lambda: _decide(w, subject, "not_completed", "-3"))


def test_a_level_the_score_does_not_give_is_refused_unless_a_reason_is_recorded(world):
    w = world
    _decide_cells(w)
    subject = _subject(w.round, member=w.k1[0])
    _refused("evaluation.level_contradicts_score", lambda: _decide(w, subject, "excellent", "85"))
    _refused(
        "evaluation.reason_unknown",
        lambda: _decide(
            w, subject, "excellent", "85", override_reason="friendship", override_text="x"
        ),
    )
    decision = _decide(
        w, subject, "completed", "85", override_reason="force_majeure", override_text="Flood"
    )
    assert (decision.override_reason, decision.override_text) == ("force_majeure", "Flood")


def test_a_disqualifier_caps_the_level_and_names_its_source(world):
    w = world
    _decide_cells(w)
    subject = _subject(w.round, member=w.k1[0])
    error = _refused(
        "evaluation.level_above_cap",
        lambda: _decide(w, subject, "good", "85", disqualifiers=["disciplined_duty"]),
    )
    assert error.source == "366-QĐ/TW 2025"
    assert "reprimand" in error.message
    _refused(
        "evaluation.disqualifier_unknown",
        lambda: _decide(w, subject, "not_completed", "85", disqualifiers=["late"]),
    )
    decision = _decide(w, subject, "not_completed", "85", disqualifiers=["disciplined_duty"])
    assert decision.disqualifiers == ["disciplined_duty"]
    # Self-remedied, recorded: the competent level rates above the cap.
    again = _decide(
        w,
        subject,
        "good",
        "85",
        disqualifiers=["disciplined_duty"],
        override_reason="self_remedied",
        override_text="Reported and repaired it himself",
    )
    assert again.override_reason == "self_remedied"


def _disciplined(w: SimpleNamespace, *, member: Any = None, unit: Any = None, **kw: Any) -> Any:
    """A discipline row as the inspections' services write it (C1's inspection committee)."""
    values: dict[str, Any] = {
        "subject_kind": "member" if member is not None else "unit",
        "member": member,
        "unit": unit,
        "subject_path": (member.unit if member is not None else unit).path,
        "form": "reprimand",
        "body": w.tree.C1,
        "body_kind": "inspection_committee",
        "path": w.tree.C1.path,
        "decided_on": D(2025, 5, 2),
        "violation": "Vi phạm",
        "violation_on": D(2025, 1, 5),
        "duty_related": True,
        "ruleset": "vn-2025",
        **kw,
    }
    return Discipline.objects.create(**values)


def test_a_discipline_of_the_year_sets_its_disqualifier_with_its_source(world):
    w = world
    _decide_cells(w)
    subject = _subject(w.round, member=w.k1[0])
    _disciplined(w, member=w.k1[0])
    # Not ticked: the discipline record sets it, and the cap holds with the rule's source.
    error = _refused("evaluation.level_above_cap", lambda: _decide(w, subject, "good", "85"))
    assert error.source == "366-QĐ/TW 2025" and "reprimand" in error.message
    decision = _decide(w, subject, "not_completed", "85")
    assert decision.disqualifiers == ["disciplined_duty"]
    # Ticked as well: counted once.
    again = _decide(w, subject, "not_completed", "85", disqualifiers=["disciplined_duty"])
    assert again.disqualifiers == ["disciplined_duty"]
    # The committee still records a reason to rate above the cap.
    above = _decide(
        w,
        subject,
        "good",
        "85",
        override_reason="force_majeure",
        override_text="Flood",
    )
    assert (above.level, above.disqualifiers) == ("good", ["disciplined_duty"])


@pytest.mark.parametrize(
    "kw",
    [
        {"form": "reprimand", "duty_related": False},  # not in performing duties
        {"decided_on": D(2024, 12, 30), "violation_on": D(2024, 1, 5)},  # another year
        {"status": "annulled"},
    ],
)
def test_a_discipline_that_does_not_meet_the_rule_sets_no_cap(world, kw):
    w = world
    _decide_cells(w)
    _disciplined(w, member=w.k1[0], **kw)
    decision = _decide(w, _subject(w.round, member=w.k1[0]), "good", "85")
    assert decision.disqualifiers == []


def _voted(w: SimpleNamespace, member: Any, *, low: int, present: int = 21, on: Any = None) -> Any:
    """`member` a committee member of G1 since January 2024 (appointed outside planning, by
    the competent level's decision), and a confidence vote of G1's body on `on` (default
    2025-11-20): 30 summoned, `present` there, `low` of their ballots "low"."""
    if not member.post_holdings.exists():
        post_appoint(
            actor=w.actor,
            member=member,
            unit=w.tree.G1,
            position="committee_member",
            started_on=D(2024, 1, 15),
            outside_planning_text="01-QĐ/ĐU",
        )
    return confidence_session_record(
        actor=w.actor,
        unit=w.tree.G1,
        held_on=on or D(2025, 11, 20),
        summoned=30,
        present=present,
        results=[{"member": member, "high": present - low, "confidence": 0, "low": low}],
    )


def _leader(w: SimpleNamespace, member: Any) -> Subject:
    ev.subject_mark(
        actor=w.actor, subject=_subject(w.round, member=member), framework="leader", leads=w.tree.G1
    )
    return _subject(w.round, member=member)


def test_a_leader_voted_low_in_the_years_confidence_vote_is_capped(world):
    w = world
    _decide_cells(w)
    subject = _leader(w, w.k1[0])
    _voted(w, w.k1[0], low=11)  # 11 of 21 present: more than 1/2
    # Not ticked: the vote sets it, and the cap holds with the rule's source.
    error = _refused("evaluation.level_above_cap", lambda: _decide(w, subject, "completed", "85"))
    assert "96-QĐ/TW 2023" in error.source
    decision = _decide(w, subject, "not_completed", "85")
    assert decision.disqualifiers == ["confidence_low"]
    # The deciding level may still record a reason to rate above it.
    above = _decide(
        w, subject, "good", "85", override_reason="force_majeure", override_text="Flood"
    )
    assert (above.level, above.disqualifiers) == ("good", ["confidence_low"])


@pytest.mark.parametrize(
    "vote",
    [
        {"low": 10, "present": 20},  # exactly 1/2: not more
        {"low": 11, "on": D(2024, 11, 20)},  # another year's vote
    ],
)
def test_a_vote_that_does_not_meet_the_rule_set_sets_no_cap(world, vote):
    w = world
    _decide_cells(w)
    subject = _leader(w, w.k1[0])
    _voted(w, w.k1[0], **vote)
    assert _decide(w, subject, "good", "85").disqualifiers == []


def test_the_confidence_cap_is_the_leaders_not_a_plain_members(world):
    w = world
    _decide_cells(w)
    _voted(w, w.k1[0], low=15)
    decision = _decide(w, _subject(w.round, member=w.k1[0]), "good", "85")
    assert decision.disqualifiers == []


def test_an_organization_disciplined_in_the_year_is_capped(world):
    w = world
    _disciplined(w, unit=w.tree.K1, form="warning", duty_related=False)
    cell = _subject(w.round, unit=w.tree.K1)
    _refused("evaluation.level_above_cap", lambda: _decide(w, cell, "good", "80"))
    assert _decide(w, cell, "not_completed", "80").disqualifiers == ["disciplined"]


def test_the_collective_is_decided_before_its_members(world):
    w = world
    subject = _subject(w.round, member=w.k1[0])
    error = _refused("evaluation.collective_first", lambda: _decide(w, subject, "good", "80"))
    assert "order" in error.source


def test_the_quota_of_excellent_is_refused_with_the_count_against_it(world, make_member):
    w = world
    _decide_cells(w)
    k1 = [_subject(w.round, member=m) for m in w.k1]
    for subject in k1[:4]:
        _decide(w, subject, "good", "80")
    error = _refused("evaluation.quota_exceeded", lambda: _decide(w, k1[5], "excellent", "95"))
    assert "1 rated excellent for 4 rated good" in error.message
    assert "allows 0" in error.message
    assert error.source.startswith("366-QĐ/TW")
    _decide(w, k1[4], "good", "80")
    _decide(w, k1[5], "excellent", "95")  # 1 <= floor(0.20 x 5)
    [row] = [q for q in quota_status(w.round) if q.role_group == "member"]
    assert (row.unit, row.excellent, row.good, row.allowed, row.over) == (w.tree.G1, 1, 5, 1, 0)
    # Taking away a "good" would put the group over: refused too.
    _refused("evaluation.quota_exceeded", lambda: _decide(w, k1[4], "completed", "60"))


def test_an_outstanding_unit_has_the_larger_share(world):
    w = world
    _decide_cells(w)
    k1 = [_subject(w.round, member=m) for m in w.k1]
    for subject in k1[:4]:
        _decide(w, subject, "good", "80")
    ev.round_mark_outstanding(actor=w.actor, round=w.round, unit=w.tree.G1)
    _decide(w, k1[5], "excellent", "95")  # floor(0.25 x 4) = 1


def test_the_alternative_rule_set_warns_instead_of_refusing(alt_tree, organizer, make_member):
    members = [make_member(alt_tree.B1, BIRTH, D(2010, 1, 1), recognized=True) for _ in range(3)]
    round_ = _open(organizer, alt_tree.N, kind="annual")
    s = [_subject(round_, member=m) for m in members]
    ev.subject_decide(
        actor=organizer, subject=s[0], deciding_unit=alt_tree.B1, level="good", score=Decimal(7)
    )
    first = ev.subject_decide(
        actor=organizer,
        subject=s[1],
        deciding_unit=alt_tree.B1,
        level="excellent",
        score=Decimal(9),
    )
    assert not first.over_quota  # round(0.5 x 1) = 1
    second = ev.subject_decide(
        actor=organizer,
        subject=s[2],
        deciding_unit=alt_tree.B1,
        level="excellent",
        score=Decimal(8),
    )
    assert second.over_quota  # recorded, with a warning
    # No document is required there, nor is the collective decided first.
    assert second.document is None


def test_a_decision_needs_its_document_and_never_a_draft(world):
    w = world
    _decide_cells(w)
    subject = _subject(w.round, member=w.k1[0])
    _refused(
        "evaluation.document_missing", lambda: _decide(w, subject, "good", "80", document=None)
    )
    _refused(
        "document.not_issued", lambda: _decide(w, subject, "good", "80", document=w.docs.draft)
    )


def test_an_organization_cannot_be_excellent_while_members_fail(world):
    w = world
    g1 = _subject(w.round, unit=w.tree.K1)
    member = _subject(w.round, member=w.k1[0])
    ev.subject_propose(
        actor=w.actor,
        subject=member,
        score=Decimal(40),
        level="not_completed",
        votes_for=6,
        votes_against=0,
        present=6,
    )
    error = _refused("evaluation.level_above_cap", lambda: _decide(w, g1, "excellent", "95"))
    assert error.source.startswith("inferred")


# Closing, the lock, reconsideration ---------------------------------------------------------


def _decide_everyone(w: SimpleNamespace) -> None:
    _decide(w, _subject(w.round, unit=w.tree.G1), "good", "80", document=w.docs.c1)
    _decide_cells(w)
    for subject in Subject.objects.filter(round=w.round, kind="member", excluded=""):
        if not subject.decisions.exists():
            _decide(w, subject, "good", "80")


def test_a_round_closes_only_when_every_rated_subject_is_decided(world):
    w = world
    _decide_cells(w)
    error = _refused(
        "evaluation.round_incomplete", lambda: ev.round_close(actor=w.actor, round=w.round)
    )
    assert "have no decided level" in error.message
    _decide_everyone(w)
    progress = round_progress(w.round)
    assert progress["excluded"] == 2 and progress["decided"] == progress["total"] - 2
    ev.round_close(actor=w.actor, round=w.round)
    assert not w.round.is_open
    assert AuditEntry.objects.filter(event_type="evaluation.round_closed").exists()


def test_the_round_closes_only_while_each_organization_stands_with_its_members(world):
    """G1 was rated good before its members; then 5 of the 9 rated members of its cells were
    decided "not completed" (3 of 7 in K1, 2 of 2 in K2, both cells rated "not completed"):
    more than half of G1's subtree, which caps G1 at "not completed". The close is refused
    naming G1, and goes through once G1 is decided again."""
    w = world
    g1 = _subject(w.round, unit=w.tree.G1)
    _decide(w, g1, "good", "80", document=w.docs.c1)
    for cell in (w.tree.K1, w.tree.K2):
        _decide(w, _subject(w.round, unit=cell), "not_completed", "30")
    failing = {w.k2.pk, w.away.pk, *(m.pk for m in w.k1[:3])}
    for subject in Subject.objects.filter(round=w.round, kind="member", excluded=""):
        if subject.member_id in failing:
            _decide(w, subject, "not_completed", "30")
        else:
            _decide(w, subject, "good", "80")
    error = _refused("evaluation.link_broken", lambda: ev.round_close(actor=w.actor, round=w.round))
    assert "Unit G1" in error.message
    assert w.round.is_open
    _decide(w, g1, "not_completed", "30", document=w.docs.c1)
    ev.round_close(actor=w.actor, round=w.round)
    assert not w.round.is_open


def test_a_closed_round_is_locked_and_changes_by_a_reconsideration(world):
    w = world
    _decide_everyone(w)
    ev.round_close(actor=w.actor, round=w.round)
    subject = _subject(w.round, member=w.k1[0])
    error = _refused("evaluation.round_closed", lambda: _decide(w, subject, "completed", "60"))
    assert error.source
    _refused(
        "evaluation.round_closed",
        lambda: ev.subject_self_assess(
            actor=w.actor, subject=subject, scores={"general": 1, "tasks": 1}
        ),
    )
    _refused(
        "evaluation.document_missing",
        lambda: ev.subject_reconsider(
            actor=w.actor,
            subject=subject,
            deciding_unit=w.tree.G1,
            level="completed",
            score=Decimal(60),
            document=None,
            reason="Appeal",
        ),
    )
    _refused(
        "evaluation.not_decider",
        lambda: ev.subject_reconsider(
            actor=w.actor,
            subject=subject,
            deciding_unit=w.tree.K2,
            level="completed",
            score=Decimal(60),
            document=w.docs.g1,
            reason="Appeal",
        ),
    )
    first = subject.decisions.get()
    again = ev.subject_reconsider(
        actor=w.actor,
        subject=subject,
        deciding_unit=w.tree.C1,
        level="completed",
        score=Decimal(60),
        document=w.docs.c1,
        reason="Appeal upheld in part",
    )
    assert again.reconsideration and again.pk != first.pk
    assert Decision.objects.filter(pk=first.pk, level="good").exists()  # history kept
    assert Rating.objects.get(member=w.k1[0], year=2025).level == "completed"


def test_decisions_are_append_only_in_the_database(world):
    w = world
    _decide_cells(w)
    decision = Decision.objects.first()
    with pytest.raises(ValueError):
        decision.save()
    with pytest.raises(Exception, match="append-only"):
        Decision.objects.filter(pk=decision.pk).update(level="excellent")


# Worklists, counts, history -----------------------------------------------------------------


def test_the_worklists_show_each_state_under_a_cell(world):
    w = world
    ev.subject_self_assess(
        actor=w.actor,
        subject=_subject(w.round, member=w.k1[0]),
        scores={"general": 25, "tasks": 60},
    )
    states = {
        state: {s.member_id for s in round_subjects(w.round, under=w.tree.K1, state=state)}
        for state in (STATE_NOT_ASSESSED, STATE_NO_PROPOSAL, STATE_DECIDED, STATE_EXCLUDED)
    }
    assert states[STATE_NO_PROPOSAL] == {w.k1[0].pk}
    assert states[STATE_NOT_ASSESSED] == {m.pk for m in w.k1[1:]} | {None}  # K1 itself
    assert states[STATE_EXCLUDED] == {w.recent.pk}
    assert states[STATE_DECIDED] == set()


def test_level_counts_of_a_subtree_and_year(world):
    w = world
    _decide_everyone(w)
    counts = level_counts(w.tree.C1, 2025)
    rated = len(w.k1) + 2  # K1's seven, K2's member and the one away
    assert counts["members"]["good"] == rated
    assert counts["members"]["not_rated"] == 2  # exempt, recently admitted
    assert counts["units"]["good"] == 3  # G1, K1, K2
    # C1 itself: a subtree's figures count its own unit, rated or not (rated by P's round).
    assert counts["units"]["not_rated"] == 1
    assert level_counts(w.tree.K2, 2025)["members"] == {
        "excellent": 0,
        "good": 2,
        "completed": 0,
        "not_completed": 0,
        "not_rated": 1,
    }
    stats = statistics_evaluation(w.tree.P, 2025)
    assert stats["members"]["good"] == rated
    assert stats["units"]["not_rated"] == 4  # P, C1, C2 and GC: not rated by C1's round
    assert stats["quota"] == [
        {
            "unit": "C1",
            "role_group": "organization",
            "excellent": 0,
            "good": 1,
            "allowed": 0,
            "over": 0,
        },
        {
            "unit": "G1",
            "role_group": "member",
            "excellent": 0,
            "good": rated,
            "allowed": 1,
            "over": 0,
        },
        {
            "unit": "G1",
            "role_group": "organization",
            "excellent": 0,
            "good": 2,
            "allowed": 0,
            "over": 0,
        },
    ]


def test_legacy_labels_are_kept_and_mapped(tree, organizer, make_member):
    member = make_member(tree.K1, BIRTH, D(2005, 1, 1), recognized=True)
    rating = ev.rating_record(actor=organizer, year=2015, member=member, label="DTC_HTXS")
    assert (rating.level, rating.label, rating.source) == ("excellent", "DTC_HTXS", "import")
    unit = ev.rating_record(actor=organizer, year=2015, unit=tree.K1, label="TSVM")
    assert unit.level == "excellent"
    with pytest.raises(RuleViolation) as info:
        ev.rating_record(actor=organizer, year=2016, unit=tree.K1, label="XYZ")
    assert info.value.code == "evaluation.label_unknown"


def test_excellent_five_years_running_is_an_honour_candidate(tree, organizer, make_member):
    member = make_member(tree.K1, BIRTH, D(2005, 1, 1), recognized=True)
    for year in range(2018, 2023):
        ev.rating_record(actor=organizer, year=year, member=member, level="excellent")
    history = rating_history(member=member)
    assert [h["year"] for h in history] == [2022, 2021, 2020, 2019, 2018]
    assert history[0]["excellent_running"] == 5 and history[0]["honour_candidate"]
    assert not history[1]["honour_candidate"]


def test_model_registration_and_recognition(tree, organizer):
    ev.model_register(
        actor=organizer, unit=tree.K1, year=2025, kind="four_good", date=D(2025, 1, 15)
    )
    with pytest.raises(ServiceError) as info:
        ev.model_recognize(
            actor=organizer,
            unit=tree.K2,
            year=2025,
            kind="four_good",
            date=D(2025, 12, 20),
            recognized=True,
        )
    assert info.value.code == "evaluation.model_not_registered"
    ev.model_recognize(
        actor=organizer,
        unit=tree.K1,
        year=2025,
        kind="four_good",
        date=D(2025, 12, 20),
        recognized=True,
    )
    from cadrebook.evaluations.selectors import model_records

    assert model_records(tree.G1, 2025)["four_good"] == {
        "registered": 1,
        "recognized": 1,
        "not_recognized": 0,
    }


def test_an_overlapping_round_is_named_with_its_kinds_label_and_where_it_overlaps(world):
    """The refusal names the kind as the rule set does (in the page's language), and says
    whether the round found covers the whole subtree (opened at or above it) or part of it."""
    w = world
    with pytest.raises(ServiceError) as inside:
        _open(w.actor, w.tree.G1)  # C1's round covers all of G1's subtree
    assert inside.value.code == "evaluation.round_overlaps"
    message = str(inside.value.message)
    assert "Year-end evaluation" in message and "yearly" not in message
    assert "over this whole subtree" in message
    with pytest.raises(ServiceError) as above:
        _open(w.actor, w.tree.P)  # C1's round covers part of P's subtree
    assert "over part of this subtree" in str(above.value.message)
    with translation.override("vi"), pytest.raises(ServiceError) as vi:
        _open(w.actor, w.tree.G1)
    assert "Đánh giá, xếp loại chất lượng cuối năm" in str(vi.value.message)


def test_a_model_step_dated_out_of_order_is_refused_with_nothing_written(tree, organizer):
    """A registration for a year is made at its start (or before it), not after the year;
    the recognition comes after the registration, not before it."""
    before = AuditEntry.objects.count()
    with pytest.raises(ServiceError) as late:
        ev.model_register(
            actor=organizer, unit=tree.K1, year=2025, kind="four_good", date=D(2026, 5, 1)
        )
    assert (late.value.code, late.value.field) == ("evaluation.model_registered_after", "date")
    assert AuditEntry.objects.count() == before
    ev.model_register(
        actor=organizer, unit=tree.K1, year=2025, kind="four_good", date=D(2024, 12, 20)
    )
    with pytest.raises(ServiceError) as early:
        ev.model_recognize(
            actor=organizer,
            unit=tree.K1,
            year=2025,
            kind="four_good",
            date=D(2024, 12, 1),
            recognized=True,
        )
    assert (early.value.code, early.value.field) == ("evaluation.model_before_registration", "date")
    ev.model_recognize(
        actor=organizer,
        unit=tree.K1,
        year=2025,
        kind="four_good",
        date=D(2026, 1, 10),
        recognized=True,
    )
