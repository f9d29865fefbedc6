"""Round opening benchmark: `round_open` of the root's yearly round over N members, its time
and the process's peak memory, against the floor (the same subject rows written by one
hand-written INSERT ... SELECT, rolled back).

    flock /tmp/bench.lock env CADREBOOK_DATABASE_URL=postgres://.../fresh \\
        .venv/bin/python bench/round_open.py --rows 1000000

The database must be migrated and empty of members. The script
1. makes a unit tree (the synthetic generator, members=0) and N full members spread over its
   cells with their periods, by SQL (`bench/ratings_import.py`'s `make_members`);
2. makes some of them cases the opening lists apart: one in 50 exempt, one in 40 admitted a
   month before the reference date, one in 500 on a temporary transfer to the next cell;
3. measures the floor: the rows the opening writes (the members with their exclusion, host
   cell and grassroots decider; the units below the root with the unit above them) by one
   INSERT ... SELECT from what the server holds, rolled back;
4. times the preview the opening page shows (`evaluations.selectors.opening_preview`: the
   opening's checks and its counts, by the database);
5. opens the round (committed) in a process of its own, so that its peak resident memory
   (`resource.getrusage`) is Django's and the opening's, not the setup's, and checks that it
   wrote the floor's rows (a digest of every subject's fields) and the preview's count;
6. times the round page's first reads (progress counts, a worklist) for a commune and for
   the whole round.

`--progress` runs step 6 alone, on a database where the script opened the round before (to
time the reads again after a change of code or a migration).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
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
from bench.ratings_import import make_members  # noqa: E402
from cadrebook.core.rules import current_ruleset  # noqa: E402
from cadrebook.demo.generator import generate  # noqa: E402
from cadrebook.evaluations import services as ev  # noqa: E402
from cadrebook.evaluations.models import Round, Subject  # noqa: E402
from cadrebook.evaluations.selectors import (  # noqa: E402
    STATE_EXCLUDED,
    STATE_NOT_ASSESSED,
    opening_preview,
    round_progress,
    round_subjects,
)
from cadrebook.members.models import Member, MemberEvent, MemberPeriod  # noqa: E402
from cadrebook.orgs.models import OrgUnit, UnitPlacement  # noqa: E402

M, P, E, S, U, UP = (
    m._meta.db_table for m in (Member, MemberPeriod, MemberEvent, Subject, OrgUnit, UnitPlacement)
)
REFERENCE = dt.date(2025, 12, 15)
RECENT = dt.date(2025, 11, 15)  # a month before the reference date: too recent
ANSWERS = {
    "kind": "yearly",
    "year": 2025,
    "reference_date": REFERENCE,
    "self_assessment_until": dt.date(2025, 12, 20),
    "proposals_until": dt.date(2025, 12, 25),
    "decisions_until": dt.date(2025, 12, 31),
}

CASES = f"""
UPDATE {P} SET exempt = true WHERE member_id % 50 = 0;
UPDATE {M} SET exempt = true WHERE id % 50 = 0;
UPDATE {M} SET admitted_on = DATE '{RECENT}' WHERE id % 40 = 1;
INSERT INTO {E} (member_id, type, date, unit_id, to_unit_id, destination, document, reason,
    void, taken_over, until, for_study, recorded_at)
SELECT m.id, 'temporary_transfer', DATE '2025-10-01', m.unit_id, n.id, '', '', '', false, false,
    DATE '2026-03-01', false, now()
FROM {M} m JOIN bench_cells c ON c.id = m.unit_id
JOIN bench_cells n ON n.k = (c.k + 1) % %(cells)s
WHERE m.id % 500 = 7;
"""
# The floor: the subjects the opening writes, made by the server from what it holds (the
# root's subtree is every member; the grassroots decider of each cell is bench_cells.quota).
FLOOR = f"""
WITH hosts AS (
    SELECT DISTINCT ON (member_id) member_id, type, to_unit_id FROM {E}
    WHERE date <= %(day)s
      AND type IN ('temporary_transfer', 'temporary_transfer_ended', 'transfer_in')
    ORDER BY member_id, date DESC, id DESC
), members AS (
    SELECT p.member_id, p.unit_id, c.quota,
        CASE WHEN p.exempt THEN 'exempt'
             WHEN m.admitted_on > %(cutoff)s THEN 'recently_admitted' ELSE '' END AS excluded,
        CASE WHEN h.type = 'temporary_transfer' THEN h.to_unit_id END AS host
    FROM {P} p JOIN {M} m ON m.id = p.member_id JOIN bench_cells c ON c.id = p.unit_id
    LEFT JOIN hosts h ON h.member_id = p.member_id
    WHERE p.anc1_id = %(root)s AND p.valid_from <= %(day)s
      AND (p.valid_to IS NULL OR p.valid_to > %(day)s)
)
INSERT INTO {S} (round_id, kind, member_id, unit_id, home_id, framework, role_group,
    deciding_unit_id, excluded, special_case, host_unit_id, leads_id, note, state)
SELECT %(round)s, 'member', member_id, NULL, unit_id, 'member', 'member', quota, excluded,
    CASE WHEN excluded = '' AND host IS NOT NULL THEN 'temporary_transfer' ELSE '' END,
    CASE WHEN excluded = '' THEN host END, NULL, '',
    CASE WHEN excluded = '' THEN 'not_assessed' ELSE 'excluded' END
FROM members ORDER BY member_id
"""
FLOOR_UNITS = f"""
INSERT INTO {S} (round_id, kind, member_id, unit_id, home_id, framework, role_group,
    deciding_unit_id, excluded, special_case, host_unit_id, leads_id, note, state)
SELECT %(round)s, 'unit', NULL, u.id, u.id, 'organization', 'organization', pl.parent_id, '',
    '', NULL, NULL, '', 'not_assessed'
FROM {U} u JOIN {UP} pl ON pl.unit_id = u.id AND pl.valid_to IS NULL
WHERE u.path > %(path)s AND u.path < %(path)s || '~' AND u.kind = ANY(%(kinds)s)
  AND (u.founded_on IS NULL OR u.founded_on <= %(day)s)
  AND (u.dissolved_on IS NULL OR u.dissolved_on > %(day)s)
ORDER BY u.path
"""


# What a round's subjects say, as one digest: the floor's rows and the opening's compared.
DIGEST = f"""
SELECT count(*), md5(string_agg(concat_ws('|', kind, member_id, unit_id, home_id, framework,
    role_group, deciding_unit_id, excluded, special_case, host_unit_id, leads_id, note, state),
    ',' ORDER BY kind, member_id, unit_id))
FROM {S} WHERE round_id = %s
"""


def digest(round_id: int) -> tuple[int, str]:
    with connection.cursor() as cursor:
        cursor.execute(DIGEST, [round_id])
        count, md5 = cursor.fetchone()
    return int(count), str(md5)


def peak_mib() -> float:
    """The peak resident memory of this process so far, MiB: `resource.getrusage`'s
    ru_maxrss (KiB on Linux). Linux carries ru_maxrss over a fork and exec, so a process
    started by this one would report this one's peak; its own address space's peak
    (VmHWM, /proc/self/status) is the smaller of the two."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return min(peak, int(line.split()[1]) / 1024)
    except OSError:
        pass
    return peak


def floor(root: OrgUnit) -> tuple[float, tuple[int, str]]:
    """The floor's seconds and the digest of its rows: the subjects by two INSERT ... SELECT
    (members, units) into a round made for it, in a transaction rolled back."""
    from cadrebook.evaluations.rules import evaluation_rules

    rules = evaluation_rules()
    with transaction.atomic(), connection.cursor() as cursor:
        round_id = Round.objects.create(
            unit=root, ruleset=current_ruleset().id, **(ANSWERS | {"kind": "floor"})
        ).pk
        started = time.perf_counter()
        params = {
            "round": round_id,
            "day": REFERENCE,
            "cutoff": rules.admitted_cutoff(REFERENCE),
            "root": root.pk,
        }
        cursor.execute(FLOOR, params)
        written = cursor.rowcount
        cursor.execute(
            FLOOR_UNITS,
            params | {"path": root.path, "kinds": sorted(rules.unit_deciders)},
        )
        written += cursor.rowcount
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the deferred foreign-key checks
        seconds = time.perf_counter() - started
        rows = digest(round_id)
        transaction.set_rollback(True)
    print(f"floor: {written:,} subjects in {seconds:.1f} s")
    return seconds, rows


def page_reads(round_: Round) -> None:
    """The round page's reads just after the opening (best of 3): the progress counts and
    the first worklist, for a commune and for the whole round."""
    commune = OrgUnit.objects.filter(depth=2).order_by("path").first()
    assert commune is not None
    cases = {
        "progress, a commune": lambda: round_progress(round_, under=commune),
        "worklist not self-assessed, first 100, a commune": lambda: list(
            round_subjects(round_, under=commune, state=STATE_NOT_ASSESSED)[:100]
        ),
        "progress, the whole round": lambda: round_progress(round_),
        "worklist not self-assessed, first 100, the whole round": lambda: list(
            round_subjects(round_, state=STATE_NOT_ASSESSED)[:100]
        ),
        "worklist not rated (excluded), first 100, the whole round": lambda: list(
            round_subjects(round_, state=STATE_EXCLUDED)[:100]
        ),
    }
    for name, read in cases.items():
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            read()
            best = min(best, time.perf_counter() - started)
        print(f"{name}: {best * 1000:,.0f} ms")


def open_round() -> None:
    """`--open`: open the round (committed); print its seconds, this process's peak RSS
    and the peak before the opening (MiB)."""
    root = OrgUnit.objects.get(depth=1)
    before = peak_mib()
    started = time.perf_counter()
    ev.round_open(actor=None, unit=root, **ANSWERS)
    print(time.perf_counter() - started, peak_mib(), before)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--communes", type=int, default=30)
    parser.add_argument("--open", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--progress", action="store_true", help="time the round page's reads of the round opened"
    )
    args = parser.parse_args()
    if args.open:
        open_round()
        return
    if args.progress:
        print(machine())
        page_reads(Round.objects.get(kind=ANSWERS["kind"], year=ANSWERS["year"]))
        return
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
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CASES.replace("%(cells)s", str(cells)).replace("%%", "%"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    root = OrgUnit.objects.get(depth=1)
    units = OrgUnit.objects.count()
    print(
        f"setup: {args.rows:,} members in {cells:,} cells ({units:,} units), "
        f"{time.perf_counter() - t:.0f} s; peak RSS so far {peak_mib():,.0f} MiB"
    )
    low, floor_rows = floor(root)
    started = time.perf_counter()
    preview = opening_preview(unit=root, **ANSWERS)
    print(f"preview: {time.perf_counter() - started:.1f} s, {preview}")
    # The opening in a process of its own: its peak memory is Django's and the opening's,
    # not the setup's (the generator's tree).
    out = subprocess.run(
        [sys.executable, __file__, "--open"], check=True, capture_output=True, text=True
    ).stdout
    seconds, peak, before = (float(v) for v in out.split())
    round_ = Round.objects.get(kind=ANSWERS["kind"], year=ANSWERS["year"], unit=root)
    listed, md5 = digest(round_.pk)
    assert (listed, md5) == floor_rows, ("the opening and the floor differ", listed, floor_rows)
    assert listed == preview["total"], (listed, preview)
    print(
        f"round_open: {listed:,} subjects in {seconds:.1f} s, {listed / seconds:,.0f} rows/s; "
        f"floor {listed / low:,.0f} rows/s; {seconds / low:.1f}x the floor's time; peak RSS "
        f"of the opening's process {peak:,.0f} MiB (before the opening {before:,.0f} MiB)"
    )
    page_reads(round_)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_cells")
        cursor.execute("DROP TABLE bench_levels")


if __name__ == "__main__":
    main()
