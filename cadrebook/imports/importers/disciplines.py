"""Import of disciplines files: historic decisions on members and organizations, each
through `discipline_decide` (the form for the subject, the body's authority, the limitation
period, a second discipline for the same violation, the consequences of an expulsion or a
dissolution, audited). The vote counts are optional: a file of past decisions may have none
(recorded as unknown); given, they are checked. A dissolution names the unit its members go
to (`members_to`) when the organization still has members. An expulsion whose `expelled`
event the events import already recorded on the decision's day links to it (no second
expulsion); an `expelled` event of another day is refused on `decided_on`.

A decision is identified by its subject, form, day of decision and day of violation, and,
when the row gives them, the kind and text of the violation (a subject may be disciplined
twice on one day for two violations). One already recorded leaves the row unchanged, so a
second import of the same file, or of an export, changes nothing.

The optional `status` and `appeal_*` columns carry what happened to a decision on appeal:
a recorded decision the file says was appealed gets its appeal through `appeal_lodge` and
`appeal_decide` (an annulled expulsion restores membership through a correction, a changed
decision is followed by its new form); a recorded appeal or status the file contradicts is
refused, not rewritten. `lapsed` is `in_force` with the rule set's months past: a state of
time, not of the record."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.documents.references import document_by_symbol
from cadrebook.imports.context import ImportContext, chunked, parsed_rows
from cadrebook.imports.importers.inspections import Refused, member_in_scope
from cadrebook.imports.reading import Table
from cadrebook.imports.schemas import DisciplineRow
from cadrebook.inspections.choices import AppealOutcome, DisciplineStatus
from cadrebook.inspections.models import Discipline
from cadrebook.inspections.rules import inspection_rules
from cadrebook.inspections.services import appeal_decide, appeal_lodge, discipline_decide
from cadrebook.orgs.models import OrgUnit

# The organ of a body a row names none for: a cell's meeting on a cell, else the committee.
CELL_BODY = "cell"
COMMITTEE_BODY = "committee"

# A service's field -> the file's column it stands for.
COLUMNS = {
    "subject_kind": "subject_kind",
    "member": "subject",
    "unit": "subject",
    "form": "form",
    "body": "body_code",
    "body_kind": "body_kind",
    "decided_on": "decided_on",
    "violation_on": "violation_on",
    "document": "document",
    "violation": "violation",
    "violation_kind": "violation_kind",
    "votes": "votes",
    "voters_total": "voters_total",
    "proposing_for": "proposing_for",
    "proposing_total": "proposing_total",
    "holds_post": "holds_post",
    "child_under_months": "raising_child_under_12_months",
    "youngest_child_born_on": "raising_child_under_12_months",
    "members_to": "members_to",
    "relations": "relations",
}
# Refusals whose column is not their field's: the child is the file's own column.
CODE_COLUMNS = {"discipline.child_under": "raising_child_under_12_months"}
# During the appeal, the fields are the appeal's.
APPEAL_COLUMNS = {
    **COLUMNS,
    "discipline": "appeal_outcome",
    "appeal": "appeal_outcome",
    "lodged_on": "appeal_lodged_on",
    "received_on": "appeal_received_on",
    "body": "appeal_body_code",
    "body_kind": "appeal_body_kind",
    "decided_on": "appeal_decided_on",
    "outcome": "appeal_outcome",
    "new_form": "appeal_new_form",
    "document": "appeal_document",
}

# The status a decided appeal leaves its discipline in.
STATUS_AFTER = {
    AppealOutcome.PENDING: DisciplineStatus.IN_FORCE,
    AppealOutcome.UPHELD: DisciplineStatus.IN_FORCE,
    AppealOutcome.CHANGED: DisciplineStatus.CHANGED,
    AppealOutcome.ANNULLED: DisciplineStatus.ANNULLED,
}


def default_discipline_body_kind(unit_kind: str) -> str:
    """The organ a row without `body_kind` names: a cell for a cell, the committee else."""
    cell = inspection_rules().body(CELL_BODY)
    return CELL_BODY if cell is not None and unit_kind in cell.unit_kinds else COMMITTEE_BODY


def row_key(row: DisciplineRow) -> tuple[Any, ...]:
    """What identifies a decision within a file."""
    return (
        row.subject_kind,
        row.subject,
        row.form,
        row.decided_on,
        row.violation_on,
        row.violation_kind,
        row.violation.strip().casefold(),
    )


class _Importer:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.seen: dict[tuple[Any, ...], int] = {}
        self.columns = COLUMNS

    def _body(self, code: str, column: str = "body_code") -> OrgUnit:
        """A deciding body: a unit the importer may see (a body above the importer's scope
        decides on members inside it)."""
        info = self.ctx.units.get(code)
        if info is None or not self.ctx.sees(info.path):
            raise Refused(column, code, "", "")
        return OrgUnit.objects.get(pk=info.id)

    def _members_to(self, row: DisciplineRow) -> OrgUnit | None:
        if not row.members_to:
            return None
        if row.form != "dissolution":
            raise Refused(
                "members_to",
                row.members_to,
                "discipline.members_to_not_dissolution",
                _("Only a dissolution hands members over to another unit; leave it empty."),
            )
        info = self.ctx.unit_in_scope(row.members_to)
        if info is None:
            raise Refused("members_to", row.members_to, "", "")
        return OrgUnit.objects.get(pk=info.id)

    def _recorded(self, row: DisciplineRow, subject: dict[str, Any]) -> Discipline | None:
        """The recorded decision the row stands for; refused when the row's columns leave
        more than one."""
        found = Discipline.objects.filter(
            **subject, form=row.form, decided_on=row.decided_on, violation_on=row.violation_on
        )
        if row.violation_kind:
            found = found.filter(violation_kind=row.violation_kind)
        matches = list(found.select_related("body"))
        if row.violation:
            text = row.violation.strip().casefold()
            matches = [d for d in matches if d.violation.strip().casefold() == text]
        if len(matches) > 1:
            raise Refused(
                "violation",
                row.violation,
                "discipline.import_ambiguous",
                _(
                    "%(count)d decisions of this form on this subject were taken that day for "
                    "violations of that day: give violation_kind and violation to say which."
                )
                % {"count": len(matches)},
            )
        return matches[0] if matches else None

    def row(self, number: int, row: DisciplineRow) -> None:
        report = self.ctx.report
        first = self.seen.setdefault(row_key(row), number)
        if first != number:
            report.refuse(
                number,
                "subject",
                row.subject,
                "import.duplicate_row",
                _(
                    "The same decision (subject, form, days and violation) is already in row %(row)d."
                )
                % {"row": first},
            )
            return
        self.columns = COLUMNS
        try:
            with transaction.atomic():
                member = unit = None
                if row.subject_kind == "member":
                    member = member_in_scope(self.ctx, row.subject, "subject")
                else:
                    info = self.ctx.unit_in_scope(row.subject)
                    if info is None:
                        raise Refused("subject", row.subject, "", "")
                    unit = OrgUnit.objects.get(pk=info.id)
                body = self._body(row.body_code)
                members_to = self._members_to(row)
                self._check_status(row)
                subject: dict[str, Any] = (
                    {"member": member} if member is not None else {"unit": unit}
                )
                recorded = self._recorded(row, subject)
                if recorded is not None:
                    if recorded.body_id != body.pk:
                        raise self._conflict(row, "body_code", recorded.body.code)
                    if self._appeal(row, recorded):
                        report.updated += 1
                        report.rows_written += 1
                    else:
                        report.unchanged += 1
                    return
                document = None
                if row.document:
                    path = [body.path]
                    document = document_by_symbol(
                        self.ctx.actor, row.document, path, row.decided_on
                    )
                decision = discipline_decide(
                    actor=self.ctx.actor,
                    subject_kind=row.subject_kind,
                    member=member,
                    unit=unit,
                    form=row.form,
                    body=body,
                    body_kind=row.body_kind or default_discipline_body_kind(body.kind),
                    decided_on=row.decided_on,
                    document=document,
                    document_text=row.document,
                    violation=row.violation
                    or _("Recorded by an import from earlier records: see the decision."),
                    violation_kind=row.violation_kind,
                    violation_on=row.violation_on,
                    votes=dict(row.votes) if row.votes else None,
                    voters_total=row.voters_total,
                    proposing_for=row.proposing_for,
                    proposing_total=row.proposing_total,
                    child_under_months=row.raising_child_under_12_months,
                    holds_post=row.holds_post,
                    members_to=members_to,
                    relations=row.relations,
                    may_admit=row.may_admit,
                    # A past decision from old files: its votes may be lost (given, they are
                    # checked), and an expulsion links to the `expelled` event the events
                    # import recorded on its day instead of expelling twice.
                    taken_over=True,
                )
                self._appeal(row, decision)
                report.created += 1
                report.rows_written += 1
        except Refused as exc:
            if not exc.code:
                self.ctx.refuse_unit(number, exc.column, exc.value)
            else:
                report.refuse(number, exc.column, exc.value, exc.code, exc.message)
        except ServiceError as exc:
            column = CODE_COLUMNS.get(exc.code) or self.columns.get(exc.field or "", "subject")
            report.refuse_error(number, column, getattr(row, column, ""), exc)

    # -- Status and appeal -----------------------------------------------------------------

    def _check_status(self, row: DisciplineRow) -> None:
        """The row's status and appeal agree: an annulled or changed decision names the
        appeal that annulled or changed it, and an appeal names its day and body."""
        if row.appeal_outcome:
            expected = STATUS_AFTER[AppealOutcome(row.appeal_outcome)]
            if row.status and row.status != "lapsed" and row.status != expected:
                raise Refused(
                    "status",
                    row.status,
                    "discipline.import_status_appeal",
                    _("An appeal %(outcome)s leaves the decision %(status)s.")
                    % {"outcome": row.appeal_outcome, "status": expected},
                )
            for column in ("appeal_lodged_on", "appeal_body_code"):
                if not getattr(row, column):
                    raise Refused(
                        column,
                        "",
                        "discipline.import_appeal_incomplete",
                        _("An appeal needs the day it was lodged and the body deciding it."),
                    )
            decided = row.appeal_outcome != AppealOutcome.PENDING
            if decided != (row.appeal_decided_on is not None):
                raise Refused(
                    "appeal_decided_on",
                    row.appeal_decided_on or "",
                    "discipline.import_appeal_incomplete",
                    _("Give the day an appeal was decided, and only for a decided one."),
                )
        elif row.status in (DisciplineStatus.ANNULLED, DisciplineStatus.CHANGED):
            raise Refused(
                "appeal_outcome",
                "",
                "discipline.import_appeal_incomplete",
                _("A decision is annulled or changed by an appeal: give the appeal's columns."),
            )

    def _appeal(self, row: DisciplineRow, decision: Discipline) -> bool:
        """Bring the decision's appeal to the row's through the services; True when it
        changed. What the file contradicts is refused."""
        appeal = decision.appeals.select_related("body").order_by("-lodged_on", "-id").first()
        if not row.appeal_outcome:
            if row.status and row.status != "lapsed" and row.status != decision.status:
                raise self._conflict(row, "status", decision.status)
            return False
        self.columns = APPEAL_COLUMNS
        body = self._body(row.appeal_body_code, "appeal_body_code")
        body_kind = row.appeal_body_kind or COMMITTEE_BODY
        assert row.appeal_lodged_on is not None
        changed = False
        if appeal is None or (
            appeal.outcome != AppealOutcome.PENDING and appeal.lodged_on < row.appeal_lodged_on
        ):
            appeal = appeal_lodge(
                actor=self.ctx.actor,
                discipline=decision,
                lodged_on=row.appeal_lodged_on,
                received_on=row.appeal_received_on or row.appeal_lodged_on,
                body=body,
                body_kind=body_kind,
            )
            changed = True
        elif (appeal.lodged_on, appeal.body_id, appeal.body_kind) != (
            row.appeal_lodged_on,
            body.pk,
            body_kind,
        ):
            raise self._conflict(row, "appeal_lodged_on", appeal.lodged_on)
        if appeal.outcome == row.appeal_outcome:
            if appeal.decided_on != row.appeal_decided_on:
                raise self._conflict(row, "appeal_decided_on", appeal.decided_on)
            return changed
        if appeal.outcome != AppealOutcome.PENDING:
            raise self._conflict(row, "appeal_outcome", appeal.outcome)
        assert row.appeal_decided_on is not None
        appeal_decide(
            actor=self.ctx.actor,
            appeal=appeal,
            decided_on=row.appeal_decided_on,
            outcome=row.appeal_outcome,
            new_form=row.appeal_new_form,
            document_text=row.appeal_document,
        )
        return True

    def _conflict(self, row: DisciplineRow, column: str, recorded: Any) -> Refused:
        return Refused(
            column,
            getattr(row, column, ""),
            "discipline.import_conflict",
            _(
                "The decision is recorded otherwise (%(recorded)s): an import adds decisions "
                "and their appeals, it does not rewrite what is recorded."
            )
            % {"recorded": recorded if recorded not in ("", None) else "—"},
        )


def import_disciplines(ctx: ImportContext, table: Table) -> None:
    importer = _Importer(ctx)
    for chunk in chunked(parsed_rows(ctx, table), 500):
        ctx.tick("checking")
        rows = [(n, r) for n, _raw, r in chunk if r is not None]
        codes = {r.body_code for _n, r in rows}
        codes |= {r.subject for _n, r in rows if r.subject_kind == "unit"}
        codes |= {r.members_to for _n, r in rows if r.members_to}
        codes |= {r.appeal_body_code for _n, r in rows if r.appeal_body_code}
        ctx.units.load(codes)
        for number, row in rows:
            importer.row(number, row)
        ctx.report.rows_checked += len(chunk)
