"""The floor under the bulk import: how long this machine's database takes to store the rows an
import of N member rows writes, with no parsing, no checks and no client at all.

    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/import_floor.py --rows 1000000

The rows are made by the server itself (INSERT ... SELECT from generate_series) in the shape
of the benchmark file of bench/import_members.py: N members (70 % full with card numbers, 15 %
probationary, 15 % applicants), their registered / admitted / recognized events (2.55 N) and
their periods (1.55 N). Two ways, each in a transaction that is rolled back:

- `indexed`: into the tables as they are (every index and foreign key maintained per row);
- `rebuilt`: the member tables' secondary indexes, unique keys and foreign keys dropped
  first and rebuilt after the load, the way pg_restore (and the synthetic generator) load.

No implementation of the import that writes these rows can be faster than the better of the
two; the rate it gives is an upper bound for `cadrebook import members` on this machine.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from bench.import_members import ensure_tree  # noqa: E402
from bench.national import machine  # noqa: E402
from cadrebook.core.bulk import drop_secondary_structures  # noqa: E402
from cadrebook.members.models import Member, MemberEvent, MemberPeriod  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402

M, E, P = (m._meta.db_table for m in (Member, MemberEvent, MemberPeriod))

MEMBERS = f"""
INSERT INTO {M} (id, full_name, name_norm, gender, birth_date, ethnicity, national_id,
    hometown, education_level, theory_level, occupation, phone, address, card_number,
    external_id, status, unit_id, exempt, admitted_on, recognized_on, pending_transfer_to_id,
    version, created_at)
SELECT g, 'Nguyễn Văn Bình ' || g, 'nguyen van binh ' || g,
    CASE WHEN g %% 2 = 0 THEN 'male' ELSE 'female' END,
    DATE '1960-01-01' + (g %% 15000), 'Kinh', lpad(g::text, 12, '0'), '', '', '', '', '', '',
    CASE WHEN g %% 20 < 14 THEN lpad(g::text, 8, '0') END, 'EXT-' || g,
    CASE WHEN g %% 20 < 14 THEN 'full' WHEN g %% 20 < 17 THEN 'probationary' ELSE 'applicant' END,
    (%(cells)s::bigint[])[1 + g %% %(n)s], false,
    CASE WHEN g %% 20 < 17 THEN DATE '2000-01-01' + (g %% 8000) END,
    CASE WHEN g %% 20 < 14 THEN DATE '2001-01-01' + (g %% 8000) END,
    NULL, 1, now()
FROM generate_series(1, %(rows)s) g
"""

EVENTS = f"""
INSERT INTO {E} (member_id, type, date, unit_id, to_unit_id, destination, document, reason,
    corrects_id, void, recorded_at, recorded_by_id)
SELECT id, 'registered', coalesce(admitted_on, DATE '2024-01-01') - 60, unit_id, NULL::bigint,
    '', '', '', NULL::bigint, false, now(), NULL::integer FROM {M}
UNION ALL
SELECT id, 'admitted', admitted_on, unit_id, NULL, '', '', '', NULL, false, now(), NULL
FROM {M} WHERE admitted_on IS NOT NULL
UNION ALL
SELECT id, 'recognized', recognized_on, unit_id, NULL, '', '', '', NULL, false, now(), NULL
FROM {M} WHERE recognized_on IS NOT NULL
"""

PERIODS = f"""
INSERT INTO {P} (member_id, unit_id, status, exempt, valid_from, valid_to,
    anc1_id, anc2_id, anc3_id, anc4_id, anc5_id, anc6_id)
SELECT id, unit_id, 'probationary', false, admitted_on, recognized_on,
    unit_id, unit_id, unit_id, unit_id, unit_id, unit_id
FROM {M} WHERE admitted_on IS NOT NULL
UNION ALL
SELECT id, unit_id, 'full', false, recognized_on, NULL,
    unit_id, unit_id, unit_id, unit_id, unit_id, unit_id
FROM {M} WHERE recognized_on IS NOT NULL
"""


# SQLite: the same rows from a recursive counter; dates are ISO text there.
SQLITE_MEMBERS = f"""
INSERT INTO {M} (id, full_name, name_norm, gender, birth_date, ethnicity, national_id,
    hometown, education_level, theory_level, occupation, phone, address, card_number,
    external_id, status, unit_id, exempt, admitted_on, recognized_on, pending_transfer_to_id,
    version, created_at)
WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < %(rows)s)
SELECT g, 'Nguyễn Văn Bình ' || g, 'nguyen van binh ' || g,
    CASE WHEN g %% 2 = 0 THEN 'male' ELSE 'female' END,
    date('1960-01-01', '+' || (g %% 15000) || ' days'), 'Kinh', printf('%%012d', g),
    '', '', '', '', '', '',
    CASE WHEN g %% 20 < 14 THEN printf('%%08d', g) END, 'EXT-' || g,
    CASE WHEN g %% 20 < 14 THEN 'full' WHEN g %% 20 < 17 THEN 'probationary' ELSE 'applicant' END,
    (SELECT id FROM floor_cells WHERE k = g %% %(n)s), 0,
    CASE WHEN g %% 20 < 17 THEN date('2000-01-01', '+' || (g %% 8000) || ' days') END,
    CASE WHEN g %% 20 < 14 THEN date('2001-01-01', '+' || (g %% 8000) || ' days') END,
    NULL, 1, CURRENT_TIMESTAMP
FROM n
"""


def _sqlite_sql(sql: str) -> str:
    return (
        sql.replace(
            "coalesce(admitted_on, DATE '2024-01-01') - 60",
            "date(coalesce(admitted_on, '2024-01-01'), '-60 days')",
        )
        .replace("NULL::bigint", "NULL")
        .replace("NULL::integer", "NULL")
        .replace("now()", "CURRENT_TIMESTAMP")
        .replace("false", "0")
    )


def load(rows: int, cells: list[int], rebuild: bool) -> dict[str, float]:
    """Write the rows (and rebuild the structures if asked); roll everything back."""
    phases: dict[str, float] = {}
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        sqlite = connection.vendor == "sqlite"
        restore = drop_secondary_structures(cursor, [M, E, P]) if rebuild else []
        if sqlite:
            cursor.execute("CREATE TEMP TABLE floor_cells (k INTEGER PRIMARY KEY, id INTEGER)")
            cursor.executemany("INSERT INTO floor_cells VALUES (%s, %s)", list(enumerate(cells)))
            statements = [SQLITE_MEMBERS, _sqlite_sql(EVENTS), _sqlite_sql(PERIODS)]
        else:
            statements = [MEMBERS, EVENTS, PERIODS]
        for name, sql in zip(("members", "events", "periods"), statements, strict=True):
            t = time.perf_counter()
            cursor.execute(sql, {"cells": cells, "n": len(cells), "rows": rows})
            phases[name] = time.perf_counter() - t
        t = time.perf_counter()
        for statement in restore:
            cursor.execute(statement)
        if sqlite:
            cursor.execute("DROP TABLE floor_cells")
        else:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks
        phases["indexes and keys"] = time.perf_counter() - t
        phases["total"] = time.perf_counter() - started
        transaction.set_rollback(True)
    return phases


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    if Member.objects.exists():
        sys.exit("The database must have no members (a fresh, migrated database).")
    codes = ensure_tree()
    cells = list(OrgUnit.objects.filter(code__in=codes).values_list("pk", flat=True))
    print(machine())
    for rebuild in (False, True):
        phases = load(args.rows, cells, rebuild)
        label = "rebuilt" if rebuild else "indexed"
        rate = args.rows / phases["total"]
        detail = ", ".join(f"{k} {v:.1f} s" for k, v in phases.items())
        print(f"{label}: {args.rows:,} member rows, {rate:,.0f} rows/s ({detail})")


if __name__ == "__main__":
    main()
