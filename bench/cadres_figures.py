"""Cadre figures: the statistics' `cadres` section against hand-written SQL on the same
database.

Run on a database loaded by bench/national.py (PostgreSQL, migrated first); `--load` first
writes synthetic committee terms, post holdings and their ends, planning entries and their
removals, and confidence votes (COPY, once: refused when holdings exist):

    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/national.py --members 500000
    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/cadres_figures.py --load

The rows are those the services would write: two committee terms of every unit with posts
(2020-2024, closed, and 2025 on); in each term the posts the rule set's seats allow on the
unit's kind (a province's secretary, deputies, standing and committee members and
inspection committee, down to a cell's secretary and deputy), held by full members of the
unit's subtree, elected in the term (a few appointed or acting), the first term's ended by
its close (end of term) or earlier (resigned, retired, dismissed: a replacement elected the
next day); planning lists for the secretary's and the deputies' posts of the committees
(some removed); a confidence vote each year by the committees on their running posts.
Not written: audit entries, documents of the register (the decisions cited as written),
nominations, rotation plans: no figure reads them but the rotations, counted by one more
grouped query alike.

For each case it times `cadre_figures` (the `compute` of the contribution, with the unit and
its subordinate units as `unit_statistics` passes them, and the unit alone) and a
hand-written SQL reference for the unit alone (posts by position, distinct holders by gender
and ethnicity, the planning's people, women, entries and lists, posts begun by how and ended
by reason, votes and people voted on), checks they are equal and prints the ratio (best of
--runs). Results go to docs/benchmarks.md with the machine described.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from bench.national import machine  # noqa: E402
from cadrebook.cadres.figures import cadre_figures  # noqa: E402
from cadrebook.cadres.models import PostHolding  # noqa: E402
from cadrebook.core.rules import current_ruleset  # noqa: E402
from cadrebook.core.scoping import PATH_END  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402
from cadrebook.reports.selectors import child_units  # noqa: E402

STEP = 4  # OrgUnit.steplen
# The posts of a committee by the unit's kind (position, how many), within the rule set's
# seats (`[cadres.seats]`).
POSTS = {
    "central_committee": [],
    "province_committee": [
        ("secretary", 1), ("deputy_secretary", 3), ("standing_committee_member", 12),
        ("committee_member", 35), ("inspection_chair", 1), ("inspection_deputy_chair", 3),
        ("inspection_member", 7),
    ],
    "commune_committee": [
        ("secretary", 1), ("deputy_secretary", 2), ("standing_committee_member", 5),
        ("committee_member", 15), ("inspection_chair", 1), ("inspection_member", 3),
    ],
    "grassroots_committee": [
        ("secretary", 1), ("deputy_secretary", 1), ("committee_member", 5),
        ("inspection_chair", 1),
    ],
    "grassroots_cell": [("secretary", 1), ("deputy_secretary", 1)],
    "cell": [("secretary", 1), ("deputy_secretary", 1)],
}  # fmt: skip
COMMITTEES = ("province_committee", "commune_committee", "grassroots_committee")
TERMS = ((dt.date(2020, 1, 1), dt.date(2024, 12, 31)), (dt.date(2025, 1, 1), None))
EARLY_END = 0.08  # share of the first term's posts ended before its close
EARLY_REASONS = ("resigned", "retired", "dismissed")
REMOVAL_REASONS = ("review", "age_limit", "discipline", "other")


class Copier:
    """Rows for one table, streamed with COPY at the end (ids given here)."""

    def __init__(self, table: str, columns: list[str]) -> None:
        self.table, self.columns = table, columns
        self.rows: list[tuple[Any, ...]] = []

    def add(self, *row: Any) -> None:
        self.rows.append(row)

    def flush(self) -> int:
        buf = io.StringIO()
        for row in self.rows:
            buf.write("\t".join(_cell(v) for v in row))
            buf.write("\n")
        with connection.cursor() as cursor:
            raw = cursor.cursor
            cols = ", ".join(f'"{c}"' for c in self.columns)
            with raw.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                copy.write(buf.getvalue())
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{self.table}', 'id'), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {self.table}))"
            )
        n = len(self.rows)
        self.rows = []
        return n


def _cell(v: Any) -> str:
    if v is None:
        return "\\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    return str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


def _day(rng: random.Random, lo: dt.date, hi: dt.date) -> dt.date:
    return lo + dt.timedelta(days=rng.randrange(max(1, (hi - lo).days)))


def load(seed: int) -> None:
    """Write the synthetic cadre work (see the module's docstring)."""
    if PostHolding.objects.exists():
        raise SystemExit("holdings exist already: load into a fresh database")
    rng = random.Random(seed)
    ruleset = current_ruleset().id
    now = dt.datetime.now(dt.UTC).isoformat()
    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, path, kind FROM orgs_orgunit")
        units = cursor.fetchall()
        cursor.execute("SELECT id, unit_id FROM members_member WHERE status = 'full'")
        by_unit: dict[int, list[int]] = defaultdict(list)
        for member, unit in cursor.fetchall():
            by_unit[unit].append(member)
    by_path = {path: pk for pk, path, _kind in units}
    # The member-holding units of each unit's subtree (itself included).
    below: dict[int, list[int]] = defaultdict(list)
    for pk, path, _kind in units:
        if by_unit.get(pk):
            for i in range(STEP, len(path) + 1, STEP):
                below[by_path[path[:i]]].append(pk)
    print(f"tree read {time.perf_counter() - t0:.1f} s", flush=True)

    def someone(unit: int) -> int | None:
        places = below.get(unit)
        if not places:
            return None
        return rng.choice(by_unit[rng.choice(places)])

    terms = Copier(
        "documents_term",
        ["id", "unit_id", "label", "start", "end", "congress", "issuer_symbol", "approximate",
         "created_at"],
    )  # fmt: skip
    holdings = Copier(
        "cadres_postholding",
        ["id", "member_id", "unit_id", "position", "term_id", "how", "started_on",
         "planned_end", "document_text", "votes_for", "votes_total", "ruleset", "created_at"],
    )  # fmt: skip
    ends = Copier(
        "cadres_postend",
        ["id", "holding_id", "ended_on", "reason", "document_text", "created_at"],
    )
    entries = Copier(
        "cadres_planningentry",
        ["id", "unit_id", "term_id", "position", "member_id", "added_on", "document_text",
         "ruleset", "created_at"],
    )  # fmt: skip
    removals = Copier(
        "cadres_planningremoval",
        ["id", "entry_id", "removed_on", "reason", "note", "document_text", "created_at"],
    )
    sessions = Copier(
        "cadres_confidencesession",
        ["id", "unit_id", "held_on", "summoned", "present", "document_text", "ruleset",
         "created_at"],
    )  # fmt: skip
    results = Copier(
        "cadres_confidenceresult",
        ["id", "session_id", "member_id", "position", "high", "confidence", "low"],
    )
    term_id = holding_id = end_id = entry_id = removal_id = session_id = result_id = 0
    for pk, _path, kind in units:
        posts = POSTS.get(kind) or []
        if not posts or not below.get(pk):
            continue
        for start, end in TERMS:
            term_id += 1
            label = f"{start.year}-{start.year + 5}"
            terms.add(term_id, pk, label, start, end, True, "", False, now)
            last = end or dt.date(2025, 12, 31)
            running: list[tuple[int, str, dt.date, dt.date | None]] = []  # member, post, from, to
            for position, count in posts:
                for _ in range(count):
                    member = someone(pk)
                    if member is None:
                        continue
                    how = "elected"
                    if position == "inspection_chair" and rng.random() < 0.3:
                        how = "appointed"
                    elif rng.random() < 0.02:
                        how = "acting"
                    day = start + dt.timedelta(days=rng.randint(0, 20))
                    total = rng.randint(9, 60)
                    elected = how == "elected"
                    holding_id += 1
                    holdings.add(
                        holding_id, member, pk, position, term_id if elected else None, how,
                        day, dt.date(start.year + 5, 1, 1), "Biên bản",
                        rng.randint(total // 2 + 1, total) if elected else None,
                        total if elected else None, ruleset, now,
                    )  # fmt: skip
                    if end is None and rng.random() >= EARLY_END / 2:
                        running.append((member, position, day, None))
                        continue
                    if end is not None and rng.random() >= EARLY_END:
                        end_id += 1
                        ends.add(end_id, holding_id, end, "end_of_term", "", now)
                        running.append((member, position, day, end))
                        continue
                    # Ended early: a replacement elected the next day.
                    ended = _day(rng, day + dt.timedelta(days=30), last)
                    end_id += 1
                    ends.add(end_id, holding_id, ended, rng.choice(EARLY_REASONS), "", now)
                    running.append((member, position, day, ended))
                    replacement = someone(pk)
                    if replacement is None:
                        continue
                    holding_id += 1
                    holdings.add(
                        holding_id, replacement, pk, position, term_id, "elected",
                        ended + dt.timedelta(days=1), dt.date(start.year + 5, 1, 1), "Biên bản",
                        total // 2 + 1, total, ruleset, now,
                    )  # fmt: skip
                    if end is not None:
                        end_id += 1
                        ends.add(end_id, holding_id, end, "end_of_term", "", now)
                    running.append((replacement, position, ended + dt.timedelta(days=1), end))
            # Planning of the committees: three for the secretary, two per deputy.
            if kind in COMMITTEES or rng.random() < 0.3:
                deputies = dict(posts).get("deputy_secretary", 0)
                added = start + dt.timedelta(days=rng.randint(60, 200))
                for position, count in (("secretary", 3), ("deputy_secretary", 2 * deputies)):
                    for _ in range(count):
                        member = someone(pk)
                        if member is None:
                            continue
                        entry_id += 1
                        entries.add(
                            entry_id, pk, term_id, position, member, added, "Nghị quyết",
                            ruleset, now,
                        )  # fmt: skip
                        if end is not None or rng.random() < 0.15:
                            removal_id += 1
                            removed = end + dt.timedelta(days=1) if end else _day(rng, added, last)
                            removals.add(
                                removal_id, entry_id, removed, rng.choice(REMOVAL_REASONS), "",
                                "", now,
                            )  # fmt: skip
            # A confidence vote each year of the term by the committees, on the posts running.
            if kind in COMMITTEES:
                for year in range(start.year + 1, last.year + 1):
                    held = dt.date(year, 11, 20)
                    voted = [
                        (m, p)
                        for m, p, f, to in running
                        if f <= held and (to is None or to >= held)
                    ]
                    if not voted:
                        continue
                    summoned = len(voted) + rng.randint(5, 20)
                    present = summoned - rng.randint(0, summoned // 4)
                    session_id += 1
                    sessions.add(session_id, pk, held, summoned, present, "", ruleset, now)
                    for member, position in dict(voted).items():
                        low = min(present, int(present * rng.choice((0, 0, 0.05, 0.1, 0.55, 0.7))))
                        high = rng.randint(0, present - low)
                        result_id += 1
                        results.add(
                            result_id, session_id, member, position, high,
                            present - low - high, low,
                        )  # fmt: skip
    with transaction.atomic():
        counts = {}
        for copier in (terms, holdings, ends, entries, removals, sessions, results):
            counts[copier.table] = copier.flush()
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) documents_term, cadres_postholding, cadres_postend, "
            "cadres_planningentry, cadres_planningremoval, cadres_confidencesession, "
            "cadres_confidenceresult"
        )
    print(
        "loaded "
        + ", ".join(f"{t} {n:,}" for t, n in counts.items())
        + f" in {time.perf_counter() - t0:.1f} s",
        flush=True,
    )


# -- Timing ----------------------------------------------------------------------------------


def best_of(runs: int, fn: Callable[[], Any]) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def reference(unit: OrgUnit, date_from: dt.date, date_to: dt.date) -> dict[str, Any]:
    """The core counts by hand, for the unit alone: path ranges on the units' paths."""
    lo, hi, day = unit.path, unit.path + PATH_END, date_to
    majority = current_ruleset().value("statistics.majority_ethnicity")
    with connection.cursor() as cursor:
        held = (
            "FROM cadres_postholding h JOIN orgs_orgunit u ON u.id = h.unit_id "
            "WHERE u.path >= %s AND u.path < %s AND h.started_on <= %s "
            "AND NOT EXISTS (SELECT 1 FROM cadres_postend e "
            "WHERE e.holding_id = h.id AND e.ended_on < %s)"
        )
        cursor.execute(f"SELECT h.position, COUNT(*) {held} GROUP BY 1", [lo, hi, day, day])
        by_position = dict(cursor.fetchall())
        cursor.execute(
            "SELECT m.gender, CASE WHEN m.ethnicity = '' THEN 'unknown' "
            "WHEN m.ethnicity = %s THEN 'majority' ELSE 'minorities' END, "
            f"COUNT(DISTINCT h.member_id) {held.replace('FROM cadres_postholding h', 'FROM cadres_postholding h JOIN members_member m ON m.id = h.member_id')} "
            "GROUP BY 1, 2",
            [majority, lo, hi, day, day],
        )
        by_gender: dict[str, int] = defaultdict(int)
        by_ethnicity: dict[str, int] = defaultdict(int)
        for gender, ethnic, n in cursor.fetchall():
            by_gender[gender] += n
            by_ethnicity[ethnic] += n
        cursor.execute(
            "SELECT COUNT(DISTINCT p.member_id), "
            "COUNT(DISTINCT p.member_id) FILTER (WHERE m.gender = 'female'), COUNT(*), "
            "COUNT(DISTINCT (p.unit_id, p.position)) "
            "FROM cadres_planningentry p JOIN orgs_orgunit u ON u.id = p.unit_id "
            "JOIN members_member m ON m.id = p.member_id "
            "WHERE u.path >= %s AND u.path < %s AND p.added_on <= %s "
            "AND NOT EXISTS (SELECT 1 FROM cadres_planningremoval r "
            "WHERE r.entry_id = p.id AND r.removed_on <= %s)",
            [lo, hi, day, day],
        )
        people, women, n_entries, lists = cursor.fetchone()
        cursor.execute(
            "SELECT h.how, COUNT(*) FROM cadres_postholding h "
            "JOIN orgs_orgunit u ON u.id = h.unit_id "
            "WHERE u.path >= %s AND u.path < %s AND h.started_on BETWEEN %s AND %s GROUP BY 1",
            [lo, hi, date_from, date_to],
        )
        started = dict(cursor.fetchall())
        cursor.execute(
            "SELECT e.reason, COUNT(*) FROM cadres_postend e "
            "JOIN cadres_postholding h ON h.id = e.holding_id "
            "JOIN orgs_orgunit u ON u.id = h.unit_id "
            "WHERE u.path >= %s AND u.path < %s AND e.ended_on BETWEEN %s AND %s GROUP BY 1",
            [lo, hi, date_from, date_to],
        )
        ended = dict(cursor.fetchall())
        cursor.execute(
            "SELECT COUNT(DISTINCT s.id), COUNT(r.id) FROM cadres_confidencesession s "
            "JOIN orgs_orgunit u ON u.id = s.unit_id "
            "LEFT JOIN cadres_confidenceresult r ON r.session_id = s.id "
            "WHERE u.path >= %s AND u.path < %s AND s.held_on BETWEEN %s AND %s",
            [lo, hi, date_from, date_to],
        )
        n_sessions, n_results = cursor.fetchone()
    return {
        "by_position": by_position,
        "people": sum(by_gender.values()),
        "by_gender": dict(by_gender),
        "by_ethnicity": dict(by_ethnicity),
        "planning": (people, women, n_entries, lists),
        "started": started,
        "ended": ended,
        "confidence": (n_sessions, n_results),
    }


def core(figure: dict[str, Any]) -> dict[str, Any]:
    def nonzero(d: dict[str, int]) -> dict[str, int]:
        return {k: n for k, n in d.items() if n}

    p = figure["planning"]
    return {
        "by_position": nonzero(figure["by_position"]),
        "people": figure["people"],
        "by_gender": nonzero(figure["by_gender"]),
        "by_ethnicity": nonzero(figure["by_ethnicity"]),
        "planning": (p["people"], p["shares"]["women"]["count"], p["entries"], p["lists"]),
        "started": nonzero(figure["started"]),
        "ended": nonzero(figure["ended"]),
        "confidence": (figure["confidence"]["sessions"], figure["confidence"]["results"]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--load", action="store_true", help="write the synthetic data first")
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    for key, value in machine().items():
        print(f"{key:>9}: {value}")
    if args.load:
        load(args.seed)
    with connection.cursor() as cursor:
        sizes = []
        for table in (
            "cadres_postholding",
            "cadres_postend",
            "cadres_planningentry",
            "cadres_confidencesession",
            "cadres_confidenceresult",
            "members_member",
            "orgs_orgunit",
        ):
            cursor.execute(f"SELECT COUNT(*) FROM {table}")
            sizes.append(f"{table.split('_', 1)[1]} {cursor.fetchone()[0]:,}")
    print("rows: " + ", ".join(sizes))
    start, end = dt.date(args.year, 1, 1), dt.date(args.year, 12, 31)
    ruleset = current_ruleset()
    root = OrgUnit.objects.filter(depth=1).order_by("path").first()
    assert root is not None

    def second(kind: str) -> OrgUnit:
        return OrgUnit.objects.filter(kind=kind).order_by("path")[1]

    cases = [("whole tree", root)]
    if root.kind != "province_committee":
        cases.append(("one province", second("province_committee")))
    cases += [
        ("one commune", second("commune_committee")),
        ("one grassroots committee", second("grassroots_committee")),
    ]
    print()
    print(
        "| case | units asked | posts held | holders | in planning | ours | "
        "ours, the unit alone | reference SQL (the unit) | ratio (unit alone) | equal |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for name, unit in cases:
        units = [unit, *child_units(unit, end)]
        ours_s, figures = best_of(
            args.runs, partial(cadre_figures, units, start, end, end, ruleset)
        )
        alone_s, alone = best_of(
            args.runs, partial(cadre_figures, [unit], start, end, end, ruleset)
        )
        ref_s, ref = best_of(args.runs, partial(reference, unit, start, end))
        mine = core(figures[unit.pk])
        equal = mine == ref == core(alone[unit.pk])
        wrong = [c.code for c in units[1:6] if core(figures[c.pk]) != reference(c, start, end)]
        figure = figures[unit.pk]
        print(
            f"| {name} | {len(units):,} | {figure['posts']:,} | {figure['people']:,} | "
            f"{figure['planning']['people']:,} | {ours_s * 1000:,.1f} ms | "
            f"{alone_s * 1000:,.1f} ms | {ref_s * 1000:,.1f} ms | {alone_s / ref_s:.2f} | "
            f"{'yes' if equal and not wrong else 'NO'} |",
            flush=True,
        )
        if not equal:
            print(f"  ours {mine}\n  reference {ref}")
        if wrong:
            print(f"  subordinate units differing: {wrong}")


if __name__ == "__main__":
    main()
