"""Reading the aggregate tables of the statistics, while they are current.

`best_source()` answers with the aggregates (`AggregateSource`), corrected for the members
changed since the last build; when they cannot be corrected (no build, another rule set, a
change the corrections do not follow) the period table answers (`PeriodSource`), which is
always current, so a figure is never stale. Both give identical numbers, which the tests
check on generated data. The tables are written by `build.py`.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from typing import Any

import orjson

from cadrebook.core.contributions import StoredCount
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.orgs.models import OrgUnit, UnitPlacement
from cadrebook.reports import deltas, figures, periods
from cadrebook.reports.models import MovementCount, StatsBuild, StatsCellCount, StatsSnapshot
from cadrebook.reports.sources import PeriodSource, Source


def rules_mark(rules: Ruleset | None = None) -> str:
    """The rule set the figures were counted under (brackets, kinds and minimums come from it)."""
    rules = rules or current_ruleset()
    return f"{rules.id}@{rules.version}"


def _latest_build(rules: Ruleset) -> StatsBuild | None:
    build = StatsBuild.objects.filter(finished_at__isnull=False).first()
    return build if build is not None and build.data_mark == rules_mark(rules) else None


def current_build() -> StatsBuild | None:
    """The latest finished build, if nothing it counted has changed since."""
    rules = current_ruleset()
    build = _latest_build(rules)
    if build is None:
        return None
    changes = deltas.changes_since(build, rules)
    return build if changes is not None and changes.empty else None


def stored_member_counts(units: list[OrgUnit], today: dt.date) -> dict[int, StoredCount]:
    """The members of each of `units`' subtrees in the latest build's figures, on the latest
    day on or before `today` it stored for the unit: a day of the daily figures near the top
    of the tree, a standard report date below. Uncorrected for what changed since (the
    caller says so); units the build does not hold, and every unit when no build of the
    rule set in force finished, are left out. One read per day asked (one for siblings)."""
    if not any(unit.numchild for unit in units):
        return {}
    build = _latest_build(current_ruleset())
    if build is None or build.finished_at is None:
        return {}
    standard = [d for d in map(dt.date.fromisoformat, build.dates) if d <= today]
    latest_standard = max(standard, default=None)
    daily_from, daily_to = build.daily_from, build.daily_to
    by_day: dict[dt.date, list[int]] = defaultdict(list)
    for unit in units:
        day = latest_standard
        if daily_from and daily_to and unit.depth <= build.daily_depth and daily_from <= today:
            day = min(today, daily_to)
        if day is not None and unit.numchild:
            by_day[day].append(unit.pk)
    result: dict[int, StoredCount] = {}
    for day, ids in by_day.items():
        rows = StatsSnapshot.objects.filter(date=day, unit_id__in=ids).values_list(
            "unit_id", "figures"
        )
        for uid, text in rows:
            members = orjson.loads(text)["members"]["total"]
            result[uid] = StoredCount(members=members, on=day, built=build.finished_at)
    return result


def best_source() -> Source:
    """The aggregates, corrected for the members changed since they were built, or the
    period table when they cannot be."""
    rules = current_ruleset()
    build = _latest_build(rules)
    changes = deltas.changes_since(build, rules) if build is not None else None
    if build is None or changes is None:
        return PeriodSource()
    return AggregateSource(build, changes)


def month_end(day: dt.date) -> dt.date:
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


def _ever_below(unit: OrgUnit) -> Any:
    """Ids of the units that ever stood directly below `unit` (a subquery)."""
    return UnitPlacement.objects.filter(parent=unit).values("unit_id")


class _CountingPeriodSource(PeriodSource):
    """The period table, remembering whether it was asked (for the `source` figure)."""

    def __init__(self) -> None:
        super().__init__()
        self.asked = False

    def members(self, *args: Any, **kwargs: Any) -> periods.Grouped:
        self.asked = True
        return super().members(*args, **kwargs)

    def movements(self, *args: Any, **kwargs: Any) -> dict[int, dict[str, int]]:
        self.asked = True
        return super().movements(*args, **kwargs)

    def units(self, *args: Any, **kwargs: Any) -> periods.Grouped:
        self.asked = True
        return super().units(*args, **kwargs)


class AggregateSource:
    """Figures from the aggregate tables where they cover the question, corrected for the
    members changed since the build; the period table answers the rest (cells, other dates,
    windows that are not whole months)."""

    def __init__(self, build: StatsBuild, changes: deltas.Changes | None = None) -> None:
        self.build = build
        self.changes = changes or deltas.Changes()
        self.dates = {dt.date.fromisoformat(d) for d in build.dates}
        self.fallback = _CountingPeriodSource()
        self._snapshots: dict[tuple[int, dt.date, bool], dict[int, dict[str, Any]]] = {}
        self._keys: dict[tuple[int, bool], deltas.KeyOf] = {}
        self._leaves: dict[int, list[int]] = {}
        self._stretches: dict[int, dict[int, list[tuple[dt.date, dt.date | None]]]] = {}
        self._changes: dict[tuple[int, dt.date, dt.date], list[tuple[Any, ...]]] = {}

    def prefetch(
        self, unit: OrgUnit, dates: list[dt.date], windows: list[periods.Window], rules: Ruleset
    ) -> None:
        if not unit.numchild:  # the aggregates hold units with units below them only
            self.fallback.prefetch(unit, dates, windows, rules)

    @property
    def name(self) -> str:
        """ "snapshot", or "snapshot+periods" when the period table answered part of it."""
        return "snapshot+periods" if self.fallback.asked else "snapshot"

    def _snapshot(self, unit: OrgUnit, on: dt.date, by_child: bool) -> dict[int, dict[str, Any]]:
        """The stored figures of `unit` (or of its children that have units below them)."""
        key = (unit.pk, on, by_child)
        if key not in self._snapshots:
            sql, params = self._for(unit, by_child)
            rows = periods._fetch(
                f"SELECT s.unit_id, s.figures FROM {StatsSnapshot._meta.db_table} s "
                f"WHERE s.date = %s AND {sql}",
                [on, *params],
            )
            self._snapshots[key] = {uid: orjson.loads(text) for uid, text in rows}
        return self._snapshots[key]

    @staticmethod
    def _for(unit: OrgUnit, by_child: bool) -> tuple[str, list[Any]]:
        """SQL condition on `s.unit_id`: the unit itself, or its children (a path range)."""
        if not by_child:
            return "s.unit_id = %s", [unit.pk]
        # Every unit that ever stood directly below (the tree has history); the callers
        # read the children of their date among them.
        return (
            f"s.unit_id IN (SELECT c.unit_id FROM {periods.PLACEMENTS} c WHERE c.parent_id = %s)",
            [unit.pk],
        )

    def _key_of(self, unit: OrgUnit, by_child: bool) -> deltas.KeyOf:
        if (unit.pk, by_child) not in self._keys:
            self._keys[(unit.pk, by_child)] = deltas.key_function(unit, by_child, self.changes)
        return self._keys[(unit.pk, by_child)]

    def _snapshot_ids(self, unit: OrgUnit, by_child: bool) -> list[int]:
        """Ids the aggregates hold for `unit` (itself, or its children with units below)."""
        if not by_child:
            return [unit.pk] if unit.numchild else []
        return list(
            OrgUnit.objects.filter(pk__in=_ever_below(unit), numchild__gt=0).values_list(
                "id", flat=True
            )
        )

    def _leaf_children(self, unit: OrgUnit) -> list[int]:
        """The children of `unit` with no units below them (the period table counts them)."""
        if unit.pk not in self._leaves:
            self._leaves[unit.pk] = list(
                OrgUnit.objects.filter(pk__in=_ever_below(unit), numchild=0).values_list(
                    "id", flat=True
                )
            )
        return self._leaves[unit.pk]

    def _stood_below(self, unit: OrgUnit) -> dict[int, list[tuple[dt.date, dt.date | None]]]:
        """For every unit that ever stood directly below `unit`, the stretches of time it
        stood there, [from, to) (date.min: from its beginning; None: still), its consecutive
        placements joined (a move of `unit` itself opens new ones below the same parent).
        One read of the placements by their parent's index."""
        if unit.pk not in self._stretches:
            rows = sorted(
                UnitPlacement.objects.filter(parent=unit).values_list(
                    "unit_id", "valid_from", "valid_to"
                ),
                key=lambda r: (r[0], r[1] or dt.date.min),
            )
            stretches: dict[int, list[tuple[dt.date, dt.date | None]]] = defaultdict(list)
            for uid, valid_from, valid_to in rows:
                own = stretches[uid]
                if own and own[-1][1] is not None and own[-1][1] == valid_from:
                    own[-1] = (own[-1][0], valid_to)
                else:
                    own.append((valid_from or dt.date.min, valid_to))
            self._stretches[unit.pk] = dict(stretches)
        return self._stretches[unit.pk]

    def _moved_children(
        self, unit: OrgUnit, date_from: dt.date, date_to: dt.date
    ) -> tuple[list[int], list[int]]:
        """The children whose stored movements are not theirs under `unit` in the window,
        since they stood below it for part of it only (the period table counts those), or
        not at all (none under `unit`).

        The aggregates hold each unit's movements wherever it stood; the breakdown of a
        parent counts a child's movements while it stood below the parent, by the tree of
        each event's day (a member leaving on a move's date leaves the unit as it stood the
        day before). So a child is read from the aggregates only if it stood below `unit`
        from the day before the window to its end."""
        eve = date_from - dt.timedelta(days=1)
        partly: list[int] = []
        never: list[int] = []
        for uid, stretches in self._stood_below(unit).items():
            if any(lo <= eve and (hi is None or hi > date_to) for lo, hi in stretches):
                continue
            if any(lo <= date_to and (hi is None or hi > eve) for lo, hi in stretches):
                partly.append(uid)
            else:
                never.append(uid)
        return partly, never

    def _stored(self, unit: OrgUnit, on: dt.date, by_child: bool) -> bool:
        """Whether the aggregates hold figures of `unit` (or its children) on `on`: a
        standard report date, or any day for the units near the top of the tree."""
        if on in self.dates:
            return True
        b = self.build
        return (
            b.daily_from is not None
            and b.daily_to is not None
            and unit.depth + int(by_child) <= b.daily_depth
            and b.daily_from <= on <= b.daily_to
        )

    def _before_any_period(self, on: dt.date) -> bool:
        """Whether `on` comes before every period the build saw: the period table answers
        at once (its index ranges are empty), and counts what was added since."""
        first = self.build.first_month
        return first is not None and on < first

    def _base(self, on: dt.date) -> dt.date | None:
        """The snapshot date nearest to `on`: the fewest changes to add to it."""
        return min(self.dates, key=lambda d: (abs((d - on).days), d), default=None)

    def members(
        self, unit: OrgUnit, on: dt.date, rules: Ruleset, *, by_child: bool = False
    ) -> periods.Grouped:
        if (not by_child and not unit.numchild) or self._before_any_period(on):
            return self.fallback.members(unit, on, rules, by_child=by_child)
        if not self._stored(unit, on, by_child):
            base = self._base(on)
            if base is None:
                return self.fallback.members(unit, on, rules, by_child=by_child)
            return self._members_between(unit, base, on, rules, by_child)
        result: periods.Grouped = {
            uid: fig["members"] for uid, fig in self._snapshot(unit, on, by_child).items()
        }
        if not self.changes.empty:
            key_of = self._key_of(unit, by_child)
            changed = set()
            for lives, sign in ((self.changes.now, 1), (self.changes.then, -1)):
                for uid, rows in deltas.member_rows(lives, key_of, on, rules, sign).items():
                    if uid in result:
                        if uid not in changed:  # the stored figures stay as they were read
                            result[uid] = copy.deepcopy(result[uid])
                        figures.add_member_rows(result[uid], rows, rules)
                        changed.add(uid)
            for uid in changed:
                figures.tidy_members(result[uid])
        if by_child and self._leaf_children(unit):
            leaves = self.fallback.members(
                unit, on, rules, by_child=True, only=self._leaf_children(unit)
            )
            result.update({k: v for k, v in leaves.items() if k not in result})
        return result

    def _members_between(
        self, unit: OrgUnit, base: dt.date, on: dt.date, rules: Ruleset, by_child: bool
    ) -> periods.Grouped:
        """The figures on `base` (a snapshot date) plus what changed between it and `on`."""
        self.fallback.asked = True  # the changes are read from the period table
        lo, hi = sorted((base, on))
        if (
            by_child
            and UnitPlacement.objects.filter(valid_from__gt=lo, valid_from__lte=hi).exists()
        ):
            # A child moved in between would bring its stored figures and, again, the members
            # who entered this subtree with it: count the children as they stood on `on`.
            return self.fallback.members(unit, on, rules, by_child=True)
        key = (unit.pk, lo, hi)
        if key not in self._changes:
            self._changes[key] = periods.member_changes(unit, lo, hi, rules)
        sign = 1 if on > base else -1
        grouped: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
        for child, status, exempt, gender, bracket, eth, edu, theory, card, n in self._changes[key]:
            if by_child and child is None:
                continue  # members of the unit itself
            row = (status, bool(exempt), gender, bracket, eth, edu, theory, bool(card), sign * n)
            grouped[child if by_child else unit.pk].append(row)
        result = dict(self.members(unit, base, rules, by_child=by_child))
        for uid, rows in grouped.items():
            figures_ = copy.deepcopy(result[uid]) if uid in result else figures.empty_members(rules)
            figures.add_member_rows(figures_, rows, rules)
            result[uid] = figures.tidy_members(figures_)
        return result

    def units(
        self, unit: OrgUnit, on: dt.date, rules: Ruleset, *, by_child: bool = False
    ) -> periods.Grouped:
        if not by_child and not unit.numchild:
            return self.fallback.units(unit, on, rules, by_child=by_child)
        if not self._stored(unit, on, by_child):
            base = self._base(on)
            if base is None:
                return self.fallback.units(unit, on, rules, by_child=by_child)
            return self._units_between(unit, base, on, rules, by_child)
        result = {uid: fig["units"] for uid, fig in self._snapshot(unit, on, by_child).items()}
        if not self.changes.empty:
            self._correct_weak_cells(result, unit, on, rules, by_child)
        if by_child and self._leaf_children(unit):
            leaves = self.fallback.units(unit, on, rules, by_child=True)
            result.update({k: v for k, v in leaves.items() if k not in result})
        return result

    def _units_between(
        self, unit: OrgUnit, base: dt.date, on: dt.date, rules: Ruleset, by_child: bool
    ) -> periods.Grouped:
        """The units on `base` (a snapshot date), corrected for the units founded or dissolved
        between it and `on` and for the cells whose full members changed in between."""
        self.fallback.asked = True
        lo, hi = sorted((base, on))
        if UnitPlacement.objects.filter(valid_from__gt=lo, valid_from__lte=hi).exists():
            # The tree was restructured in between: count the tree as it stood on `on`.
            return self.fallback.units(unit, on, rules, by_child=by_child)
        sign = 1 if on > base else -1
        corrections = self._full_changed_since_build(base, rules)
        kinds = set(rules.member_holding_kinds())
        minimum = rules.int("organization.cell_min_full_members")
        result = dict(self.units(unit, base, rules, by_child=by_child))
        copied: set[int] = set()
        for uid, key, kind, founded, dissolved, stored, change in self._unit_changes(
            unit, by_child, base, on, lo, hi
        ):
            if key is None:
                continue  # the unit itself when counting by child
            full_base = stored + corrections.get(uid, 0)
            full_on = full_base + sign * change
            diff = figures.empty_units()
            for day, full, weight in ((on, full_on, 1), (base, full_base, -1)):
                if (founded is None or founded <= day) and (dissolved is None or dissolved > day):
                    diff["total"] += weight
                    diff["by_kind"][kind] = diff["by_kind"].get(kind, 0) + weight
                    if kind in kinds and full < minimum:
                        diff["cells_below_minimum"] += weight
            if not diff["total"] and not diff["cells_below_minimum"]:
                continue
            if key not in copied:  # the stored figures stay as they were read
                result[key] = copy.deepcopy(result.get(key) or figures.empty_units())
                copied.add(key)
            figures.merge_counts(result[key], diff)
        for key in copied:
            result[key]["by_kind"] = {k: n for k, n in result[key]["by_kind"].items() if n}
            figures.tidy_units(result[key], rules)
        return result

    def _unit_changes(
        self, unit: OrgUnit, by_child: bool, base: dt.date, on: dt.date, lo: dt.date, hi: dt.date
    ) -> list[tuple[Any, ...]]:
        """(id, key, kind, founded, dissolved, full members on `base` as built, full members
        on `hi` less those on `lo`) of the units of the subtree founded or dissolved between
        `lo` and `hi` or whose full members changed in between; the key is `unit` or the
        child of `unit` the unit stood under on `on` (the tree did not change in between:
        the caller checked), by its placement, not by the tree as it stands now (a unit
        moved away since still counts where it stood). One round trip."""
        cells = StatsCellCount._meta.db_table
        depth = periods.depth_on(unit, on)
        anc = f"p.anc{depth}_id = %s"
        key = f"pl.anc{depth + 1}_id" if by_child else f"pl.anc{depth}_id"
        placed = (
            f"pl.anc{depth}_id = %s AND (pl.valid_from IS NULL OR pl.valid_from <= %s) "
            "AND (pl.valid_to IS NULL OR pl.valid_to > %s)"
        )
        columns = f"u.id, {key}, u.kind, u.founded_on, u.dissolved_on, COALESCE(c.full, 0)"
        rows = periods._fetch(
            f"SELECT {columns}, d.n FROM ("
            f"SELECT p.unit_id, COUNT(*) AS n FROM {periods.PERIODS} p WHERE {anc} "
            "AND p.status = 'full' AND p.valid_from > %s AND p.valid_from <= %s "
            "AND (p.valid_to IS NULL OR p.valid_to > %s) GROUP BY 1 UNION ALL "
            f"SELECT p.unit_id, -COUNT(*) FROM {periods.PERIODS} p WHERE {anc} "
            "AND p.status = 'full' AND p.valid_to > %s AND p.valid_to <= %s "
            "AND p.valid_from <= %s GROUP BY 1"
            f") d JOIN {periods.UNITS} u ON u.id = d.unit_id "
            f"JOIN {periods.PLACEMENTS} pl ON pl.unit_id = u.id AND {placed} "
            f"LEFT JOIN {cells} c ON c.unit_id = u.id AND c.date = %s "
            f"UNION ALL SELECT {columns}, 0 FROM {periods.PLACEMENTS} pl "
            f"JOIN {periods.UNITS} u ON u.id = pl.unit_id "
            f"LEFT JOIN {cells} c ON c.unit_id = u.id AND c.date = %s "
            f"WHERE {placed} AND ((u.founded_on > %s AND u.founded_on <= %s) "
            "OR (u.dissolved_on > %s AND u.dissolved_on <= %s))",
            [
                *(unit.pk, lo, hi, hi, unit.pk, lo, hi, lo, unit.pk, on, on, base, base),
                *(unit.pk, on, on, lo, hi, lo, hi),
            ],
        )
        merged: dict[int, list[Any]] = {}
        for *info, n in rows:
            if info[0] in merged:
                merged[info[0]][-1] += n
            else:
                merged[info[0]] = [*info, n]
        return [tuple(row) for row in merged.values()]

    def _full_changed_since_build(self, on: dt.date, rules: Ruleset) -> dict[int, int]:
        """Full members per cell on `on` now, less those the build counted."""
        delta: dict[int, int] = defaultdict(int)
        for lives, sign in ((self.changes.now, 1), (self.changes.then, -1)):
            for cell, n in deltas.full_counts(lives, on, rules, sign).items():
                delta[cell] += n
        return delta

    def _correct_weak_cells(
        self,
        result: periods.Grouped,
        unit: OrgUnit,
        on: dt.date,
        rules: Ruleset,
        by_child: bool,
    ) -> None:
        """Cells whose full members changed since the build may have crossed the minimum."""
        delta = self._full_changed_since_build(on, rules)
        cells = OrgUnit.objects.filter(
            pk__in=list(delta), kind__in=rules.member_holding_kinds()
        ).active_on(on)
        ids = [c.pk for c in cells]
        if not ids:
            return
        full_now = dict(
            periods._fetch(
                f"SELECT p.unit_id, COUNT(*) FROM {periods.PERIODS} p WHERE p.status = 'full' "
                f"AND p.unit_id IN ({', '.join(['%s'] * len(ids))}) AND p.valid_from <= %s "
                "AND (p.valid_to IS NULL OR p.valid_to > %s) GROUP BY 1",
                [*ids, on, on],
            )
        )
        minimum = rules.int("organization.cell_min_full_members")
        key_of = self._key_of(unit, by_child)
        copied: set[int] = set()
        for cell in ids:
            key = key_of(cell)
            if key not in result:
                continue
            now = full_now.get(cell, 0)
            then = now - delta[cell]
            if key not in copied:  # the stored figures stay as they were read
                result[key] = copy.deepcopy(result[key])
                copied.add(key)
            result[key]["cells_below_minimum"] += int(now < minimum) - int(then < minimum)

    def _whole_months(self, date_from: dt.date, date_to: dt.date) -> bool:
        b = self.build
        return (
            b.first_month is not None
            and b.last_month is not None
            and date_from.day == 1
            and date_to == month_end(date_to)
            and b.first_month <= date_from
            and date_to.replace(day=1) <= b.last_month
        )

    def movements(
        self, unit: OrgUnit, date_from: dt.date, date_to: dt.date, *, by_child: bool = False
    ) -> dict[int, dict[str, int]]:
        if not by_child and not unit.numchild:
            return self.fallback.movements(unit, date_from, date_to, by_child=by_child)
        before = date_from - dt.timedelta(days=1)
        if (
            date_from.year == date_to.year
            and self._stored(unit, date_to, by_child)
            and ((date_from.month, date_from.day) == (1, 1) or self._stored(unit, before, by_child))
        ):
            # The year's movements to date travel with the stored figures: the window's are
            # those to its last day less those to the day before it.
            stored = {
                uid: dict(fig["movements_ytd"])
                for uid, fig in self._snapshot(unit, date_to, by_child).items()
            }
            if (date_from.month, date_from.day) != (1, 1):
                for uid, fig in self._snapshot(unit, before, by_child).items():
                    counts = stored.setdefault(uid, figures.empty_movements())
                    for movement, n in fig["movements_ytd"].items():
                        counts[movement] -= n
            return self._finish_movements(stored, unit, date_from, date_to, by_child)
        if not self._whole_months(date_from, date_to):
            return self._movements_with_edges(unit, date_from, date_to, by_child)
        whole_years = (date_from.month, date_from.day, date_to.month, date_to.day) == (1, 1, 12, 31)
        sql, params = self._for(unit, by_child)
        rows = periods._fetch(
            f"SELECT s.unit_id, s.movement, SUM(s.count) FROM {MovementCount._meta.db_table} s "
            f"WHERE s.span = %s AND s.month >= %s AND s.month <= %s AND {sql} GROUP BY 1, 2",
            ["year" if whole_years else "month", date_from, date_to, *params],
        )
        result: dict[int, dict[str, int]] = {
            uid: figures.empty_movements() for uid in self._snapshot_ids(unit, by_child)
        }
        for uid, movement, n in rows:
            result.setdefault(uid, figures.empty_movements())[movement] += n
        return self._finish_movements(result, unit, date_from, date_to, by_child)

    def _movements_with_edges(
        self, unit: OrgUnit, date_from: dt.date, date_to: dt.date, by_child: bool
    ) -> dict[int, dict[str, int]]:
        """The whole months inside the window from the aggregates, and the days before and
        after them from the period table."""
        first = date_from if date_from.day == 1 else month_end(date_from) + dt.timedelta(days=1)
        last = (
            date_to
            if date_to == month_end(date_to)
            else date_to.replace(day=1) - dt.timedelta(days=1)
        )
        if first > last or not self._whole_months(first, last):
            return self.fallback.movements(unit, date_from, date_to, by_child=by_child)
        result = {
            uid: dict(counts)
            for uid, counts in self.movements(unit, first, last, by_child=by_child).items()
        }
        for edge_from, edge_to in (
            (date_from, first - dt.timedelta(days=1)),
            (last + dt.timedelta(days=1), date_to),
        ):
            if edge_from <= edge_to:
                edge = self.fallback.movements(unit, edge_from, edge_to, by_child=by_child)
                for uid, counts in edge.items():
                    figures.merge_counts(result.setdefault(uid, figures.empty_movements()), counts)
        return result

    def _finish_movements(
        self,
        result: dict[int, dict[str, int]],
        unit: OrgUnit,
        date_from: dt.date,
        date_to: dt.date,
        by_child: bool,
    ) -> dict[int, dict[str, int]]:
        """Correct stored movements for the members changed since the build, and add the
        children the aggregates do not hold (counted from the period table)."""
        if not self.changes.empty:
            key_of = self._key_of(unit, by_child)
            for lives, sign in ((self.changes.now, 1), (self.changes.then, -1)):
                moved = deltas.movements(lives, key_of, date_from, date_to, sign)
                for uid, counts in moved.items():
                    if uid in result:
                        figures.merge_counts(result[uid], counts)
        if by_child:
            # A child that came or left within the window brings movements made elsewhere:
            # its part under `unit` comes from the period table, like the leaves'.
            partly, never = self._moved_children(unit, date_from, date_to)
            for uid in (*partly, *never):
                result.pop(uid, None)
            counted = sorted({*self._leaf_children(unit), *partly})
            if counted:
                below = self.fallback.movements(
                    unit, date_from, date_to, by_child=True, only=counted
                )
                result.update({k: v for k, v in below.items() if k not in result})
        return result
