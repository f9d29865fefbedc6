"""Name search benchmark: the first page of a member search, common names and rare, against
hand-written SQL over the same name keys.

Run on a database loaded by bench/national.py (and migrated, so the name keys are there):

    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/search.py --runs 20

For each query of a fixed list (the most common family and middle names, two-letter
prefixes, whole names with and without accents, a rare given name) and each scope (the
whole country, one province, one commune), reads the first page of 50 members as the API
and the list page do — `filtered_members` (active members, by name) + `keyset_page` with
its count — and prints p50/p95/max over `--runs` runs, the total it reports, and the
best-of time of a hand-written SQL query for the same page (the key range read in index
order, the province's keys below the centre, joined to the members and the scope's units)
with the ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402

from bench.national import machine  # noqa: E402
from cadrebook.core.normalize import normalize_name  # noqa: E402
from cadrebook.members.lists import (  # noqa: E402
    PAGE_SIZE,
    filtered_members,
    keyset_page,
    search_within,
)
from cadrebook.members.name_keys import PROVINCE_DEPTH, province_of  # noqa: E402
from cadrebook.members.search import TOP  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402

QUERIES = [
    "nguyen",
    "Nguyễn",
    "tran thi",
    "Trần Thị",
    "le van",
    "pham",
    "hoang",
    "van",
    "thi",
    "thi h",
    "nguyen van an",
    "Nguyễn Văn An",
    "nguyen thi hoa",
    "dang duc uoc",
    "uoc",
    "an",
    "anh",
    "ng",
    "th",
    "tr",
    "hu",
    "Ân",
    "minh",
    "xuan",
    "bao ngoc",
    "zz",
]


def reference(unit: OrgUnit, text: str) -> list[int]:
    """The same members by hand: active members of the subtree with a key in the range of
    the accent-free text (the province's keys below the centre), first key per member, by
    (key, name, id)."""
    norm = normalize_name(text)
    province = ""
    params: list[Any] = [norm, norm + TOP]
    if unit.depth >= PROVINCE_DEPTH:
        province = "AND k.province = %s"
        params.append(province_of(unit))
    sql = f"""
        SELECT k.member_id FROM members_membernamekey k
        JOIN members_member m ON m.id = k.member_id
        JOIN orgs_orgunit u ON u.id = m.unit_id
        WHERE k.key >= %s AND k.key < %s {province}
          AND u.path >= %s AND u.path < %s AND m.status IN ('probationary', 'full')
          AND NOT EXISTS (SELECT 1 FROM members_membernamekey e WHERE e.member_id = k.member_id
                          AND e.key >= %s AND e.key < k.key)
        ORDER BY k.key, k.name_norm, k.member_id LIMIT %s
    """
    params += [unit.path, unit.path + "~", norm, PAGE_SIZE]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [r[0] for r in cursor.fetchall()]


def ours(unit: OrgUnit, text: str) -> Any:
    members = filtered_members(unit, {"q": text})
    unsearched = filtered_members(unit, {})
    return keyset_page(
        members,
        "name",
        text=text,
        ranked=True,
        count=True,
        unsearched=unsearched,
        within=search_within(unit, {}),
    )


def timed(runs: int, fn: Any) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return times, result


def p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--query", action="append", help="only these queries")
    args = parser.parse_args()
    for key, value in machine().items():
        print(f"{key:>9}: {value}")
    root = OrgUnit.objects.filter(depth=1).order_by("path").first()
    assert root is not None, "no data: run bench/national.py first"
    province = OrgUnit.objects.filter(depth=2).order_by("path").first()
    commune = OrgUnit.objects.filter(depth=3).order_by("path").first()
    scopes = [("country", root), ("province", province), ("commune", commune)]
    print("\n| scope | query | total | p50 ms | p95 ms | max ms | reference ms | p95 / ref |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    every: list[float] = []
    for label, unit in scopes:
        assert unit is not None
        for text in args.query or QUERIES:
            ours(unit, text)  # warm
            times, page = timed(args.runs, lambda u=unit, t=text: ours(u, t))
            ref_times, _ids = timed(max(3, args.runs // 4), lambda u=unit, t=text: reference(u, t))
            every += times
            total = page.total
            shown = f"{total.count:,}" if total.exact else f"> {total.count:,}"
            ref = min(ref_times)
            print(
                f"| {label} | {text} | {shown} | {statistics.median(times) * 1000:.1f} | "
                f"{p95(times) * 1000:.1f} | {max(times) * 1000:.1f} | {ref * 1000:.1f} | "
                f"{p95(times) / ref:.1f} |",
                flush=True,
            )
    print(
        f"\nall {len(every)} searches: p50 {statistics.median(every) * 1000:.1f} ms, "
        f"p95 {p95(every) * 1000:.1f} ms, max {max(every) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
