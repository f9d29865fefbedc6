"""Ratings import benchmark: N decisions of a national round recorded by `cadrebook import
ratings`, against the floor (the same rating rows written by one hand-written INSERT ... SELECT).

    flock /tmp/bench.lock env CADREBOOK_DATABASE_URL=postgres://.../fresh \\
        .venv/bin/python bench/ratings_import.py --rows 300000

The database must be migrated and empty of members. The script
1. makes a unit tree (the synthetic generator, members=0),
2. writes N full members spread over the cells, with their periods (as of 2000, ancestors as
   the tree stands), by SQL: the import reads them, it does not write them,
3. writes a ratings CSV of N rows (year 2025; levels good 60 %, excellent 15 %, completed
   20 %, not completed 5 %; a score that gives the level; a document symbol),
4. measures the floor: the same N ratings (year, subject, level, score, document as text,
   rated in the member's cell, its ancestors, the grassroots organization for the quota) by
   one INSERT ... SELECT from the members' periods, rolled back — once as the import writes
   into an empty table (the secondary indexes and keys dropped and rebuilt, counted in: the
   ratio is against this one) and once with them kept,
5. imports the file (parse, check, look up, write in one transaction, committed) and checks
   that N ratings were written.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from bench.national import machine  # noqa: E402
from cadrebook.core.bulk import drop_secondary_structures  # noqa: E402
from cadrebook.core.rules import current_ruleset  # noqa: E402
from cadrebook.demo.generator import generate  # noqa: E402
from cadrebook.evaluations.models import Rating  # noqa: E402
from cadrebook.evaluations.rules import evaluation_rules  # noqa: E402
from cadrebook.imports.pipeline import run_import  # noqa: E402
from cadrebook.members.models import Member, MemberPeriod  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402

M, P, R = (m._meta.db_table for m in (Member, MemberPeriod, Rating))
LEVELS = [("good", 80)] * 12 + [("excellent", 95)] * 3 + [("completed", 60)] * 4
LEVELS += [("not_completed", 30)]

MEMBERS = f"""
INSERT INTO {M} (id, full_name, name_norm, gender, birth_date, ethnicity, national_id,
    hometown, education_level, theory_level, occupation, phone, address, card_number,
    external_id, status, unit_id, exempt, admitted_on, recognized_on, probation_start,
    temporary_until, pending_transfer_to_id, version, created_at)
SELECT g, 'Nguyễn Văn Bình ' || g, 'nguyen van binh ' || g, 'male', DATE '1970-01-01', 'Kinh',
    NULL, '', '', '', '', '', '', NULL, 'R-' || g, 'full', c.id, false, DATE '1999-01-01',
    DATE '2000-01-01', NULL, NULL, NULL, 1, now()
FROM generate_series(1, %(rows)s) g JOIN bench_cells c ON c.k = g %% %(n)s
"""
PERIODS = f"""
INSERT INTO {P} (member_id, unit_id, status, exempt, valid_from, valid_to,
    anc1_id, anc2_id, anc3_id, anc4_id, anc5_id, anc6_id)
SELECT m.id, m.unit_id, 'full', false, DATE '2000-01-01', NULL,
    c.a1, c.a2, c.a3, c.a4, c.a5, c.a6
FROM {M} m JOIN bench_cells c ON c.id = m.unit_id
"""
# The floor: the rows the import writes, made by the server from what it already holds.
FLOOR = f"""
INSERT INTO {R} (year, subject_kind, member_id, unit_id, level, label, score, source, round_id,
    decision_id, document_id, document_text, rated_in_id, quota_unit_id, role_group,
    anc1_id, anc2_id, anc3_id, anc4_id, anc5_id, anc6_id, recorded_at)
SELECT 2025, 'member', p.member_id, NULL, l.level, '', l.score, 'import', NULL, NULL, NULL,
    '12-QĐ/ĐU', p.unit_id, c.quota, 'member', p.anc1_id, p.anc2_id, p.anc3_id, p.anc4_id,
    p.anc5_id, p.anc6_id, now()
FROM {P} p JOIN bench_cells c ON c.id = p.unit_id
JOIN bench_levels l ON l.k = p.member_id %% %(levels)s
"""


def make_members(rows: int) -> int:
    """N full members and their periods; returns the number of cells they are spread over."""
    holding = current_ruleset().member_holding_kinds()
    grassroots = evaluation_rules().grassroots_kinds
    cells = list(OrgUnit.objects.filter(kind__in=holding, dissolved_on__isnull=True))
    units = {u.path: u for u in OrgUnit.objects.all()}
    step = OrgUnit.steplen
    table = []
    for k, cell in enumerate(cells):
        line = [units[cell.path[: step * d]] for d in range(1, cell.depth + 1)]
        ids = [u.pk for u in line] + [None] * (6 - len(line))
        quota = next((u.pk for u in reversed(line) if u.kind in grassroots), None)
        table.append((k, cell.pk, *ids[:6], quota))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE bench_cells (k int PRIMARY KEY, id bigint, a1 bigint, a2 bigint, "
            "a3 bigint, a4 bigint, a5 bigint, a6 bigint, quota bigint)"
        )
        cursor.executemany("INSERT INTO bench_cells VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)", table)
        cursor.execute("CREATE INDEX ON bench_cells (id)")
        cursor.execute("CREATE TABLE bench_levels (k int PRIMARY KEY, level text, score numeric)")
        cursor.executemany(
            "INSERT INTO bench_levels VALUES (%s, %s, %s)",
            [(k, level, score) for k, (level, score) in enumerate(LEVELS)],
        )
        cursor.execute(MEMBERS, {"rows": rows, "n": len(table)})
        cursor.execute(PERIODS)
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{M}', 'id'), %s)", [rows])
    return len(table)


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(["subject_kind", "subject", "year", "level", "score", "document"])
        for g in range(1, rows + 1):
            level, score = LEVELS[g % len(LEVELS)]
            out.writerow(["member", f"R-{g}", 2025, level, score, "12-QĐ/ĐU"])


def floor(*, first_load: bool = False) -> float:
    """The floor's seconds. `first_load`: as the import writes into an empty table — the
    secondary indexes and keys dropped first and rebuilt after (`core.bulk`), counted in."""
    with transaction.atomic(), connection.cursor() as cursor:
        started = time.perf_counter()
        restore = drop_secondary_structures(cursor, [R]) if first_load else []
        cursor.execute(FLOOR, {"levels": len(LEVELS)})
        written = cursor.rowcount
        for statement in restore:
            cursor.execute(statement)
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks
        seconds = time.perf_counter() - started
        transaction.set_rollback(True)
    label = "floor, first load" if first_load else "floor, indexes kept"
    print(f"{label}: {written:,} ratings in {seconds:.1f} s")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--communes", type=int, default=30)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("The benchmark measures PostgreSQL.")
    if Member.objects.exists():
        sys.exit("The database must have no members (a fresh, migrated database).")
    print(machine())
    t = time.perf_counter()
    generate(
        seed=7, members=0, communes=args.communes, grassroots_per_commune=20, cells_per_grassroots=8
    )
    cells = make_members(args.rows)
    print(f"setup: {args.rows:,} members in {cells:,} cells, {time.perf_counter() - t:.0f} s")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ratings.csv"
        write_csv(path, args.rows)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        low = floor(first_load=True)  # what the import does into an empty table
        floor()
        # A national round's file is larger than the default upload limit (200 MB): the
        # operator raises CADREBOOK_IMPORT_MAX_MB for it (docs/deployment.md); so does the bench.
        size = path.stat().st_size
        if size > settings.CADREBOOK_IMPORT_MAX_BYTES:
            settings.CADREBOOK_IMPORT_MAX_BYTES = size
            print(f"file of {size / 2**20:,.0f} MB: the import's size limit raised to it")
        started = time.perf_counter()
        report = run_import(actor=None, kind="ratings", path=str(path))
        seconds = time.perf_counter() - started
    assert report.ok and report.committed, report.as_dict(max_issues=5)
    assert Rating.objects.count() == args.rows
    rate, floor_rate = args.rows / seconds, args.rows / low
    print(
        f"import: {args.rows:,} ratings in {seconds:.1f} s, {rate:,.0f} rows/s; floor "
        f"{floor_rate:,.0f} rows/s; the import takes {seconds / low:.1f}x the floor's time"
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_cells")
        cursor.execute("DROP TABLE bench_levels")


if __name__ == "__main__":
    main()
