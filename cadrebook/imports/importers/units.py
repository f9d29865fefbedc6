"""Import of units files: `code` identifies a unit; parents may come later in the file.

New units are created through `unit_create` (kind checked against the rule set under its
parent, audited) in parent-before-child order; a unit with a `dissolved_on` date is dissolved
through `unit_dissolve` once its children are in (and moved). A known unit may be renamed,
moved (a new `parent_code` with its `moved_on` date, through `unit_move`) or dissolved by a
row; a row that would change its kind or founding date is refused.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.imports.context import ImportContext, parsed_rows
from cadrebook.imports.reading import Table
from cadrebook.imports.schemas import UnitRow
from cadrebook.members.services import unit_dissolve, unit_move
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.services import unit_create, unit_rename


class UnitsImporter:
    def __init__(self, ctx: ImportContext) -> None:
        self.ctx = ctx
        self.rows: dict[str, tuple[int, UnitRow]] = {}
        self.refused_codes: set[str] = set()
        # (row number, unit, row, whether the row created the unit)
        self.to_dissolve: list[tuple[int, OrgUnit, UnitRow, bool]] = []

    def run(self, table: Table) -> None:
        ctx = self.ctx
        report = ctx.report
        kinds = ctx.rules.unit_kinds
        for number, _raw, row in parsed_rows(ctx, table):
            ctx.tick("checking")
            if row is None:
                continue
            assert isinstance(row, UnitRow)
            if row.code in self.rows:
                report.refuse(
                    number,
                    "code",
                    row.code,
                    "import.duplicate_row",
                    _("The code %(code)s is already in row %(row)d of this file.")
                    % {"code": row.code, "row": self.rows[row.code][0]},
                )
                continue
            self.rows[row.code] = (number, row)
            if row.kind not in kinds:
                report.refuse_error(number, "kind", row.kind, _kind_error(ctx, row.kind))
                self.refused_codes.add(row.code)
        codes = set(self.rows) | {r.parent_code for _n, r in self.rows.values() if r.parent_code}
        ctx.units.load(codes)
        for code in self._order():
            number, row = self.rows[code]
            if code in self.refused_codes:
                continue
            ctx.tick("writing")
            self._apply(number, row)
            report.rows_checked += 1
        # Children first, so a dissolved parent has no active child left when its turn comes.
        for number, unit, row, created in sorted(self.to_dissolve, key=lambda t: -t[1].depth):
            assert row.dissolved_on is not None
            try:
                unit_dissolve(actor=ctx.actor, unit=unit, date=row.dissolved_on)
            except ServiceError as exc:
                report.refuse_error(number, "dissolved_on", row.dissolved_on, exc)
                # The row was counted created or updated: it is refused now, and counted so.
                if created:
                    report.created -= 1
                else:
                    report.updated -= 1

    def _order(self) -> list[str]:
        """Codes in an order where every parent comes before its children; rows whose parent
        is unknown or lies on a cycle are refused."""
        report = self.ctx.report
        children: dict[str, list[str]] = {}
        ready: list[str] = []
        for code, (number, row) in self.rows.items():
            parent = row.parent_code
            if not parent or (parent not in self.rows and self.ctx.units.get(parent)):
                ready.append(code)
            elif parent in self.rows:
                children.setdefault(parent, []).append(code)
            else:
                self.ctx.refuse_unit(number, "parent_code", parent)
                self.refused_codes.add(code)
        order: list[str] = []
        while ready:
            code = ready.pop()
            order.append(code)
            ready.extend(children.pop(code, []))
        for waiting in children.values():
            for code in waiting:
                number, row = self.rows[code]
                report.refuse(
                    number,
                    "parent_code",
                    row.parent_code,
                    "import.parent_cycle",
                    _("The parents of this unit form a cycle in the file."),
                )
                self.refused_codes.add(code)
        return order

    def _parent(self, number: int, row: UnitRow) -> tuple[bool, OrgUnit | None]:
        """(ok, parent unit) for a new unit; refuses a parent outside the importer's scope."""
        ctx = self.ctx
        if not row.parent_code:
            if not ctx.scope.everything:
                ctx.report.refuse(
                    number,
                    "parent_code",
                    "",
                    "import.root_not_allowed",
                    _("Only a national administrator may add a unit at the top of the tree."),
                )
                return False, None
            return True, None
        if row.parent_code in self.refused_codes:
            ctx.report.refuse(
                number,
                "parent_code",
                row.parent_code,
                "import.parent_refused",
                _("The parent %(code)s was refused in row %(row)d.")
                % {"code": row.parent_code, "row": self.rows[row.parent_code][0]},
            )
            return False, None
        info = ctx.units.get(row.parent_code)
        if info is None or not ctx.scope.covers_path(info.path):
            ctx.refuse_unit(number, "parent_code", row.parent_code)
            return False, None
        return True, OrgUnit.objects.get(pk=info.id)

    def _apply(self, number: int, row: UnitRow) -> None:
        ctx = self.ctx
        report = ctx.report
        info = ctx.units.get(row.code)
        if info is not None:
            self._known(number, row, info)
            return
        ok, parent = self._parent(number, row)
        if not ok:
            self.refused_codes.add(row.code)
            return
        try:
            unit = unit_create(
                actor=ctx.actor,
                code=row.code,
                name=row.name,
                kind=row.kind,
                parent=parent,
                founded_on=row.founded_on,
            )
        except ServiceError as exc:
            column = {"parent": "parent_code"}.get(exc.field or "", exc.field or "code")
            report.refuse_error(number, column, getattr(row, column, ""), exc)
            self.refused_codes.add(row.code)
            return
        ctx.units.add(unit)
        report.created += 1
        report.rows_written += 1
        if row.dissolved_on:
            self.to_dissolve.append((number, unit, row, True))

    def _known(self, number: int, row: UnitRow, info: Any) -> None:
        ctx = self.ctx
        report = ctx.report
        if not ctx.scope.covers_path(info.path):
            if ctx.sees(info.path):
                ctx.refuse_for_role(number, "code", row.code)
                self.refused_codes.add(row.code)
                return
            report.refuse(
                number,
                "code",
                row.code,
                "import.code_unavailable",
                _("The code %(code)s is taken by a unit outside your part of the organization.")
                % {"code": row.code},
            )
            self.refused_codes.add(row.code)
            return
        unit = OrgUnit.objects.get(pk=info.id)
        parent = OrgUnit.objects.get_parent(unit)
        parent_code = parent.code if parent else ""
        conflicts: list[tuple[str, Any, Any]] = [("kind", row.kind, unit.kind)]
        moving = row.parent_code != parent_code
        if moving and row.moved_on is None:
            report.refuse(
                number,
                "parent_code",
                row.parent_code,
                "import.move_needs_date",
                _(
                    "The unit stands under %(recorded)s; to move it, give the date in "
                    "moved_on (earlier dates keep the old parent)."
                )
                % {"recorded": parent_code or "—"},
            )
            return
        if row.founded_on is not None:
            conflicts.append(("founded_on", row.founded_on, unit.founded_on))
        if row.dissolved_on is not None and unit.dissolved_on is not None:
            conflicts.append(("dissolved_on", row.dissolved_on, unit.dissolved_on))
        for column, stated, recorded in conflicts:
            if stated != recorded:
                report.refuse(
                    number,
                    column,
                    stated,
                    "import.history_change",
                    _(
                        "The unit is recorded with %(recorded)s; an import does not change it "
                        "(move, merge or correct the unit instead)."
                    )
                    % {"recorded": recorded or "—"},
                )
                return
        changed = False
        if moving:
            if not self._move(number, row, unit):
                return
            changed = True
        if row.name != unit.name:
            with transaction.atomic():
                unit_rename(actor=ctx.actor, unit=unit, name=row.name)
            changed = True
        if row.dissolved_on is not None and unit.dissolved_on is None:
            self.to_dissolve.append((number, unit, row, False))
            changed = True
        if changed:
            report.updated += 1
            report.rows_written += 1
        else:
            report.unchanged += 1

    def _move(self, number: int, row: UnitRow, unit: OrgUnit) -> bool:
        """Move `unit` under the row's parent from `moved_on`; False (refused) otherwise."""
        assert row.moved_on is not None
        ok, parent = self._parent(number, row)
        if not ok:
            return False
        if parent is None:
            self.ctx.report.refuse(
                number,
                "parent_code",
                "",
                "import.move_to_top",
                _("A unit cannot be moved to the top of the tree."),
            )
            return False
        try:
            unit_move(
                actor=self.ctx.actor,
                unit=unit,
                new_parent=parent,
                date=row.moved_on,
                document=row.document,
            )
        except ServiceError as exc:
            column = {"parent": "parent_code", "date": "moved_on"}.get(exc.field or "", "code")
            self.ctx.report.refuse_error(number, column, getattr(row, column, ""), exc)
            return False
        unit.refresh_from_db()
        return True


def _kind_error(ctx: ImportContext, kind: str) -> ServiceError:
    try:
        ctx.rules.unit_kind(kind)
    except ServiceError as exc:
        return exc
    raise AssertionError("unreachable")  # pragma: no cover


def import_units(ctx: ImportContext, table: Table) -> None:
    UnitsImporter(ctx).run(table)
