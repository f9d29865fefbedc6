"""The aggregate tables of the statistics: built from the period table, read when current.

`rebuild_statistics()` writes, for every unit that has units below it, its member and unit
figures on each standard report date of the rule set (`[statistics] snapshot_dates`, e.g.
30 June and 31 December of every year with members) and its movements per calendar month.
It runs after imports, nightly and from `cadrebook report rebuild`. `best_source()` answers
with the aggregates only while nothing has changed since the last build; otherwise the period
table answers, which is always current, so a figure is never stale (DESIGN.md: both paths
give identical numbers, which the tests check on generated data).
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, Q, Sum
from django.utils import timezone

from cadrebook.core.bulk import RowWriter
from cadrebook.core.models import AuditEntry
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.members.models import Member, MemberEvent, MemberPeriod
from cadrebook.orgs.models import OrgUnit
from cadrebook.reports import figures, periods
from cadrebook.reports.models import MovementCount, StatsBuild, StatsSnapshot
from cadrebook.reports.selectors import PeriodSource, Source, below

# Audit events that change what the statistics count (views and exports do not).
CHANGES = ("member.", "unit.", "import.")
WRITE_BATCH = 2000


def data_mark(rules: Ruleset | None = None) -> str:
    """A fingerprint of the counted data, cheap to read: the rule set, the highest ids of the
    tables the statistics read (bulk writers add rows without audit entries)."""
    rules = rules or current_ruleset()
    parts = [f"{rules.id}@{rules.version}"]
    for model in (MemberEvent, MemberPeriod, Member, OrgUnit):
        parts.append(str(model.objects.aggregate(m=Max("id"))["m"] or 0))
    return ":".join(parts)


def _changed_since(audit_mark: int) -> bool:
    q = Q()
    for prefix in CHANGES:
        q |= Q(event_type__startswith=prefix)
    return AuditEntry.objects.filter(q, pk__gt=audit_mark).exists()


def current_build() -> StatsBuild | None:
    """The latest finished build, if nothing it counted has changed since."""
    build = StatsBuild.objects.filter(finished_at__isnull=False).first()
    if build is None or build.data_mark != data_mark() or _changed_since(build.audit_mark):
        return None
    return build


def best_source() -> Source:
    build = current_build()
    return AggregateSource(build) if build is not None else PeriodSource()


def snapshot_dates(first: dt.date, last: dt.date, rules: Ruleset) -> list[dt.date]:
    """The rule set's standard report dates ("MM-DD") from `first` to `last`."""
    days = []
    for year in range(first.year, last.year + 1):
        for month_day in rules.value("statistics.snapshot_dates"):
            month, day = (int(x) for x in month_day.split("-"))
            date = dt.date(year, month, day)
            if first <= date <= last:
                days.append(date)
    return sorted(days)


def month_end(day: dt.date) -> dt.date:
    following = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - dt.timedelta(days=1)


class _Tree:
    """The unit tree in memory: ancestors of every unit and which units are aggregated."""

    def __init__(self) -> None:
        rows = list(
            OrgUnit.objects.order_by("path").values_list(
                "id", "path", "kind", "numchild", "founded_on", "dissolved_on"
            )
        )
        by_path = {r[1]: r[0] for r in rows}
        step = OrgUnit.steplen
        self.units = rows
        self.ancestors: dict[int, list[int]] = {}
        for uid, path, *_rest in rows:
            self.ancestors[uid] = [by_path[path[:k]] for k in range(step, len(path) + 1, step)]
        self.aggregated = {r[0] for r in rows if r[3] > 0}
        self.roots = [r[0] for r in rows if len(r[1]) == step]

    def aggregated_ancestors(self, unit_id: int) -> list[int]:
        return [a for a in self.ancestors.get(unit_id, []) if a in self.aggregated]


def _member_figures(tree: _Tree, on: dt.date, rules: Ruleset) -> dict[int, dict[str, Any]]:
    """Member figures on `on` of every aggregated unit: one grouped scan of the periods,
    folded per parent unit, then added up the tree."""
    sql, params = periods.member_rows_sql("p.unit_id", "1 = 1", [], on, rules)
    by_parent: dict[int, Counter[tuple[Any, ...]]] = defaultdict(Counter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            for unit_id, *dims, n in batch:
                owners = tree.aggregated_ancestors(unit_id)
                if owners:
                    status, exempt, gender, bracket, eth, edu, theory, card = dims
                    key = (status, bool(exempt), gender, bracket, eth, edu, theory, bool(card))
                    by_parent[owners[-1]][key] += n
    own: dict[int, dict[str, Any]] = {}
    for parent, counter in by_parent.items():
        m = figures.empty_members(rules)
        figures.add_member_rows(m, ((*k, n) for k, n in counter.items()), rules)
        own[parent] = m
    return _roll_up(tree, own, lambda: figures.empty_members(rules))


def _roll_up(
    tree: _Tree, own: dict[int, dict[str, Any]], empty: Callable[[], dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Add each aggregated unit's own counts into every aggregated unit above it."""
    total = {uid: empty() for uid in tree.aggregated}
    for uid, counts in own.items():
        for a in tree.aggregated_ancestors(uid):
            figures.merge_counts(total[a], counts)
    return total


def _unit_figures(tree: _Tree, on: dt.date, rules: Ruleset) -> dict[int, dict[str, Any]]:
    """Units by kind and cells below the minimum on `on`, for every aggregated unit."""
    total = {uid: figures.empty_units() for uid in tree.aggregated}
    kinds = set(rules.member_holding_kinds())
    minimum = rules.int("organization.cell_min_full_members")
    full = dict(
        periods._fetch(
            f"SELECT p.unit_id, COUNT(*) FROM {periods.PERIODS} p WHERE p.status = 'full' "
            "AND p.valid_from <= %s AND (p.valid_to IS NULL OR p.valid_to > %s) GROUP BY 1",
            [on, on],
        )
    )
    for uid, _path, kind, _numchild, founded, dissolved in tree.units:
        if (founded is not None and founded > on) or (dissolved is not None and dissolved <= on):
            continue
        weak = kind in kinds and full.get(uid, 0) < minimum
        for a in tree.aggregated_ancestors(uid):
            u = total[a]
            u["total"] += 1
            u["by_kind"][kind] = u["by_kind"].get(kind, 0) + 1
            if weak:
                u["cells_below_minimum"] += 1
    return total


def _movement_counts(tree: _Tree, first: dt.date, last: dt.date) -> dict[tuple[int, str, str], int]:
    """Movements per (aggregated unit, "YYYY-MM", movement) from `first` to `last`."""
    counts: Counter[tuple[int, str, str]] = Counter()
    for root in tree.roots:
        rows = periods.movement_rows(
            "anc1_id", root, first, last, "unit_id", by_month=True, pairs=True
        )
        for unit_id, month, movement, n in rows:
            here = tree.aggregated_ancestors(unit_id)
            if not movement.startswith("transfer_from:"):
                for a in here:
                    counts[(a, month, movement)] += n
                continue
            origin = tree.aggregated_ancestors(int(movement.split(":", 1)[1]))
            for a in set(here) - set(origin):
                counts[(a, month, "transferred_in")] += n
            for a in set(origin) - set(here):
                counts[(a, month, "transferred_out")] += n
    return counts


def _write(model: Any, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """Write derived rows in batches with COPY (PostgreSQL) or executemany."""
    with connection.cursor() as cursor:
        writer = RowWriter(cursor)
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= WRITE_BATCH:
                writer.write(model, columns, batch)
                batch = []
        if batch:
            writer.write(model, columns, batch)


def rebuild_statistics(
    *, today: dt.date | None = None, progress: Callable[[str], None] | None = None
) -> StatsBuild:
    """Rebuild the aggregate tables from the period table, in one transaction.

    The build is current only if nothing changed while it ran: the marks are read first.
    """
    started = time.perf_counter()
    say = progress or (lambda _msg: None)
    rules = current_ruleset()
    today = today or timezone.localdate()
    with transaction.atomic():
        build = StatsBuild.objects.create(
            started_at=timezone.now(),
            data_mark=data_mark(rules),
            audit_mark=AuditEntry.objects.aggregate(m=Max("id"))["m"] or 0,
        )
        MovementCount.objects.all().delete()
        StatsSnapshot.objects.all().delete()
        tree = _Tree()
        first = MemberPeriod.objects.aggregate(m=Min("valid_from"))["m"]
        dates = snapshot_dates(first, today, rules) if first else []
        for day in dates:
            members = _member_figures(tree, day, rules)
            units = _unit_figures(tree, day, rules)
            _write(
                StatsSnapshot,
                ("unit_id", "date", "figures"),
                (
                    (uid, day, json.dumps({"members": members[uid], "units": units[uid]}))
                    for uid in sorted(tree.aggregated)
                ),
            )
            say(f"snapshot {day}: {len(tree.aggregated)} units")
        if first:
            first_month = first.replace(day=1)
            last_month = today.replace(day=1)
            counts = _movement_counts(tree, first_month, month_end(last_month))
            yearly: Counter[tuple[int, str, str]] = Counter()
            for (uid, month, movement), n in counts.items():
                yearly[(uid, month[:4] + "-01", movement)] += n
            _write(
                MovementCount,
                ("unit_id", "span", "month", "movement", "count"),
                (
                    (uid, span, dt.date.fromisoformat(month + "-01"), movement, n)
                    for span, table in (("month", counts), ("year", yearly))
                    for (uid, month, movement), n in sorted(table.items())
                ),
            )
            build.first_month, build.last_month = first_month, last_month
            say(f"movements: {len(counts)} rows")
        build.dates = [d.isoformat() for d in dates]
        build.units = len(tree.aggregated)
        build.finished_at = timezone.now()
        build.seconds = time.perf_counter() - started
        build.save()
    return build


class AggregateSource:
    """Figures from the aggregate tables where they cover the question; the period table
    answers the rest (cells, other dates, windows that are not whole months)."""

    name = "snapshot"

    def __init__(self, build: StatsBuild) -> None:
        self.build = build
        self.dates = {dt.date.fromisoformat(d) for d in build.dates}
        self.fallback = PeriodSource()
        self._snapshots: dict[tuple[int, dt.date, bool], dict[int, dict[str, Any]]] = {}

    def _snapshot(self, unit: OrgUnit, on: dt.date, by_child: bool) -> dict[int, dict[str, Any]]:
        key = (unit.pk, on, by_child)
        if key not in self._snapshots:
            if by_child:
                ids = list(
                    OrgUnit.objects.filter(**below(unit), numchild__gt=0).values_list(
                        "id", flat=True
                    )
                )
            else:
                ids = [unit.pk] if unit.numchild else []
            rows = StatsSnapshot.objects.filter(unit_id__in=ids, date=on).values_list(
                "unit_id", "figures"
            )
            self._snapshots[key] = dict(rows)
        return self._snapshots[key]

    def _leaf_children(self, unit: OrgUnit) -> bool:
        return OrgUnit.objects.filter(**below(unit), numchild=0).exists()

    def members(
        self, unit: OrgUnit, on: dt.date, rules: Ruleset, *, by_child: bool = False
    ) -> periods.Grouped:
        if on not in self.dates or (not by_child and not unit.numchild):
            return self.fallback.members(unit, on, rules, by_child=by_child)
        result: periods.Grouped = {}
        for uid, fig in self._snapshot(unit, on, by_child).items():
            m = figures.empty_members(rules)
            figures.merge_counts(m, fig["members"])
            result[uid] = figures.tidy_members(m)
        if by_child and self._leaf_children(unit):
            leaves = self.fallback.members(unit, on, rules, by_child=True)
            result.update({k: v for k, v in leaves.items() if k not in result})
        return result

    def units(
        self, unit: OrgUnit, on: dt.date, rules: Ruleset, *, by_child: bool = False
    ) -> periods.Grouped:
        if on not in self.dates or (not by_child and not unit.numchild):
            return self.fallback.units(unit, on, rules, by_child=by_child)
        result = {
            uid: figures.tidy_units(fig["units"], rules)
            for uid, fig in self._snapshot(unit, on, by_child).items()
        }
        if by_child and self._leaf_children(unit):
            leaves = self.fallback.units(unit, on, rules, by_child=True)
            result.update({k: v for k, v in leaves.items() if k not in result})
        return result

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
        if not self._whole_months(date_from, date_to) or (not by_child and not unit.numchild):
            return self.fallback.movements(unit, date_from, date_to, by_child=by_child)
        if by_child:
            ids = list(
                OrgUnit.objects.filter(**below(unit), numchild__gt=0).values_list("id", flat=True)
            )
        else:
            ids = [unit.pk]
        whole_years = (date_from.month, date_from.day, date_to.month, date_to.day) == (1, 1, 12, 31)
        rows = (
            MovementCount.objects.filter(
                unit_id__in=ids,
                span="year" if whole_years else "month",
                month__gte=date_from,
                month__lte=date_to,
            )
            .values_list("unit_id", "movement")
            .annotate(n=Sum("count"))
        )
        result: dict[int, dict[str, int]] = {uid: figures.empty_movements() for uid in ids}
        for uid, movement, n in rows:
            result[uid][movement] += n
        if by_child and self._leaf_children(unit):
            leaves = self.fallback.movements(unit, date_from, date_to, by_child=True)
            result.update({k: v for k, v in leaves.items() if k not in result})
        return result
