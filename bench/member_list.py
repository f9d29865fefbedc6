"""Member list benchmark: keyset pages of a large subtree against hand-written SQL.

Run on a database loaded by bench/national.py:

    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/member_list.py --pages 200

Times the first page, and the page after `--pages` pages, of the member list of the whole
tree and of one province (sorted by name, then by date of birth, latest first), through
`filtered_members` + `keyset_page` as the list view does, and the same page by a plain
SQL keyset query; prints both and their ratio (best of --runs).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
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
from cadrebook.members.lists import (  # noqa: E402
    PAGE_SIZE,
    _decode,
    filtered_members,
    keyset_page,
)
from cadrebook.orgs.models import OrgUnit  # noqa: E402


def best(runs: int, fn: Any) -> tuple[float, Any]:
    result, fastest = None, float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        fastest = min(fastest, time.perf_counter() - t0)
    return fastest, result


def reference(unit: OrgUnit, after: tuple[str, int] | None) -> list[int]:
    """The same page by hand: active members of the subtree by (name_norm, id)."""
    sql = (
        "SELECT m.id FROM members_member m JOIN orgs_orgunit u ON u.id = m.unit_id "
        "WHERE u.path >= %s AND u.path < %s AND m.status IN ('probationary', 'full') "
    )
    params: list[Any] = [unit.path, unit.path + "~"]
    if after:
        sql += "AND (m.name_norm, m.id) > (%s, %s) "
        params += list(after)
    sql += f"ORDER BY m.name_norm, m.id LIMIT {PAGE_SIZE}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [r[0] for r in cursor.fetchall()]


def ours_page(unit: OrgUnit, sort: str, cursor: str) -> Any:
    """The page as the list view reads it (filters with their defaults)."""
    return keyset_page(filtered_members(unit, {}), sort, cursor)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for key, value in machine().items():
        print(f"{key:>9}: {value}")
    root = OrgUnit.objects.filter(depth=1).order_by("path").first()
    province = OrgUnit.objects.filter(kind="province_committee").order_by("path")[1]
    print()
    print("| list | page | ours | reference SQL | ratio | same rows |")
    print("|---|---:|---:|---:|---:|---|")
    for unit in (root, province):
        for sort in ("name", "-birth_date"):
            cursor = ""
            for page_no in range(1, args.pages + 2):
                if page_no in (1, args.pages + 1):
                    ours, page = best(args.runs, partial(ours_page, unit, sort, cursor))
                    line = f"| {unit.code} by {sort} | {page_no} | {ours * 1000:.1f} ms |"
                    if sort == "name":
                        last = None
                        if cursor:
                            _index, value, pk = _decode(cursor, "name_norm")
                            last = (value, pk) if pk is not None else None
                        ref, ids = best(args.runs, partial(reference, unit, last))
                        same = ids == [m.pk for m in page.rows]
                        line += (
                            f" {ref * 1000:.1f} ms | {ours / ref:.2f} | {'yes' if same else 'NO'} |"
                        )
                    else:
                        line += " | | |"
                    print(line, flush=True)
                else:
                    page = ours_page(unit, sort, cursor)
                cursor = page.next_cursor or ""
                if not cursor:
                    break


if __name__ == "__main__":
    main()
