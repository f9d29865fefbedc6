"""Import of disciplines files: historic decisions on members and organizations, each
through `discipline_decide` (the form for the subject, the body's authority, the limitation
period, a second discipline for the same violation, the consequences of an expulsion or a
dissolution, audited), without vote counts (a file of past decisions has none: recorded as
unknown). (subject, form, decided_on) identifies a decision: one already recorded leaves the
row unchanged, so a second import of the same file changes nothing."""

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
from cadrebook.inspections.models import Discipline
from cadrebook.inspections.rules import inspection_rules
from cadrebook.inspections.services import discipline_decide
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
}


def default_discipline_body_kind(unit_kind: str) -> str:
    """The organ a row without `body_kind` names: a cell for a cell, the committee else."""
    cell = inspection_rules().body(CELL_BODY)
    return CELL_BODY if cell is not None and unit_kind in cell.unit_kinds else COMMITTEE_BODY


class _Importer:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.seen: dict[tuple[str, str, str, Any], int] = {}

    def _body(self, code: str) -> OrgUnit:
        """The deciding body: a unit the importer may see (a body above the importer's
        scope decides on members inside it)."""
        info = self.ctx.units.get(code)
        if info is None or not self.ctx.sees(info.path):
            raise Refused("body_code", code, "", "")
        return OrgUnit.objects.get(pk=info.id)

    def row(self, number: int, row: DisciplineRow) -> None:
        report = self.ctx.report
        key = (row.subject_kind, row.subject, row.form, row.decided_on)
        first = self.seen.setdefault(key, number)
        if first != number:
            report.refuse(
                number,
                "subject",
                row.subject,
                "import.duplicate_row",
                _("The same subject, form and day are already in row %(row)d.") % {"row": first},
            )
            return
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
                subject: dict[str, Any] = (
                    {"member": member} if member is not None else {"unit": unit}
                )
                if Discipline.objects.filter(
                    **subject, form=row.form, decided_on=row.decided_on
                ).exists():
                    report.unchanged += 1
                    return
                document = None
                if row.document:
                    path = [body.path]
                    document = document_by_symbol(
                        self.ctx.actor, row.document, path, row.decided_on
                    )
                discipline_decide(
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
                    votes=None,
                    voters_total=None,
                )
                report.created += 1
                report.rows_written += 1
        except Refused as exc:
            if not exc.code:
                self.ctx.refuse_unit(number, exc.column, exc.value)
            else:
                report.refuse(number, exc.column, exc.value, exc.code, exc.message)
        except ServiceError as exc:
            column = COLUMNS.get(exc.field or "", "subject")
            report.refuse_error(number, column, getattr(row, column, ""), exc)


def import_disciplines(ctx: ImportContext, table: Table) -> None:
    importer = _Importer(ctx)
    for chunk in chunked(parsed_rows(ctx, table), 500):
        ctx.tick("checking")
        rows = [(n, r) for n, _raw, r in chunk if r is not None]
        codes = {r.body_code for _n, r in rows}
        codes |= {r.subject for _n, r in rows if r.subject_kind == "unit"}
        ctx.units.load(codes)
        for number, row in rows:
            importer.row(number, row)
        ctx.report.rows_checked += len(chunk)
