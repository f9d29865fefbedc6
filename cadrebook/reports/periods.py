"""Statistics straight from the period and event tables: always current, for any date.

Every query is one set-based GROUP BY over the periods of a subtree (the ancestor column of
the unit's depth), grouped by the unit's own column or by its children's column, so the
number of queries does not grow with the tree (docs/architecture.md, "The performance shape").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import connection

from cadrebook.core.replica import read_connection
from cadrebook.core.rules import Ruleset
from cadrebook.members.event_types import (
    ARRIVING,
    DECIDING,
    ENDING,
    LEAVING,
    MOVEMENT_OF_EVENT,
    OPENING,
    sql_list,
)
from cadrebook.members.models import MemberEvent, MemberPeriod
from cadrebook.orgs.models import PLACEMENT_ANCESTOR_COLUMNS, OrgUnit, UnitPlacement
from cadrebook.orgs.placements import Span, load_spans, span_on
from cadrebook.reports import figures

PERIODS = MemberPeriod._meta.db_table
EVENTS = MemberEvent._meta.db_table
MEMBERS = "members_member"
UNITS = OrgUnit._meta.db_table
PLACEMENTS = UnitPlacement._meta.db_table
ANCESTORS = PLACEMENT_ANCESTOR_COLUMNS

# Grouped key -> counts, for the unit itself (key: its id) or its children (keys: their ids).
Grouped = dict[int, dict[str, Any]]


def _fetch(sql: str, params: Iterable[Any]) -> list[tuple[Any, ...]]:
    # The replica's, inside reading_replica() (the dashboard, the statistics API…).
    with read_connection(MemberPeriod).cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.fetchall()


def member_rows_sql(
    group: str,
    where: str,
    where_params: list[Any],
    on: dt.date,
    rules: Ruleset,
    *,
    count: str = "COUNT(*)",
    tag: int | None = None,
) -> tuple[str, list[Any]]:
    """SELECT group, then the columns of figures.MemberRow, of the periods in force on `on`
    that satisfy `where` (over `p`, the period, and `m`, the member); with `tag`, that number
    last on every row (to tell the parts of a UNION apart)."""
    bracket, bracket_params = figures.bracket_case("m.birth_date", on, rules)
    sql = (
        f"SELECT {group}, p.status, p.exempt, m.gender, {bracket}, m.ethnicity, "
        "m.education_level, m.theory_level, "
        f"CASE WHEN m.card_number IS NULL OR m.card_number = '' THEN 0 ELSE 1 END, {count}"
        f"{_tag(tag)} "
        f"FROM {PERIODS} p JOIN {MEMBERS} m ON m.id = p.member_id "
        f"WHERE {where} AND p.valid_from <= %s AND (p.valid_to IS NULL OR p.valid_to > %s) "
        "GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9"
    )
    return sql, [*bracket_params, *where_params, on, on]


def _tag(tag: int | None) -> str:
    return f", {int(tag)}" if tag is not None else ""


def _by_tag(rows: Iterable[tuple[Any, ...]]) -> dict[int, list[tuple[Any, ...]]]:
    """Rows of a tagged UNION (the tag last) by tag, without it."""
    result: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        result.setdefault(row[-1], []).append(row[:-1])
    return result


def member_changes(
    unit: OrgUnit, lo: dt.date, hi: dt.date, rules: Ruleset
) -> list[tuple[Any, ...]]:
    """Rows (child id or None, *MemberRow with a signed count) that turn the member figures
    of `unit`'s subtree on `lo` into those on `hi` (lo < hi), by child: the periods in force
    on `hi` that began after `lo`, less those in force on `lo` that ended by `hi`, and for
    the periods in force on both, the members whose age bracket changed in between. One
    round trip; each part is read by an index (ancestor and start, end, birth date)."""
    return _fetch(
        *member_changes_sql(
            f"p.anc{unit.depth + 1}_id", f"p.anc{unit.depth}_id = %s", [unit.pk], lo, hi, rules
        )
    )


def member_changes_sql(
    group: str,
    where: str,
    where_params: list[Any],
    lo: dt.date,
    hi: dt.date,
    rules: Ruleset,
    *,
    tag: int | None = None,
) -> tuple[str, list[Any]]:
    """The query of `member_changes` over the periods satisfying `where` (which should pin
    an ancestor column, so that the periods' start dates are read by its index)."""
    births, birth_params = figures.bracket_crossings("m.birth_date", lo, hi, rules)
    began = member_rows_sql(
        group,
        f"{where} AND p.valid_from > %s AND p.valid_from <= %s",
        [*where_params, lo, hi],
        hi,
        rules,
        tag=tag,
    )
    ended = member_rows_sql(
        group,
        f"{where} AND p.valid_to > %s AND p.valid_to <= %s",
        [*where_params, lo, hi],
        lo,
        rules,
        count="-COUNT(*)",
        tag=tag,
    )
    kept = (
        f"{where} AND p.valid_from <= %s AND (p.valid_to IS NULL OR p.valid_to > %s) AND ({births})"
    )
    kept_params = [*where_params, lo, hi, *birth_params]
    older = member_rows_sql(group, kept, kept_params, hi, rules, tag=tag)
    younger = member_rows_sql(group, kept, kept_params, lo, rules, count="-COUNT(*)", tag=tag)
    parts = [began, ended, older, younger]
    return (
        " UNION ALL ".join(sql for sql, _params in parts),
        [p for _sql, params in parts for p in params],
    )


def _only(column: str, ids: list[int] | None) -> tuple[str, list[Any]]:
    """An extra condition keeping the children in `ids` (None: all of them)."""
    if ids is None:
        return "", []
    return f" AND {column} IN ({', '.join(['%s'] * len(ids)) or 'NULL'})", list(ids)


def members(
    unit: OrgUnit,
    on: dt.date,
    rules: Ruleset,
    *,
    by_child: bool = False,
    only: list[int] | None = None,
) -> Grouped:
    """Member figures of `unit`'s subtree on `on` (or of each child's subtree; with `only`,
    of those children only)."""
    return members_on(unit, [on], rules, by_child=by_child, only=only)[on]


def members_on(
    unit: OrgUnit,
    dates: list[dt.date],
    rules: Ruleset,
    *,
    by_child: bool = False,
    only: list[int] | None = None,
) -> dict[dt.date, Grouped]:
    """`members` on each of `dates`, in one round trip. The unit's ancestor column is that
    of its depth on each date (a unit moved up or down the tree stood elsewhere before)."""
    spans = load_spans([unit.pk]).get(unit.pk, ())
    parts = []
    for i, on in enumerate(dates):
        d = _depth(unit, spans, on)
        group = f"p.anc{d + 1}_id" if by_child else f"p.anc{d}_id"
        extra, extra_params = _only(group, only if by_child else None)
        parts.append(
            member_rows_sql(
                group, f"p.anc{d}_id = %s{extra}", [unit.pk, *extra_params], on, rules, tag=i
            )
        )
    rows = _by_tag(
        _fetch(" UNION ALL ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps])
    )
    return {on: fold_member_rows(rows.get(i, []), rules) for i, on in enumerate(dates)}


def depth_on(unit: OrgUnit, on: dt.date) -> int:
    """The unit's depth on `on` (one read of its placements)."""
    return _depth(unit, load_spans([unit.pk]).get(unit.pk, ()), on)


def _depth(unit: OrgUnit, spans: tuple[Span, ...], on: dt.date) -> int:
    """The unit's depth on `on` by its placements (its depth now if it has none)."""
    span = span_on(spans, on)
    return len(span.ancestors) if span else unit.depth


def fold_member_rows(rows: Iterable[tuple[Any, ...]], rules: Ruleset) -> Grouped:
    """Fold (key, *MemberRow) rows into member figures per key."""
    by_key: dict[int, list[tuple[Any, ...]]] = {}
    for row in rows:
        if row[0] is None:
            continue  # members of the unit itself when grouping by child
        status, exempt, gender, bracket, eth, edu, theory, card, n = row[1:]
        by_key.setdefault(row[0], []).append(
            (status, bool(exempt), gender, bracket, eth, edu, theory, bool(card), n)
        )
    result: Grouped = {}
    for key, key_rows in by_key.items():
        m = figures.empty_members(rules)
        figures.add_member_rows(m, key_rows, rules)
        result[key] = figures.tidy_members(m)
    return result


def corrections_exist() -> bool:
    return MemberEvent.objects.filter(type="correction").exists()


def _effective(event: str, corrections: bool) -> tuple[str, str, str]:
    """(join, date expression, condition) reading `event` with its latest correction applied:
    a voided event drops out, a restated one takes the corrected date and receiving unit."""
    if not corrections:
        return "", f"{event}.date", "1 = 1"
    join = (
        f"LEFT JOIN {EVENTS} c ON c.id = (SELECT c2.id FROM {EVENTS} c2 "
        f"WHERE c2.corrects_id = {event}.id AND c2.type = 'correction' "
        "ORDER BY c2.date DESC, c2.id DESC LIMIT 1)"
    )
    return join, f"COALESCE(c.date, {event}.date)", "(c.id IS NULL OR c.void = %s)"


def movement_rows(
    anc: str,
    anc_id: int,
    date_from: dt.date,
    date_to: dt.date,
    group: str,
    *,
    by_day: bool = False,
    pairs: bool = False,
    corrections: bool | None = None,
    only: list[int] | None = None,
) -> list[tuple[Any, ...]]:
    """Movements of the periods whose column `anc` is `anc_id`: see `movement_rows_sql`."""
    if corrections is None:
        corrections = corrections_exist()
    return _fetch(
        *movement_rows_sql(
            anc,
            anc_id,
            date_from,
            date_to,
            group,
            by_day=by_day,
            pairs=pairs,
            corrections=corrections,
            only=only,
        )
    )


def movement_rows_sql(
    anc: str,
    anc_id: int,
    date_from: dt.date,
    date_to: dt.date,
    group: str,
    *,
    by_day: bool = False,
    pairs: bool = False,
    corrections: bool,
    only: list[int] | None = None,
    tag: int | None = None,
) -> tuple[str, list[Any]]:
    """Movements of the periods whose column `anc` is `anc_id`, from `date_from` to
    `date_to` (both included), grouped by the period's column `group` (and the day): rows
    (key, [day,] movement, count), or with `pairs` transfers inside the deployment as
    (key, [day,] "transfer_from:<unit id>", count) instead of in and out counts.

    Each movement is read off the period it opens or closes: the unit is the period's, the
    kind is the event's on that day, and a transfer counts only where the period on the other
    side is grouped elsewhere (a transfer inside a subtree is no movement of it). With `tag`,
    that number last on every row."""
    join, date, valid = _effective("e", corrections)
    count = f"COUNT(*){_tag(tag)}"
    # SQLite would read the periods ending in the window by the end-date index, across the
    # whole deployment, rather than the subtree's by the ancestor index: a unary + keeps it
    # on the ancestor index (PostgreSQL weighs both by its statistics).
    ends = "+p.valid_to" if connection.vendor == "sqlite" else "p.valid_to"
    keep, keep_params = _only(f"p.{group}", only)
    extra: list[Any] = [False] if corrections else []
    to_unit = "COALESCE(c.to_unit_id, e.to_unit_id)" if corrections else "e.to_unit_id"
    month = f", {date}" if by_day else ""
    keys = "1, 2, 3" if by_day else "1, 2"
    incoming = (
        "'transfer_from:' || CAST(prev.unit_id AS VARCHAR(20))"
        if pairs
        else sql_list([MOVEMENT_OF_EVENT[ARRIVING]])
    )
    # With `pairs`, transfers inside the deployment are counted from their receiving side only.
    # The movement categories are the registry's (`members/event_types.py`).
    closing = sql_list([*ENDING, LEAVING, *(() if pairs else (ARRIVING,))])
    opening = sql_list([*OPENING, ARRIVING])
    arriving, leaving = sql_list([ARRIVING]), sql_list([LEAVING])
    transferred_out = sql_list([MOVEMENT_OF_EVENT[LEAVING]])
    deciding = sql_list([DECIDING])
    # One round trip: movements that open a period (admission, readmission, exemption,
    # transfer in), that close one (removal, expulsion, death, non-recognition, transfer
    # out), and recognitions (decisions dated in the window, in the unit of their period).
    return (
        f"SELECT p.{group}{month}, CASE e.type WHEN {arriving} THEN {incoming} "
        f"ELSE e.type END, {count} "
        f"FROM {PERIODS} p JOIN {EVENTS} e ON e.member_id = p.member_id {join} "
        f"LEFT JOIN {PERIODS} prev ON prev.member_id = p.member_id "
        "AND prev.valid_to = p.valid_from "
        f"WHERE p.{anc} = %s{keep} AND p.valid_from >= %s AND p.valid_from <= %s "
        f"AND e.type IN ({opening}) "
        f"AND {date} = p.valid_from AND {valid} "
        f"AND (e.type <> {arriving} OR prev.{group} IS NULL OR prev.{group} <> p.{group}) "
        f"GROUP BY {keys} UNION ALL "
        f"SELECT p.{group}{month}, CASE WHEN e.type IN ({arriving}, {leaving}) "
        f"THEN {transferred_out} ELSE e.type END, {count} "
        f"FROM {PERIODS} p JOIN {EVENTS} e ON e.member_id = p.member_id {join} "
        f"LEFT JOIN {PERIODS} nxt ON nxt.member_id = p.member_id "
        "AND nxt.valid_from = p.valid_to "
        f"WHERE p.{anc} = %s{keep} AND {ends} >= %s AND {ends} <= %s "
        f"AND e.type IN ({closing}) "
        f"AND {date} = p.valid_to AND {valid} "
        f"AND (e.type <> {leaving} OR (nxt.id IS NULL AND {to_unit} IS NULL)) "
        f"AND (e.type <> {arriving} OR (nxt.id IS NOT NULL "
        f"AND (nxt.{group} IS NULL OR nxt.{group} <> p.{group}))) "
        f"GROUP BY {keys} UNION ALL "
        f"SELECT p.{group}{month}, {deciding}, {count} "
        f"FROM {PERIODS} p JOIN {EVENTS} e ON e.member_id = p.member_id {join} "
        f"WHERE p.{anc} = %s{keep} AND p.valid_from <= %s "
        f"AND (p.valid_to IS NULL OR p.valid_to > %s) AND e.type = {deciding} "
        f"AND {date} >= %s AND {date} <= %s AND {date} >= p.valid_from "
        f"AND (p.valid_to IS NULL OR {date} < p.valid_to) AND {valid} "
        f"GROUP BY {keys} UNION ALL "
        + _restructured_sql(anc, group, keep, by_day=by_day, pairs=pairs, ends=ends, tag=tag),
        [
            *(anc_id, *keep_params, date_from, date_to, *extra),
            *(anc_id, *keep_params, date_from, date_to, *extra),
            *(anc_id, *keep_params, date_to, date_from, date_from, date_to, *extra),
            *(anc_id, *keep_params, date_from, date_to),
            *(() if pairs else (anc_id, *keep_params, date_from, date_to)),
        ],
    )


def _outside(key: str, other: str, columns: str = "anc") -> str:
    """SQL: `key` is none of the ancestors of the row `other` (a restructuring moved it in or
    out of `key`'s subtree)."""
    ids = ", ".join(f"COALESCE({other}.{columns}{k}_id, 0)" for k in range(1, ANCESTORS + 1))
    return f"{key} NOT IN ({ids})"


def _restructured_sql(
    anc: str, group: str, keep: str, *, by_day: bool, pairs: bool, ends: str, tag: int | None
) -> str:
    """Members handed over with their unit: a period cut by a move (the same member, unit,
    status and exemption on both sides of the date) whose grouped unit differs across it.
    With `pairs`, the cut periods whose ancestors changed at all, keyed by their unit, as
    (unit, [day,] "restructured", count): the caller knows the tree on both sides."""
    count = f"COUNT(*){_tag(tag)}"
    same = (
        "{o}.member_id = p.member_id AND {o}.unit_id = p.unit_id AND {o}.status = p.status "
        "AND {o}.exempt = p.exempt"
    )
    keys = "1, 2, 3" if by_day else "1, 2"
    if pairs:
        changed = " OR ".join(
            f"COALESCE(prev.anc{k}_id, 0) <> COALESCE(p.anc{k}_id, 0)"
            for k in range(1, ANCESTORS + 1)
        )
        day = ", p.valid_from" if by_day else ""
        return (
            f"SELECT p.{group}{day}, 'restructured', {count} FROM {PERIODS} p "
            f"JOIN {PERIODS} prev ON {same.format(o='prev')} AND prev.valid_to = p.valid_from "
            f"WHERE p.{anc} = %s{keep} AND p.valid_from >= %s AND p.valid_from <= %s "
            f"AND ({changed}) GROUP BY {keys}"
        )
    day_in = ", p.valid_from" if by_day else ""
    day_out = ", p.valid_to" if by_day else ""
    return (
        f"SELECT p.{group}{day_in}, 'restructured_in', {count} FROM {PERIODS} p "
        f"JOIN {PERIODS} prev ON {same.format(o='prev')} AND prev.valid_to = p.valid_from "
        f"WHERE p.{anc} = %s{keep} AND p.valid_from >= %s AND p.valid_from <= %s "
        f"AND {_outside('p.' + group, 'prev')} GROUP BY {keys} UNION ALL "
        f"SELECT p.{group}{day_out}, 'restructured_out', {count} FROM {PERIODS} p "
        f"JOIN {PERIODS} nxt ON {same.format(o='nxt')} AND nxt.valid_from = p.valid_to "
        f"WHERE p.{anc} = %s{keep} AND {ends} >= %s AND {ends} <= %s "
        f"AND {_outside('p.' + group, 'nxt')} GROUP BY {keys}"
    )


def unit_movement_rows_sql(
    anc: str,
    anc_id: int,
    date_from: dt.date,
    date_to: dt.date,
    group: str,
    *,
    only: list[int] | None = None,
    tag: int | None = None,
) -> tuple[str, list[Any]]:
    """Units moved into or out of the subtree of the placements whose column `anc` is
    `anc_id`, from `date_from` to `date_to` (both included), grouped by the placement's
    column `group`: rows (key, "units_restructured_in" | "units_restructured_out", count)."""
    keep, keep_params = _only(f"s.{group}", only)
    count = f"COUNT(*){_tag(tag)}"
    return (
        f"SELECT s.{group}, 'units_restructured_in', {count} FROM {PLACEMENTS} s "
        f"JOIN {PLACEMENTS} prev ON prev.unit_id = s.unit_id AND prev.valid_to = s.valid_from "
        f"WHERE s.{anc} = %s{keep} AND s.valid_from >= %s AND s.valid_from <= %s "
        f"AND {_outside('s.' + group, 'prev')} GROUP BY 1, 2 UNION ALL "
        f"SELECT s.{group}, 'units_restructured_out', {count} FROM {PLACEMENTS} s "
        f"JOIN {PLACEMENTS} nxt ON nxt.unit_id = s.unit_id AND nxt.valid_from = s.valid_to "
        f"WHERE s.{anc} = %s{keep} AND s.valid_to >= %s AND s.valid_to <= %s "
        f"AND {_outside('s.' + group, 'nxt')} GROUP BY 1, 2",
        [
            *(anc_id, *keep_params, date_from, date_to),
            *(anc_id, *keep_params, date_from, date_to),
        ],
    )


def movements(
    unit: OrgUnit,
    date_from: dt.date,
    date_to: dt.date,
    *,
    by_child: bool = False,
    corrections: bool | None = None,
    only: list[int] | None = None,
) -> dict[int, dict[str, int]]:
    """Movements of `unit`'s subtree (or of each child's subtree; with `only`, of those
    children only) from `date_from` to `date_to`, both included."""
    window = (date_from, date_to)
    return movements_in(unit, [window], by_child=by_child, corrections=corrections, only=only)[
        window
    ]


Window = tuple[dt.date, dt.date]


def movements_in(
    unit: OrgUnit,
    windows: list[Window],
    *,
    by_child: bool = False,
    corrections: bool | None = None,
    only: list[int] | None = None,
) -> dict[Window, dict[int, dict[str, int]]]:
    """`movements` in each of `windows` (from, to), in one round trip. A window the unit's
    depth changed in (a move up or down the tree) is read in pieces, each by the ancestor
    column of the depth of its days."""
    if corrections is None:
        corrections = corrections_exist()
    spans = load_spans([unit.pk]).get(unit.pk, ())
    parts = []
    window_of: list[Window] = []
    for window in windows:
        for lo, hi, d in _depth_pieces(unit, spans, *window):
            group = f"anc{d + 1}_id" if by_child else f"anc{d}_id"
            keep = only if by_child else None
            for sql_params in (
                movement_rows_sql(
                    f"anc{d}_id",
                    unit.pk,
                    lo,
                    hi,
                    group,
                    corrections=corrections,
                    only=keep,
                    tag=len(window_of),
                ),
                unit_movement_rows_sql(
                    f"anc{d}_id", unit.pk, lo, hi, group, only=keep, tag=len(window_of)
                ),
            ):
                parts.append(sql_params)
            window_of.append(window)
    rows = _by_tag(
        _fetch(" UNION ALL ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps])
    )
    result: dict[Window, dict[int, dict[str, int]]] = {w: {} for w in windows}
    for i, window in enumerate(window_of):
        counts = result[window]
        for key, movement, n in rows.get(i, []):
            if key is not None:
                counts.setdefault(key, figures.empty_movements())[movement] += n
    return result


def _depth_pieces(
    unit: OrgUnit, spans: tuple[Span, ...], date_from: dt.date, date_to: dt.date
) -> list[tuple[dt.date, dt.date, int]]:
    """[date_from, date_to] cut where the unit's depth changed: (from, to, depth)."""
    if len(spans) <= 1:
        return [(date_from, date_to, _depth(unit, spans, date_from))]
    pieces: list[tuple[dt.date, dt.date, int]] = []
    day = date_from
    while day <= date_to:
        d = _depth(unit, spans, day)
        nxt = min(
            (s.valid_from for s in spans if s.valid_from and day < s.valid_from <= date_to),
            default=None,
        )
        end = nxt - dt.timedelta(days=1) if nxt else date_to
        if pieces and pieces[-1][2] == d:
            pieces[-1] = (pieces[-1][0], end, d)
        else:
            pieces.append((day, end, d))
        day = end + dt.timedelta(days=1)
    return pieces


def units(unit: OrgUnit, on: dt.date, rules: Ruleset, *, by_child: bool = False) -> Grouped:
    """Units of the subtree existing on `on`, by kind, and the member-holding ones with fewer
    full members than the rule set's minimum: the placements in force on `on` (the tree as
    it stood then) by the ancestor column of the unit's depth then."""
    d = _depth(unit, load_spans([unit.pk]).get(unit.pk, ()), on)
    group = f"s.anc{d + 1}_id" if by_child else f"s.anc{d}_id"
    where = (
        f"s.anc{d}_id = %s AND {group} IS NOT NULL "
        "AND (s.valid_from IS NULL OR s.valid_from <= %s) AND (s.valid_to IS NULL OR s.valid_to > %s) "
        "AND (u.founded_on IS NULL OR u.founded_on <= %s) "
        "AND (u.dissolved_on IS NULL OR u.dissolved_on > %s)"
    )
    base = [unit.pk, on, on, on, on]
    source = f"FROM {PLACEMENTS} s JOIN {UNITS} u ON u.id = s.unit_id"
    rows = _fetch(f"SELECT {group}, u.kind, COUNT(*) {source} WHERE {where} GROUP BY 1, 2", base)
    kinds = rules.member_holding_kinds()
    minimum = rules.int("organization.cell_min_full_members")
    weak = _fetch(
        f"SELECT {group}, COUNT(*) {source} WHERE {where} "
        f"AND u.kind IN ({', '.join(['%s'] * len(kinds))}) "
        f"AND (SELECT COUNT(*) FROM {PERIODS} p WHERE p.unit_id = u.id AND p.status = 'full' "
        "AND p.valid_from <= %s AND (p.valid_to IS NULL OR p.valid_to > %s)) < %s "
        "GROUP BY 1",
        [*base, *kinds, on, on, minimum],
    )
    result: Grouped = {}
    for key, kind, n in rows:
        u = result.setdefault(key, figures.empty_units())
        u["total"] += n
        u["by_kind"][kind] = u["by_kind"].get(kind, 0) + n
    for key, n in weak:
        result.setdefault(key, figures.empty_units())["cells_below_minimum"] = n
    return {k: figures.tidy_units(v, rules) for k, v in result.items()}
