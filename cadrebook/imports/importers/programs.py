"""Import of inspection-programs files: a body's yearly program of inspections and
supervisions (one per body, organ and year, through `program_create`) and its planned items
(`program_item_add`), one item a row; a row without `kind` is the program alone. A program
already recorded is the row's when its body, organ and year are the row's; an item already
planned (the same kind, subject and period) leaves the row unchanged, so a second import of
the same file, or of an export, changes nothing. What no service changes (the title, the
document of a recorded program) is refused: history is not overwritten by a file."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.documents.references import document_by_symbol
from cadrebook.imports.context import ImportContext, chunked, parsed_rows
from cadrebook.imports.importers.inspections import Refused, count_row, default_body_kind
from cadrebook.imports.reading import Table
from cadrebook.imports.schemas import ProgramRow
from cadrebook.inspections.models import InspectionProgram
from cadrebook.inspections.rules import inspection_rules
from cadrebook.inspections.services import program_create, program_item_add
from cadrebook.orgs.models import OrgUnit

# A service's field -> the file's column it stands for.
COLUMNS = {
    "body": "body_code",
    "body_kind": "body_kind",
    "year": "year",
    "title": "title",
    "document": "document",
    "kind": "kind",
    "subject_unit": "subject_unit",
    "subject_text": "subject",
    "planned_from": "planned_from",
    "planned_to": "planned_to",
}


def default_title(year: int) -> str:
    return _("Program of inspection and supervision %(year)d") % {"year": year}


class _Importer:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.rules = inspection_rules(ctx.rules)
        self.seen: dict[tuple[Any, ...], int] = {}

    def _unit(self, code: str, column: str) -> OrgUnit:
        info = self.ctx.unit_in_scope(code)
        if info is None:
            raise Refused(column, code, "", "")  # said by refuse_unit
        return OrgUnit.objects.get(pk=info.id)

    def row(self, number: int, row: ProgramRow) -> None:
        report = self.ctx.report
        key = (
            row.body_code,
            row.body_kind,
            row.year,
            row.kind,
            row.subject_unit,
            row.subject,
            row.planned_from,
            row.planned_to,
        )
        first = self.seen.setdefault(key, number)
        if first != number:
            report.refuse(
                number,
                "kind",
                row.kind,
                "import.duplicate_row",
                _("The same program item is already in row %(row)d.") % {"row": first},
            )
            return
        try:
            with transaction.atomic():
                body = self._unit(row.body_code, "body_code")
                body_kind = row.body_kind or default_body_kind(self.rules, body.kind)
                subject_unit = (
                    self._unit(row.subject_unit, "subject_unit") if row.subject_unit else None
                )
                if not row.kind and (subject_unit or row.subject or row.planned_from):
                    raise Refused(
                        "kind",
                        "",
                        "program.item_kind_missing",
                        _("A planned item names its kind of inspection or supervision."),
                    )
                program = InspectionProgram.objects.filter(
                    body=body, body_kind=body_kind, year=row.year
                ).first()
                created = program is None
                if program is None:
                    document = None
                    if row.document:
                        document = document_by_symbol(
                            self.ctx.actor, row.document, [body.path], dt.date(row.year, 12, 31)
                        )
                    program = program_create(
                        actor=self.ctx.actor,
                        body=body,
                        body_kind=body_kind,
                        year=row.year,
                        title=row.title or default_title(row.year),
                        document=document,
                        document_text=row.document,
                    )
                else:
                    self._check_recorded(row, program)
                if row.kind and not self._planned(row, program, subject_unit):
                    program_item_add(
                        actor=self.ctx.actor,
                        program=program,
                        kind=row.kind,
                        subject_unit=subject_unit,
                        subject_text=row.subject,
                        planned_from=row.planned_from,
                        planned_to=row.planned_to,
                    )
                    created = True
                count_row(report, created, "created")
        except Refused as exc:
            exc.tell(self.ctx, number)
        except ServiceError as exc:
            column = COLUMNS.get(exc.field or "", "body_code")
            report.refuse_error(number, column, getattr(row, column, ""), exc)

    def _check_recorded(self, row: ProgramRow, program: InspectionProgram) -> None:
        said = {
            "title": (program.title, row.title),
            "document": (program.document_text, row.document),
        }
        for column, (recorded, given) in said.items():
            if given and given != recorded:
                raise Refused(
                    column,
                    given,
                    "program.import_conflict",
                    _(
                        "The program of %(year)d is recorded otherwise (%(recorded)s): an import "
                        "adds planned items, it does not rewrite the program."
                    )
                    % {"year": program.year, "recorded": recorded or "—"},
                )

    def _planned(
        self, row: ProgramRow, program: InspectionProgram, subject_unit: OrgUnit | None
    ) -> bool:
        return program.items.filter(
            kind=row.kind,
            subject_unit=subject_unit,
            subject_text=row.subject,
            planned_from=row.planned_from,
            planned_to=row.planned_to,
        ).exists()


def import_programs(ctx: ImportContext, table: Table) -> None:
    importer = _Importer(ctx)
    for chunk in chunked(parsed_rows(ctx, table), 500):
        ctx.tick("checking")
        rows = [(n, r) for n, _raw, r in chunk if r is not None]
        ctx.units.load({c for _n, r in rows for c in (r.body_code, r.subject_unit) if c})
        for number, row in rows:
            importer.row(number, row)
        ctx.report.rows_checked += len(chunk)
