"""Member periods cut by the tree's history.

The fold of a member's events gives periods (unit, status, from, to); the stored rows are those
periods cut at every date their unit's ancestors changed (a dated move of the unit or of a
unit above it), each piece carrying the ancestors of its own time. The services, the bulk
import and the move itself all derive the rows with `place_periods`, so a member's next event
never finds a piece of a cut period "stale"; they compare the stored rows with the wanted
ones with `period_changes`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from cadrebook.members.lifecycle import Period
from cadrebook.members.models import ANCESTOR_COLUMNS
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import Span, Spans, load_spans, split_stretch

# A period and the ancestor ids (root first, the unit last) it is stored with.
Placed = tuple[Period, tuple[int, ...]]


def place_periods(periods: Iterable[Period], spans: Spans) -> list[Placed]:
    """Each period cut by its unit's placements; `spans` must hold every unit named."""
    placed: list[Placed] = []
    for p in periods:
        for lo, hi, ancestors in split_stretch(spans[p.unit_id], p.valid_from, p.valid_to):
            placed.append((Period(p.unit_id, p.status, p.exempt, lo, hi), ancestors))
    return placed


def spans_for(periods: Iterable[Period], known: Spans | None = None) -> Spans:
    """`known` completed with the placements of the units these periods name."""
    spans: Spans = dict(known or {})
    missing = {p.unit_id for p in periods} - set(spans)
    if missing:
        spans.update(load_spans(missing))
        # A unit written without placements (by hand, by an older tool): its current line.
        for unit in OrgUnit.objects.filter(pk__in=missing - set(spans)):
            spans[unit.pk] = (Span(None, None, tuple(unit.ancestor_ids())),)
    return spans


def ancestor_values(ancestors: tuple[int, ...], columns: int) -> tuple[Any, ...]:
    """The ancestor columns of a row: the ids, then None up to `columns`."""
    return (*ancestors, *(None,) * (columns - len(ancestors)))


# A stored period: (pk, unit, status, exempt, from, to, ancestors).
StoredPeriod = tuple[int, int, str, bool, dt.date, dt.date | None, tuple[int, ...]]
ANCESTOR_FIELDS = tuple(f"anc{k}_id" for k in range(1, ANCESTOR_COLUMNS + 1))


def stored_period(row: tuple[Any, ...]) -> StoredPeriod:
    """A row (pk, unit, status, exempt, from, to, anc1 .. anc6) as compared by
    `period_changes`."""
    return (*row[:6], tuple(a for a in row[6:] if a is not None))


def period_changes(
    existing: list[StoredPeriod], wanted: list[Placed]
) -> tuple[list[Placed], list[tuple[int, dt.date | None]], list[int]]:
    """How to turn the stored periods into `wanted` (the fold's periods cut by the tree's
    history, `place_periods`): (periods to create, (pk, new valid_to) to close or reopen,
    pks to delete).

    Rows that match (unit, status, exempt, start and ancestors) are kept; the open period is
    closed in place when its end arrives; only a correction or a restructuring can make an
    existing row disappear.
    """
    by_key = {(r[1], r[2], r[3], r[4], r[6]): r for r in existing}
    keep: set[int] = set()
    new: list[Placed] = []
    closed: list[tuple[int, dt.date | None]] = []
    for placed in wanted:
        p, ancestors = placed
        row = by_key.pop((p.unit_id, p.status, p.exempt, p.valid_from, ancestors), None)
        if row is None:
            new.append(placed)
            continue
        keep.add(row[0])
        if row[5] != p.valid_to:
            closed.append((row[0], p.valid_to))
    return new, closed, [r[0] for r in existing if r[0] not in keep]
