"""Inspection and discipline figures: the statistics' `inspection` and `discipline` sections
against hand-written SQL on the same database.

Run on a database loaded by bench/national.py (PostgreSQL, migrated first); `--load` first
writes synthetic inspections, subjects, steps, disciplines and appeals over `--years` years
ending with `--year` (COPY, once: refused when inspections exist):

    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/national.py --members 500000
    CADREBOOK_DATABASE_URL=... .venv/bin/python bench/inspections.py --load --year 2025

The rows are those the services would write (`services/inspections.py`, `discipline.py`):
bodies of the rule set's kinds on units of the kinds they sit on, at every level (the centre,
provinces, communes, grassroots committees, cells); subjects below the body (units strictly
below, members of its subtree) with the paths, `decided_on` and `from_higher_level` copied as
`_add_subject` copies them; the steps with their due days, done in order up to the conclusion;
findings only on concluded inspections; disciplines of the forms each subject may receive from
a body within its authority (expulsions of the members the generator expelled, on that day);
appeals to the level above, upheld, changed (the discipline replaced by one of the new form),
annulled or pending. Not written: the audit entries, documents of the register (the
decisions cited as written, as a taken-over record is), teams, and the consequences of a
decision beyond its own row (a dissolved cell stays open): no figure reads them.

For each case it times `inspection_figures` and `discipline_figures` (the `compute` of the
two contributions, with the unit and its subordinate units as `unit_statistics` passes them)
and a hand-written SQL reference for the core counts (inspections by kind, distinct units and
members inspected, received from higher levels, disciplines by form of members and of
organizations, distinct members disciplined, appeals lodged), checks they are equal and prints
the ratio (best of --runs). Results go to docs/benchmarks.md with the machine described.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import io
import os
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
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
from cadrebook.core.rules import current_ruleset  # noqa: E402
from cadrebook.core.scoping import PATH_END  # noqa: E402
from cadrebook.inspections.discipline_rules import discipline_rules  # noqa: E402
from cadrebook.inspections.figures import discipline_figures, inspection_figures  # noqa: E402
from cadrebook.inspections.models import Inspection  # noqa: E402
from cadrebook.inspections.rules import inspection_rules  # noqa: E402
from cadrebook.orgs.models import OrgUnit  # noqa: E402
from cadrebook.reports.selectors import child_units  # noqa: E402

STEP = 4  # OrgUnit.steplen
COMMITTEE_UNITS = (
    "central_committee",
    "province_committee",
    "commune_committee",
    "grassroots_committee",
)
COMMITTEE_BODIES = ["committee", "standing_committee", "inspection_committee"]
# Inspections a body decides in a year, by the kind of its unit (the mean of a Poisson-like
# draw): a few per commune per year, more above, fewer below.
PER_YEAR = {
    "central_committee": 20,
    "province_committee": 12,
    "commune_committee": 8,
    "grassroots_committee": 3,
    "grassroots_cell": 0.5,
    "cell": 0.5,
}
DISCIPLINES_PER_YEAR = 6000
APPEAL_SHARE = 0.1


# -- Loading ---------------------------------------------------------------------------------


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
            with raw.copy(f"COPY {self.table} ({', '.join(self.columns)}) FROM STDIN") as copy:
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


def _day(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))


def _count(rng: random.Random, mean: float) -> int:
    """A draw around `mean` (0 allowed): the integer part, plus one with the remainder's odds."""
    whole = int(mean)
    n = rng.randint(max(0, whole - whole // 2), whole + whole // 2) if whole else 0
    return n + (1 if rng.random() < mean - whole else 0)


class Tree:
    """The units and the members by unit, read once."""

    def __init__(self, first: dt.date) -> None:
        self.units: dict[int, tuple[str, str]] = {}
        self.by_path: dict[str, int] = {}
        with connection.cursor() as cursor:
            cursor.execute("SELECT id, path, kind FROM orgs_orgunit")
            for pk, path, kind in cursor.fetchall():
                self.units[pk] = (path, kind)
                self.by_path[path] = pk
            # Units strictly below each unit.
            self.below: dict[int, list[int]] = defaultdict(list)
            for pk, (path, _kind) in self.units.items():
                for i in range(STEP, len(path), STEP):
                    self.below[self.by_path[path[:i]]].append(pk)
            # Members by current unit, with the periods in force at that unit from `first`
            # (member, status, from, to): a member is inspected or disciplined in the unit it
            # stands in now, as the services record it (the member's unit's path).
            cursor.execute(
                "SELECT p.member_id, p.unit_id, p.status, p.valid_from, p.valid_to "
                "FROM members_memberperiod p JOIN members_member m "
                "ON m.id = p.member_id AND m.unit_id = p.unit_id "
                "WHERE p.valid_to IS NULL OR p.valid_to > %s",
                [first],
            )
            self.periods: dict[int, list[tuple[int, str, dt.date, dt.date | None]]] = defaultdict(
                list
            )
            for member, unit, status, valid_from, valid_to in cursor.fetchall():
                self.periods[unit].append((member, status, valid_from, valid_to))
            cursor.execute(
                "SELECT e.member_id, e.date, m.unit_id, p.status FROM members_memberevent e "
                "JOIN members_member m ON m.id = e.member_id "
                "JOIN members_memberperiod p ON p.member_id = e.member_id "
                "AND p.valid_to = e.date AND p.unit_id = m.unit_id "
                "WHERE e.type = 'expelled' AND e.date >= %s",
                [first],
            )
            self.expelled = cursor.fetchall()
        self.member_units = [u for u in self.units if self.periods.get(u)]
        self.member_units_below: dict[int, list[int]] = {
            pk: [u for u in self.below.get(pk, []) if self.periods.get(u)] for pk in self.units
        }

    def path(self, pk: int) -> str:
        return self.units[pk][0]

    def kind(self, pk: int) -> str:
        return self.units[pk][1]

    def ancestor(self, pk: int, depth: int) -> int:
        return self.by_path[self.path(pk)[: depth * STEP]]

    def own_committee(self, pk: int, parent_kinds: Iterable[str]) -> str:
        path = self.path(pk)
        if self.kind(pk) in parent_kinds and len(path) > STEP:
            return path[:-STEP]
        return path

    def member_on(
        self, rng: random.Random, unit: int, day: dt.date, statuses: tuple[str, ...]
    ) -> tuple[int, str] | None:
        """A member standing in `unit` on `day` with one of `statuses` (a few tries)."""
        periods = self.periods.get(unit) or []
        for _ in range(6):
            if not periods:
                return None
            member, status, valid_from, valid_to = rng.choice(periods)
            if status in statuses and valid_from <= day and (valid_to is None or valid_to > day):
                return member, status
        return None


def load(first_year: int, last_year: int, seed: int) -> None:
    """Write the synthetic inspections and disciplines (see the module's docstring)."""
    if Inspection.objects.exists():
        raise SystemExit("inspections exist already: load into a fresh database")
    rng = random.Random(seed)
    irules = inspection_rules()
    drules = discipline_rules()
    parent_kinds = set(irules.parent_committee_kinds)
    kinds = [k.code for k in irules.kinds]
    steps = [(s.code, s.days) for s in irules.steps]
    violation_kinds = [v.code for v in irules.violation_kinds]
    ruleset = irules.ruleset_id
    first, today = dt.date(first_year, 1, 1), dt.date.today()
    t0 = time.perf_counter()
    tree = Tree(first)
    print(f"tree read {time.perf_counter() - t0:.1f} s", flush=True)
    now = dt.datetime.now(dt.UTC).isoformat()

    inspections = Copier(
        "inspections_inspection",
        [
            "id", "code", "body_id", "body_kind", "path", "kind", "decided_on",
            "decision_document_text", "period_from", "period_to", "concluded_on",
            "conclusion_document_text", "conclusion_summary", "from_higher_level", "ruleset",
            "created_at",
        ],
    )  # fmt: skip
    subjects = Copier(
        "inspections_inspectionsubject",
        [
            "id", "inspection_id", "unit_id", "member_id", "path", "subject_path", "kind",
            "decided_on", "concluded_on", "from_higher_level", "violation_found",
            "violation_kind", "findings",
        ],
    )  # fmt: skip
    step_rows = Copier(
        "inspections_inspectionstep",
        ["id", "inspection_id", "step", "position", "due_on", "done_on", "note", "recorded_at"],
    )
    inspection_id = subject_id = step_id = 0
    for year in range(first_year, last_year + 1):
        for body, (body_path, body_kind_of_unit) in tree.units.items():
            n = _count(rng, PER_YEAR.get(body_kind_of_unit, 0))
            for _ in range(n):
                is_cell = body_kind_of_unit in ("cell", "grassroots_cell")
                organ = "cell" if is_cell else rng.choice(COMMITTEE_BODIES)
                decided = _day(rng, year)
                chosen_units: set[int] = set()
                chosen_members: dict[int, int] = {}
                below = tree.below.get(body, [])
                if below and not is_cell:
                    for _ in range(rng.randint(0, 5)):
                        chosen_units.add(rng.choice(below))
                places = tree.member_units_below.get(body, []) + (
                    [body] if tree.periods.get(body) else []
                )
                if places:
                    for _ in range(rng.randint(0 if chosen_units else 1, 4)):
                        unit = rng.choice(places)
                        found = tree.member_on(rng, unit, decided, ("probationary", "full"))
                        if found:
                            chosen_members[found[0]] = unit
                if not chosen_units and not chosen_members:
                    continue
                inspection_id += 1
                kind = rng.choice(kinds)
                concluded: dt.date | None = decided + dt.timedelta(days=rng.randint(20, 150))
                if concluded > today or rng.random() < 0.05:
                    concluded = None
                rows = []
                for unit in sorted(chosen_units):
                    rows.append((unit, None, unit))
                for member, unit in sorted(chosen_members.items()):
                    rows.append((None, member, unit))
                higher_any = False
                for unit_id, member_id, place in rows:
                    committee = tree.own_committee(place, parent_kinds)
                    higher = committee != body_path and committee.startswith(body_path)
                    higher_any = higher_any or higher
                    found_v: bool | None = None
                    vkind = ""
                    if concluded is not None:
                        found_v = rng.random() < 0.15
                        vkind = rng.choice(violation_kinds) if found_v else ""
                    subject_id += 1
                    subjects.add(
                        subject_id, inspection_id, unit_id, member_id, body_path,
                        tree.path(place), kind, decided, concluded, higher, found_v, vkind, "",
                    )  # fmt: skip
                # Steps: the decision done that day; the others, when concluded, done in
                # order by the conclusion's day.
                done_days = [decided]
                if concluded is not None:
                    span = (concluded - decided).days
                    inner = sorted(rng.randint(0, span) for _ in steps[1:-1])
                    done_days += [decided + dt.timedelta(days=d) for d in inner] + [concluded]
                for position, (code, days) in enumerate(steps):
                    step_id += 1
                    done = done_days[position] if position < len(done_days) else None
                    step_rows.add(
                        step_id, inspection_id, code, position,
                        decided + dt.timedelta(days=days), done, "",
                        now if done is not None else None,
                    )  # fmt: skip
                inspections.add(
                    inspection_id, f"BENCH-{inspection_id}", body, organ, body_path,
                    kind, decided, f"{inspection_id}-QĐ", dt.date(year - 1, 1, 1),
                    dt.date(year - 1, 12, 31), concluded,
                    f"{inspection_id}-KL" if concluded else "", "", higher_any, ruleset, now,
                )  # fmt: skip

    # Disciplines ---------------------------------------------------------------------------
    disciplines = Copier(
        "inspections_discipline",
        [
            "id", "subject_kind", "member_id", "unit_id", "subject_status", "subject_path",
            "form", "body_id", "body_kind", "path", "decided_on", "document_text", "violation",
            "violation_kind", "violation_on", "duty_related", "votes", "relations", "may_admit",
            "status", "annulled_by_id", "ruleset", "created_at",
        ],
    )  # fmt: skip
    appeals = Copier(
        "inspections_appeal",
        [
            "id", "discipline_id", "lodged_on", "received_on", "body_id", "body_kind", "path",
            "subject_path", "decided_on", "outcome", "new_form", "document_text", "created_at",
        ],
    )  # fmt: skip
    discipline_id = appeal_id = 0
    pending: list[list[Any]] = []  # discipline rows, their status set once the appeals are

    def member_body(place: int, form: str) -> tuple[int, str, bool] | None:
        """A body with authority to impose `form` on a member of `place` (the rule set's
        `[discipline.authority]` for the relation `member`)."""
        kind = tree.kind(place)
        options: list[tuple[int, str, bool]] = []
        if form in ("reprimand", "warning"):
            if kind in ("cell", "grassroots_cell"):
                options.append((place, "cell", False))
            if kind == "cell":
                gc = tree.by_path[tree.path(place)[:-STEP]]
                options += [(gc, o, False) for o in COMMITTEE_BODIES]
        if form in ("reprimand", "warning", "removal_from_post", "expulsion"):
            commune = tree.ancestor(place, 3)
            options += [(commune, o, False) for o in COMMITTEE_BODIES]
        if form == "expulsion" and kind == "cell":
            gc = tree.by_path[tree.path(place)[:-STEP]]
            options += [(gc, o, True) for o in ("committee", "standing_committee")]
        return rng.choice(options) if options else None

    def add_discipline(
        kind: str, member: int | None, unit: int | None, status: str, place: int, form: str,
        body: int, organ: str, decided: dt.date, violation_on: dt.date, vkind: str,
        may_admit: bool, relation: str,
    ) -> list[Any]:  # fmt: skip
        nonlocal discipline_id
        discipline_id += 1
        row = [
            discipline_id, kind, member, unit, status, tree.path(place), form, body, organ,
            tree.path(body), decided, f"{discipline_id}-QĐ", "Synthetic violation", vkind,
            violation_on, rng.random() < 0.3, "{}", f'["{relation}"]', may_admit, "in_force",
            None, ruleset, now,
        ]  # fmt: skip
        pending.append(row)
        return row

    full_forms = list(drules.forms_full_member)
    for year in range(first_year, last_year + 1):
        for _ in range(DISCIPLINES_PER_YEAR):
            decided = _day(rng, year)
            vkind = rng.choice(violation_kinds)
            violation_on = decided - dt.timedelta(days=rng.randint(10, 600))
            if rng.random() < 0.07:
                # An organization: a cell, by its grassroots committee or its commune.
                cell = rng.choice(tree.member_units)
                if tree.kind(cell) != "cell":
                    continue
                form = rng.choices(["reprimand", "warning", "dissolution"], [70, 29, 1])[0]
                if form == "dissolution":
                    body = tree.ancestor(cell, 3)
                    organ = rng.choice(["committee", "standing_committee"])
                else:
                    body = tree.by_path[tree.path(cell)[:-STEP]]
                    organ = rng.choice(["committee", "standing_committee"])
                add_discipline(
                    "unit", None, cell, "", cell, form, body, organ, decided, violation_on,
                    vkind, False, "organization",
                )  # fmt: skip
                continue
            place = rng.choice(tree.member_units)
            found = tree.member_on(rng, place, decided, ("probationary", "full"))
            if found is None:
                continue
            member, status = found
            forms = full_forms if status == "full" else list(drules.forms_probationary_member)
            forms = [f for f in forms if f != "expulsion"]  # expulsions: the expelled, below
            form = rng.choices(forms, [60, 30, 10][: len(forms)])[0]
            chosen = member_body(place, form)
            if chosen is None:
                continue
            body, organ, may_admit = chosen
            add_discipline(
                "member", member, None, status, place, form, body, organ, decided,
                violation_on, vkind, may_admit, "member",
            )  # fmt: skip
    # Expulsions: the members the generator expelled, decided on the day of their event.
    for member, day, place, status in tree.expelled:
        if day.year > last_year or status != "full":
            continue
        chosen = member_body(place, "expulsion")
        if chosen is None:
            continue
        body, organ, may_admit = chosen
        add_discipline(
            "member", member, None, status, place, "expulsion", body, organ, day,
            day - dt.timedelta(days=rng.randint(10, 300)), rng.choice(violation_kinds),
            may_admit, "member",
        )  # fmt: skip

    # Appeals: against members' reprimands, warnings and removals decided below the centre,
    # to the level above the deciding body.
    replacements = []
    for row in list(pending):
        if row[1] != "member" or row[6] == "expulsion" or rng.random() >= APPEAL_SHARE:
            continue
        body_path = tree.path(row[7])
        above = tree.by_path.get(body_path[:-STEP])
        # The level above sits a committee (a cell's grassroots committee, a commune's
        # province...): the appeal bodies of the rule set sit on committees only.
        if above is None or tree.kind(above) not in COMMITTEE_UNITS:
            continue
        decided: dt.date = row[10]
        received = decided + dt.timedelta(days=rng.randint(0, 10))
        lodged = received + dt.timedelta(days=rng.randint(0, 28))
        outcome = rng.choices(["pending", "upheld", "changed", "annulled"], [10, 60, 15, 15])[0]
        ruled = lodged + dt.timedelta(days=rng.randint(10, 90))
        if lodged > today:
            continue
        if ruled > today:
            outcome = "pending"
        appeal_id += 1
        organ = rng.choice(COMMITTEE_BODIES)
        new_form = ""
        if outcome == "changed":
            # Within the forms of both the subject and the appeal's body.
            new_form = {"reprimand": "warning", "warning": "reprimand"}.get(row[6], "warning")
            replacements.append((row, appeal_id, above, organ, ruled, new_form))
        if outcome in ("changed", "annulled"):
            row[19] = outcome
            row[20] = appeal_id
        appeals.add(
            appeal_id, row[0], lodged, received, above, organ, tree.path(above), row[5],
            None if outcome == "pending" else ruled, outcome, new_form, "", now,
        )  # fmt: skip
    for row, _appeal, above, organ, ruled, new_form in replacements:
        discipline_id += 1
        pending.append(
            [discipline_id, row[1], row[2], None, row[4], row[5], new_form, above, organ,
             tree.path(above), ruled, f"{discipline_id}-QĐ", row[12], row[13], row[14],
             row[15], "{}", '["member"]', False, "in_force", None, ruleset, now]
        )  # fmt: skip
    for row in pending:
        disciplines.add(*row)

    with transaction.atomic():
        counts = {}
        for copier in (inspections, subjects, step_rows, disciplines, appeals):
            counts[copier.table] = copier.flush()
    with connection.cursor() as cursor:
        cursor.execute(
            "VACUUM (ANALYZE) inspections_inspection, inspections_inspectionsubject, "
            "inspections_inspectionstep, inspections_discipline, inspections_appeal"
        )
    print(
        "loaded "
        + ", ".join(f"{t.removeprefix('inspections_')} {n:,}" for t, n in counts.items())
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
    """The core counts by hand, for the unit alone: path ranges on the copied paths."""
    lo, hi = unit.path, unit.path + PATH_END
    period = [date_from, date_to]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT kind, COUNT(*) FROM inspections_inspection "
            "WHERE path >= %s AND path < %s AND decided_on BETWEEN %s AND %s GROUP BY kind",
            [lo, hi, *period],
        )
        by_kind = dict(cursor.fetchall())
        cursor.execute(
            "SELECT COUNT(DISTINCT unit_id), COUNT(DISTINCT member_id) "
            "FROM inspections_inspectionsubject "
            "WHERE path >= %s AND path < %s AND decided_on BETWEEN %s AND %s",
            [lo, hi, *period],
        )
        units, members = cursor.fetchone()
        # Received: inspections by a body strictly above the unit, of a subject in its
        # subtree (the unit's own committee's level: a cell answers to the unit above it).
        cursor.execute(
            "SELECT COUNT(DISTINCT s.inspection_id) FROM inspections_inspectionsubject s "
            "WHERE s.subject_path >= %s AND s.subject_path < %s "
            "AND s.decided_on BETWEEN %s AND %s "
            "AND length(s.path) < %s AND left(%s, length(s.path)) = s.path",
            [lo, hi, *period, len(unit.path), unit.path],
        )
        received = cursor.fetchone()[0]
        cursor.execute(
            "SELECT subject_kind, form, COUNT(*) FROM inspections_discipline "
            "WHERE subject_path >= %s AND subject_path < %s AND decided_on BETWEEN %s AND %s "
            "AND status = 'in_force' GROUP BY 1, 2",
            [lo, hi, *period],
        )
        forms: dict[str, dict[str, int]] = {"members": {}, "units": {}}
        for kind, form, n in cursor.fetchall():
            forms["members" if kind == "member" else "units"][form] = n
        cursor.execute(
            "SELECT COUNT(DISTINCT member_id) FROM inspections_discipline "
            "WHERE subject_path >= %s AND subject_path < %s AND decided_on BETWEEN %s AND %s "
            "AND status = 'in_force'",
            [lo, hi, *period],
        )
        disciplined = cursor.fetchone()[0]
        cursor.execute(
            "SELECT COUNT(*) FROM inspections_appeal "
            "WHERE subject_path >= %s AND subject_path < %s AND lodged_on BETWEEN %s AND %s",
            [lo, hi, *period],
        )
        lodged = cursor.fetchone()[0]
    return {
        "by_kind": by_kind,
        "units_inspected": units,
        "members_inspected": members,
        "received": received,
        "by_form": forms,
        "members_disciplined": disciplined,
        "appeals_lodged": lodged,
    }


def ours(
    units: list[OrgUnit], date_from: dt.date, date_to: dt.date, module: Any = None
) -> dict[str, Any]:
    """Both contributions' figures, as the statistics compute them for `units` (with the
    functions of `module` when given: an earlier figures.py, `--before`)."""
    ruleset = current_ruleset()
    inspection = module.inspection_figures if module else inspection_figures
    discipline = module.discipline_figures if module else discipline_figures
    return {
        "inspection": inspection(units, date_from, date_to, ruleset),
        "discipline": discipline(units, date_from, date_to, ruleset),
    }


def load_module(path: str) -> Any:
    """An earlier version of figures.py (`git show REV:cadrebook/inspections/figures.py >
    FILE`), loaded beside the current one."""
    spec = importlib.util.spec_from_file_location("figures_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def core(figures: dict[str, Any], pk: int) -> dict[str, Any]:
    i, d = figures["inspection"][pk], figures["discipline"][pk]
    return {
        "by_kind": {k: n for k, n in i["by_kind"].items() if n},
        "units_inspected": i["units_inspected"],
        "members_inspected": i["members_inspected"],
        "received": i["received_from_higher_levels"],
        "by_form": {
            p: {f: n for f, n in d["by_form"][p].items() if n} for p in ("members", "units")
        },
        "members_disciplined": d["members_disciplined"],
        "appeals_lodged": d["appeals"]["lodged"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--years", type=int, default=5, help="years of data, ending with --year")
    parser.add_argument("--load", action="store_true", help="write the synthetic data first")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", help="an earlier figures.py to time beside the current one")
    args = parser.parse_args()
    before = load_module(args.before) if args.before else None
    for key, value in machine().items():
        print(f"{key:>9}: {value}")
    if args.load:
        load(args.year - args.years + 1, args.year, args.seed)
    with connection.cursor() as cursor:
        sizes = []
        for table in ("inspection", "inspectionsubject", "discipline", "appeal"):
            cursor.execute(f"SELECT COUNT(*) FROM inspections_{table}")
            sizes.append(f"{table} {cursor.fetchone()[0]:,}")
        cursor.execute("SELECT COUNT(*) FROM members_member")
        sizes.append(f"members {cursor.fetchone()[0]:,}")
    print("rows: " + ", ".join(sizes))
    start, end = dt.date(args.year, 1, 1), dt.date(args.year, 12, 31)
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
        "| case | units asked | inspections | subjects (u/m) | disciplines | ours | "
        "ours, the unit alone | reference SQL (the unit) | ratio (unit alone) | equal |"
        + (" before | before, unit alone |" if before else "")
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|" + ("---:|---:|" if before else ""))
    for name, unit in cases:
        units = [unit, *child_units(unit, end)]
        ours_s, figures = best_of(args.runs, partial(ours, units, start, end))
        alone_s, alone = best_of(args.runs, partial(ours, [unit], start, end))
        ref_s, ref = best_of(args.runs, partial(reference, unit, start, end))
        extra = ""
        if before:
            before_s, old = best_of(args.runs, partial(ours, units, start, end, before))
            before_alone_s, _old = best_of(args.runs, partial(ours, [unit], start, end, before))
            assert old == figures, f"{name}: the earlier figures differ"
            extra = f" {before_s * 1000:,.1f} ms | {before_alone_s * 1000:,.1f} ms |"
        mine = core(figures, unit.pk)
        equal = mine == ref == core(alone, unit.pk)
        # The subordinate units' own figures against the reference too (not timed).
        wrong = [c.code for c in units[1:6] if core(figures, c.pk) != reference(c, start, end)]
        n_disc = sum(mine["by_form"]["members"].values()) + sum(mine["by_form"]["units"].values())
        print(
            f"| {name} | {len(units):,} | {sum(mine['by_kind'].values()):,} | "
            f"{mine['units_inspected']:,}/{mine['members_inspected']:,} | {n_disc:,} | "
            f"{ours_s * 1000:,.1f} ms | {alone_s * 1000:,.1f} ms | {ref_s * 1000:,.1f} ms | "
            f"{alone_s / ref_s:.2f} | {'yes' if equal and not wrong else 'NO'} |{extra}",
            flush=True,
        )
        if not equal:
            print(f"  ours {mine}\n  reference {ref}")
        if wrong:
            print(f"  subordinate units differing: {wrong}")


if __name__ == "__main__":
    main()
