"""National-scale load benchmark: the synthetic generator at 6 million members.

Runs `cadrebook.demo.generator.generate` against the configured database (PostgreSQL:
`CADREBOOK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/DBNAME`, migrated first) and prints
the elapsed time and rows per second, then times two roll-ups on the loaded data.

    CADREBOOK_DEBUG=true CADREBOOK_DATABASE_URL=... .venv/bin/python bench/national.py \\
        --members 6000000

On PostgreSQL the rows are streamed with COPY by forked worker processes' output, with the
member tables' secondary indexes and constraints rebuilt after the load. Results go to
docs/benchmarks.md with the machine described.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from cadrebook.demo.generator import generate, national_params  # noqa: E402


def machine() -> dict[str, str]:
    """The facts docs/benchmarks.md records about the machine."""
    info = {"nproc": str(os.cpu_count()), "python": platform.python_version()}
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    info["cpu"] = line.split(":", 1)[1].strip()
                    break
        with open("/proc/meminfo", encoding="utf-8") as fh:
            kib = int(fh.readline().split()[1])
            info["memory"] = f"{kib / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            info["database"] = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("SELECT sqlite_version()")
            info["database"] = f"SQLite {cursor.fetchone()[0]}"
    return info


def timed_query(sql: str, params: list[object]) -> tuple[float, int]:
    """Best of three runs of `sql`: seconds and the number of rows it returned."""
    best = float("inf")
    rows = 0
    for _ in range(3):
        with connection.cursor() as cursor:
            t0 = time.perf_counter()
            cursor.execute(sql, params)
            rows = len(cursor.fetchall())
            best = min(best, time.perf_counter() - t0)
    return best, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=6_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="processes making members (PostgreSQL COPY only)",
    )
    parser.add_argument("--no-copy", action="store_true", help="use bulk_create, not COPY")
    parser.add_argument(
        "--keep-indexes",
        action="store_true",
        help="load with the indexes in place instead of rebuilding them",
    )
    args = parser.parse_args()

    for key, value in machine().items():
        print(f"{key:>9}: {value}")
    copy = connection.vendor == "postgresql" and not args.no_copy
    params = national_params(args.members)
    print(f"generating {params} seed={args.seed} copy={copy} workers={args.workers}", flush=True)
    started = time.perf_counter()
    step = max(args.members // 20, 1)
    next_report = [step]

    def progress(done: int, total: int) -> None:
        if done >= next_report[0] or done == total:
            elapsed = time.perf_counter() - started
            print(
                f"  {done:>10,} / {total:,} members  {elapsed:7.1f} s  "
                f"{done / elapsed:8,.0f} members/s",
                flush=True,
            )
            next_report[0] = done + step

    summary = generate(
        seed=args.seed,
        years=args.years,
        copy=copy,
        rebuild_indexes=not args.keep_indexes,
        workers=args.workers if copy else 1,
        progress=progress,
        **params,
    )
    print()
    print(
        f"units {summary.units:,} ({summary.member_units:,} holding members)  "
        f"members {summary.members:,}  events {summary.events:,}  "
        f"periods {summary.periods:,}"
    )
    print("statuses: " + ", ".join(f"{k} {v:,}" for k, v in summary.statuses.items()))
    print("phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in summary.phases.items()))
    print(
        f"elapsed {summary.seconds:.1f} s, {summary.rows:,} rows, "
        f"{summary.rows / summary.seconds:,.0f} rows/s, "
        f"{summary.members / summary.seconds:,.0f} members/s"
    )

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
            print(f"database size {cursor.fetchone()[0]}")
            # Set the visibility map, as autovacuum would in time, before timing queries.
            t0 = time.perf_counter()
            cursor.execute(
                "VACUUM (ANALYZE) orgs_orgunit, members_member, members_memberevent, "
                "members_memberperiod"
            )
            print(f"vacuum analyze {time.perf_counter() - t0:.1f} s")
    # Two roll-ups on the loaded data: members as of a date per commune (a GROUP BY on the
    # copied ancestor column) and the same through a path join.
    day = "2025-12-31"
    seconds, rows = timed_query(
        "SELECT anc2_id, status, count(*) FROM members_memberperiod "
        "WHERE valid_from <= %s AND (valid_to IS NULL OR valid_to > %s) "
        "GROUP BY anc2_id, status",
        [day, day],
    )
    print(f"roll-up by commune as of {day} (anc2 GROUP BY): {seconds:.2f} s, {rows:,} rows")
    seconds, rows = timed_query(
        "SELECT c.id, p.status, count(*) FROM members_memberperiod p "
        "JOIN orgs_orgunit u ON u.id = p.unit_id "
        "JOIN orgs_orgunit c ON c.path = substr(u.path, 1, 8) "
        "WHERE p.valid_from <= %s AND (p.valid_to IS NULL OR p.valid_to > %s) "
        "GROUP BY c.id, p.status",
        [day, day],
    )
    print(f"roll-up by commune as of {day} (path join): {seconds:.2f} s, {rows:,} rows")


if __name__ == "__main__":
    main()
