"""Evaluation figures benchmark (issue 18): the level counts of the whole country and of one
province, read from the tally of ratings, against hand-written SQL over the ratings.

Run on a database loaded by bench/national.py (never the lead's `cb_national`):

    CADREBOOK_DATABASE_URL=postgres://postgres@127.0.0.1:5432/DBNAME \\
        flock /tmp/bench.lock .venv/bin/python bench/ratings_counts.py --year 2025

It writes the ratings of `--year` and of the year before (set-based: every member in force
on 31 December, some left unrated, levels spread by a hash of the id; every unit of a rated
kind), counts the tally of each year again (`tally_refresh(year)`: what an import of a whole
year calls), rebuilds the statistics' aggregates (the denominator of those not rated), then
times `level_counts` (p50 / p95 of --runs) for the root and the largest province against a
hand-written GROUP BY of the ratings by the ancestor column of the unit's depth plus a count
of the members' periods in force, checking that the numbers are equal. Results go to
docs/benchmarks.md with the machine described.
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

from django.db import connection, transaction  # noqa: E402

from bench.national import machine  # noqa: E402
from cadrebook.evaluations.figures import level_counts, statistics_evaluation  # noqa: E402
from cadrebook.evaluations.models import Rating, RatingTally  # noqa: E402
from cadrebook.evaluations.rules import evaluation_rules  # noqa: E402
from cadrebook.evaluations.tally import (  # noqa: E402
    TALLY_COLUMNS,
    tally_change,
    tally_keys_of_rows,
    tally_refresh,
    tally_units,
)
from cadrebook.orgs.models import OrgUnit  # noqa: E402
from cadrebook.reports.aggregates import rebuild_statistics  # noqa: E402

ANC = ", ".join(f"anc{k}_id" for k in range(1, 7))
# The level of a rating from a hash of the subject's id: about 15 % excellent, 60 % good,
# 20 % completed, 5 % not completed; 3 % of the members in force left unrated.
LEVEL = (
    "CASE WHEN h < 15 THEN 'excellent' WHEN h < 75 THEN 'good' "
    "WHEN h < 95 THEN 'completed' ELSE 'not_completed' END"
)


def write_ratings(year: int) -> tuple[int, int]:
    """The ratings of `year`, set-based: (members, units) written."""
    day = dt.date(year, 12, 31)
    table = Rating._meta.db_table
    kinds = list(evaluation_rules().unit_deciders)
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE year = %s", [year])
        cursor.execute(
            f"INSERT INTO {table} (year, subject_kind, member_id, level, label, score, source, "
            f"document_text, rated_in_id, quota_unit_id, role_group, {ANC}, recorded_at) "
            f"SELECT %s, 'member', member_id, {LEVEL}, '', NULL, 'import', '', unit_id, "
            f"anc4_id, 'member', {ANC}, now() FROM ("
            f"SELECT p.*, ((p.member_id * 2654435761 + %s) %% 1000) / 10 AS h, "
            "(p.member_id * 40503 + %s) %% 100 AS skip "
            "FROM members_memberperiod p WHERE p.valid_from <= %s "
            "AND (p.valid_to IS NULL OR p.valid_to > %s) AND NOT p.exempt) s WHERE skip >= 3",
            [year, year, year, day, day],
        )
        members = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {table} (year, subject_kind, unit_id, level, label, score, source, "
            f"document_text, rated_in_id, quota_unit_id, role_group, {ANC}, recorded_at) "
            f"SELECT %s, 'unit', s.unit_id, {LEVEL}, '', NULL, 'import', '', s.unit_id, "
            f"s.parent_id, 'organization', {ANC}, now() FROM ("
            f"SELECT pl.*, ((pl.unit_id * 2654435761 + %s) %% 1000) / 10 AS h "
            "FROM orgs_unitplacement pl JOIN orgs_orgunit u ON u.id = pl.unit_id "
            "WHERE (pl.valid_from IS NULL OR pl.valid_from <= %s) "
            "AND (pl.valid_to IS NULL OR pl.valid_to > %s) "
            f"AND u.kind IN ({', '.join(['%s'] * len(kinds))})) s",
            [year, year, day, day, *kinds],
        )
        units = cursor.rowcount
    return members, units


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed(runs: int, fn: Callable[[], Any]) -> tuple[float, float, Any]:
    """p50 and p95 in ms over `runs` (after one warm-up), and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), percentile(times, 0.95), result


def by_hand(unit: OrgUnit, year: int) -> dict[str, dict[str, int]]:
    """The level counts by hand: the ratings of the year by the ancestor column of the
    unit's depth, and the members' periods in force on 31 December less those rated."""
    col = f"anc{unit.depth}_id"
    day = dt.date(year, 12, 31)
    out: dict[str, dict[str, int]] = {"members": {}, "units": {}}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT subject_kind, level, COUNT(*) FROM evaluations_rating "
            f"WHERE {col} = %s AND year = %s GROUP BY 1, 2",
            [unit.pk, year],
        )
        for kind, level, n in cursor.fetchall():
            out["members" if kind == "member" else "units"][level] = n
        cursor.execute(
            f"SELECT COUNT(*) FROM members_memberperiod WHERE {col} = %s "
            "AND valid_from <= %s AND (valid_to IS NULL OR valid_to > %s)",
            [unit.pk, day, day],
        )
        counted = cursor.fetchone()[0]
    out["members"]["not_rated"] = counted - sum(out["members"].values())
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--skip-load", action="store_true", help="ratings already written")
    args = parser.parse_args()
    for key, value in machine().items():
        print(f"{key:>9}: {value}")
    years = (args.year - 1, args.year)
    if not args.skip_load:
        for year in years:
            with transaction.atomic():
                t0 = time.perf_counter()
                members, units = write_ratings(year)
                wrote = time.perf_counter() - t0
                t0 = time.perf_counter()
                tally_refresh(year)
                refreshed = time.perf_counter() - t0
            print(
                f"{year}: {members:,} member and {units:,} unit ratings written in {wrote:.1f} s; "
                f"tally_refresh({year}) {refreshed:.1f} s"
            )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE evaluations_rating")
            cursor.execute("VACUUM ANALYZE evaluations_ratingtally")
        t0 = time.perf_counter()
        rebuild_statistics(today=dt.date(args.year + 1, 1, 15))
        print(f"statistics aggregates rebuilt in {time.perf_counter() - t0:.1f} s")
    print(
        f"ratings {Rating.objects.count():,}, tally rows {RatingTally.objects.count():,} "
        f"({RatingTally.objects.filter(year=args.year).count():,} for {args.year})"
    )

    root = OrgUnit.objects.filter(depth=1).order_by("path").first()
    assert root is not None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT anc2_id FROM members_memberperiod WHERE valid_to IS NULL "
            "GROUP BY anc2_id ORDER BY COUNT(*) DESC LIMIT 1"
        )
        province = OrgUnit.objects.get(pk=cursor.fetchone()[0])
    print()
    print(
        "| case | level_counts p50 / p95 (ms) | hand SQL p50 / p95 (ms) | members rated | equal |"
    )
    print("| --- | --- | --- | --- | --- |")
    for name, unit in (("country", root), (f"province {province.code}", province)):
        ours = timed(args.runs, lambda u=unit: level_counts(u, args.year))
        hand = timed(args.runs, lambda u=unit: by_hand(u, args.year))
        got, want = ours[2], hand[2]
        equal = all(
            got["members"][lv] == want["members"].get(lv, 0)
            for lv in ("excellent", "good", "completed", "not_completed", "not_rated")
        ) and all(
            got["units"][lv] == want["units"].get(lv, 0)
            for lv in ("excellent", "good", "completed", "not_completed")
        )
        rated = sum(
            got["members"][lv] for lv in ("excellent", "good", "completed", "not_completed")
        )
        print(
            f"| {name} | {ours[0]:.1f} / {ours[1]:.1f} | {hand[0]:.1f} / {hand[1]:.1f} "
            f"| {rated:,} | {'yes' if equal else 'NO: ' + repr((got, want))} |"
        )
    for name, unit in (("country", root), (f"province {province.code}", province)):
        p50, p95, section = timed(5, lambda u=unit: statistics_evaluation(u, args.year))
        print(
            f"statistics_evaluation {name}: p50 {p50:.1f} ms, p95 {p95:.1f} ms "
            f"({len(section['quota']):,} quota rows)"
        )
    # What an import batch of one grassroots organization's ratings costs to count: the
    # difference (rows replaced, rows written), or a recount of the units they stand under.
    sample = Rating.objects.filter(year=args.year, subject_kind="member").first()
    assert sample is not None
    rows = list(
        Rating.objects.filter(year=args.year, quota_unit_id=sample.quota_unit_id).values(
            *TALLY_COLUMNS
        )
    )
    rewritten = [r | {"level": "good"} for r in rows]
    with transaction.atomic():
        p50, p95, _ = timed(
            5, lambda: tally_change(tally_keys_of_rows(rows), tally_keys_of_rows(rewritten))
        )
        transaction.set_rollback(True)
    print(
        f"tally_change for a batch of {len(rows):,} ratings (one grassroots organization): "
        f"p50 {p50:.1f} ms, p95 {p95:.1f} ms"
    )
    touched = tally_units(rows)
    with transaction.atomic():
        p50, p95, _ = timed(3, lambda: tally_refresh(args.year, touched))
    print(
        f"tally_refresh({args.year}, the {len(touched)} units they stand under): "
        f"p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    )


if __name__ == "__main__":
    main()
