"""Member periods cut by the tree's history.

The fold of a member's events gives periods (unit, status, from, to); the stored rows are those
periods cut at every date their unit's ancestors changed (a dated move of the unit or of a
unit above it), each piece carrying the ancestors of its own time. The services, the bulk
import and the move itself all derive the rows with `place_periods`, so a member's next event
never finds a piece of a cut period "stale".
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cadrebook.members.lifecycle import Period
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
