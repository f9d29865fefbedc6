"""The tally of ratings (`RatingTally`): how many ratings of a year stand under each unit, per
key and level, so that the level counts of the whole country read a dozen rows rather than
group five million ratings.

A rating counts once under each unit of its line as the tree stood on its reference date
(`anc1` .. `anc6`, the rated unit or the member's cell included) with the key "member", or
"unit:<kind of the rated unit>"; and, when it has a quota unit and is rated excellent or good,
once more under that unit with the key "quota:<group of similar roles>" (what the quota of a
grassroots organization reads).

Who keeps it:

- The services that write a rating (`services/rounds.py`: a decision or a reconsideration;
  `services/ratings.py`: a rating recorded outside a round) call `tally_change(before,
  after)` in their transaction, with the rating's contributions (`tally_keys`) before the
  write (none for a new rating) and after it. Only the difference is written, in the order of
  the keys, so two decisions at once never wait on each other in opposite orders.
- **A bulk write of ratings (the import of `cadrebook import ratings`), in the transaction
  of each batch, after its rows are written:**
  `tally_change(tally_keys_of_rows(replaced), tally_keys_of_rows(written))`, where
  `replaced` are the rows the batch overwrites as they were before (read them before the
  write, e.g. `Rating.objects.filter(...).values(*TALLY_COLUMNS)`; none for new rows) and
  `written` the rows as written (dicts of the columns, or the instances). One statement per
  batch adds the difference: no recount, so an import of a few rows costs a few rows.
- Or, simpler and slower, `tally_refresh(year, tally_units(replaced + written))` after the
  write: the tallies of every unit the rows stand under are counted again from the ratings
  (the root's included, so it reads the whole year's ratings of the country: seconds at
  millions). An import of a whole year calls `tally_refresh(year)` once at its end, which
  counts the year again from scratch, set-based.

`tally_refresh(year)` is also the repair: the tally is a function of the `Rating` rows and
nothing else.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import partial
from typing import Any

from django.db import connection

from cadrebook.evaluations.choices import Level, SubjectKind
from cadrebook.evaluations.models import RATING_ANCESTOR_COLUMNS, Rating, RatingTally
from cadrebook.orgs.models import OrgUnit

MEMBER_KEY = "member"
UNIT_KEY = "unit:"
QUOTA_KEY = "quota:"
# The levels the quota reads (excellent against good): the only ones tallied for it.
QUOTA_LEVELS = (Level.EXCELLENT.value, Level.GOOD.value)

TallyKey = tuple[int, int, str, str]  # unit id, year, key, level

TABLE = RatingTally._meta.db_table
RATINGS = Rating._meta.db_table
UNITS = OrgUnit._meta.db_table
ANCESTORS = tuple(f"anc{k}_id" for k in range(1, RATING_ANCESTOR_COLUMNS + 1))
# The columns of a rating the tally reads (what to read of the rows a bulk write replaces).
TALLY_COLUMNS = (
    "year",
    "subject_kind",
    "level",
    "unit_id",
    *ANCESTORS,
    "quota_unit_id",
    "role_group",
)
# Units per statement (SQLite's limit on parameters is the tightest).
CHUNK = 500


def unit_key(kind: str) -> str:
    return f"{UNIT_KEY}{kind}"


def quota_key(role_group: str) -> str:
    return f"{QUOTA_KEY}{role_group}"


def tally_keys(rating: Rating | None, unit_kind: str = "") -> list[TallyKey]:
    """The tally rows a rating counts in (none for None). `unit_kind`: the kind of the rated
    unit, for a rating of a unit (read from `rating.unit` when not given)."""
    if rating is None:
        return []
    if rating.subject_kind == SubjectKind.MEMBER:
        key = MEMBER_KEY
    else:
        key = unit_key(unit_kind or rating.unit.kind)  # type: ignore[union-attr]
    keys = [
        (uid, rating.year, key, rating.level)
        for uid in (getattr(rating, column) for column in ANCESTORS)
        if uid is not None
    ]
    if rating.quota_unit_id is not None and rating.level in QUOTA_LEVELS:
        keys.append((rating.quota_unit_id, rating.year, quota_key(rating.role_group), rating.level))
    return keys


def _get(row: Any, name: str) -> Any:
    return row.get(name) if isinstance(row, dict) else getattr(row, name, None)


def tally_keys_of_rows(rows: Iterable[Any]) -> list[TallyKey]:
    """The tally rows many ratings count in (instances, or dicts with the columns `year`,
    `subject_kind`, `level`, `unit_id`, `anc1_id` .. `anc6_id`, `quota_unit_id`,
    `role_group`): the kinds of the rated units read in one query. What a bulk write gives
    `tally_change`, for the rows as they were and as they are."""
    rows = list(rows)
    unit_ids = {_get(r, "unit_id") for r in rows if _get(r, "subject_kind") != SubjectKind.MEMBER}
    kinds = dict(
        OrgUnit.objects.filter(pk__in=[u for u in unit_ids if u is not None]).values_list(
            "id", "kind"
        )
    )
    keys: list[TallyKey] = []
    for row in rows:
        # A bulk write gives dicts: read them directly (this runs for millions of rows).
        get: Callable[[str], Any] = row.get if isinstance(row, dict) else partial(getattr, row)
        year, level = int(get("year")), str(get("level"))
        if get("subject_kind") == SubjectKind.MEMBER:
            key = MEMBER_KEY
        else:
            key = unit_key(kinds.get(get("unit_id"), ""))
        keys += [(int(uid), year, key, level) for c in ANCESTORS if (uid := get(c))]
        quota = get("quota_unit_id")
        if quota is not None and level in QUOTA_LEVELS:
            keys.append((int(quota), year, quota_key(get("role_group") or ""), level))
    return keys


def tally_counts(lines: Iterable[Sequence[Any]]) -> Counter[TallyKey]:
    """`tally_keys_of_rows` counted, for many ratings given as tuples of their `TALLY_COLUMNS`
    in that order: identical tuples (the members of a cell rated alike, a national round's
    usual case) are expanded into their keys once, and counted."""
    same: Counter[tuple[Any, ...]] = Counter(map(tuple, lines))
    unit_ids = [line[3] for line in same if line[1] != SubjectKind.MEMBER and line[3]]
    kinds = (
        dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("id", "kind")) if unit_ids else {}
    )
    counts: Counter[TallyKey] = Counter()
    known = _MEMBER_LINES
    for line, n in same.items():
        if line[1] == SubjectKind.MEMBER:
            keys = known.get(line)
            if keys is None:
                if len(known) >= 100_000:
                    known.clear()
                keys = known[line] = _line_keys(line, MEMBER_KEY)
        else:
            keys = _line_keys(line, unit_key(kinds.get(line[3], "")))
        for key in keys:
            counts[key] += n
    return counts


# A member's line (the tuple of its `TALLY_COLUMNS`) and its keys, which depend on nothing
# else: worked out once for the members of a cell rated alike, batch after batch (a national
# round's million lines are some tens of thousands of distinct ones). Bounded.
_MEMBER_LINES: dict[tuple[Any, ...], tuple[TallyKey, ...]] = {}


def _line_keys(line: tuple[Any, ...], key: str) -> tuple[TallyKey, ...]:
    year, _kind, level, _unit_id, *ancestors, quota, role_group = line
    year, level = int(year), str(level)
    keys = [(int(uid), year, key, level) for uid in ancestors if uid]
    if quota is not None and level in QUOTA_LEVELS:
        keys.append((int(quota), year, quota_key(role_group or ""), level))
    return tuple(keys)


def tally_units(rows: Iterable[Any]) -> set[int]:
    """The units whose tallies rows of ratings (instances, or dicts of their columns) count
    in: their ancestors and quota units; what `tally_refresh` is given after a bulk write."""
    units: set[int] = set()
    for row in rows:
        for column in (*ANCESTORS, "quota_unit_id"):
            value = _get(row, column)
            if value is not None:
                units.add(int(value))
    return units


def _add(counts: dict[TallyKey, int]) -> None:
    """Add `counts` to the tally, a row created where there is none: on PostgreSQL one
    statement whatever the number of rows (five array parameters, which cost nothing to
    bind, where a VALUES list of tens of thousands of parameters costs seconds); elsewhere
    a VALUES list per `CHUNK` rows (SQLite's limit on parameters)."""
    rows = sorted((key, n) for key, n in counts.items() if n)
    if not rows:
        return
    upsert = f"ON CONFLICT (unit_id, year, key, level) DO UPDATE SET n = {TABLE}.n + excluded.n"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            flat = [(uid, year, key, level, n) for (uid, year, key, level), n in rows]
            columns = list(zip(*flat, strict=True))
            cursor.execute(
                f"INSERT INTO {TABLE} (unit_id, year, key, level, n) SELECT * FROM "
                "unnest(%s::bigint[], %s::int[], %s::text[], %s::text[], %s::int[]) " + upsert,
                [list(c) for c in columns],
            )
            return
        for start in range(0, len(rows), CHUNK):
            part = rows[start : start + CHUNK]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(part))
            params: list[Any] = [
                v for (uid, year, key, level), n in part for v in (uid, year, key, level, n)
            ]
            cursor.execute(
                f"INSERT INTO {TABLE} (unit_id, year, key, level, n) VALUES {values} " + upsert,
                params,
            )


def tally_change(before: list[TallyKey], after: list[TallyKey]) -> None:
    """A rating's contributions changed from `before` to `after` (`tally_keys` of the rating
    as it was and as it is): write the difference. Call it in the writing transaction."""
    counts: Counter[TallyKey] = Counter(after)
    counts.subtract(before)
    _add(dict(counts))


class TallyBuffer:
    """The tally's difference gathered over the batches of one bulk write (an import of a
    national round: thousands of batches touching the same ancestors' rows), written by
    `flush` — call it before the transaction ends — or whenever it holds more than `limit`
    keys, so that memory stays bounded. The same rows as `tally_change` per batch, in far
    fewer statements."""

    def __init__(self, limit: int = 200_000) -> None:
        self.counts: Counter[TallyKey] = Counter()
        self.limit = limit

    def change(self, before: list[TallyKey], after: list[TallyKey]) -> None:
        self.counts.update(after)
        self.counts.subtract(before)
        if len(self.counts) > self.limit:
            self.flush()

    def change_counts(self, before: Counter[TallyKey], after: Counter[TallyKey]) -> None:
        """`change` for keys already counted (`tally_counts`)."""
        self.counts.update(after)
        self.counts.subtract(before)
        if len(self.counts) > self.limit:
            self.flush()

    def flush(self) -> None:
        _add(dict(self.counts))
        self.counts.clear()


def _chunks(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


def _count_sql(where_ancestor: str, where_quota: str) -> str:
    """The tally rows counted from the ratings: one SELECT per ancestor column and one for
    the quota units, summed (a unit may stand at two depths among the ratings of a year when
    the tree moved between two reference dates)."""
    kind = (
        f"CASE WHEN r.subject_kind = '{SubjectKind.MEMBER.value}' THEN '{MEMBER_KEY}' "
        f"ELSE '{UNIT_KEY}' || u.kind END"
    )
    parts = [
        f"SELECT r.{column} AS unit_id, {kind} AS key, r.level AS level, COUNT(*) AS n "
        f"FROM {RATINGS} r LEFT JOIN {UNITS} u ON u.id = r.unit_id "
        f"WHERE r.year = %s AND r.{column} IS NOT NULL{where_ancestor.format(column=column)} "
        "GROUP BY 1, 2, 3"
        for column in ANCESTORS
    ]
    parts.append(
        f"SELECT r.quota_unit_id AS unit_id, '{QUOTA_KEY}' || r.role_group AS key, "
        "r.level AS level, COUNT(*) AS n "
        f"FROM {RATINGS} r WHERE r.year = %s AND r.quota_unit_id IS NOT NULL "
        f"AND r.level IN (%s, %s){where_quota} GROUP BY 1, 2, 3"
    )
    return (
        f"INSERT INTO {TABLE} (unit_id, year, key, level, n) "
        "SELECT t.unit_id, %s, t.key, t.level, SUM(t.n) FROM ("
        + " UNION ALL ".join(parts)
        + ") t GROUP BY t.unit_id, t.key, t.level"
    )


def tally_refresh(year: int, unit_ids: Iterable[int] | None = None) -> None:
    """Count the tallies of `year` again from the ratings: of the units `unit_ids` (those a
    bulk write touched: `tally_units`), or of every unit when None. Call it in the
    transaction of the write, after the rows are written."""
    with connection.cursor() as cursor:
        if unit_ids is None:
            cursor.execute(f"DELETE FROM {TABLE} WHERE year = %s", [year])
            sql = _count_sql("", "")
            cursor.execute(sql, [year, *[year] * len(ANCESTORS), year, *QUOTA_LEVELS])
            return
        for chunk in _chunks(sorted(set(unit_ids))):
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE year = %s AND unit_id IN ({marks})", [year, *chunk]
            )
            sql = _count_sql(
                f" AND r.{{column}} IN ({marks})", f" AND r.quota_unit_id IN ({marks})"
            )
            params: list[Any] = [year]
            for _column in ANCESTORS:
                params += [year, *chunk]
            params += [year, *QUOTA_LEVELS, *chunk]
            cursor.execute(sql, params)
