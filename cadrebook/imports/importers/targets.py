"""Import of targets files: (unit_code, year, indicator) identifies a target; a new number
revises it through `target_set`, which audits the old and the new value."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.evaluations.models import Target
from cadrebook.evaluations.selectors import target_check
from cadrebook.evaluations.services import target_set
from cadrebook.imports.context import ImportContext, chunked, parsed_rows
from cadrebook.imports.reading import Table
from cadrebook.orgs.models import OrgUnit


def import_targets(ctx: ImportContext, table: Table) -> None:
    report = ctx.report
    seen: dict[tuple[str, int, str], int] = {}
    for chunk in chunked(parsed_rows(ctx, table)):
        ctx.tick("checking")
        rows = [(n, r) for n, _raw, r in chunk if r is not None]
        ctx.units.load({r.unit_code for _n, r in rows})
        for number, row in rows:
            unit = ctx.unit_in_scope(row.unit_code)
            if unit is None:
                ctx.refuse_unit(number, "unit_code", row.unit_code)
                continue
            try:
                target_check(year=row.year, indicator=row.indicator, target=row.target)
            except ServiceError as exc:
                column = exc.field or "target"
                report.refuse_error(number, column, getattr(row, column, ""), exc)
                continue
            # Only a valid row claims its key, so a duplicate of a refused row is not reported.
            key = (row.unit_code, row.year, row.indicator)
            first = seen.setdefault(key, number)
            if first != number:
                report.refuse(
                    number,
                    "indicator",
                    row.indicator,
                    "import.duplicate_row",
                    _("The same unit, year and indicator are already in row %(row)d.")
                    % {"row": first},
                )
                continue
            current: Any = (
                Target.objects.filter(unit_id=unit.id, year=row.year, indicator=row.indicator)
                .values_list("target", flat=True)
                .first()
            )
            if current == row.target:
                report.unchanged += 1
                continue
            target_set(
                actor=ctx.actor,
                unit=OrgUnit.objects.get(pk=unit.id),
                year=row.year,
                indicator=row.indicator,
                target=row.target,
            )
            if current is None:
                report.created += 1
            else:
                report.updated += 1
            report.rows_written += 1
        report.rows_checked += len(chunk)
