"""Statistics of a unit's subtree: the one selector behind the pages, the API, the CLI and the
issued documents (docs/reports.md describes every figure)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from django.db.models import Q
from django.utils.translation import gettext as _

from cadrebook.core.dates import add_months
from cadrebook.core.errors import ServiceError
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.core.scoping import PATH_END
from cadrebook.evaluations.models import Target
from cadrebook.members.event_types import MOVEMENT_OF_EVENT
from cadrebook.orgs.models import OrgUnit, UnitPlacement
from cadrebook.orgs.placements import ever_had_children, load_spans, placed_under
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


def check_dates(date_from: dt.date, date_to: dt.date, as_of: dt.date) -> None:
    if date_from > date_to:
        raise ServiceError(
            "report.period_reversed",
            _("The period starts on %(from)s, after its end on %(to)s.")
            % {"from": date_from, "to": date_to},
            field="from",
        )
    if date_from.year < 1900 or date_to.year > 2999 or as_of.year < 1900 or as_of.year > 2999:
        raise ServiceError(
            "report.date_out_of_range", _("Dates must lie between 1900 and 2999."), field="to"
        )


def shift_year(day: dt.date, years: int = -1) -> dt.date:
    return add_months(day, 12 * years)


def _movement_key(event_type: str) -> str:
    return MOVEMENT_OF_EVENT.get(event_type, event_type)


def _targets(
    units: list[OrgUnit],
    parent: OrgUnit,
    date_from: dt.date,
    date_to: dt.date,
    source: Source,
    rules: Ruleset,
    known: dict[tuple[int, int], dict[int, dict[str, int]]],
    targets: list[Target],
) -> dict[int, list[dict[str, Any]]]:
    """Targets of `units` (the parent and/or its children) for the years of the period, with
    the actual of each indicator over the whole year; `targets` are those of the parent and
    its children (`_target_rows`)."""
    indicators: dict[str, str] = rules.section("targets").get("indicators", {})
    years = range(date_from.year, date_to.year + 1)
    result: dict[int, list[dict[str, Any]]] = {u.pk: [] for u in units}
    by_id = {u.pk: u for u in units}
    moved: set[tuple[int, int]] | None = None
    for target in targets:
        if target.unit_id not in result or target.year not in years:
            continue  # a child that does not exist on the date, or another year
        by_child = target.unit_id != parent.pk
        start, end = dt.date(target.year, 1, 1), dt.date(target.year, 12, 31)
        if by_child and moved is None:
            moved = _moved_within_year(units, parent, years)
        if by_child and moved and (target.unit_id, target.year) in moved:
            # Under this parent for part of the year only: the child's own subtree over the
            # whole year, as it stood (the parent's breakdown holds only its part there).
            counts = source.movements(by_id[target.unit_id], start, end)
        else:
            key = (target.year, int(by_child))
            if key not in known:
                known[key] = source.movements(parent, start, end, by_child=by_child)
            counts = known[key]
        movement = _movement_key(indicators.get(target.indicator, target.indicator))
        actual = counts.get(target.unit_id, {}).get(movement, 0)
        result[target.unit_id].append(
            {
                "indicator": target.indicator,
                "year": target.year,
                "target": target.target,
                "actual": actual,
                "achievement_pct": figures.percent(actual, target.target),
            }
        )
    return result


def _moved_within_year(units: list[OrgUnit], parent: OrgUnit, years: range) -> set[tuple[int, int]]:
    """(unit, year) for the children of `units` whose place in the tree changed inside one of
    `years` (a move on 1 January leaves the whole year on one side)."""
    spans = load_spans(u.pk for u in units if u.pk != parent.pk)
    return {
        (unit_id, span.valid_from.year)
        for unit_id, unit_spans in spans.items()
        for span in unit_spans[1:]
        if span.valid_from is not None
        and span.valid_from.year in years
        and (span.valid_from.month, span.valid_from.day) != (1, 1)
    }


def _target_rows(parent: OrgUnit, first_year: int, last_year: int, children: bool) -> list[Target]:
    """The targets of `parent` (and of the units that stood directly under it at some time in
    those years, as the tree stood: a unit moved away since is still a child for the years
    it stood there) from `first_year` to `last_year`; the children by their placements, a
    subquery: no list of thousands of ids."""
    targets = Target.objects.filter(year__gte=first_year, year__lte=last_year)
    if children:
        placed = (
            UnitPlacement.objects.filter(parent=parent)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=dt.date(last_year, 12, 31)))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=dt.date(first_year, 1, 1)))
            .values("unit_id")
        )
        targets = targets.filter(Q(unit=parent) | Q(unit_id__in=placed))
    else:
        targets = targets.filter(unit=parent)
    return list(targets.order_by("year", "indicator"))


def _figures(
    unit: OrgUnit,
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date,
    source: Source,
    rules: Ruleset,
    *,
    children: list[OrgUnit] | None,
    targets: list[Target],
) -> dict[str, Any]:
    members = source.members(unit, as_of, rules).get(unit.pk) or figures.empty_members(rules)
    moves = source.movements(unit, date_from, date_to)
    units = source.units(unit, as_of, rules).get(unit.pk) or figures.empty_units()
    units["cell_min_full_members"] = rules.int("organization.cell_min_full_members")
    known: dict[tuple[int, int], dict[int, dict[str, int]]] = {}
    if date_from == dt.date(date_from.year, 1, 1) and date_to == dt.date(date_from.year, 12, 31):
        known[(date_from.year, 0)] = moves
    result: dict[str, Any] = {
        "as_of": as_of.isoformat(),
        "from": date_from.isoformat(),
        "to": date_to.isoformat(),
        "members": members,
        "movements": moves.get(unit.pk) or figures.empty_movements(),
        "units": units,
    }
    targeted = [unit, *(children or [])]
    if children is not None and children:
        child_members = source.members(unit, as_of, rules, by_child=True)
        child_moves = source.movements(unit, date_from, date_to, by_child=True)
        if (date_from.year, 0) in known:
            known[(date_from.year, 1)] = child_moves
        child_units = source.units(unit, as_of, rules, by_child=True)
    targets_of = _targets(targeted, unit, date_from, date_to, source, rules, known, targets)
    result["targets"] = targets_of[unit.pk]
    if children is not None:
        result["children"] = [
            {
                "unit": c.code,
                "name": c.name,
                "kind": c.kind,
                "members": child_members.get(c.pk) or figures.empty_members(rules),
                "movements": child_moves.get(c.pk) or figures.empty_movements(),
                "units": child_units.get(c.pk) or figures.empty_units(),
                "targets": targets_of[c.pk],
            }
            for c in children
        ]
    return result


def below(unit: OrgUnit) -> dict[str, Any]:
    """Filter of the units directly below `unit`: a path range, which SQLite serves from the
    index (startswith would scan it), and the next depth."""
    return {"path__gt": unit.path, "path__lt": unit.path + PATH_END, "depth": unit.depth + 1}


def child_units(unit: OrgUnit, on: dt.date) -> list[OrgUnit]:
    """The units directly below `unit` that exist on `on`, by code, as the tree stood on
    `on` (a unit moved away since is still a child for earlier dates)."""
    return list(
        OrgUnit.objects.filter(pk__in=placed_under(unit, on))
        .active_on(on)
        .only("id", "path", "depth", "numchild", "code", "name", "kind")
        .order_by("code")
    )


def unit_statistics(
    unit: OrgUnit,
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date | None = None,
    *,
    source: Source | None = None,
) -> dict[str, Any]:
    """Every figure of `unit`'s subtree: members on `as_of` (default `date_to`), movements
    from `date_from` to `date_to`, units, targets, the same one year earlier with the change
    in %, and the breakdown by directly subordinate unit. JSON-ready (dates as ISO strings).

    `source` defaults to the aggregates when they are current and cover the dates, else the
    period table; both give the same numbers.
    """
    as_of = as_of or date_to
    check_dates(date_from, date_to, as_of)
    rules = current_ruleset()
    if source is None:
        from cadrebook.reports.aggregates import best_source

        source = best_source()
    children = child_units(unit, as_of)
    before = (shift_year(date_from), shift_year(date_to), shift_year(as_of))
    source.prefetch(unit, [as_of, before[2]], [(date_from, date_to), (before[0], before[1])], rules)
    targets = _target_rows(unit, before[0].year, date_to.year, bool(children))
    result: dict[str, Any] = {"unit": unit.code, "name": unit.name, "kind": unit.kind}
    result.update(
        _figures(unit, date_from, date_to, as_of, source, rules, children=children, targets=targets)
    )
    previous = _figures(unit, *before, source, rules, children=None, targets=targets)
    result["previous"] = previous
    result["change_pct"] = {
        "members": {
            k: figures.change_percent(result["members"][k], previous["members"][k])
            for k in figures.MEMBER_COUNTS
        },
        "movements": {
            k: figures.change_percent(result["movements"][k], previous["movements"][k])
            for k in figures.MOVEMENTS
        },
    }
    children_out = result.pop("children", [])
    result["children"] = children_out
    result["source"] = source.name
    return result


def membership_history(
    unit: OrgUnit, end: dt.date, years: int = 10, *, source: Source | None = None
) -> list[dict[str, Any]]:
    """Members of the subtree at each year's end over `years` years up to `end` (the last
    point is `end` itself), oldest first."""
    rules = current_ruleset()
    if source is None:
        from cadrebook.reports.aggregates import best_source

        source = best_source()
    points = [dt.date(end.year - k, 12, 31) for k in range(years - 1, 0, -1)] + [end]
    result = []
    for day in points:
        m = source.members(unit, day, rules).get(unit.pk) or figures.empty_members(rules)
        result.append(
            {
                "year": day.year,
                "as_of": day.isoformat(),
                "total": m["total"],
                "probationary": m["probationary"],
                "full": m["full"],
            }
        )
    return result


def unit_tree_sizes(
    unit: OrgUnit,
    as_of: dt.date,
    depth: int = 2,
    limit: int = 400,
    *,
    source: Source | None = None,
) -> dict[str, Any]:
    """The subtree as nested {unit, name, value, children} sized by members on `as_of`,
    `depth` levels below `unit`, at most `limit` nodes (the biggest kept)."""
    rules = current_ruleset()
    if source is None:
        from cadrebook.reports.aggregates import best_source

        source = best_source()
    root: dict[str, Any] = {"unit": unit.code, "name": unit.name, "value": 0, "children": []}
    total = source.members(unit, as_of, rules).get(unit.pk)
    root["value"] = total["total"] if total else 0
    budget = [limit - 1]

    def expand(node: dict[str, Any], u: OrgUnit, level: int) -> None:
        if level >= depth or budget[0] <= 0:
            return
        kids = child_units(u, as_of)
        if not kids:
            return
        counts = source.members(u, as_of, rules, by_child=True)
        sized = sorted(
            ((counts.get(k.pk, {}).get("total", 0), k) for k in kids),
            key=lambda pair: (-pair[0], pair[1].code),
        )[: budget[0]]
        budget[0] -= len(sized)
        for value, k in sized:
            child = {"unit": k.code, "name": k.name, "value": value, "children": []}
            node["children"].append(child)
        for child, (_value, k) in zip(node["children"], sized, strict=True):
            expand(child, k, level + 1)

    expand(root, unit, 0)
    return root
