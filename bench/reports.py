"""Statistics benchmark: `unit_statistics` against hand-written SQL on the same database.

Run on a database loaded by bench/national.py and rebuilt with `cadrebook report rebuild`:

    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/reports.py --year 2025 \\
        --arbitrary 2025-08-17

For each case it times our selector (the whole statistics: members, movements, units,
targets, previous year and the breakdown by subordinate unit) and a hand-written SQL reference
for the core figures (members by status and exemption on the date, admissions in the
period) over the base tables; it checks that the numbers are equal and prints the ratio of
the two times (best of --runs). Results go to docs/benchmarks.md with the machine described.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench.national import machine  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402
from cadrebook.reports.aggregates import current_build  # noqa: E402
from cadrebook.reports.selectors import unit_statistics  # noqa: E402


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def reference(
    unit: OrgUnit, date_from: dt.date, date_to: dt.date, as_of: dt.date
) -> dict[str, int]:
    """The core figures by hand: periods in force on the date in the subtree (the ancestor
    column of the unit's depth), and admissions whose admission period lies in it."""
    col = f"anc{unit.depth}_id"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT status, exempt, COUNT(*) FROM members_memberperiod WHERE {col} = %s "
            "AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s) GROUP BY 1, 2",
            [unit.pk, as_of, as_of],
        )
        figures = {"total": 0, "probationary": 0, "full": 0, "exempt": 0}
        for status, exempt, n in cursor.fetchall():
            figures["total"] += n
            figures[status] += n
            figures["exempt"] += n if exempt else 0
        cursor.execute(
            "SELECT COUNT(*) FROM members_memberevent e JOIN members_memberperiod p "
            "ON p.member_id = e.member_id AND p.valid_from = e.date "
            f"WHERE e.type = 'admitted' AND e.date >= %s AND e.date <= %s AND p.{col} = %s",
            [date_from, date_to, unit.pk],
        )
        figures["admitted"] = cursor.fetchone()[0]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--arbitrary", default="2025-08-17", help="an as-of date off the snapshots")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dashboard", action="store_true", help="also time the dashboard page")
    parser.add_argument(
        "--skip-arbitrary", action="store_true", help="leave out the date off the snapshots"
    )
    args = parser.parse_args()
    for key, value in machine().items():
        print(f"{key:>9}: {value}")
    build = current_build()
    print(f"aggregates: {'current, build ' + str(build.pk) if build else 'STALE (period table)'}")
    start, end = dt.date(args.year, 1, 1), dt.date(args.year, 12, 31)
    arbitrary = dt.date.fromisoformat(args.arbitrary)
    root = OrgUnit.objects.filter(depth=1).order_by("path").first()
    assert root is not None

    def second(kind: str) -> OrgUnit:
        return OrgUnit.objects.filter(kind=kind).order_by("path")[1]

    cases = [("whole tree, year-end", root, start, end, end)]
    cases.append(("whole tree, arbitrary date", root, start, arbitrary, arbitrary))
    if root.kind != "province_committee":
        province = second("province_committee")
        cases.append(("one province, year-end", province, start, end, end))
        cases.append(("one province, arbitrary date", province, start, arbitrary, arbitrary))
    cases += [
        ("one commune, year-end", second("commune_committee"), start, end, end),
        ("one grassroots committee, year-end", second("grassroots_committee"), start, end, end),
        ("one cell, year-end", second("cell"), start, end, end),
        ("one cell, arbitrary date", second("cell"), start, arbitrary, arbitrary),
    ]
    if args.skip_arbitrary:
        cases = [c for c in cases if "arbitrary" not in c[0]]
    print()
    print("| case | members | ours | source | reference SQL | ratio | equal |")
    print("|---|---:|---:|---|---:|---:|---|")
    for name, unit, date_from, date_to, as_of in cases:
        case = (unit, date_from, date_to, as_of)
        ours_s, stats = best_of(args.runs, partial(unit_statistics, *case))
        ref_s, ref = best_of(args.runs, partial(reference, *case))
        mine = {k: stats["members"][k] for k in ("total", "probationary", "full", "exempt")}
        mine["admitted"] = stats["movements"]["admitted"]
        equal = mine == ref
        print(
            f"| {name} | {mine['total']:,} | {ours_s * 1000:,.1f} ms | {stats['source']} | "
            f"{ref_s * 1000:,.1f} ms | {ours_s / ref_s:.2f} | {'yes' if equal else 'NO'} |",
            flush=True,
        )
        if not equal:
            print(f"  ours {mine}\n  reference {ref}")
    if args.dashboard:
        from django.contrib.auth import get_user_model
        from django.test import Client

        from cadrebook.accounts.services import role_grant

        user, _created = get_user_model().objects.get_or_create(username="bench-national")
        role_grant(actor=None, user=user, role="administrator", unit=None)
        client = Client()
        client.force_login(user)
        url = f"/reports/?unit={root.code}&year={args.year}"
        seconds, response = best_of(args.runs, lambda: client.get(url))
        print(f"\ndashboard {url}: {seconds * 1000:,.1f} ms, status {response.status_code}")


if __name__ == "__main__":
    main()
