"""Bulk import benchmark: N member rows from one CSV file, validated and committed.

    CADREBOOK_DEBUG=true CADREBOOK_DATABASE_URL=... .venv/bin/python bench/import_members.py \\
        --rows 1000000

The database must be migrated and empty of members (a fresh database is simplest). The script
1. makes a unit tree (the synthetic generator, members=0) unless one is there,
2. writes a members CSV of N rows spread over the cells (70 % full members with card numbers,
   15 % probationary, 15 % applicants; every row valid),
3. imports it with `cadrebook import members` in a subprocess (the real command: parse, check,
   write in one transaction) and records its wall time and peak memory,
4. removes those members again and loads the same file through a plain reference loop: the csv
   module, `Member(...)` objects and `bulk_create` in batches of 5,000 — no checks, no events,
   no periods (what a hand-written loader would do), and times it.

Results go to docs/benchmarks.md with the machine described (see bench/national.py).
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from bench.national import machine  # noqa: E402
from cadrebook.core.append_only import unguarded  # noqa: E402
from cadrebook.core.dates import add_months  # noqa: E402
from cadrebook.core.normalize import normalize_name  # noqa: E402
from cadrebook.core.rules import current_ruleset  # noqa: E402
from cadrebook.demo.generator import generate  # noqa: E402
from cadrebook.members.models import Member, MemberEvent, MemberPeriod  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quang"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Khoa", "Lan", "Long"]
HEADER = [
    "external_id", "full_name", "gender", "birth_date", "ethnicity", "national_id", "unit_code",
    "status", "admitted_on", "recognized_on", "card_number",
]  # fmt: skip


def ensure_tree() -> list[str]:
    holding = current_ruleset().member_holding_kinds()
    if not OrgUnit.objects.exists():
        generate(seed=7, members=0, communes=60, grassroots_per_commune=20, cells_per_grassroots=8)
    return list(
        # Cells that existed through the whole span of the file's admission dates.
        OrgUnit.objects.filter(
            kind__in=holding,
            dissolved_on__isnull=True,
            founded_on__lte=dt.date.today() - dt.timedelta(days=9000),
        )
        .order_by("path")
        .values_list("code", flat=True)
    )


def write_csv(path: Path, rows: int, cells: list[str]) -> None:
    rng = random.Random(42)
    today = dt.date.today()
    with path.open("w", encoding="utf-8", newline="") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for i in range(rows):
            female = rng.random() < 0.4
            name = f"{rng.choice(FAMILY)} {'Thị' if female else rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
            roll = rng.random()
            admitted = today - dt.timedelta(days=rng.randint(400, 8900))
            birth = admitted - dt.timedelta(days=rng.randint(20 * 366, 40 * 365))
            if roll < 0.70:
                status, rec = "full", add_months(admitted, 12)
                card = f"{1 + i // 1_000_000:02d}.{i % 1_000_000:06d}"
            elif roll < 0.85:
                status, rec, card = "probationary", None, ""
                admitted = today - dt.timedelta(days=rng.randint(10, 300))
                birth = admitted - dt.timedelta(days=rng.randint(20 * 366, 40 * 365))
            else:
                status, admitted, rec, card = "applicant", None, None, ""
            out.writerow(
                [
                    f"B{i:08d}",
                    name,
                    "female" if female else "male",
                    birth.strftime("%d/%m/%Y") if i % 2 else birth.isoformat(),
                    "Kinh" if rng.random() < 0.85 else "Tày",
                    f"0{i:011d}",
                    cells[i % len(cells)],
                    status,
                    admitted.isoformat() if admitted else "",
                    rec.isoformat() if rec else "",
                    card,
                ]
            )


def wipe_members() -> None:
    """Remove the benchmark's members (raw SQL, past the append-only guard of the events:
    they are append-only for the application and in the database)."""
    with unguarded([MemberEvent._meta.db_table]), connection.cursor() as cursor:
        for model in (MemberPeriod, MemberEvent, Member):
            cursor.execute(f"DELETE FROM {model._meta.db_table}")


def reference_load(path: Path) -> float:
    """The hand-written baseline: csv + bulk_create of members only, no checks."""
    cells = dict(OrgUnit.objects.values_list("code", "id"))
    started = time.perf_counter()
    with transaction.atomic(), path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        batch: list[Member] = []
        for row in reader:
            birth = row[3]
            if "/" in birth:
                d, m, y = birth.split("/")
                birth = f"{y}-{m}-{d}"
            batch.append(
                Member(
                    external_id=row[0],
                    full_name=row[1],
                    name_norm=normalize_name(row[1]),
                    gender=row[2],
                    birth_date=birth,
                    ethnicity=row[4],
                    national_id=row[5] or None,
                    unit_id=cells[row[6]],
                    status=row[7],
                    admitted_on=row[8] or None,
                    recognized_on=row[9] or None,
                    card_number=row[10] or None,
                )
            )
            if len(batch) >= 5000:
                Member.objects.bulk_create(batch)
                batch = []
        Member.objects.bulk_create(batch)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--file", default="/tmp/cadrebook-bench-members.csv")
    parser.add_argument("--skip-reference", action="store_true")
    args = parser.parse_args()
    print(machine())
    if Member.objects.exists():
        sys.exit("The database already has members; use an empty (migrated) database.")
    cells = ensure_tree()
    path = Path(args.file)
    t0 = time.perf_counter()
    write_csv(path, args.rows, cells)
    print(
        f"wrote {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s"
    )

    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "import", "members", str(path)],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(done.stdout.strip().splitlines()[0] if done.stdout else done.stderr[-2000:])
    if done.returncode != 0:
        sys.exit(done.stderr[-2000:])
    counts = (Member.objects.count(), MemberEvent.objects.count(), MemberPeriod.objects.count())
    print(
        f"cadrebook import: {elapsed:.1f} s, {args.rows / elapsed:,.0f} rows/s, peak {peak_mb:,.0f} MB"
    )
    print(f"  wrote members/events/periods: {counts[0]:,} / {counts[1]:,} / {counts[2]:,}")
    if not args.skip_reference:
        wipe_members()
        ref = reference_load(path)
        print(
            f"reference bulk_create loop (members only, no checks): {ref:.1f} s, {args.rows / ref:,.0f} rows/s"
        )
        print(f"ratio ours/reference: {elapsed / ref:.2f}")
        wipe_members()


if __name__ == "__main__":
    main()
