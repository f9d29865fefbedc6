"""Statistics of a unit's subtree: the one selector behind the pages, the API, the CLI and the
issued documents (docs/reports.md describes every figure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _

from cadrebook.core import contributions
from cadrebook.core.contributions import Counted, StoredCount
from cadrebook.core.dates import add_months
from cadrebook.core.errors import ServiceError
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.core.scoping import PATH_END
from cadrebook.members.event_types import MOVEMENT_OF_EVENT
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import load_spans, placed_under
from cadrebook.reports import figures
from cadrebook.reports.aggregates import best_source, stored_member_counts

# PeriodSource is named here too: callers pick the source of the figures they ask for.
from cadrebook.reports.sources import PeriodSource as PeriodSource
from cadrebook.reports.sources import Source


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


class _Scope:
    """What a contributed figure is computed for (`core.contributions.FigureScope`): the
    unit, the units asked of (it, then its children), the period, and the movements of a
    whole year as the statistics count them under the unit."""

    def __init__(
        self,
        parent: OrgUnit,
        units: list[OrgUnit],
        date_from: dt.date,
        date_to: dt.date,
        source: Source,
        rules: Ruleset,
        known: dict[tuple[int, int], dict[int, dict[str, int]]],
        as_of: dt.date | None = None,
        counted: dict[int, Counted] | None = None,
    ) -> None:
        self.parent, self.units = parent, units
        self.date_from, self.date_to = date_from, date_to
        self.as_of = as_of or date_to
        # The statistics' own members and units on `as_of`, when they were counted already.
        self._counted = counted
        self.rules = rules
        self._source = source
        self._known = known
        self._by_id = {u.pk: u for u in units}
        self._moved: set[tuple[int, int]] | None = None

    def movement_of(self, event_type: str) -> str:
        return _movement_key(event_type)

    def counted_on(self, day: dt.date) -> dict[int, Counted]:
        if day == self.as_of and self._counted is not None:
            return self._counted
        members = dict(self._source.members(self.parent, day, self.rules))
        units = dict(self._source.units(self.parent, day, self.rules))
        if len(self.units) > 1:  # the children, as the statistics break them down
            members.update(self._source.members(self.parent, day, self.rules, by_child=True))
            units.update(self._source.units(self.parent, day, self.rules, by_child=True))
        return {u.pk: _counted(members.get(u.pk), units.get(u.pk)) for u in self.units}

    def year_movements(self, unit_id: int, year: int) -> dict[str, int]:
        by_child = unit_id != self.parent.pk
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        if by_child and self._moved is None:
            years = range(self.date_from.year, self.date_to.year + 1)
            self._moved = _moved_within_year(self.units, self.parent, years)
        if by_child and self._moved and (unit_id, year) in self._moved:
            # Under this parent for part of the year only: the child's own subtree over the
            # whole year, as it stood (the parent's breakdown holds only its part there).
            return self._source.movements(self._by_id[unit_id], start, end).get(unit_id, {})
        key = (year, int(by_child))
        if key not in self._known:
            self._known[key] = self._source.movements(self.parent, start, end, by_child=by_child)
        return self._known[key].get(unit_id, {})


def _counted(members: dict[str, Any] | None, units: dict[str, Any] | None) -> Counted:
    return Counted(
        members=int((members or {}).get("total") or 0),
        units_by_kind=dict((units or {}).get("by_kind") or {}),
    )


class YearCounts:
    """The counts of the statistics for the apps below reports (`core.contributions`
    `statistics_counts`): a unit's own subtree over a calendar year, from the best source,
    so a count reads the same as in the unit's statistics."""

    def __init__(self) -> None:
        self._best: Source | None = None

    @property
    def _source(self) -> Source:
        # Chosen on first use: a page that asks only for stored counts reads no changes.
        if self._best is None:
            self._best = best_source()
        return self._best

    def stored_members(self, units: list[OrgUnit], today: dt.date) -> dict[int, StoredCount]:
        return stored_member_counts(units, today)

    def movement_of(self, event_type: str) -> str:
        return _movement_key(event_type)

    def counted_on(self, unit: OrgUnit, day: dt.date) -> Counted:
        rules = current_ruleset()
        return _counted(
            self._source.members(unit, day, rules).get(unit.pk),
            self._source.units(unit, day, rules).get(unit.pk),
        )

    def year_movements(self, unit: OrgUnit, year: int) -> dict[str, int]:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        return self._source.movements(unit, start, end).get(unit.pk, {})

    def below(
        self, parent: OrgUnit, units: list[OrgUnit], first_year: int, last_year: int
    ) -> Callable[[int, int], dict[str, int]]:
        scope = _Scope(
            parent,
            [parent, *(u for u in units if u.pk != parent.pk)],
            dt.date(first_year, 1, 1),
            dt.date(last_year, 12, 31),
            self._source,
            current_ruleset(),
            {},
        )
        return scope.year_movements


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


def _figures(
    unit: OrgUnit,
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date,
    source: Source,
    rules: Ruleset,
    *,
    children: list[OrgUnit] | None,
    loaded: dict[str, Any],
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
    if children is not None and children:
        child_members = source.members(unit, as_of, rules, by_child=True)
        child_moves = source.movements(unit, date_from, date_to, by_child=True)
        if (date_from.year, 0) in known:
            known[(date_from.year, 1)] = child_moves
        child_units = source.units(unit, as_of, rules, by_child=True)
    # The figures the apps contribute (targets, ...), after the reports' own, in the order
    # the apps registered them.
    counted = {unit.pk: _counted(members, units)}
    if children:
        for c in children:
            counted[c.pk] = _counted(child_members.get(c.pk), child_units.get(c.pk))
    scope = _Scope(
        unit, [unit, *(children or [])], date_from, date_to, source, rules, known, as_of, counted
    )
    contributed = {c.key: c.compute(scope, loaded[c.key]) for c in contributions.figures()}
    for key, values in contributed.items():
        result[key] = values[unit.pk]
    if children is not None:
        result["children"] = [
            {
                "unit": c.code,
                "name": c.name,
                "kind": c.kind,
                "members": child_members.get(c.pk) or figures.empty_members(rules),
                "movements": child_moves.get(c.pk) or figures.empty_movements(),
                "units": child_units.get(c.pk) or figures.empty_units(),
                **{key: values[c.pk] for key, values in contributed.items()},
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
        source = best_source()
    children = child_units(unit, as_of)
    before = (shift_year(date_from), shift_year(date_to), shift_year(as_of))
    source.prefetch(unit, [as_of, before[2]], [(date_from, date_to), (before[0], before[1])], rules)
    # What the contributed figures read, once for the period and the year before.
    loaded = {
        c.key: c.load(unit, before[0].year, date_to.year, bool(children))
        for c in contributions.figures()
    }
    result: dict[str, Any] = {"unit": unit.code, "name": unit.name, "kind": unit.kind}
    result.update(
        _figures(unit, date_from, date_to, as_of, source, rules, children=children, loaded=loaded)
    )
    previous = _figures(unit, *before, source, rules, children=None, loaded=loaded)
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
