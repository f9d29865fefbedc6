"""PostgreSQL settings benchmark: one fixed workload, timed under whatever settings the server
runs with, so that settings can be compared by running it once per configuration.

Run on the 6 M database of bench/national.py, after setting and restarting (the driver in
docs/benchmarks.md does `ALTER SYSTEM SET ...` and `pg_ctlcluster ... restart` between runs):

    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/pg_settings.py --runs 5

The workload is the two shapes Cadrebook asks of the database: random reads through indexes
(the first page of member name searches at the country, a province and a commune: key
ranges and member look-ups) and scans with aggregation (the statistics of a province on a
date the nightly figures do not hold, computed live from the periods and events, and the
hand-written count of the whole tree's members on that date). Prints the settings that
matter, then for each part the median and the best of `--runs` runs after one warm-up.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from cadrebook.members.lists import filtered_members, keyset_page  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402
from cadrebook.reports.selectors import unit_statistics  # noqa: E402

SETTINGS = (
    "shared_buffers",
    "effective_cache_size",
    "work_mem",
    "random_page_cost",
    "effective_io_concurrency",
    "jit",
    "max_parallel_workers_per_gather",
)
SEARCHES = ("nguyen", "tran thi", "nguyen van an", "uoc", "ng", "Trần Thị")
ARBITRARY = dt.date(2025, 8, 17)


def searches(units: list[OrgUnit]) -> None:
    for unit in units:
        for text in SEARCHES:
            members = filtered_members(unit, {"q": text})
            unsearched = filtered_members(unit, {})
            keyset_page(members, "name", text=text, ranked=True, count=True, unsearched=unsearched)


def whole_tree_count(root: OrgUnit) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT status, COUNT(*) FROM members_memberperiod WHERE anc1_id = %s "
            "AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s) GROUP BY 1",
            [root.pk, ARBITRARY, ARBITRARY],
        )
        cursor.fetchall()


def timed(runs: int, fn: Callable[[], Any]) -> list[float]:
    fn()  # warm
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with connection.cursor() as cursor:
        shown = []
        for name in SETTINGS:
            cursor.execute(f"SHOW {name}")
            shown.append(f"{name}={cursor.fetchone()[0]}")
    print(" ".join(shown))
    root = OrgUnit.objects.filter(depth=1).order_by("path").first()
    assert root is not None, "no data: run bench/national.py first"
    province = OrgUnit.objects.filter(depth=2).order_by("path")[1]
    commune = OrgUnit.objects.filter(depth=3).order_by("path")[1]
    parts: list[tuple[str, Callable[[], Any]]] = [
        (
            f"{len(SEARCHES) * 3} name searches (country, province, commune)",
            lambda: searches([root, province, commune]),
        ),
        (
            "province statistics on an arbitrary date (live)",
            lambda: unit_statistics(province, dt.date(2025, 1, 1), ARBITRARY, ARBITRARY),
        ),
        ("whole tree's members on a date (one scan)", lambda: whole_tree_count(root)),
    ]
    print("| part | median s | best s |")
    print("|---|---:|---:|")
    for name, fn in parts:
        times = timed(args.runs, fn)
        print(f"| {name} | {statistics.median(times):.3f} | {min(times):.3f} |", flush=True)


if __name__ == "__main__":
    main()
