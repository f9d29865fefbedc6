"""The nightly build of the aggregate tables of the statistics, from the period table.

`rebuild_statistics()` writes, for every unit that has units below it, its member and unit
figures on each standard report date of the rule set (`[statistics] snapshot_dates`, e.g.
30 June and 31 December of every year with members), its movements per calendar month, and
the full members of every cell on those dates; the units near the top of the tree get their
figures for every day (`CADREBOOK_STATS_DAILY_DEPTH`). Another date starts from the nearest
snapshot and adds what changed in between (the periods that began or ended, the members whose
age bracket changed); another window adds its edge days to whole months (`read.py`).
It runs after imports, nightly and from `cadrebook report rebuild`.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from cadrebook.core.bulk import RowWriter
from cadrebook.core.models import AuditEntry
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.members.event_types import CLOSING_FIGURES
from cadrebook.members.models import Member, MemberEvent, MemberPeriod
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import Spans, load_spans, span_on
from cadrebook.reports import figures, periods
from cadrebook.reports.aggregates.read import month_end, rules_mark
from cadrebook.reports.models import MovementCount, StatsBuild, StatsCellCount, StatsSnapshot

WRITE_BATCH = 2000


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


class _Tree:
    """The unit tree in memory, with its history: the ancestors of every unit on any date
    (its placements) and which units are aggregated."""

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
        self.spans: Spans = load_spans(self.ancestors)
        self.aggregated = {r[0] for r in rows if r[3] > 0}
        # Every unit that ever stood at the top: periods are read by their first ancestor.
        self.roots = sorted(
            {r[0] for r in rows if len(r[1]) == step}
            | {s.ancestors[0] for spans in self.spans.values() for s in spans if s.ancestors}
        )
        self.moved = any(len(spans) > 1 for spans in self.spans.values())

    def ancestors_on(self, unit_id: int, day: dt.date | str) -> list[int]:
        """The root .. `unit_id` as the tree stood on `day`."""
        spans = self.spans.get(unit_id, ())
        if len(spans) > 1:
            span = span_on(spans, _date(day))
            if span is not None:
                return list(span.ancestors)
        return self.ancestors.get(unit_id, [])

    def aggregated_ancestors(self, unit_id: int, day: dt.date | str) -> list[int]:
        return [a for a in self.ancestors_on(unit_id, day) if a in self.aggregated]

    def moves(self) -> Iterable[tuple[int, dt.date, list[int], list[int]]]:
        """(unit, date, ancestors before, ancestors from the date) of every dated move."""
        for uid, spans in self.spans.items():
            for old, new in zip(spans, spans[1:], strict=False):
                if new.valid_from is not None:
                    yield uid, new.valid_from, list(old.ancestors), list(new.ancestors)


def _member_figures(tree: _Tree, on: dt.date, rules: Ruleset) -> dict[int, dict[str, Any]]:
    """Member figures on `on` of every aggregated unit: one grouped scan of the periods,
    folded per parent unit, then added up the tree."""
    sql, params = periods.member_rows_sql("p.unit_id", "1 = 1", [], on, rules)
    by_parent: dict[int, Counter[tuple[Any, ...]]] = defaultdict(Counter)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            for unit_id, *dims, n in batch:
                owners = tree.aggregated_ancestors(unit_id, on)
                if owners:
                    status, exempt, gender, bracket, eth, edu, theory, card = dims
                    key = (status, bool(exempt), gender, bracket, eth, edu, theory, bool(card))
                    by_parent[owners[-1]][key] += n
    own: dict[int, dict[str, Any]] = {}
    for parent, counter in by_parent.items():
        m = figures.empty_members(rules)
        figures.add_member_rows(m, ((*k, n) for k, n in counter.items()), rules)
        own[parent] = m
    return _roll_up(tree, own, lambda: figures.empty_members(rules), on)


def _roll_up(
    tree: _Tree,
    own: dict[int, dict[str, Any]],
    empty: Callable[[], dict[str, Any]],
    on: dt.date,
) -> dict[int, dict[str, Any]]:
    """Add each aggregated unit's own counts into every aggregated unit above it on `on`."""
    total = {uid: empty() for uid in tree.aggregated}
    for uid, counts in own.items():
        for a in tree.aggregated_ancestors(uid, on):
            figures.merge_counts(total[a], counts)
    return total


def _unit_figures(
    tree: _Tree, on: dt.date, rules: Ruleset
) -> tuple[dict[int, dict[str, Any]], dict[int, int]]:
    """Units by kind and cells below the minimum on `on`, for every aggregated unit; and the
    full members of every unit that has some."""
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
        for a in tree.aggregated_ancestors(uid, on):
            u = total[a]
            u["total"] += 1
            u["by_kind"][kind] = u["by_kind"].get(kind, 0) + 1
            if weak:
                u["cells_below_minimum"] += 1
    return total, full


def _iso(day: Any) -> str:
    """A date from the database as "YYYY-MM-DD" (SQLite gives text, PostgreSQL dates)."""
    return day.isoformat() if isinstance(day, dt.date) else str(day)[:10]


Counts = Counter[tuple[int, str, str]]


# Movements that end a member's period: counted where the member stood until that day (a
# member leaving on the date of a move leaves the unit as it stood the day before), like the
# period table, which reads them off the period they end.
CLOSING = CLOSING_FIGURES  # from the registry of event types (`members/event_types.py`)


def _movement_counts(
    tree: _Tree, first: dt.date, last: dt.date, daily: set[int]
) -> tuple[Counts, Counts]:
    """Movements from `first` to `last` per (aggregated unit, "YYYY-MM", movement), and per
    (unit, "YYYY-MM-DD", movement) for the units in `daily`."""
    months: Counts = Counter()
    days: Counts = Counter()

    def add(units: Iterable[int], day: str, movement: str, n: int) -> None:
        for a in units:
            months[(a, day[:7], movement)] += n
            if a in daily:
                days[(a, day, movement)] += n

    one_day = dt.timedelta(days=1)
    for root in tree.roots:
        rows = periods.movement_rows(
            "anc1_id", root, first, last, "unit_id", by_day=True, pairs=True
        )
        for unit_id, day, movement, n in rows:
            iso = _iso(day)
            if movement in CLOSING:  # read off the period it ends: the tree of the day before
                here = tree.aggregated_ancestors(unit_id, _date(iso) - one_day)
            else:
                here = tree.aggregated_ancestors(unit_id, iso)
            if movement == "restructured":  # handed over with their unit: the tree on both sides
                origin = tree.aggregated_ancestors(unit_id, _date(iso) - one_day)
                add(set(here) - set(origin), iso, "restructured_in", n)
                add(set(origin) - set(here), iso, "restructured_out", n)
                continue
            if not movement.startswith("transfer_from:"):
                add(here, iso, movement, n)
                continue
            origin = tree.aggregated_ancestors(int(movement.split(":", 1)[1]), _date(iso) - one_day)
            add(set(here) - set(origin), iso, "transferred_in", n)
            add(set(origin) - set(here), iso, "transferred_out", n)
    for _uid, day, before, after in tree.moves():
        if first <= day <= last:
            old = {a for a in before if a in tree.aggregated}
            new = {a for a in after if a in tree.aggregated}
            add(new - old, day.isoformat(), "units_restructured_in", 1)
            add(old - new, day.isoformat(), "units_restructured_out", 1)
    return months, days


DAYS_PER_QUERY = 31


def _daily_figures(
    tree: _Tree,
    daily: list[int],
    first: dt.date,
    last: dt.date,
    moves: Counts,
    rules: Ruleset,
) -> Iterable[tuple[dt.date, dict[int, dict[str, Any]]]]:
    """The figures of the `daily` units on every day from `first` to `last`: (day, {unit:
    {"members", "units", "movements_ytd"}}), carried forward from the day before `first`
    (before any period) by each day's changes: the periods that began or ended that day,
    the members whose age bracket changed, the units founded or dissolved, the cells whose
    full members crossed the minimum, and the day's movements."""
    wanted = set(daily)
    depth = max(len(tree.ancestors[u]) for u in daily)
    # A period's rows are keyed by its own ancestors (those of its time: a move cuts
    # periods, and the pieces on either side of it have different owners).
    key = " || ',' || ".join(
        f"COALESCE(CAST(p.anc{k}_id AS VARCHAR(20)), '')" for k in range(1, depth + 1)
    )
    owners: dict[str, list[int]] = {}

    def owners_of(ancestors: str) -> list[int]:
        if ancestors not in owners:
            ids = (int(a) for a in ancestors.split(",") if a)
            owners[ancestors] = [a for a in ids if a in wanted]
        return owners[ancestors]

    def unit_owners(uid: int, day: dt.date) -> list[int]:
        return [a for a in tree.ancestors_on(uid, day) if a in wanted]

    moved_on: dict[dt.date, list[tuple[int, list[int], list[int]]]] = defaultdict(list)
    for uid, day, old_line, new_line in tree.moves():
        if first <= day <= last:
            moved_on[day].append((uid, old_line, new_line))

    start = first - dt.timedelta(days=1)
    units, full = _unit_figures(tree, start, rules)
    unit_figures = {u: units[u] for u in daily}
    member_figures = {u: figures.empty_members(rules) for u in daily}
    ytd = {u: figures.empty_movements() for u in daily}
    info = {uid: (kind, founded, dissolved) for uid, _p, kind, _n, founded, dissolved in tree.units}
    founded_or_dissolved: dict[dt.date, list[int]] = defaultdict(list)
    for uid, (_kind, founded, dissolved) in info.items():
        for day in (founded, dissolved):
            if day is not None and first <= day <= last:
                founded_or_dissolved[day].append(uid)
    holding = set(rules.member_holding_kinds())
    minimum = rules.int("organization.cell_min_full_members")

    def counted(uid: int, day: dt.date, full_members: int) -> tuple[bool, bool]:
        kind, founded, dissolved = info[uid]
        active = (founded is None or founded <= day) and (dissolved is None or dissolved > day)
        return active, active and kind in holding and full_members < minimum

    bracket_of = figures.BracketOf(rules)
    day = first
    while day <= last:
        batch = [day + dt.timedelta(days=i) for i in range(DAYS_PER_QUERY)]
        batch = [d for d in batch if d <= last]
        rows = _daily_member_rows(tree, key, batch[0], batch[-1], rules, bracket_of)
        full_rows = _daily_full_changes(tree, batch[0], batch[-1])
        for today in batch:
            for owner_rows in _by_owner(rows.get(today, []), owners_of).items():
                figures.add_member_rows(member_figures[owner_rows[0]], owner_rows[1], rules)
            yesterday = today - dt.timedelta(days=1)
            for uid, old_line, new_line in moved_on.get(today, []):
                # The unit, as it stood yesterday, counts under its new owners from today.
                was = counted(uid, yesterday, full.get(uid, 0))
                if not was[0]:
                    continue
                kind = info[uid][0]
                old = [a for a in old_line if a in wanted]
                new = [a for a in new_line if a in wanted]
                for owners_, step in ((old, -1), (new, 1)):
                    for a in owners_:
                        counts = unit_figures[a]
                        counts["total"] += step
                        counts["by_kind"][kind] = counts["by_kind"].get(kind, 0) + step
                        counts["cells_below_minimum"] += step * int(was[1])
            changed = dict(full_rows.get(today.isoformat(), {}))
            for uid in founded_or_dissolved.get(today, []):
                changed.setdefault(uid, 0)
            for uid, n in changed.items():
                before = counted(uid, today - dt.timedelta(days=1), full.get(uid, 0))
                full[uid] = full.get(uid, 0) + n
                after = counted(uid, today, full[uid])
                if before == after:
                    continue
                kind = info[uid][0]
                for a in unit_owners(uid, today):
                    counts = unit_figures[a]
                    step = int(after[0]) - int(before[0])
                    counts["total"] += step
                    counts["by_kind"][kind] = counts["by_kind"].get(kind, 0) + step
                    counts["cells_below_minimum"] += int(after[1]) - int(before[1])
            iso = today.isoformat()
            for u in daily:
                if today.month == 1 and today.day == 1:
                    ytd[u] = figures.empty_movements()
                for movement in figures.MOVEMENTS:
                    ytd[u][movement] += moves.get((u, iso, movement), 0)
            yield (
                today,
                {
                    u: {
                        "members": figures.tidy_members(copy.deepcopy(member_figures[u])),
                        "units": figures.tidy_units(
                            {
                                **unit_figures[u],
                                "by_kind": {
                                    k: n for k, n in unit_figures[u]["by_kind"].items() if n
                                },
                            },
                            rules,
                        ),
                        "movements_ytd": dict(ytd[u]),
                    }
                    for u in daily
                },
            )
        day = batch[-1] + dt.timedelta(days=1)


def _by_owner(
    rows: list[tuple[Any, ...]], owners_of: Callable[[str], list[int]]
) -> dict[int, list[tuple[Any, ...]]]:
    """Grouped member rows (key, *MemberRow) per daily unit above the key."""
    result: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for key, status, exempt, gender, bracket, eth, edu, theory, card, n in rows:
        row = (status, bool(exempt), gender, bracket, eth, edu, theory, bool(card), n)
        for a in owners_of(key):
            result[a].append(row)
    return result


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _daily_member_rows(
    tree: _Tree,
    key: str,
    first: dt.date,
    last: dt.date,
    rules: Ruleset,
    bracket_of: figures.BracketOf,
) -> dict[dt.date, list[tuple[Any, ...]]]:
    """Each day's member changes from `first` to `last`, as grouped rows (key, *MemberRow with
    a signed count): the periods that began that day, less those that ended, and the members
    whose age bracket changed that day. Three range reads by index; the brackets are worked
    out here, day by day, as the SQL of `member_rows_sql` would."""
    counts: Counter[tuple[Any, ...]] = Counter()
    columns = (
        f"{key}, p.status, p.exempt, m.gender, m.birth_date, m.ethnicity, m.education_level, "
        "m.theory_level, CASE WHEN m.card_number IS NULL OR m.card_number = '' THEN 0 ELSE 1 END, "
        "p.valid_from, p.valid_to"
    )
    join = f"FROM {periods.PERIODS} p JOIN {periods.MEMBERS} m ON m.id = p.member_id"
    before = first - dt.timedelta(days=1)
    births, birth_params = figures.bracket_crossings("m.birth_date", before, last, rules)
    one_day = dt.timedelta(days=1)
    for root in tree.roots:
        began = periods._fetch(
            f"SELECT {columns} {join} WHERE p.anc1_id = %s AND p.valid_from >= %s "
            "AND p.valid_from <= %s",
            [root, first, last],
        )
        for k, status, exempt, gender, birth, eth, edu, theory, card, start, end in began:
            day = _date(start)
            if end is None or _date(end) > day:
                dims = (status, bool(exempt), gender, bracket_of(birth, day), eth, edu, theory)
                counts[(day, k, *dims, bool(card))] += 1
        ended = periods._fetch(
            f"SELECT {columns} {join} WHERE p.anc1_id = %s AND p.valid_to >= %s "
            "AND p.valid_to <= %s",
            [root, first, last],
        )
        for k, status, exempt, gender, birth, eth, edu, theory, card, start, end in ended:
            day = _date(end)
            if _date(start) <= day - one_day:
                was = bracket_of(birth, day - one_day)
                counts[
                    (day, k, status, bool(exempt), gender, was, eth, edu, theory, bool(card))
                ] -= 1
        kept = periods._fetch(
            f"SELECT {columns} {join} WHERE p.anc1_id = %s AND p.valid_from < %s "
            f"AND (p.valid_to IS NULL OR p.valid_to > %s) AND ({births})",
            [root, last, first, *birth_params],
        )
        for k, status, exempt, gender, birth, eth, edu, theory, card, start, end in kept:
            birth = _date(birth)
            was, now = bracket_of(birth, before), bracket_of(birth, last)
            if was == now:
                continue
            lo, hi = first, last  # the first day on which the bracket is no longer `was`
            while lo < hi:
                mid = lo + (hi - lo) // 2
                if bracket_of(birth, mid) != was:
                    hi = mid
                else:
                    lo = mid + one_day
            day = lo
            start_day, end_day = _date(start), _date(end) if end is not None else None
            if start_day <= day - one_day and (end_day is None or end_day > day):
                dims_was = (status, bool(exempt), gender, was, eth, edu, theory, bool(card))
                dims_now = (status, bool(exempt), gender, bracket_of(birth, day), eth, edu)
                counts[(day, k, *dims_was)] -= 1
                counts[(day, k, *dims_now, theory, bool(card))] += 1
    result: dict[dt.date, list[tuple[Any, ...]]] = defaultdict(list)
    for (day, *row), n in counts.items():
        if n:
            result[day].append((*row, n))
    return result


def _daily_full_changes(tree: _Tree, first: dt.date, last: dt.date) -> dict[str, dict[int, int]]:
    """Full members gained (or lost) per unit on each day from `first` to `last`."""
    result: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for root in tree.roots:
        rows = periods._fetch(
            f"SELECT p.valid_from, p.unit_id, COUNT(*) FROM {periods.PERIODS} p "
            "WHERE p.anc1_id = %s AND p.status = 'full' AND p.valid_from >= %s "
            "AND p.valid_from <= %s GROUP BY 1, 2 UNION ALL "
            f"SELECT p.valid_to, p.unit_id, -COUNT(*) FROM {periods.PERIODS} p "
            "WHERE p.anc1_id = %s AND p.status = 'full' AND p.valid_to >= %s "
            "AND p.valid_to <= %s GROUP BY 1, 2",
            [root, first, last, root, first, last],
        )
        for day, uid, n in rows:
            result[_iso(day)][uid] += n
    return result


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


def _dump(fig: dict[str, Any]) -> str:
    return json.dumps(fig, ensure_ascii=False, separators=(",", ":"))


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
            data_mark=rules_mark(rules),
            audit_mark=AuditEntry.objects.aggregate(m=Max("id"))["m"] or 0,
            event_mark=MemberEvent.objects.aggregate(m=Max("id"))["m"] or 0,
            member_mark=Member.objects.aggregate(m=Max("id"))["m"] or 0,
        )
        MovementCount.objects.all().delete()
        StatsSnapshot.objects.all().delete()
        StatsCellCount.objects.all().delete()
        tree = _Tree()
        daily = sorted(
            u
            for u in tree.aggregated
            if len(tree.ancestors[u]) <= settings.CADREBOOK_STATS_DAILY_DEPTH
        )
        first = MemberPeriod.objects.aggregate(m=Min("valid_from"))["m"]
        dates = snapshot_dates(first, today, rules) if first else []
        counts: Counts = Counter()
        days: Counts = Counter()
        if first:
            first_month = first.replace(day=1)
            last_month = today.replace(day=1)
            counts, days = _movement_counts(tree, first_month, month_end(last_month), set(daily))
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
        for day in dates:
            members = _member_figures(tree, day, rules)
            units, full = _unit_figures(tree, day, rules)
            _write(
                StatsCellCount,
                ("unit_id", "date", "full"),
                ((uid, day, n) for uid, n in sorted(full.items()) if n),
            )
            # The year's movements up to the date travel with the snapshot, so a year's
            # statistics for thousands of units read one row per unit.
            ytd: dict[int, dict[str, int]] = defaultdict(figures.empty_movements)
            start, end = f"{day.year}-01", day.isoformat()[:7]
            for (uid, month, movement), n in counts.items():
                if start <= month <= end:
                    ytd[uid][movement] += n
            _write(
                StatsSnapshot,
                ("unit_id", "date", "figures"),
                (
                    (
                        uid,
                        day,
                        _dump(
                            {
                                "members": figures.tidy_members(members[uid]),
                                "units": figures.tidy_units(units[uid], rules),
                                "movements_ytd": ytd[uid],
                            }
                        ),
                    )
                    for uid in sorted(tree.aggregated)
                ),
            )
            say(f"snapshot {day}: {len(tree.aggregated)} units")
        if first and daily:
            standard = set(dates)
            for day, by_unit in _daily_figures(tree, daily, first, today, days, rules):
                if day not in standard:
                    _write(
                        StatsSnapshot,
                        ("unit_id", "date", "figures"),
                        ((uid, day, _dump(fig)) for uid, fig in by_unit.items()),
                    )
            build.daily_depth = settings.CADREBOOK_STATS_DAILY_DEPTH
            build.daily_from, build.daily_to = first, today
            say(f"daily figures from {first} to {today}: {len(daily)} units")
        build.dates = [d.isoformat() for d in dates]
        build.units = len(tree.aggregated)
        build.finished_at = timezone.now()
        build.seconds = time.perf_counter() - started
        build.save()
    return build
