"""Import of appointments files: who holds which post of a committee, elected or appointed
(acting, seconded), and when it ended. A post is identified by its unit, position, member
and first day.

- A row without `ended_on` is a post held now: recorded as today's decision would be,
  through `post_elect` (the committee term covering the start, the votes) or `post_appoint`
  (`how`: appointed, acting, seconded), with every check of the rule set but one: an
  appointment's planning (`[planning] appointment_source`) is not checked (`taken_over`,
  noted so in its audit entry). The post was decided on paper before Cadrebook, when the
  planning it rested on was not recorded here; an appointment decided in Cadrebook goes
  through the API, which checks it.
- A row with `ended_on` (and its `end_reason`) is a past post taken over from the old files:
  recorded with its end through `holding_take_over`, with the checks that make sense for
  history (`cadres/history.py`: no working life, discipline, term or register document
  required of a decision taken before Cadrebook).
- A post already recorded leaves the row unchanged when the row says what is recorded, so a
  second import of the same file, or of an export, changes nothing; a running post the row
  says ended is ended through `holding_end`. What no service changes (how it was held, the
  planned end, the votes, an end recorded otherwise) is refused: history is not overwritten
  by a file.

The planning (succession pools) files of the next pass come as a kind of their own."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.cadres.choices import HoldingHow
from cadrebook.cadres.history import holding_take_over
from cadrebook.cadres.models import PostHolding
from cadrebook.cadres.services import holding_end, post_appoint, post_elect
from cadrebook.core.errors import ServiceError
from cadrebook.documents.references import document_by_symbol
from cadrebook.documents.selectors import term_on
from cadrebook.imports.context import ImportContext, chunked, parsed_rows
from cadrebook.imports.importers.inspections import Refused, count_row, member_in_scope
from cadrebook.imports.reading import Table
from cadrebook.imports.schemas import AppointmentRow
from cadrebook.orgs.models import OrgUnit

# A service's field -> the file's column it stands for.
COLUMNS = {
    "unit": "unit_code",
    "position": "position",
    "member": "member",
    "how": "how",
    "started_on": "started_on",
    "planned_end": "planned_end",
    "ended_on": "ended_on",
    "reason": "end_reason",
    "document": "document",
    "votes_for": "votes_for",
    "votes_total": "votes_cast",
    "term": "started_on",
    "holding": "ended_on",
}


class _Importer:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.seen: dict[tuple[Any, ...], int] = {}

    def _unit(self, code: str) -> OrgUnit:
        info = self.ctx.unit_in_scope(code)
        if info is None:
            raise Refused("unit_code", code, "", "")  # said by refuse_unit
        return OrgUnit.objects.get(pk=info.id)

    def row(self, number: int, row: AppointmentRow) -> None:
        report = self.ctx.report
        key = (row.unit_code, row.position, row.member, row.started_on)
        first = self.seen.setdefault(key, number)
        if first != number:
            report.refuse(
                number,
                "member",
                row.member,
                "import.duplicate_row",
                _("The same post is already in row %(row)d.") % {"row": first},
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

    def _write(self, row: AppointmentRow) -> None:
        unit = self._unit(row.unit_code)
        member = member_in_scope(self.ctx, row.member, "member")
        if row.how not in HoldingHow.values:
            raise Refused(
                "how",
                row.how,
                "cadres.how_unknown",
                _("%(how)s is not elected, appointed, acting or seconded.") % {"how": row.how},
            )
        if (row.ended_on is None) != (not row.end_reason):
            column = "end_reason" if row.ended_on is not None else "ended_on"
            raise Refused(
                column,
                getattr(row, column) or "",
                "cadres.end_incomplete",
                _("A post that ended gives both the day it ended and the reason."),
            )
        document = None
        if row.document:
            document = document_by_symbol(self.ctx.actor, row.document, [unit.path], row.started_on)
        recorded = (
            PostHolding.objects.select_related("end")
            .filter(unit=unit, position=row.position, member=member, started_on=row.started_on)
            .first()
        )
        if recorded is not None:
            count_row(self.ctx.report, self._known(row, recorded), "updated")
            return
        if row.ended_on is not None:
            holding_take_over(
                actor=self.ctx.actor,
                member=member,
                unit=unit,
                position=row.position,
                how=row.how,
                started_on=row.started_on,
                ended_on=row.ended_on,
                end_reason=row.end_reason,
                planned_end=row.planned_end,
                document=document,
                document_text=row.document,
                votes_for=row.votes_for,
                votes_total=row.votes_cast,
            )
        elif row.how == HoldingHow.ELECTED:
            term = term_on(unit, row.started_on)
            if term is None:
                raise Refused(
                    "started_on",
                    row.started_on,
                    "cadres.term_missing",
                    _("%(unit)s has no committee term on %(date)s: open it first.")
                    % {"unit": unit.code, "date": row.started_on},
                )
            post_elect(
                actor=self.ctx.actor,
                member=member,
                unit=unit,
                position=row.position,
                term=term,
                started_on=row.started_on,
                votes_for=row.votes_for,  # type: ignore[arg-type]  # refused when missing
                votes_total=row.votes_cast,  # type: ignore[arg-type]
                document=document,
                document_text=row.document,
            )
        else:
            post_appoint(
                actor=self.ctx.actor,
                member=member,
                unit=unit,
                position=row.position,
                started_on=row.started_on,
                how=row.how,
                planned_end=row.planned_end,
                document=document,
                document_text=row.document,
                # Decided on paper before Cadrebook: its planning is not in the records.
                taken_over=True,
            )
        count_row(self.ctx.report, True, "created")

    def _known(self, row: AppointmentRow, holding: PostHolding) -> bool:
        """Compare a recorded post with the row; end it when the row says it ended. Whether
        something was written."""
        said = {
            "how": (holding.how, row.how),
            "planned_end": (holding.planned_end, row.planned_end),
            "votes_for": (holding.votes_for, row.votes_for),
            "votes_cast": (holding.votes_total, row.votes_cast),
        }
        for column, (was, given) in said.items():
            if given not in (None, "") and given != was:
                raise Refused(
                    column,
                    given,
                    "cadres.import_conflict",
                    _(
                        "This post is recorded otherwise (%(recorded)s): an import adds posts "
                        "and their ends, it does not rewrite them."
                    )
                    % {"recorded": was if was not in (None, "") else "—"},
                )
        end = getattr(holding, "end", None)
        if row.ended_on is None:
            return False
        if end is not None:
            if (end.ended_on, end.reason) != (row.ended_on, row.end_reason):
                raise Refused(
                    "ended_on",
                    row.ended_on,
                    "cadres.import_conflict",
                    _("This post is recorded as ended on %(date)s (%(reason)s).")
                    % {"date": end.ended_on, "reason": end.reason},
                )
            return False
        holding_end(
            actor=self.ctx.actor,
            holding=holding,
            ended_on=row.ended_on,
            reason=row.end_reason,  # `document` is the post's decision, not the end's
        )
        return True


def import_appointments(ctx: ImportContext, table: Table) -> None:
    importer = _Importer(ctx)
    for chunk in chunked(parsed_rows(ctx, table), 500):
        ctx.tick("checking")
        rows = [(n, r) for n, _raw, r in chunk if r is not None]
        ctx.units.load({r.unit_code for _n, r in rows})
        for number, row in rows:
            importer.row(number, row)
        ctx.report.rows_checked += len(chunk)
