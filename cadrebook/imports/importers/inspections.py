"""Import of inspections files: `code` identifies an inspection or supervision. A new code
opens it through `inspection_open` (its subjects with it) and, when the row gives the day
of its conclusion, concludes it through `inspection_conclude` (the steps between recorded on
that day); a known code is compared with what is recorded: the same row changes nothing, new
subjects are added (`inspection_add_subject`) and an open inspection the file says concluded
is concluded, each audited by its service. What no service changes (the body, the kind, the
decision, a subject left out, a conclusion recorded differently) is refused: history is not
overwritten by a file.

`from_higher_level` is what the tree says (the body above an inspected unit's own
committee); a file that says otherwise is refused on that row, the reason given, rather than
recorded against the tree (docs/import-formats.md)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.documents.references import document_by_symbol
from cadrebook.imports.context import ImportContext, Report, chunked, parsed_rows
from cadrebook.imports.importers.members import pk_of
from cadrebook.imports.reading import Table
from cadrebook.imports.schemas import InspectionRow
from cadrebook.inspections.choices import STEP_CONCLUSION, STEP_DECISION
from cadrebook.inspections.models import Inspection
from cadrebook.inspections.rules import InspectionRules, inspection_rules
from cadrebook.inspections.selectors import is_from_higher_level
from cadrebook.inspections.services import (
    Finding,
    TeamMember,
    inspection_add_subject,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
    recommendation_add,
    recommendation_follow_up,
)
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

# The organ that acts when a row names none: a cell's own meeting on a cell, else the
# committee's inspection committee (the first the rule set lets sit on the body's unit).
DEFAULT_BODY_KINDS = ("inspection_committee", "cell")


# A past inspection copied from earlier records may lack its decision or conclusion in the
# register (the importing inspector registers no documents): the row is recorded as taken
# over, without a document, the way an events file's `taken_over` records a past decision;
# the register is not filled with documents nobody issued.

# A service's field -> the file's column it stands for.
COLUMNS = {
    "code": "code",
    "body": "body_code",
    "body_kind": "body_kind",
    "kind": "kind",
    "decided_on": "decided_on",
    "document": "decision_document",
    "unit": "subject_units",
    "member": "subject_members",
    "concluded_on": "concluded_on",
    "done_on": "concluded_on",
    "step": "concluded_on",
    "findings": "violations",
    "violation_kind": "violations",
    "period_from": "period_from",
    "period_to": "period_to",
    "team": "team",
    "inspection": "recommendations",
    "text": "recommendations",
    "subject": "recommendations",
    "owner_unit": "recommendations",
    "owner_text": "recommendations",
    "deadline": "recommendations",
    "status": "recommendations",
    "on": "recommendations",
}
# During the conclusion, a document is the conclusion's.
CONCLUSION_COLUMNS = {**COLUMNS, "document": "conclusion_document"}
# While the steps the row gives are recorded, a step's day is theirs.
STEP_COLUMNS = {**COLUMNS, "step": "steps", "done_on": "steps"}


def _cell(value: Any) -> Any:
    """A parsed cell as the file wrote it (lists joined by ";")."""
    if isinstance(value, tuple):
        return "; ".join(f"{v[0]}={v[1]}" if isinstance(v, tuple) else str(v) for v in value)
    return value


class Refused(Exception):
    """A row refused by the importer itself (an empty `code`: a unit not given, said by
    `ImportContext.refuse_unit`)."""

    def __init__(self, column: str, value: Any, code: str, message: str) -> None:
        super().__init__(message)
        self.column, self.value, self.code, self.message = column, value, code, message

    def tell(self, ctx: ImportContext, number: int) -> None:
        """Put the refusal on row `number` of the import's report (a unit not given in the
        words `refuse_unit` has for it)."""
        if not self.code:
            ctx.refuse_unit(number, self.column, self.value)
        else:
            ctx.report.refuse(number, self.column, self.value, self.code, self.message)


def count_row(report: Report, changed: bool, counter: str) -> None:
    """Count a row done: written, under `counter` ("created" or "updated"), when it changed
    something; else unchanged (a second import of the same file changes nothing)."""
    if changed:
        setattr(report, counter, getattr(report, counter) + 1)
        report.rows_written += 1
    else:
        report.unchanged += 1


def member_in_scope(ctx: ImportContext, external_id: str, column: str) -> Member:
    """The member with that external id (or cadrebook:<id>) in the importer's scope;
    refused for the role when the importer sees them, else as unknown."""
    pk = pk_of(external_id)
    rows = Member.objects.select_related("unit")
    member = (rows.filter(external_id=external_id) if pk is None else rows.filter(pk=pk)).first()
    if member is not None and ctx.scope.covers_path(member.unit.path):
        return member
    if member is not None and ctx.sees(member.unit.path):
        raise Refused(
            column,
            external_id,
            "import.not_allowed_here",
            _("Your role may see the member %(id)s but not change their records.")
            % {"id": external_id},
        )
    raise Refused(
        column,
        external_id,
        "import.member_unknown",
        _("No member with the identifier %(id)s in your part of the organization.")
        % {"id": external_id},
    )


def default_body_kind(rules: InspectionRules, unit_kind: str) -> str:
    """The organ a row without `body_kind` names on a unit of `unit_kind`."""
    for code in DEFAULT_BODY_KINDS:
        organ = rules.body(code)
        if organ is not None and unit_kind in organ.unit_kinds:
            return code
    return next((b.code for b in rules.bodies if unit_kind in b.unit_kinds), "")


class _Importer:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.rules = inspection_rules(ctx.rules)
        self.seen: dict[str, int] = {}
        self.columns = COLUMNS

    # -- References ------------------------------------------------------------------------

    def _member(self, external_id: str) -> Member:
        return member_in_scope(self.ctx, external_id, "subject_members")

    def _unit(self, code: str, column: str) -> OrgUnit:
        info = self.ctx.unit_in_scope(code)
        if info is None:
            raise Refused(column, code, "", "")  # said by refuse_unit
        return OrgUnit.objects.get(pk=info.id)

    def _document(self, text: str, body: OrgUnit, day: dt.date, column: str) -> Any:
        if not text:
            return None
        doc = document_by_symbol(self.ctx.actor, text, [body.path], day)
        if doc is None:
            raise Refused(
                column,
                text,
                "import.document_unknown",
                _(
                    "No issued document %(symbol)s of %(body)s dated on or before %(date)s in "
                    "the register you may read."
                )
                % {"symbol": text, "body": body, "date": day},
            )
        return doc

    # -- One row ---------------------------------------------------------------------------

    def row(self, number: int, row: InspectionRow) -> None:
        report = self.ctx.report
        first = self.seen.setdefault(row.code, number)
        if first != number:
            report.refuse(
                number,
                "code",
                row.code,
                "import.duplicate_row",
                _("The same code is already in row %(row)d.") % {"row": first},
            )
            return
        self.columns = COLUMNS
        try:
            with transaction.atomic():
                body = self._unit(row.body_code, "body_code")
                body_kind = row.body_kind or default_body_kind(self.rules, body.kind)
                units = [self._unit(c, "subject_units") for c in row.subject_units]
                members = [self._member(x) for x in row.subject_members]
                self._check_level(row, body, units, members)
                violations = self._violations(row, units, members)
                existing = Inspection.objects.filter(code=row.code).first()
                if existing is None:
                    extra: dict[str, Any] = {}
                    if not row.decision_document:
                        extra["taken_over"] = True
                    inspection = inspection_open(
                        actor=self.ctx.actor,
                        code=row.code,
                        body=body,
                        body_kind=body_kind,
                        kind=row.kind,
                        decided_on=row.decided_on,
                        document=self._document(
                            row.decision_document, body, row.decided_on, "decision_document"
                        ),
                        period_from=row.period_from,
                        period_to=row.period_to,
                        team=self._team(row),
                        subject_units=units,
                        subject_members=members,
                        **extra,
                    )
                    self._steps(row, inspection)
                    if row.concluded_on is not None:
                        self._conclude(row, inspection, body, violations)
                    self._recommend(row, inspection)
                    count_row(report, True, "created")
                    return
                changed = self._update(row, existing, body, body_kind, units, members, violations)
                count_row(report, changed, "updated")
        except Refused as exc:
            exc.tell(self.ctx, number)
        except ServiceError as exc:
            column = self.columns.get(exc.field or "", "code")
            report.refuse_error(number, column, _cell(getattr(row, column, "")), exc)

    def _team(self, row: InspectionRow) -> list[TeamMember]:
        if row.team_leader and row.team_leader not in row.team:
            raise Refused(
                "team_leader",
                row.team_leader,
                "inspection.import_leader_not_in_team",
                _("The leader is one of the team: add %(name)s to team.")
                % {"name": row.team_leader},
            )
        return [TeamMember(name=n, is_leader=n == row.team_leader) for n in row.team]

    def _steps(self, row: InspectionRow, inspection: Inspection) -> bool:
        """Record the steps the row gives that are not recorded yet, in the rule set's
        order; True when one was. A step recorded on another day is refused."""
        given = dict(row.steps)
        recorded = {s.step: s.done_on for s in inspection.steps.all() if s.done_on is not None}
        changed = False
        self.columns = STEP_COLUMNS
        for step in self.rules.steps:
            day = given.pop(step.code, None)
            if day is None or step.code in (STEP_DECISION, STEP_CONCLUSION):
                continue
            if step.code in recorded:
                if recorded[step.code] != day:
                    raise self._conflict(row, "steps", f"{step.code}={recorded[step.code]}")
                continue
            inspection_record_step(
                actor=self.ctx.actor, inspection=inspection, step=step.code, done_on=day
            )
            changed = True
        unknown = [c for c in given if c not in (STEP_DECISION, STEP_CONCLUSION)]
        if unknown:
            raise Refused(
                "steps",
                unknown[0],
                "inspection.step_unknown",
                _("%(step)s is not a step of the rule set; known: %(known)s.")
                % {"step": unknown[0], "known": ", ".join(s.code for s in self.rules.steps)},
            )
        self.columns = COLUMNS
        return changed

    def _recommend(self, row: InspectionRow, inspection: Inspection) -> bool:
        """Add the recommendations the row gives that are not recorded (known by their
        text) and their follow-up; True when something was. A recommendation recorded
        otherwise, or a later follow-up recorded than the row's, is refused."""
        if not row.recommendations:
            return False
        # Known by the text with its spacing folded, as the export writes it on one line.
        recorded = {" ".join(r.text.split()): r for r in inspection.recommendations.all()}
        changed = False
        for cell in row.recommendations:
            rec = recorded.get(cell.text)
            info = self.ctx.units.get(cell.owner)
            owner_unit = OrgUnit.objects.get(pk=info.id) if info is not None else None
            if rec is None:
                rec = recommendation_add(
                    actor=self.ctx.actor,
                    inspection=inspection,
                    text=cell.text,
                    owner_unit=owner_unit,
                    owner_text="" if owner_unit is not None else cell.owner,
                    deadline=cell.deadline,
                )
                recorded[cell.text] = rec
                changed = True
            else:
                owner = rec.owner_unit.code if rec.owner_unit is not None else rec.owner_text
                if (owner, rec.deadline) != (cell.owner, cell.deadline):
                    raise self._conflict(row, "recommendations", f"{owner} | {rec.deadline}")
            last = rec.follow_ups.order_by("-on", "-id").first()
            if cell.on is None:
                if last is not None and cell.status != rec.status:
                    raise self._conflict(row, "recommendations", f"{last.status} {last.on}")
                continue
            if last is not None and (last.on, last.status) == (cell.on, cell.status):
                continue
            if last is not None and last.on > cell.on:
                raise self._conflict(row, "recommendations", f"{last.status} {last.on}")
            recommendation_follow_up(
                actor=self.ctx.actor, recommendation=rec, on=cell.on, status=cell.status
            )
            changed = True
        return changed

    def _check_level(
        self, row: InspectionRow, body: OrgUnit, units: list[OrgUnit], members: list[Member]
    ) -> None:
        """The file's `from_higher_level`, when it says one, is what the tree says."""
        if row.from_higher_level is None:
            return
        inspected = [*units, *(m.unit for m in members)]
        higher = any(is_from_higher_level(body, u, self.ctx.rules) for u in inspected)
        if higher != row.from_higher_level:
            message = (
                _(
                    "%(body)s stands above the own committee of an inspected unit: the "
                    "inspection comes from a higher level (write true, or leave it empty)."
                )
                if higher
                else _(
                    "%(body)s does not stand above the own committee of any inspected unit: "
                    "the inspection is not from a higher level (write false, or leave it "
                    "empty)."
                )
            ) % {"body": body}
            raise Refused(
                "from_higher_level",
                row.from_higher_level,
                "inspection.level_contradicts_tree",
                message,
            )

    def _violations(
        self, row: InspectionRow, units: list[OrgUnit], members: list[Member]
    ) -> dict[tuple[str, int], str]:
        """("unit" | "member", id) -> the kind of violation found on that subject."""
        if row.violations and row.concluded_on is None:
            raise Refused(
                "violations",
                "; ".join(f"{s}={k}" for s, k in row.violations),
                "inspection.violations_without_conclusion",
                _("Violations are found by a conclusion: give the day it was concluded."),
            )
        by_unit = {u.code: u.pk for u in units}
        by_member = {x: m.pk for x, m in zip(row.subject_members, members, strict=True)}
        out: dict[tuple[str, int], str] = {}
        for subject, kind in row.violations:
            if subject in by_unit:
                out[("unit", by_unit[subject])] = kind
            elif subject in by_member:
                out[("member", by_member[subject])] = kind
            else:
                raise Refused(
                    "violations",
                    subject,
                    "inspection.violation_not_subject",
                    _("%(subject)s is not among the subjects of this row.") % {"subject": subject},
                )
        return out

    def _conclude(
        self,
        row: InspectionRow,
        inspection: Inspection,
        body: OrgUnit,
        violations: dict[tuple[str, int], str],
    ) -> None:
        """Conclude on `row.concluded_on`: the steps between the decision and the conclusion
        not yet recorded are recorded done on that day (a file of past inspections gives no
        other), then the conclusion with a finding on every subject."""
        day = row.concluded_on
        assert day is not None
        self.columns = CONCLUSION_COLUMNS
        for step in self.rules.steps:
            if step.code in (STEP_DECISION, STEP_CONCLUSION):
                continue
            if inspection.steps.filter(step=step.code, done_on__isnull=False).exists():
                continue
            inspection_record_step(
                actor=self.ctx.actor,
                inspection=inspection,
                step=step.code,
                done_on=day,
                note=_("Recorded by an import with the conclusion."),
            )
        findings = []
        for subject in inspection.subjects.all():
            key = ("unit", subject.unit_id) if subject.unit_id else ("member", subject.member_id)
            kind = violations.get(key)  # type: ignore[arg-type]
            findings.append(Finding(subject.pk, kind is not None, kind or ""))
        extra: dict[str, Any] = {}
        if not row.conclusion_document:
            extra["taken_over"] = True
        inspection_conclude(
            actor=self.ctx.actor,
            inspection=inspection,
            concluded_on=day,
            findings=findings,
            document=self._document(row.conclusion_document, body, day, "conclusion_document"),
            **extra,
        )

    def _update(
        self,
        row: InspectionRow,
        existing: Inspection,
        body: OrgUnit,
        body_kind: str,
        units: list[OrgUnit],
        members: list[Member],
        violations: dict[tuple[str, int], str],
    ) -> bool:
        """Bring a recorded inspection to the row through the services; True when it
        changed. Refused: what no service changes."""
        if not self.ctx.scope.covers_path(existing.path):
            raise Refused(
                "code",
                row.code,
                "inspection.code_taken",
                _("The code %(code)s is already an inspection's.") % {"code": row.code},
            )
        said = {
            "body_code": (existing.body_id, body.pk, existing.body.code),
            "body_kind": (existing.body_kind, body_kind, existing.body_kind),
            "kind": (existing.kind, row.kind, existing.kind),
            "decided_on": (existing.decided_on, row.decided_on, existing.decided_on),
        }
        if row.decision_document:
            doc = self._document(row.decision_document, body, row.decided_on, "decision_document")
            said["decision_document"] = (
                existing.decision_document_id,
                doc.pk,
                existing.decision_document_text,
            )
        if row.period_from or row.period_to:
            said["period_from"] = (existing.period_from, row.period_from, existing.period_from)
            said["period_to"] = (existing.period_to, row.period_to, existing.period_to)
        if row.team:
            team = {(t.name, t.is_leader) for t in existing.team.all()}
            given_team = {(t.name, t.is_leader) for t in self._team(row)}
            names = "; ".join(sorted(n for n, _leader in team))
            said["team"] = (team, given_team, names)
        for column, (recorded, given, shown) in said.items():
            if recorded != given:
                raise self._conflict(row, column, shown)
        recorded_units = set(
            existing.subjects.filter(unit__isnull=False).values_list("unit_id", flat=True)
        )
        recorded_members = set(
            existing.subjects.filter(member__isnull=False).values_list("member_id", flat=True)
        )
        if not recorded_units <= {u.pk for u in units}:
            raise self._conflict(row, "subject_units", "")
        if not recorded_members <= {m.pk for m in members}:
            raise self._conflict(row, "subject_members", "")
        new_units = [u for u in units if u.pk not in recorded_units]
        new_members = [m for m in members if m.pk not in recorded_members]
        changed = bool(new_units or new_members)
        if existing.concluded_on is not None:
            if changed:
                raise self._conflict(row, "subject_units" if new_units else "subject_members", "")
            if row.concluded_on != existing.concluded_on:
                raise self._conflict(row, "concluded_on", existing.concluded_on)
            found = {
                (("unit", s.unit_id) if s.unit_id else ("member", s.member_id)): s.violation_kind
                for s in existing.subjects.filter(violation_found=True)
            }
            if found != violations:
                raise self._conflict(row, "violations", "")
            self._steps(row, existing)  # all recorded: a step of another day is refused
            return self._recommend(row, existing)
        for unit in new_units:
            inspection_add_subject(actor=self.ctx.actor, inspection=existing, unit=unit)
        for member in new_members:
            inspection_add_subject(actor=self.ctx.actor, inspection=existing, member=member)
        changed = self._steps(row, existing) or changed
        if row.concluded_on is not None:
            self._conclude(row, existing, body, violations)
            changed = True
        return self._recommend(row, existing) or changed

    def _conflict(self, row: InspectionRow, column: str, recorded: Any) -> Refused:
        return Refused(
            column,
            _cell(getattr(row, column, "")),
            "inspection.import_conflict",
            _(
                "%(code)s is recorded otherwise (%(recorded)s): an import adds subjects and "
                "a conclusion, it does not rewrite what is recorded."
            )
            % {"code": row.code, "recorded": recorded if recorded not in ("", None) else "—"},
        )


def import_inspections(ctx: ImportContext, table: Table) -> None:
    importer = _Importer(ctx)
    for chunk in chunked(parsed_rows(ctx, table), 500):
        ctx.tick("checking")
        rows = [(n, r) for n, _raw, r in chunk if r is not None]
        ctx.units.load({c for _n, r in rows for c in (r.body_code, *r.subject_units)})
        # A recommendation's owner is a unit when its code is one (else as written).
        ctx.units.load({c.owner for _n, r in rows for c in r.recommendations})
        for number, row in rows:
            importer.row(number, row)
        ctx.report.rows_checked += len(chunk)
