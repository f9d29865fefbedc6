"""Import of planning files: who is in the succession planning for which post of a unit, in
which committee term, approved by which decision, and when and why they left it. An entry is
identified by its unit, position, term, member and first day.

- A row without `removed_on` is a person in the planning now: recorded as today's decision
  would be, through `planning_add`, with every check of the rule set (the approval, the age
  limit, the disciplines' bars, planning only for a higher post, the limits per post and per
  person).
- A row with `removed_on` (and its `removal_reason`) is a past entry taken over from the old
  files: recorded with its removal through `planning_take_over`, with the checks that make
  sense for history (`cadres/history.py`).
- An entry already recorded leaves the row unchanged when the row says what is recorded, so
  a second import of the same file, or of an export, changes nothing; an entry the row says
  was removed is removed through `planning_remove`. A removal recorded otherwise is refused:
  history is not overwritten by a file."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.cadres.history import planning_take_over
from cadrebook.cadres.models import PlanningEntry
from cadrebook.cadres.services import planning_add, planning_remove
from cadrebook.core.errors import ServiceError
from cadrebook.documents.models import Term
from cadrebook.documents.references import document_by_symbol
from cadrebook.documents.selectors import term_on
from cadrebook.imports.context import ImportContext, chunked, parsed_rows
from cadrebook.imports.importers.inspections import Refused, count_row, member_in_scope
from cadrebook.imports.reading import Table
from cadrebook.imports.schemas import PlanningRow
from cadrebook.orgs.models import OrgUnit

# A service's field -> the file's column it stands for.
COLUMNS = {
    "unit": "unit_code",
    "position": "position",
    "member": "member",
    "term": "term",
    "added_on": "added_on",
    "document": "document",
    "nomination": "member",
    "removed_on": "removed_on",
    "reason": "removal_reason",
    "note": "removal_note",
    "entry": "removed_on",
}

_YEAR = re.compile(r"^\d{4}$")


def find_term(unit: OrgUnit, given: str, day: Any) -> Term:
    """The unit's committee term the row names: by its label, or by its first year; the
    term covering `day` when the row names none."""
    if not given:
        term = term_on(unit, day)
        if term is None:
            raise Refused(
                "added_on",
                day,
                "cadres.term_missing",
                _("%(unit)s has no committee term on %(date)s: open it first.")
                % {"unit": unit.code, "date": day},
            )
        return term
    terms = Term.objects.filter(unit=unit, congress=False)
    found = terms.filter(label=given).first()
    if found is None and _YEAR.match(given):
        found = terms.filter(start__year=int(given)).order_by("start").first()
    if found is None:
        raise Refused(
            "term",
            given,
            "cadres.term_unknown",
            _("%(unit)s has no committee term %(term)s: give its label or first year.")
            % {"unit": unit.code, "term": given},
        )
    return found


class _Importer:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.seen: dict[tuple[Any, ...], int] = {}

    def _unit(self, code: str) -> OrgUnit:
        info = self.ctx.unit_in_scope(code)
        if info is None:
            raise Refused("unit_code", code, "", "")  # said by refuse_unit
        return OrgUnit.objects.get(pk=info.id)

    def row(self, number: int, row: PlanningRow) -> None:
        report = self.ctx.report
        key = (row.unit_code, row.position, row.term, row.member, row.added_on)
        first = self.seen.setdefault(key, number)
        if first != number:
            report.refuse(
                number,
                "member",
                row.member,
                "import.duplicate_row",
                _("The same planning entry is already in row %(row)d.") % {"row": first},
            )
            return
        try:
            with transaction.atomic():
                self._write(row)
        except Refused as exc:
            exc.tell(self.ctx, number)
        except ServiceError as exc:
            column = COLUMNS.get(exc.field or "", "unit_code")
            report.refuse_error(number, column, getattr(row, column, ""), exc)

    def _write(self, row: PlanningRow) -> None:
        unit = self._unit(row.unit_code)
        member = member_in_scope(self.ctx, row.member, "member")
        if (row.removed_on is None) != (not row.removal_reason):
            column = "removal_reason" if row.removed_on is not None else "removed_on"
            raise Refused(
                column,
                getattr(row, column) or "",
                "planning.removal_incomplete",
                _("A person who left the planning gives both the first day out and the reason."),
            )
        term = find_term(unit, row.term, row.added_on)
        document = None
        if row.document:
            document = document_by_symbol(self.ctx.actor, row.document, [unit.path], row.added_on)
        recorded = (
            PlanningEntry.objects.select_related("removal")
            .filter(
                unit=unit,
                term=term,
                position=row.position,
                member=member,
                added_on=row.added_on,
            )
            .first()
        )
        if recorded is not None:
            count_row(self.ctx.report, self._known(row, recorded), "updated")
            return
        if row.removed_on is not None:
            planning_take_over(
                actor=self.ctx.actor,
                member=member,
                unit=unit,
                term=term,
                position=row.position,
                added_on=row.added_on,
                removed_on=row.removed_on,
                reason=row.removal_reason,
                note=row.removal_note,
                document=document,
                document_text=row.document,
                removal_document_text=row.removal_document,
            )
        else:
            planning_add(
                actor=self.ctx.actor,
                unit=unit,
                term=term,
                position=row.position,
                member=member,
                added_on=row.added_on,
                document=document,
                document_text=row.document,
            )
        count_row(self.ctx.report, True, "created")

    def _known(self, row: PlanningRow, entry: PlanningEntry) -> bool:
        """Compare a recorded entry with the row; remove it when the row says it was
        removed. Whether something was written."""
        removal = getattr(entry, "removal", None)
        if row.removed_on is None:
            return False
        if removal is not None:
            if (removal.removed_on, removal.reason) != (row.removed_on, row.removal_reason):
                raise Refused(
                    "removed_on",
                    row.removed_on,
                    "cadres.import_conflict",
                    _("This entry is recorded as removed on %(date)s (%(reason)s).")
                    % {"date": removal.removed_on, "reason": removal.reason},
                )
            return False
        planning_remove(
            actor=self.ctx.actor,
            entry=entry,
            removed_on=row.removed_on,
            reason=row.removal_reason,
            note=row.removal_note,
            document_text=row.removal_document,
        )
        return True


def import_planning(ctx: ImportContext, table: Table) -> None:
    importer = _Importer(ctx)
    for chunk in chunked(parsed_rows(ctx, table), 500):
        ctx.tick("checking")
        rows = [(n, r) for n, _raw, r in chunk if r is not None]
        ctx.units.load({r.unit_code for _n, r in rows})
        for number, row in rows:
            importer.row(number, row)
        ctx.report.rows_checked += len(chunk)
