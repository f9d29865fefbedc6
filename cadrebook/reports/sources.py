"""Where the figures come from: the `Source` protocol, and the period table (`PeriodSource`),
always current and good for any date. The aggregates (`aggregates/read.py`) are the other
source; `aggregates.best_source()` chooses between them. Both give the same numbers."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from cadrebook.core.rules import Ruleset
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import ever_had_children
from cadrebook.reports import figures, periods


class Source(Protocol):
    """Where figures come from: the period table, or the aggregates built from it."""

    @property
    def name(self) -> str: ...

    def members(
        self, unit: OrgUnit, on: dt.date, rules: Ruleset, *, by_child: bool = False
    ) -> periods.Grouped: ...

    def movements(
        self, unit: OrgUnit, date_from: dt.date, date_to: dt.date, *, by_child: bool = False
    ) -> dict[int, dict[str, int]]: ...

    def units(
        self, unit: OrgUnit, on: dt.date, rules: Ruleset, *, by_child: bool = False
    ) -> periods.Grouped: ...

    def prefetch(
        self, unit: OrgUnit, dates: list[dt.date], windows: list[periods.Window], rules: Ruleset
    ) -> None:
        """Read `unit`'s own members on `dates` and movements in `windows` ahead, in as few
        round trips as the source can (a small subtree's figures are mostly round trips)."""


class PeriodSource:
    """Always current, any date: queries over the period and event tables."""

    name = "periods"

    def __init__(self) -> None:
        self._corrections: bool | None = None
        self._members: dict[tuple[Any, ...], periods.Grouped] = {}
        self._movements: dict[tuple[Any, ...], dict[int, dict[str, int]]] = {}

    def prefetch(
        self, unit: OrgUnit, dates: list[dt.date], windows: list[periods.Window], rules: Ruleset
    ) -> None:
        for on, grouped in periods.members_on(unit, dates, rules).items():
            self._members[(unit.pk, on, False, None)] = grouped
        moved = periods.movements_in(unit, windows, corrections=self._has_corrections())
        for (date_from, date_to), counts in moved.items():
            self._movements[(unit.pk, date_from, date_to, False, None)] = counts

    def _has_corrections(self) -> bool:
        if self._corrections is None:
            self._corrections = periods.corrections_exist()
        return self._corrections

    def members(
        self,
        unit: OrgUnit,
        on: dt.date,
        rules: Ruleset,
        *,
        by_child: bool = False,
        only: list[int] | None = None,
    ) -> periods.Grouped:
        key = (unit.pk, on, by_child, tuple(only) if only is not None else None)
        if key not in self._members:
            self._members[key] = periods.members(unit, on, rules, by_child=by_child, only=only)
        return self._members[key]

    def movements(
        self,
        unit: OrgUnit,
        date_from: dt.date,
        date_to: dt.date,
        *,
        by_child: bool = False,
        only: list[int] | None = None,
    ) -> dict[int, dict[str, int]]:
        key = (unit.pk, date_from, date_to, by_child, tuple(only) if only is not None else None)
        if key not in self._movements:
            self._movements[key] = periods.movements(
                unit,
                date_from,
                date_to,
                by_child=by_child,
                corrections=self._has_corrections(),
                only=only,
            )
        return self._movements[key]

    def units(
        self, unit: OrgUnit, on: dt.date, rules: Ruleset, *, by_child: bool = False
    ) -> periods.Grouped:
        if by_child or unit.numchild or ever_had_children(unit):
            return periods.units(unit, on, rules, by_child=by_child)
        # A unit with nothing below it: itself, and whether it is short of full members.
        if not unit.is_active_on(on):
            return {}
        result = figures.empty_units()
        result.update(total=1, by_kind={unit.kind: 1})
        if unit.kind in rules.member_holding_kinds():
            full = self.members(unit, on, rules).get(unit.pk, {}).get("full", 0)
            minimum = rules.int("organization.cell_min_full_members")
            result["cells_below_minimum"] = int(full < minimum)
        return {unit.pk: result}
