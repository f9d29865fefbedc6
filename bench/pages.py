"""Pages benchmark: the pages a user opens first, rendered as a national administrator.

Run on a database loaded by bench/national.py (read-only: nothing it does is kept):

    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/pages.py --runs 7 --slow 20

Renders, through Django's test client (the whole middleware stack, templates included),
the unit page of the national root, a province, a commune, a grassroots organization and
a cell, the member list of each (default filters), and the dashboard of the root and of
the province; prints the best and the 95th percentile (nearest rank) of `--runs` runs after
one warm-up run, and the queries slower than `--slow` ms of one more run.

Each run is one transaction that is rolled back: the temporary national administrator it
signs in as, its session, and the audit entries the pages write (the member list records
who read it) are never kept, and the audit chain's lock is held for one run only.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.national import machine  # noqa: E402
from cadrebook.accounts.models import RoleAssignment  # noqa: E402
from cadrebook.accounts.roles import Role  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402


def sample_units() -> list[tuple[str, OrgUnit]]:
    """One unit of each level: the root, its first province, that province's first commune,
    the commune's first grassroots organization with cells, and that one's first cell."""
    root = OrgUnit.objects.filter(depth=1).order_by("path").first()
    assert root is not None, "no units: load bench/national.py first"
    units = [("national", root)]
    labels = ["province", "commune", "grassroots", "cell"]
    unit = root
    for label in labels:
        below = OrgUnit.objects.filter(
            path__gt=unit.path, path__lt=unit.path + "~", depth=unit.depth + 1
        ).order_by("path")
        pick = below.filter(numchild__gt=0).first() if label != "cell" else None
        unit = pick or below.first()
        if unit is None:
            break
        units.append((label, unit))
    return units


def pages(units: list[tuple[str, OrgUnit]]) -> list[tuple[str, str, dict[str, str]]]:
    result = []
    for label, unit in units:
        result.append((f"unit page, {label} ({unit.code})", f"/units/{unit.code}/", {}))
    for label, unit in units:
        result.append((f"member list, {label}", "/members/", {"unit": unit.code}))
    for label, unit in units[:2]:
        result.append((f"dashboard, {label}", "/reports/", {"unit": unit.code}))
    return result


def host() -> str:
    allowed = [h for h in settings.ALLOWED_HOSTS if h not in ("*",) and not h.startswith(".")]
    return allowed[0] if allowed else "testserver"


def run_once(url: str, params: dict[str, str], capture: bool = False) -> tuple[float, Any]:
    """One request as a temporary national administrator, in a rolled-back transaction:
    (seconds of the request, the captured queries or None)."""
    with transaction.atomic():
        user = get_user_model().objects.create_user(
            username=f"bench-pages-{time.monotonic_ns()}", is_staff=True, is_superuser=True
        )
        RoleAssignment.objects.create(user=user, role=Role.ADMINISTRATOR, unit=None)
        client = Client(HTTP_HOST=host())
        client.force_login(user)
        captured = None
        if capture:
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                response = client.get(url, params, secure=True)
                elapsed = time.perf_counter() - t0
            captured = ctx.captured_queries
        else:
            t0 = time.perf_counter()
            response = client.get(url, params, secure=True)
            elapsed = time.perf_counter() - t0
        assert response.status_code == 200, (url, params, response.status_code)
        transaction.set_rollback(True)
    return elapsed, captured


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--slow", type=float, default=20.0, help="list queries slower (ms)")
    parser.add_argument("--only", default="", help="only the pages whose name contains this")
    args = parser.parse_args()
    for key, value in machine().items():
        print(f"{key:>9}: {value}")
    units = sample_units()
    print()
    print("| page | best | p95 | queries |")
    print("|---|---:|---:|---:|")
    slow: list[tuple[str, float, str]] = []
    for name, url, params in pages(units):
        if args.only and args.only not in name:
            continue
        run_once(url, params)  # warm-up: caches and buffers, not the page's cost
        times = [run_once(url, params)[0] for _ in range(args.runs)]
        _elapsed, queries = run_once(url, params, capture=True)
        print(
            f"| {name} | {min(times) * 1000:.1f} ms | {percentile(times, 95) * 1000:.1f} ms "
            f"| {len(queries)} |",
            flush=True,
        )
        for q in queries:
            ms = float(q["time"]) * 1000
            if ms >= args.slow:
                slow.append((name, ms, q["sql"]))
    if slow:
        print(f"\nQueries slower than {args.slow:g} ms (one captured run):")
        for name, ms, sql in slow:
            print(f"\n[{name}] {ms:.1f} ms\n  {sql[:1500]}")


if __name__ == "__main__":
    main()
