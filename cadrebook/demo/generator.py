"""Deterministic synthetic data: a fictional province, its members and ten years of their events.

One generator serves the demo (`manage.py demo`: ~470 units, 8,000 members, on SQLite in a few
seconds) and the national-scale benchmarks (`bench/national.py`: ~300,000 units, 6 million
members, streamed with `COPY` into PostgreSQL).

It does not call the per-event services, which would take hours at national scale. It builds
each member's events in Python, checks them with the same pure fold the services use
(`cadrebook.members.lifecycle.fold` under the rule set in force, so every history obeys the
rules), derives the member's cached fields and `MemberPeriod` rows from the fold, and writes
rows in bulk: `bulk_create` by default, `COPY ... FROM STDIN` on PostgreSQL with `copy=True`.
Everything happens in one transaction with one audit entry ("demo.generated").

The same seed gives the same data whatever the writer: the tree comes from one seeded
`random.Random`, and members are made in fixed-size chunks, each from its own seeded generator
(so memory stays bounded and chunks could be made in parallel).

The parts: `tree.py` lays out the units, `people.py` draws who the members are,
`histories.py` their lives and makes them into rows; this module writes them (`generate`).
The demo logins are in `logins.py`, the demo targets in `targets.py`.
"""

from __future__ import annotations

import collections
import datetime as dt
import itertools
import multiprocessing
import random
import time
import traceback
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from cadrebook.core.audit import audit_record
from cadrebook.core.bulk import RowWriter, copy_text, drop_secondary_structures
from cadrebook.core.dates import add_months
from cadrebook.core.rules import current_ruleset
from cadrebook.demo.histories import _Context, _make_chunk
from cadrebook.demo.tree import PLACEMENT_COLUMNS, UNIT_COLUMNS, _build_tree, _placement_rows
from cadrebook.members.models import (
    EVENT_COLUMNS,
    MEMBER_COLUMNS,
    PERIOD_COLUMNS,
    Member,
    MemberEvent,
    MemberPeriod,
)
from cadrebook.members.name_keys import fill_name_keys
from cadrebook.orgs.models import OrgUnit, UnitPlacement

# Members are made in chunks of this many, each chunk from its own seeded generator. Changing
# it changes the data a seed gives.
CHUNK = 5000
BATCH_SIZE = 5000


@dataclass
class Summary:
    """What one run of `generate` wrote, and how long it took."""

    root_code: str
    units: int
    member_units: int
    members: int
    events: int
    periods: int
    seconds: float
    statuses: dict[str, int] = field(default_factory=dict)
    phases: dict[str, float] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return self.units + self.members + self.events + self.periods


# Writers ----------------------------------------------------------------------------------------
# A chunk of members as written: (member rows, event rows, period rows), each either a list of
# tuples (for bulk_create) or COPY text; then the status counts.
Chunk = tuple[Any, Any, Any, int, int, Counter[str]]


def _chunk_rows(ctx: _Context, chunk_no: int, first: int, count: int) -> Chunk:
    m, e, p, statuses = _make_chunk(ctx, chunk_no, first, count)
    return m, e, p, len(e), len(p), statuses


def _chunk_text(ctx: _Context, chunk_no: int, first: int, count: int) -> Chunk:
    m, e, p, statuses = _make_chunk(ctx, chunk_no, first, count)
    return copy_text(m), copy_text(e), copy_text(p), len(e), len(p), statuses


_WORKER_CTX: _Context | None = None


def _worker_init(ctx: _Context) -> None:
    global _WORKER_CTX
    _WORKER_CTX = ctx


def _worker_chunk(chunk_no: int, first: int, count: int) -> Chunk:
    assert _WORKER_CTX is not None
    try:
        return _chunk_text(_WORKER_CTX, chunk_no, first, count)
    except Exception as exc:
        # Not every exception survives pickling back to the parent; a plain one does.
        raise RuntimeError(f"chunk {chunk_no}: {traceback.format_exc()}") from exc


def _chunks(ctx: _Context, members: int, *, text: bool, workers: int) -> Iterator[Chunk]:
    """The chunks of members in order, made here or by `workers` forked processes (at most
    two chunks per worker in flight, so memory stays bounded)."""
    tasks = [
        (n, first, min(CHUNK, members - first)) for n, first in enumerate(range(0, members, CHUNK))
    ]
    if workers <= 1 or len(tasks) <= 1:
        make = _chunk_text if text else _chunk_rows
        for task in tasks:
            yield make(ctx, *task)
        return
    # Forked workers inherit the context and never touch the database connection.
    pool = multiprocessing.get_context("fork").Pool(
        workers, initializer=_worker_init, initargs=(ctx,)
    )
    try:
        pending: collections.deque[Any] = collections.deque()
        queue = iter(tasks)
        for task in itertools.islice(queue, 2 * workers):
            pending.append(pool.apply_async(_worker_chunk, task))
        while pending:
            result = pending.popleft().get()
            following = next(queue, None)
            if following is not None:
                pending.append(pool.apply_async(_worker_chunk, following))
            yield result
    finally:
        pool.terminate()
        pool.join()


class _OrmWriter:
    """`bulk_create` in batches: works on every database Django supports."""

    text = False

    def write(self, model: Any, columns: Sequence[str], rows: Any) -> None:
        objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
        model.objects.bulk_create(objs, batch_size=BATCH_SIZE)


class _CopyWriter(RowWriter):
    """PostgreSQL `COPY ... FROM STDIN`: rows, or text already formatted."""

    text = True


# The entry point ----------------------------------------------------------------------------------
def national_params(members: int) -> dict[str, int]:
    """Tree sizes that keep the national shape: the central committee, 34 provinces, and
    ~300,000 units for 6 million members."""
    return {
        "members": members,
        "provinces": 34,
        "communes": max(2, round(members / 2000)),
        "grassroots_per_commune": 10,
        "cells_per_grassroots": 10,
    }


def generate(
    *,
    seed: int = 1,
    provinces: int = 0,
    communes: int = 10,
    grassroots_per_commune: int = 10,
    cells_per_grassroots: int = 4,
    members: int = 8000,
    years: int = 10,
    today: dt.date | None = None,
    copy: bool = False,
    rebuild_indexes: bool = True,
    workers: int = 1,
    progress: Any = None,
) -> Summary:
    """Write a fictional province with `members` members and `years` years of their events.

    `copy=True` streams the rows with COPY (PostgreSQL only) and, with `rebuild_indexes`,
    drops the member tables' secondary indexes and constraints for the load and rebuilds them
    after it, and `workers` > 1 makes the members in that many forked processes while this
    one writes. `progress(done, total)` is called after each chunk of members.
    """
    started = time.perf_counter()
    phases: dict[str, float] = {}
    if copy and connection.vendor != "postgresql":
        raise ValueError("copy=True needs PostgreSQL")
    rules = current_ruleset()
    today = today or timezone.localdate()
    start = add_months(today, -12 * years)
    card_ok = bool(rules.card_pattern().match("01.234567"))
    with transaction.atomic():
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(
                    "LOCK TABLE orgs_orgunit, members_member IN SHARE ROW EXCLUSIVE MODE"
                )
            unit_base = (OrgUnit.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            member_base = (Member.objects.aggregate(m=Max("id"))["m"] or 0) + 1
            last_root = OrgUnit.objects.get_last_root_node()
            root_number = (
                OrgUnit._str2int(last_root.path[: OrgUnit.steplen]) + 1 if (last_root) else 1
            )
            tree = _build_tree(
                random.Random(f"cadrebook-synthetic:{seed}:tree"),
                provinces=provinces,
                communes=communes,
                grassroots_per_commune=grassroots_per_commune,
                cells_per_grassroots=cells_per_grassroots,
                start=start,
                next_id=unit_base,
                root_number=root_number,
            )
            writer: _OrmWriter | _CopyWriter = _CopyWriter(cursor) if copy else _OrmWriter()
            restore: list[str] = []
            if copy and rebuild_indexes:
                restore = drop_secondary_structures(
                    cursor,
                    [
                        "members_member",
                        "members_memberevent",
                        "members_memberperiod",
                        "members_membernamekey",
                    ],
                )
            writer.write(OrgUnit, UNIT_COLUMNS, tree.rows)
            writer.write(UnitPlacement, PLACEMENT_COLUMNS, _placement_rows(tree.rows))
            phases["units"] = time.perf_counter() - started

            ctx = _Context(
                seed=seed,
                tree=tree,
                rules=rules,
                today=today,
                start=start,
                now=timezone.now(),
                member_id_base=member_base,
                probation_months=rules.int("probation.months"),
                readmit_gap=rules.int("readmission.min_months_after_leaving"),
                readmit_max=rules.int("readmission.max_times"),
                min_age=rules.int("admission.min_age_months"),
                max_age=rules.int("admission.max_age_months"),
                cards=card_ok,
            )
            n_events = n_periods = 0
            statuses: Counter[str] = Counter()
            done = 0
            for m_rows, e_rows, p_rows, n_e, n_p, st in _chunks(
                ctx, members, text=writer.text, workers=workers if copy else 1
            ):
                writer.write(Member, MEMBER_COLUMNS, m_rows)
                writer.write(MemberEvent, EVENT_COLUMNS, e_rows)
                writer.write(MemberPeriod, PERIOD_COLUMNS, p_rows)
                n_events += n_e
                n_periods += n_p
                done += sum(st.values())
                statuses.update(st)
                if progress is not None:
                    progress(done, members)
            phases["members"] = time.perf_counter() - started - phases["units"]
            t0 = time.perf_counter()
            fill_name_keys(member_base)
            phases["name keys"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            if restore:
                cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
                for statement in restore:
                    cursor.execute(statement)
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys' default
                phases["indexes"] = time.perf_counter() - t0
            if connection.vendor == "postgresql":
                for table, model in (("orgs_orgunit", OrgUnit), ("members_member", Member)):
                    top = model.objects.aggregate(m=Max("id"))["m"]
                    if top:
                        cursor.execute(
                            "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)", [table, top]
                        )
                if copy:
                    t0 = time.perf_counter()
                    for table in (
                        "orgs_orgunit",
                        "members_member",
                        "members_membernamekey",
                        "members_memberevent",
                        "members_memberperiod",
                    ):
                        cursor.execute(f"ANALYZE {table}")
                    phases["analyze"] = time.perf_counter() - t0
        root = OrgUnit.objects.get(code=tree.root_code)
        summary = Summary(
            root_code=tree.root_code,
            units=len(tree.rows),
            member_units=len(tree.member_units),
            members=members,
            events=n_events,
            periods=n_periods,
            seconds=0.0,
            statuses=dict(sorted(statuses.items())),
            phases=phases,
        )
        audit_record(
            actor=None,
            obj=root,
            action="create",
            event_type="demo.generated",
            unit=root,
            after={
                "seed": seed,
                "units": summary.units,
                "members": members,
                "events": n_events,
                "periods": n_periods,
                "years": years,
                "today": today,
                "copy": copy,
            },
        )
    summary.seconds = time.perf_counter() - started
    return summary
