"""The inspection services: the rule set's checks and their refusals (each with its source,
nothing written on refusal), what they write and the audit entries that go with it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.models import AuditEntry
from cadrebook.inspections import selectors
from cadrebook.inspections.choices import OVERDUE, FollowUpStatus
from cadrebook.inspections.models import (
    Inspection,
    InspectionProgram,
    InspectionStep,
    InspectionSubject,
    ProgramItem,
    Recommendation,
    RecommendationFollowUp,
)
from cadrebook.inspections.services import (
    Finding,
    TeamMember,
    inspection_add_subject,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
    program_create,
    program_item_add,
    recommendation_add,
    recommendation_follow_up,
)

D = dt.date


def _audits(event_type: str) -> int:
    return AuditEntry.objects.filter(event_type=event_type).count()


def _open(inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace, **kw: Any) -> Inspection:
    values = {
        "actor": inspector,
        "code": "KT-01",
        "body": tree.C1,
        "body_kind": "inspection_committee",
        "kind": "thematic",
        "decided_on": D(2025, 3, 3),
        "document": docs.c1,
        "subject_units": [tree.K1],
        **kw,
    }
    return inspection_open(**values)


def _steps_done(inspector: Any, inspection: Inspection) -> None:
    for step, day in (
        ("plan", D(2025, 3, 10)),
        ("working", D(2025, 4, 1)),
        ("report", D(2025, 5, 1)),
    ):
        inspection_record_step(actor=inspector, inspection=inspection, step=step, done_on=day)


def _concluded(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace, code: str = "KT-01"
) -> Inspection:
    inspection = _open(inspector, tree, docs, code=code)
    _steps_done(inspector, inspection)
    subject = inspection.subjects.get()
    return inspection_conclude(
        actor=inspector,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        document=docs.c1_conclusion,
        findings=[Finding(subject, True, "personnel_work", "Thiếu sót trong quy hoạch")],
        summary="Kết luận",
    )


# -- Programs ------------------------------------------------------------------------------


def test_a_program_is_created_once_per_body_and_year(tree, inspector):
    program = program_create(
        actor=inspector, body=tree.C1, body_kind="inspection_committee", year=2025, title="CT 2025"
    )
    assert program.path == tree.C1.path
    assert _audits("inspection.program_created") == 1
    with pytest.raises(ServiceError) as exc:
        program_create(
            actor=inspector, body=tree.C1, body_kind="inspection_committee", year=2025, title="x"
        )
    assert exc.value.code == "program.exists"
    # Another organ of the same unit keeps its own program.
    program_create(actor=inspector, body=tree.C1, body_kind="committee", year=2025, title="y")
    assert InspectionProgram.objects.count() == 2


def test_a_body_the_unit_does_not_have_is_refused_with_the_source(tree, inspector):
    with pytest.raises(RuleViolation) as exc:
        program_create(actor=inspector, body=tree.C1, body_kind="cell", year=2025, title="x")
    assert exc.value.code == "inspection.body_not_on_unit"
    assert "Statute art. 30-32" in exc.value.source
    # The kinds of unit it sits on, by the rule set's names, not its codes.
    from cadrebook.core.rules import current_ruleset

    kinds = current_ruleset().unit_kinds
    assert kinds["cell"].display_label in exc.value.message
    assert "grassroots_cell" not in exc.value.message
    with pytest.raises(RuleViolation) as exc:
        program_create(actor=inspector, body=tree.K1, body_kind="board", year=2025, title="x")
    assert exc.value.code == "inspection.body_kind_unknown"
    assert not InspectionProgram.objects.exists()
    assert _audits("inspection.program_created") == 0


def test_program_items_stay_in_the_bodys_remit_and_year(tree, inspector):
    program = program_create(
        actor=inspector, body=tree.C1, body_kind="inspection_committee", year=2025, title="CT"
    )
    item = program_item_add(
        actor=inspector,
        program=program,
        kind="supervision_thematic",
        subject_unit=tree.G1,
        planned_from=D(2025, 4, 1),
        planned_to=D(2025, 5, 1),
    )
    assert item.inspection is None
    refusals = [
        ({"subject_unit": tree.GC}, "inspection.outside_remit"),
        ({"subject_unit": tree.C1}, "inspection.outside_remit"),
        ({"subject_text": "x", "planned_from": D(2026, 1, 1)}, "program.outside_year"),
        ({"subject_text": "x", "kind": "audit"}, "inspection.kind_unknown"),
        ({}, "program.subject_missing"),
    ]
    for kw, code in refusals:
        with pytest.raises(ServiceError) as exc:
            program_item_add(**{"actor": inspector, "program": program, "kind": "thematic", **kw})
        assert exc.value.code == code
    assert ProgramItem.objects.count() == 1
    assert _audits("inspection.program_item_added") == 1


def test_the_program_counts_what_was_done_against_it(tree, inspector, docs):
    program = program_create(
        actor=inspector, body=tree.C1, body_kind="inspection_committee", year=2025, title="CT"
    )
    done = program_item_add(actor=inspector, program=program, kind="thematic", subject_unit=tree.K1)
    program_item_add(actor=inspector, program=program, kind="thematic", subject_unit=tree.K2)
    assert selectors.program_progress(program) == selectors.Progress(2, 0, 0)
    inspection = _open(inspector, tree, docs, program_item=done)
    done.refresh_from_db()
    assert done.inspection == inspection
    assert selectors.program_progress(program) == selectors.Progress(2, 1, 0)
    _steps_done(inspector, inspection)
    inspection_conclude(
        actor=inspector,
        inspection=inspection,
        concluded_on=D(2025, 6, 2),
        document=docs.c1_conclusion,
        findings=[Finding(inspection.subjects.get(), False)],
    )
    assert selectors.program_progress(program) == selectors.Progress(2, 1, 1)
    # An item is carried out once, by its own body, with its planned kind.
    with pytest.raises(ServiceError) as exc:
        _open(inspector, tree, docs, code="KT-02", program_item=done)
    assert exc.value.code == "inspection.program_item_done"


# -- Opening -------------------------------------------------------------------------------


def test_opening_writes_the_steps_team_subjects_and_audit(tree, inspector, docs, people):
    inspection = _open(
        inspector,
        tree,
        docs,
        subject_members=[people.k1],
        team=[TeamMember(name="Trần Văn A", is_leader=True), TeamMember(member=people.gc)],
        period_from=D(2023, 1, 1),
        period_to=D(2024, 12, 31),
    )
    assert inspection.path == tree.C1.path
    assert inspection.decision_document == docs.c1
    assert inspection.decision_document_text == docs.c1.symbol
    steps = list(inspection.steps.order_by("position").values_list("step", "due_on", "done_on"))
    assert steps == [
        ("decision", D(2025, 3, 3), D(2025, 3, 3)),
        ("plan", D(2025, 3, 13), None),
        ("working", D(2025, 4, 17), None),
        ("report", D(2025, 5, 2), None),
        ("conclusion", D(2025, 6, 1), None),
    ]
    assert [(t.name, t.is_leader) for t in inspection.team.all()] == [
        ("Trần Văn A", True),
        (people.gc.full_name, False),
    ]
    subjects = {(s.unit_id, s.member_id): s for s in inspection.subjects.all()}
    assert subjects[(tree.K1.pk, None)].subject_path == tree.K1.path
    assert subjects[(None, people.k1.pk)].subject_path == tree.K1.path
    entry = AuditEntry.objects.get(event_type="inspection.opened")
    assert entry.unit_path == tree.C1.path
    assert entry.after["code"] == "KT-01"
    assert len(entry.after["subjects"]) == 2


def test_from_higher_level_is_the_body_above_the_inspected_units_own_committee(
    tree, inspector, docs, people
):
    # C1 stands above G1, the committee K1's cell answers to.
    assert _open(inspector, tree, docs).from_higher_level is True
    # G1 is K1's own committee: its inspection of the cell and its members is its own level.
    g1 = _open(
        inspector,
        tree,
        docs,
        code="KT-02",
        body=tree.G1,
        document=docs.g1,
        subject_members=[people.k1],
    )
    assert g1.from_higher_level is False
    assert not g1.subjects.filter(from_higher_level=True).exists()
    # P inspecting G1 (a committee of its own) comes from above it.
    p = _open(
        inspector, tree, docs, code="KT-03", body=tree.P, document=docs.p, subject_units=[tree.G1]
    )
    assert p.from_higher_level is True


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"kind": "inspection"}, "inspection.kind_unknown"),
        ({"document": None}, "inspection.document_missing"),
        ({"body_kind": "cell"}, "inspection.body_not_on_unit"),
        ({"subject_units": []}, None),
        ({"decided_on": D(2025, 2, 1)}, "inspection.document_later"),
        ({"decided_on": D(2099, 1, 1)}, "date.in_future"),
        ({"period_from": D(2024, 1, 1), "period_to": D(2023, 1, 1)}, "inspection.period_order"),
        ({"code": " "}, "inspection.code_missing"),
        (
            {"team": [TeamMember(name="A", is_leader=True), TeamMember(name="B", is_leader=True)]},
            "inspection.two_leaders",
        ),
    ],
)
def test_opening_is_refused_and_writes_nothing(tree, inspector, docs, change, code):
    if code is None:  # no subject yet is allowed: added later
        _open(inspector, tree, docs, **change)
        return
    with pytest.raises(ServiceError) as exc:
        _open(inspector, tree, docs, **change)
    assert exc.value.code == code
    assert not Inspection.objects.exists()
    assert not InspectionStep.objects.exists()
    assert _audits("inspection.opened") == 0


def test_the_document_must_be_the_bodys_issued_one(tree, inspector, docs):
    with pytest.raises(RuleViolation) as exc:
        _open(inspector, tree, docs, document=docs.g1)
    assert exc.value.code == "inspection.document_not_bodys"
    assert "296-QĐ/TW" in exc.value.source
    with pytest.raises(ServiceError) as exc:
        _open(inspector, tree, docs, document=docs.draft)
    assert exc.value.code == "document.not_issued"
    assert not Inspection.objects.exists()


def test_subjects_outside_the_remit_are_refused_and_nothing_written(tree, inspector, docs, people):
    with pytest.raises(RuleViolation) as exc:
        _open(inspector, tree, docs, subject_units=[tree.K1, tree.GC])
    assert exc.value.code == "inspection.outside_remit"
    assert "Statute art. 30-32" in exc.value.source
    with pytest.raises(RuleViolation):
        _open(inspector, tree, docs, subject_members=[people.gc])
    assert not Inspection.objects.exists()
    assert not InspectionSubject.objects.exists()
    inspection = _open(inspector, tree, docs, subject_units=[])
    with pytest.raises(RuleViolation):
        inspection_add_subject(actor=inspector, inspection=inspection, member=people.gc)
    with pytest.raises(ServiceError) as exc:
        inspection_add_subject(
            actor=inspector, inspection=inspection, unit=tree.K1, member=people.k1
        )
    assert exc.value.code == "inspection.subject_one"
    inspection_add_subject(actor=inspector, inspection=inspection, member=people.k1)
    with pytest.raises(ServiceError) as exc:
        inspection_add_subject(actor=inspector, inspection=inspection, member=people.k1)
    assert exc.value.code == "inspection.subject_twice"
    assert inspection.subjects.count() == 1
    assert _audits("inspection.subject_added") == 1


def test_a_code_is_an_inspections_once(tree, inspector, docs):
    _open(inspector, tree, docs)
    with pytest.raises(ServiceError) as exc:
        _open(inspector, tree, docs, subject_units=[tree.K2])
    assert exc.value.code == "inspection.code_taken"
    assert Inspection.objects.count() == 1


# -- Steps and conclusion ------------------------------------------------------------------


def test_steps_follow_the_rule_sets_order_and_dates(tree, inspector, docs):
    inspection = _open(inspector, tree, docs)
    with pytest.raises(RuleViolation) as exc:
        inspection_record_step(
            actor=inspector, inspection=inspection, step="working", done_on=D(2025, 4, 1)
        )
    assert exc.value.code == "inspection.step_out_of_order"
    assert "296-QĐ/TW" in exc.value.source
    with pytest.raises(RuleViolation) as exc:
        inspection_record_step(
            actor=inspector, inspection=inspection, step="plan", done_on=D(2025, 3, 1)
        )
    assert exc.value.code == "inspection.step_before"
    for step, code in (
        ("conclusion", "inspection.step_by_service"),
        ("visit", "inspection.step_unknown"),
    ):
        with pytest.raises(ServiceError) as exc:
            inspection_record_step(
                actor=inspector, inspection=inspection, step=step, done_on=D(2025, 4, 1)
            )
        assert exc.value.code == code
    assert _audits("inspection.step_recorded") == 0
    assert not inspection.steps.filter(step="plan", done_on__isnull=False).exists()

    row = inspection_record_step(
        actor=inspector, inspection=inspection, step="plan", done_on=D(2025, 3, 10), note="KH"
    )
    assert row.done_on == D(2025, 3, 10)
    entry = AuditEntry.objects.get(event_type="inspection.step_recorded")
    assert entry.before["done_on"] is None and entry.after["done_on"] == "2025-03-10"
    with pytest.raises(ServiceError) as exc:
        inspection_record_step(
            actor=inspector, inspection=inspection, step="plan", done_on=D(2025, 3, 11)
        )
    assert exc.value.code == "inspection.step_done"
    with pytest.raises(RuleViolation) as exc:
        inspection_record_step(
            actor=inspector, inspection=inspection, step="working", done_on=D(2025, 3, 9)
        )
    assert exc.value.code == "inspection.step_before"


def test_concluding_needs_every_step_and_a_finding_on_every_subject(tree, inspector, docs, people):
    inspection = _open(inspector, tree, docs, subject_members=[people.k1])
    unit_subject = inspection.subjects.get(unit=tree.K1)
    member_subject = inspection.subjects.get(member=people.k1)
    findings = [Finding(unit_subject, False), Finding(member_subject, True, "corruption")]

    def conclude(**kw: Any) -> Inspection:
        values = {
            "actor": inspector,
            "inspection": inspection,
            "concluded_on": D(2025, 6, 2),
            "document": docs.c1_conclusion,
            "findings": findings,
            **kw,
        }
        return inspection_conclude(**values)

    with pytest.raises(RuleViolation) as exc:
        conclude()
    assert exc.value.code == "inspection.step_out_of_order"
    _steps_done(inspector, inspection)
    refusals = [
        ({"findings": findings[:1]}, "inspection.finding_missing"),
        (
            {"findings": [findings[0], Finding(member_subject, True, "theft")]},
            "inspection.violation_kind_unknown",
        ),
        (
            {"findings": [findings[0], Finding(member_subject, False, "corruption")]},
            "inspection.violation_kind_without_violation",
        ),
        ({"findings": [*findings, findings[0]]}, "inspection.finding_twice"),
        ({"concluded_on": D(2025, 4, 30)}, "inspection.step_before"),
        ({"document": None}, "inspection.document_missing"),
        ({"document": docs.late}, "inspection.document_later"),
        # The decision to inspect is not its conclusion.
        ({"document": docs.c1}, "inspection.conclusion_is_decision"),
    ]
    for kw, code in refusals:
        with pytest.raises(ServiceError) as exc:
            conclude(**kw)
        assert exc.value.code == code, kw
    inspection.refresh_from_db()
    assert inspection.concluded_on is None
    assert not InspectionSubject.objects.filter(violation_found__isnull=False).exists()
    assert _audits("inspection.concluded") == 0

    conclude(summary="Có vi phạm")
    inspection.refresh_from_db()
    assert inspection.concluded_on == D(2025, 6, 2)
    assert inspection.conclusion_document == docs.c1_conclusion
    member_subject.refresh_from_db()
    assert (member_subject.violation_found, member_subject.violation_kind) == (True, "corruption")
    assert inspection.steps.get(step="conclusion").done_on == D(2025, 6, 2)
    entry = AuditEntry.objects.get(event_type="inspection.concluded")
    assert entry.after["findings"][str(member_subject.pk)]["violation_kind"] == "corruption"
    # Concluded: closed to new subjects, steps and conclusions.
    with pytest.raises(ServiceError) as exc:
        inspection_add_subject(actor=inspector, inspection=inspection, unit=tree.K2)
    assert exc.value.code == "inspection.concluded"
    with pytest.raises(ServiceError) as exc:
        conclude()
    assert exc.value.code == "inspection.concluded"


# -- Recommendations -----------------------------------------------------------------------


def test_recommendations_come_with_the_conclusion_and_are_followed_up(tree, inspector, docs):
    inspection = _open(inspector, tree, docs, code="KT-00")
    with pytest.raises(ServiceError) as exc:
        recommendation_add(actor=inspector, inspection=inspection, text="x", owner_unit=tree.K1)
    assert exc.value.code == "inspection.not_concluded"
    inspection = _concluded(inspector, tree, docs)
    subject = inspection.subjects.get()
    for kw, code in (
        ({"text": ""}, "recommendation.text_missing"),
        ({"owner_unit": None}, "recommendation.owner_missing"),
        ({"owner_unit": tree.GC}, "inspection.outside_remit"),
        ({"deadline": D(2025, 5, 1)}, "recommendation.deadline_before_conclusion"),
    ):
        with pytest.raises(ServiceError) as exc:
            recommendation_add(
                **{
                    "actor": inspector,
                    "inspection": inspection,
                    "text": "Khắc phục",
                    "owner_unit": tree.K1,
                    **kw,
                }
            )
        assert exc.value.code == code
    assert not Recommendation.objects.exists()

    rec = recommendation_add(
        actor=inspector,
        inspection=inspection,
        subject=subject,
        text="Khắc phục thiếu sót",
        owner_unit=tree.K1,
        deadline=D(2025, 9, 30),
    )
    assert _audits("inspection.recommendation_added") == 1
    assert selectors.recommendation_state(rec, D(2025, 9, 30)) == FollowUpStatus.OPEN
    assert selectors.recommendation_state(rec, D(2025, 10, 1)) == OVERDUE
    assert list(selectors.overdue_recommendations(inspector, D(2025, 10, 1))) == [rec]

    with pytest.raises(ServiceError) as exc:
        recommendation_follow_up(
            actor=inspector, recommendation=rec, on=D(2025, 6, 1), status="partly"
        )
    assert exc.value.code == "recommendation.follow_up_before"
    with pytest.raises(ServiceError) as exc:
        recommendation_follow_up(
            actor=inspector, recommendation=rec, on=D(2025, 7, 1), status="late"
        )
    assert exc.value.code == "recommendation.status_unknown"
    assert not RecommendationFollowUp.objects.exists()

    recommendation_follow_up(actor=inspector, recommendation=rec, on=D(2025, 7, 1), status="partly")
    rec.refresh_from_db()
    assert rec.status == FollowUpStatus.PARTLY
    assert selectors.recommendation_state(rec, D(2025, 10, 1)) == OVERDUE
    recommendation_follow_up(actor=inspector, recommendation=rec, on=D(2025, 10, 5), status="done")
    rec.refresh_from_db()
    assert selectors.recommendation_state(rec, D(2026, 1, 1)) == FollowUpStatus.DONE
    assert not selectors.overdue_recommendations(inspector, D(2026, 1, 1)).exists()
    with pytest.raises(ServiceError) as exc:
        recommendation_follow_up(
            actor=inspector, recommendation=rec, on=D(2025, 11, 1), status="open"
        )
    assert exc.value.code == "recommendation.done"
    assert [f.status for f in rec.follow_ups.order_by("on")] == ["partly", "done"]
    entries = AuditEntry.objects.filter(event_type="inspection.recommendation_followed_up")
    assert [(e.before["status"], e.after["status"]) for e in entries.order_by("id")] == [
        ("open", "partly"),
        ("partly", "done"),
    ]


@pytest.mark.django_db(transaction=True)
def test_follow_ups_are_append_only_in_the_database(tree, inspector, docs):
    inspection = _concluded(inspector, tree, docs)
    rec = recommendation_add(actor=inspector, inspection=inspection, text="x", owner_text="K1")
    follow_up = recommendation_follow_up(
        actor=inspector, recommendation=rec, on=D(2025, 7, 1), status="partly"
    )
    for change in (
        lambda: RecommendationFollowUp.objects.filter(pk=follow_up.pk).update(status="done"),
        lambda: RecommendationFollowUp.objects.filter(pk=follow_up.pk).delete(),
    ):
        with pytest.raises(Exception, match="append-only"), transaction.atomic():
            change()


def test_the_worklist_lists_steps_past_their_day(tree, inspector, docs):
    inspection = _open(inspector, tree, docs)
    late = selectors.late_steps(inspector, D(2025, 3, 14))
    assert [s.step for s in late] == ["plan"]
    inspection_record_step(
        actor=inspector, inspection=inspection, step="plan", done_on=D(2025, 3, 14)
    )
    assert not selectors.late_steps(inspector, D(2025, 3, 14)).exists()


def test_the_database_refuses_a_subject_that_is_neither_or_both(tree, inspector, docs, people):
    inspection = _open(inspector, tree, docs, subject_units=[])
    for unit, member in ((None, None), (tree.K1, people.k1)):
        with pytest.raises(IntegrityError), transaction.atomic():
            InspectionSubject.objects.create(
                inspection=inspection,
                unit=unit,
                member=member,
                path=inspection.path,
                subject_path=tree.K1.path,
                decided_on=inspection.decided_on,
            )


def test_the_alternative_rule_set_gives_its_own_kinds_and_steps(alt_tree, actor):
    with pytest.raises(RuleViolation) as exc:
        inspection_open(
            actor=actor,
            code="A-1",
            body=alt_tree.N,
            body_kind="committee",
            kind="thematic",
            decided_on=D(2026, 2, 2),
        )
    assert exc.value.source == "test statute 20a"
    inspection = inspection_open(
        actor=actor,
        code="A-1",
        body=alt_tree.N,
        body_kind="committee",
        kind="audit",
        decided_on=D(2026, 2, 2),
        subject_units=[alt_tree.B1],
    )
    assert inspection.decision_document is None  # test-alt does not require it
    assert list(inspection.steps.values_list("step", "due_on")) == [
        ("decision", D(2026, 2, 2)),
        ("visit", D(2026, 2, 7)),
        ("conclusion", D(2026, 2, 22)),
    ]
    assert inspection.from_higher_level is True  # every branch is its own committee


# Conflict of interest, subjects -------------------------------------------------------------


def test_a_member_inspected_does_not_sit_on_or_lead_the_team(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace, people: SimpleNamespace
) -> None:
    team = [TeamMember(member=people.k1, is_leader=True), TeamMember(name="Trần Thị B")]
    with pytest.raises(RuleViolation) as caught:
        _open(inspector, tree, docs, team=team, subject_members=[people.k1])
    assert caught.value.code == "inspection.team_conflict" and caught.value.field == "team"
    assert "[inferred]" in caught.value.source or caught.value.source
    assert people.k1.full_name in caught.value.message
    assert not Inspection.objects.exists()
    # Nor added as a subject afterwards.
    inspection = _open(inspector, tree, docs, team=team)
    with pytest.raises(RuleViolation) as caught:
        inspection_add_subject(actor=inspector, inspection=inspection, member=people.k1)
    assert caught.value.code == "inspection.team_conflict"
    assert not InspectionSubject.objects.filter(member=people.k1).exists()
    inspection_add_subject(actor=inspector, inspection=inspection, member=people.k1b)


def test_an_inspection_without_a_subject_is_not_concluded(
    inspector: Any, tree: SimpleNamespace, docs: SimpleNamespace
) -> None:
    inspection = _open(inspector, tree, docs, subject_units=[])
    _steps_done(inspector, inspection)
    with pytest.raises(ServiceError) as caught:
        inspection_conclude(
            actor=inspector,
            inspection=inspection,
            concluded_on=D(2025, 6, 2),
            document=docs.c1_conclusion,
            findings=[],
        )
    assert caught.value.code == "inspection.no_subject"
    inspection.refresh_from_db()
    assert inspection.concluded_on is None


def test_a_team_name_longer_than_the_record_holds_is_refused(tree, inspector, docs):
    """A line of the page's team (or a name of the file's) longer than the column is refused
    on the team, nothing opened: not cut, not left to overflow the database."""
    from cadrebook.inspections.models import InspectionTeamMember
    from cadrebook.inspections.services import TeamMember

    longest = InspectionTeamMember._meta.get_field("name").max_length
    with pytest.raises(ServiceError) as exc:
        _open(inspector, tree, docs, team=[TeamMember(name="A" * (longest + 1), is_leader=True)])
    assert (exc.value.code, exc.value.field) == ("inspection.team_name_long", "team")
    assert not Inspection.objects.exists()
    _open(inspector, tree, docs, team=[TeamMember(name="A" * longest, is_leader=True)])
    assert Inspection.objects.get().team.get().name == "A" * longest
