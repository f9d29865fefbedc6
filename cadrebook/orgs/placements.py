"""The tree's history: where each unit stood on a date, and stretches of time cut by it.

Every unit has one or more `UnitPlacement` rows; the last is open (valid_to None) and is the
current shape, the treebeard tree. Anything that stores ancestors with a stretch of time
(member periods) cuts that stretch at the dates its unit's ancestors changed, with
`split_stretch`, so that a restructuring never changes what an earlier date shows. The
services, the bulk import and the move itself all cut periods with this one function.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from cadrebook.orgs.models import PLACEMENT_ANCESTOR_COLUMNS, OrgUnit, UnitPlacement

ANCESTOR_FIELDS = tuple(f"anc{k}_id" for k in range(1, PLACEMENT_ANCESTOR_COLUMNS + 1))


@dataclass(frozen=True)
class Span:
    """One placement of a unit: its ancestors (root first, itself last) from `valid_from`
    (None: from the beginning) until `valid_to` (None: still)."""

    valid_from: dt.date | None
    valid_to: dt.date | None
    ancestors: tuple[int, ...]

    def covers(self, day: dt.date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day < self.valid_to
        )


Spans = dict[int, tuple[Span, ...]]


def load_spans(unit_ids: Iterable[int]) -> Spans:
    """The placements of these units, in date order (a query per 900 units)."""
    ids = sorted(set(unit_ids))
    found: dict[int, list[Span]] = defaultdict(list)
    for i in range(0, len(ids), 900):  # SQLite's parameter limit
        rows = (
            UnitPlacement.objects.filter(unit_id__in=ids[i : i + 900])
            .order_by("unit_id", "valid_from")
            .values_list("unit_id", "valid_from", "valid_to", *ANCESTOR_FIELDS)
        )
        for unit_id, valid_from, valid_to, *anc in rows:
            found[unit_id].append(
                Span(valid_from, valid_to, tuple(a for a in anc if a is not None))
            )
    # A None start sorts first on PostgreSQL but last on SQLite: put it first everywhere.
    return {
        uid: tuple(sorted(spans, key=lambda s: s.valid_from or dt.date.min))
        for uid, spans in found.items()
    }


def split_stretch(
    spans: Sequence[Span], valid_from: dt.date, valid_to: dt.date | None
) -> list[tuple[dt.date, dt.date | None, tuple[int, ...]]]:
    """The stretch [valid_from, valid_to) cut at the dates the unit's placement changed:
    (from, to, ancestors) pieces, in order, covering the stretch exactly."""
    if len(spans) == 1:  # the common case: a unit never moved
        return [(valid_from, valid_to, spans[0].ancestors)]
    pieces = []
    for span in spans:
        lo = valid_from if span.valid_from is None else max(valid_from, span.valid_from)
        if span.valid_to is None:
            hi = valid_to
        else:
            hi = span.valid_to if valid_to is None else min(valid_to, span.valid_to)
        if hi is None or lo < hi:
            pieces.append((lo, hi, span.ancestors))
    if not pieces:  # an empty stretch (a same-day event): the placement of its day
        span = span_on(spans, valid_from) or spans[-1]
        pieces.append((valid_from, valid_to, span.ancestors))
    return pieces


def span_on(spans: Sequence[Span], day: dt.date) -> Span | None:
    for span in spans:
        if span.covers(day):
            return span
    return None


def ancestors_on(unit: OrgUnit, day: dt.date) -> tuple[int, ...]:
    """Ids of the root .. `unit` as the tree stood on `day`."""
    span = span_on(load_spans([unit.pk]).get(unit.pk, ()), day)
    return span.ancestors if span else tuple(unit.ancestor_ids())


def depth_on(unit: OrgUnit, day: dt.date) -> int:
    """The unit's depth in the tree as it stood on `day` (1: a root)."""
    return len(ancestors_on(unit, day))


def depth_spans(
    unit: OrgUnit, date_from: dt.date, date_to: dt.date
) -> list[tuple[dt.date, dt.date, int]]:
    """[date_from, date_to] (both included) cut where the unit's depth changed: (from, to,
    depth) pieces, both ends included, in order."""
    spans = load_spans([unit.pk]).get(unit.pk, ())
    if len(spans) <= 1:
        return [(date_from, date_to, len(spans[0].ancestors) if spans else unit.depth)]
    pieces: list[tuple[dt.date, dt.date, int]] = []
    end = date_to + dt.timedelta(days=1)
    for lo, hi, ancestors in split_stretch(spans, date_from, end):
        last = (hi or end) - dt.timedelta(days=1)
        if pieces and pieces[-1][2] == len(ancestors):
            pieces[-1] = (pieces[-1][0], last, pieces[-1][2])
        else:
            pieces.append((lo, last, len(ancestors)))
    return pieces


def placed_under(unit: OrgUnit, day: dt.date) -> QuerySet[UnitPlacement, int]:
    """Ids of the units that stood directly under `unit` on `day` (a subquery)."""
    return (
        UnitPlacement.objects.filter(parent=unit)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=day))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .values_list("unit_id", flat=True)
    )


def ever_had_children(unit: OrgUnit) -> bool:
    """Whether any unit ever stood under `unit` (one that lost them all still has figures
    for the years it had them)."""
    return UnitPlacement.objects.filter(parent=unit).exists()


def placement_row(
    unit_id: int,
    ancestors: Sequence[int],
    valid_from: dt.date | None,
    document: str = "",
) -> UnitPlacement:
    """An open placement of `unit_id` with these ancestors (root first, the unit last)."""
    row = UnitPlacement(
        unit_id=unit_id,
        parent_id=ancestors[-2] if len(ancestors) > 1 else None,
        depth=len(ancestors),
        valid_from=valid_from,
        document=document,
    )
    for depth, anc in enumerate(ancestors, start=1):
        setattr(row, f"anc{depth}_id", anc)
    return row
