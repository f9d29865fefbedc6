"""Writes of an inspection or supervision: opening it (its body, kind, decision, team,
subjects, the steps with their due days), adding a subject, recording a step, concluding it
with the findings per subject. Each checks the rule set's `[inspection]` rules, writes in one
transaction and audits; a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.errors import ServiceError
from cadrebook.core.rules import current_ruleset
from cadrebook.inspections.choices import STEP_CONCLUSION, STEP_DECISION
from cadrebook.inspections.models import (
    Inspection,
    InspectionStep,
    InspectionSubject,
    InspectionTeamMember,
    ProgramItem,
)
from cadrebook.inspections.rules import InspectionRules, inspection_rules
from cadrebook.inspections.selectors import is_from_higher_level
from cadrebook.inspections.services._checks import (
    by,
    check_body,
    check_document,
    check_kind,
    check_member_in_remit,
    check_not_future,
    check_unit_in_remit,
)
from cadrebook.orgs.models import OrgUnit

INSPECTION_FIELDS = [
    "code",
    "body",
    "body_kind",
    "kind",
    "program_item",
    "decided_on",
    "decision_document",
    "decision_document_text",
    "period_from",
    "period_to",
    "from_higher_level",
]
CONCLUSION_FIELDS = [
    "concluded_on",
    "conclusion_document",
    "conclusion_document_text",
    "conclusion_summary",
]
SUBJECT_FIELDS = ["unit", "member", "subject_path", "from_higher_level"]
FINDING_FIELDS = ["violation_found", "violation_kind", "findings"]
STEP_FIELDS = ["step", "due_on", "done_on", "note"]


@dataclass(frozen=True)
class TeamMember:
    """One member of the team: a registered member, or a name as written."""

    name: str = ""
    member: Any = None
    is_leader: bool = False


@dataclass(frozen=True)
class Finding:
    """The conclusion on one subject (an `InspectionSubject` or its id)."""

    subject: InspectionSubject | int
    violation_found: bool
    violation_kind: str = ""
    text: str = ""


def _check_team(team: Sequence[TeamMember]) -> list[TeamMember]:
    leaders = [t for t in team if t.is_leader]
    if len(leaders) > 1:
        raise ServiceError("inspection.two_leaders", _("A team has one leader."), field="team")
    checked = []
    for t in team:
        name = (t.name or (t.member.full_name if t.member is not None else "")).strip()
        if not name:
            raise ServiceError(
                "inspection.team_name_missing",
                _("Name each member of the team."),
                field="team",
            )
        longest = InspectionTeamMember._meta.get_field("name").max_length
        if longest is not None and len(name) > longest:
            # A line of the page's team or a name of the file's: refused, not cut, and not
            # left to overflow the column.
            raise ServiceError(
                "inspection.team_name_long",
                _("A team member's name is at most %(max)s characters: %(name)s…")
                % {"max": longest, "name": name[:40]},
                field="team",
            )
        checked.append(TeamMember(name=name, member=t.member, is_leader=t.is_leader))
    return checked


def _check_no_conflict(
    rules: InspectionRules, team: Iterable[Any], subjects: Iterable[Any], field: str
) -> None:
    """A member inspected does not sit on (or lead) the inspection's team: refused, with the
    rule set's source (`team_source`), naming neither more nor less than the member."""
    on_team = {
        pk
        for t in team
        if (pk := getattr(t, "member_id", None) or getattr(getattr(t, "member", None), "pk", None))
    }
    for member in subjects:
        if member is not None and member.pk in on_team:
            raise rules.violation(
                "inspection.team_conflict",
                _(
                    "%(name)s is a subject of the inspection and cannot sit on its team "
                    "(a conflict of interest)."
                )
                % {"name": member.full_name},
                source=rules.team_source,
                field=field,
            )


def _check_program_item(
    rules: InspectionRules, item: ProgramItem, body: OrgUnit, body_kind: str, kind: str
) -> None:
    program = item.program
    if program.body_id != body.pk or program.body_kind != body_kind:
        raise ServiceError(
            "inspection.program_of_other_body",
            _("The planned item belongs to the program of %(body)s.") % {"body": program.body},
            field="program_item",
        )
    if item.inspection_id is not None:
        raise ServiceError(
            "inspection.program_item_done",
            _("An inspection was already opened against this planned item."),
            field="program_item",
        )
    if item.kind != kind:
        raise rules.violation(
            "inspection.program_item_kind",
            _("The item planned a %(planned)s, not a %(kind)s.")
            % {"planned": rules.kind_label(item.kind), "kind": rules.kind_label(kind)},
            source=rules.kinds_source,
            field="kind",
        )


def inspection_open(
    *,
    actor: Any,
    code: str,
    body: OrgUnit,
    body_kind: str,
    kind: str,
    decided_on: dt.date,
    document: Any = None,
    document_text: str = "",
    period_from: dt.date | None = None,
    period_to: dt.date | None = None,
    program_item: ProgramItem | None = None,
    team: Sequence[TeamMember] = (),
    subject_units: Iterable[OrgUnit] = (),
    subject_members: Iterable[Any] = (),
    taken_over: bool = False,
) -> Inspection:
    """Open an inspection or supervision of `kind` (the rule set's kinds) decided by
    `body_kind` of `body` on `decided_on`, resting on the decision `document` of the
    register (issued by the body; required when the rule set says so), on the work of the
    period `period_from`..`period_to`, carrying out `program_item` of the body's program
    when given. Its steps are listed with the days the rule set gives them after the
    decision (the decision done that day); its team and subjects (units below the body,
    members of its subtree) are recorded with it. `taken_over`: a past inspection copied
    from earlier records, which needs no decision from the register (cited as written in
    `document_text` when known); audited as such."""
    rules = inspection_rules()
    code = (code or "").strip()
    if not code:
        raise ServiceError(
            "inspection.code_missing", _("Give the inspection a code."), field="code"
        )
    check_kind(rules, kind)
    check_body(rules, body, body_kind, decided_on)
    check_not_future(decided_on, "decided_on")
    if period_from and period_to and period_from > period_to:
        raise ServiceError(
            "inspection.period_order",
            _("The period inspected ends (%(to)s) before it starts (%(from)s).")
            % {"to": period_to, "from": period_from},
            field="period_to",
        )
    members = _check_team(team)
    units = list(subject_units)
    people = list(subject_members)
    _check_no_conflict(rules, members, people, "team")
    with transaction.atomic():
        doc = check_document(
            actor,
            rules,
            document,
            required=rules.decision_document_required and not taken_over,
            issuer=body,
            day=decided_on,
            field="document",
        )
        if Inspection.objects.filter(code=code).exists():
            raise ServiceError(
                "inspection.code_taken",
                _("The code %(code)s is already an inspection's.") % {"code": code},
                field="code",
            )
        if program_item is not None:
            program_item = ProgramItem.objects.select_for_update().get(pk=program_item.pk)
            _check_program_item(rules, program_item, body, body_kind, kind)
        inspection = Inspection.objects.create(
            code=code,
            body=body,
            body_kind=body_kind,
            path=body.path,
            kind=kind,
            program_item=program_item,
            decided_on=decided_on,
            decision_document=doc,
            decision_document_text=(document_text or (doc.symbol if doc else "")).strip(),
            period_from=period_from,
            period_to=period_to,
            ruleset=rules.ruleset_id,
            created_by=by(actor),
        )
        if program_item is not None:
            program_item.inspection = inspection
            program_item.save(update_fields=["inspection"])
        InspectionTeamMember.objects.bulk_create(
            InspectionTeamMember(
                inspection=inspection, member=t.member, name=t.name, is_leader=t.is_leader
            )
            for t in members
        )
        now = timezone.now()
        InspectionStep.objects.bulk_create(
            InspectionStep(
                inspection=inspection,
                step=s.code,
                position=i,
                due_on=decided_on + dt.timedelta(days=s.days),
                done_on=decided_on if s.code == STEP_DECISION else None,
                recorded_at=now if s.code == STEP_DECISION else None,
                recorded_by=by(actor) if s.code == STEP_DECISION else None,
            )
            for i, s in enumerate(rules.steps)
        )
        subjects = [_add_subject(rules, inspection, unit=u) for u in units]
        subjects += [_add_subject(rules, inspection, member=m) for m in people]
        _refresh_level(inspection)
        audit_record(
            actor=actor,
            obj=inspection,
            action="create",
            event_type="inspection.opened",
            unit=body,
            after=snapshot(inspection, INSPECTION_FIELDS)
            | {
                "team": [
                    {"name": t.name, "member": getattr(t.member, "pk", None), "leader": t.is_leader}
                    for t in members
                ],
                "subjects": [snapshot(s, SUBJECT_FIELDS) for s in subjects],
            }
            | ({"taken_over": True} if taken_over else {}),
        )
    return inspection


def _add_subject(
    rules: InspectionRules,
    inspection: Inspection,
    *,
    unit: OrgUnit | None = None,
    member: Any = None,
) -> InspectionSubject:
    """Check and write one subject (in the caller's transaction)."""
    if (unit is None) == (member is None):
        raise ServiceError(
            "inspection.subject_one",
            _("Name one subject: a unit or a member."),
            field="unit",
        )
    body = inspection.body
    ruleset = current_ruleset()
    if unit is not None:
        check_unit_in_remit(rules, body, unit, "unit")
        inspected = unit
        taken = inspection.subjects.filter(unit=unit).exists()
    else:
        check_member_in_remit(rules, body, member)
        inspected = member.unit
        taken = inspection.subjects.filter(member=member).exists()
    if taken:
        raise ServiceError(
            "inspection.subject_twice",
            _("%(subject)s is already a subject of %(code)s.")
            % {"subject": unit if unit is not None else member.full_name, "code": inspection.code},
            field="unit" if unit is not None else "member",
        )
    return InspectionSubject.objects.create(
        inspection=inspection,
        unit=unit,
        member=member,
        path=inspection.path,
        subject_path=inspected.path,
        kind=inspection.kind,
        decided_on=inspection.decided_on,
        concluded_on=inspection.concluded_on,
        from_higher_level=is_from_higher_level(body, inspected, ruleset),
    )


def _refresh_level(inspection: Inspection) -> None:
    """The inspection comes from a higher level when it does for any of its subjects."""
    higher = inspection.subjects.filter(from_higher_level=True).exists()
    if higher != inspection.from_higher_level:
        inspection.from_higher_level = higher
        inspection.save(update_fields=["from_higher_level"])


def _need_open(inspection: Inspection) -> None:
    if inspection.concluded_on is not None:
        raise ServiceError(
            "inspection.concluded",
            _("%(code)s was concluded on %(date)s.")
            % {"code": inspection.code, "date": inspection.concluded_on},
            field="inspection",
        )


def _locked(inspection: Inspection) -> Inspection:
    """The inspection read again under a lock on its row for this transaction."""
    return Inspection.objects.select_for_update().select_related("body").get(pk=inspection.pk)


def inspection_add_subject(
    *, actor: Any, inspection: Inspection, unit: OrgUnit | None = None, member: Any = None
) -> InspectionSubject:
    """Add a subject to an open inspection: a unit below the body or a member of its
    subtree (exactly one)."""
    rules = inspection_rules()
    with transaction.atomic():
        inspection = _locked(inspection)
        _need_open(inspection)
        if member is not None:
            _check_no_conflict(rules, inspection.team.all(), [member], "member")
        subject = _add_subject(rules, inspection, unit=unit, member=member)
        before = inspection.from_higher_level
        _refresh_level(inspection)
        audit_record(
            actor=actor,
            obj=subject,
            action="create",
            event_type="inspection.subject_added",
            unit=inspection.body,
            after=snapshot(subject, SUBJECT_FIELDS)
            | {"inspection": inspection.pk, "inspection_from_higher_level": before},
        )
    return subject


def _previous_done(
    rules: InspectionRules, inspection: Inspection, step_code: str
) -> dict[str, InspectionStep]:
    """The steps of `inspection` by code; refused when a step before `step_code` is not done
    (the steps follow the rule set's order)."""
    steps = {s.step: s for s in inspection.steps.select_for_update().order_by("position")}
    index = rules.step_index(step_code)
    for earlier in rules.steps[:index]:
        recorded = steps.get(earlier.code)
        if recorded is None or recorded.done_on is None:
            raise rules.violation(
                "inspection.step_out_of_order",
                _("%(step)s comes after %(earlier)s, which is not recorded yet.")
                % {"step": rules.step_label(step_code), "earlier": earlier.display_label},
                source=rules.steps_source,
                field="step",
            )
    return steps


def _latest_done(steps: dict[str, InspectionStep]) -> dt.date | None:
    done = [s.done_on for s in steps.values() if s.done_on is not None]
    return max(done) if done else None


def inspection_record_step(
    *, actor: Any, inspection: Inspection, step: str, done_on: dt.date, note: str = ""
) -> InspectionStep:
    """Record that `step` of an open inspection was done on `done_on`: in the rule set's
    order (the steps before it done), not before the decision or a step done before it, not
    in the future, once. The decision is recorded by opening the inspection, the conclusion
    by concluding it."""
    rules = inspection_rules()
    known = rules.step(step)
    if known is None:
        raise rules.violation(
            "inspection.step_unknown",
            _("%(step)s is not a step of the rule set; known: %(known)s.")
            % {"step": step, "known": ", ".join(s.code for s in rules.steps)},
            source=rules.steps_source,
            field="step",
        )
    if step in (STEP_DECISION, STEP_CONCLUSION):
        raise ServiceError(
            "inspection.step_by_service",
            _(
                "The decision is recorded by opening the inspection, the conclusion by "
                "concluding it."
            ),
            field="step",
        )
    check_not_future(done_on, "done_on")
    with transaction.atomic():
        inspection = _locked(inspection)
        _need_open(inspection)
        steps = _previous_done(rules, inspection, step)
        row = steps.get(step)
        if row is None:
            # A step the rule set added after the inspection was opened.
            row = InspectionStep(inspection=inspection, step=step, position=rules.step_index(step))
        elif row.done_on is not None:
            raise ServiceError(
                "inspection.step_done",
                _("%(step)s was recorded on %(date)s.")
                % {"step": known.display_label, "date": row.done_on},
                field="step",
            )
        earliest = _latest_done(steps) or inspection.decided_on
        if done_on < earliest:
            raise rules.violation(
                "inspection.step_before",
                _("%(date)s is before %(earliest)s, the decision or the step before it.")
                % {"date": done_on, "earliest": earliest},
                source=rules.steps_source,
                field="done_on",
            )
        before = snapshot(row, STEP_FIELDS) if row.pk else None
        row.done_on = done_on
        row.note = (note or "").strip()
        row.recorded_at = timezone.now()
        row.recorded_by = by(actor)
        row.save()
        audit_record(
            actor=actor,
            obj=row,
            action="update" if before else "create",
            event_type="inspection.step_recorded",
            unit=inspection.body,
            before=before,
            after=snapshot(row, STEP_FIELDS) | {"inspection": inspection.pk},
        )
    return row


def inspection_conclude(
    *,
    actor: Any,
    inspection: Inspection,
    concluded_on: dt.date,
    findings: Sequence[Finding],
    document: Any = None,
    document_text: str = "",
    summary: str = "",
    taken_over: bool = False,
) -> Inspection:
    """Conclude an open inspection on `concluded_on` (after every step before the
    conclusion, not before the last of them, not in the future) with its conclusion
    `document` of the register (issued by the body; required when the rule set says so) and
    the findings on every subject: a violation found or not, and when found its kind of the
    rule set. `taken_over`: a past conclusion copied from earlier records, which needs no
    document from the register; audited as such."""
    rules = inspection_rules()
    check_not_future(concluded_on, "concluded_on")
    with transaction.atomic():
        inspection = _locked(inspection)
        _need_open(inspection)
        steps = _previous_done(rules, inspection, STEP_CONCLUSION)
        earliest = _latest_done(steps) or inspection.decided_on
        if concluded_on < earliest:
            raise rules.violation(
                "inspection.step_before",
                _("%(date)s is before %(earliest)s, the decision or the step before it.")
                % {"date": concluded_on, "earliest": earliest},
                source=rules.steps_source,
                field="concluded_on",
            )
        doc = check_document(
            actor,
            rules,
            document,
            required=rules.conclusion_document_required and not taken_over,
            issuer=inspection.body,
            day=concluded_on,
            field="document",
        )
        if doc is not None:
            _check_conclusion_document(inspection, doc)
        subjects = {s.pk: s for s in inspection.subjects.select_for_update()}
        if not subjects:
            raise ServiceError(
                "inspection.no_subject",
                _("%(code)s has no subject to conclude on.") % {"code": inspection.code},
                field="findings",
            )
        given: dict[int, Finding] = {}
        for finding in findings:
            pk = finding.subject if isinstance(finding.subject, int) else finding.subject.pk
            if pk not in subjects:
                raise ServiceError(
                    "inspection.finding_not_subject",
                    _("A finding names a subject that is not %(code)s's.")
                    % {"code": inspection.code},
                    field="findings",
                )
            if pk in given:
                raise ServiceError(
                    "inspection.finding_twice",
                    _("Two findings name the same subject."),
                    field="findings",
                )
            _check_finding(rules, finding)
            given[pk] = finding
        missing = [s for pk, s in subjects.items() if pk not in given]
        if missing:
            raise ServiceError(
                "inspection.finding_missing",
                _("Give the finding on every subject: %(count)s without one.")
                % {"count": len(missing)},
                field="findings",
            )
        for pk, finding in given.items():
            subject = subjects[pk]
            subject.violation_found = finding.violation_found
            subject.violation_kind = finding.violation_kind if finding.violation_found else ""
            subject.findings = (finding.text or "").strip()
            # The statistics count the completed subjects from the subjects alone.
            subject.concluded_on = concluded_on
            subject.save(update_fields=[*FINDING_FIELDS, "concluded_on"])
        conclusion_step = steps.get(STEP_CONCLUSION)
        if conclusion_step is None:
            conclusion_step = InspectionStep(
                inspection=inspection,
                step=STEP_CONCLUSION,
                position=rules.step_index(STEP_CONCLUSION),
            )
        conclusion_step.done_on = concluded_on
        conclusion_step.recorded_at = timezone.now()
        conclusion_step.recorded_by = by(actor)
        conclusion_step.save()
        inspection.concluded_on = concluded_on
        inspection.conclusion_document = doc
        inspection.conclusion_document_text = (document_text or (doc.symbol if doc else "")).strip()
        inspection.conclusion_summary = (summary or "").strip()
        inspection.save(update_fields=CONCLUSION_FIELDS)
        audit_record(
            actor=actor,
            obj=inspection,
            action="update",
            event_type="inspection.concluded",
            unit=inspection.body,
            after=snapshot(inspection, CONCLUSION_FIELDS)
            | {
                "findings": {
                    str(pk): snapshot(subjects[pk], FINDING_FIELDS) for pk in sorted(given)
                }
            }
            | ({"taken_over": True} if taken_over else {}),
        )
    return inspection


def _check_conclusion_document(inspection: Inspection, doc: Any) -> None:
    """The conclusion rests on a document of its own, not on the decision to inspect (which
    the register would otherwise show as concluding it)."""
    if doc.pk == inspection.decision_document_id:
        raise ServiceError(
            "inspection.conclusion_is_decision",
            _("%(symbol)s is the decision to inspect: cite the conclusion's own document.")
            % {"symbol": doc.symbol},
            field="document",
        )


def _check_finding(rules: InspectionRules, finding: Finding) -> None:
    if finding.violation_found and rules.violation_kind(finding.violation_kind) is None:
        raise rules.violation(
            "inspection.violation_kind_unknown",
            _("Name the kind of violation found, one of the rule set's: %(known)s.")
            % {"known": ", ".join(v.code for v in rules.violation_kinds)},
            source=rules.violations_source,
            field="violation_kind",
        )
    if not finding.violation_found and finding.violation_kind:
        raise ServiceError(
            "inspection.violation_kind_without_violation",
            _("A kind of violation is named only when a violation was found."),
            field="violation_kind",
        )
