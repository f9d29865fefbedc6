"""Keeping the aggregates exact between builds: the members changed since the last build.

A build counts the data as it was. Every later change to a member goes through a service and
leaves an audit entry, and a member's events are append-only, so the member as the build saw
them is the fold of their events up to the build's last event id, with the personal data the
audit entries recorded as "before". The aggregates then answer with

    figures at the build + (figures of the changed members now − the same members then)

computed member by member here, in Python, for the few members changed during the day. A
change this cannot follow (units created, moved or dissolved; bulk imports; writes without
audit entries) makes the aggregates stale until the next build, and the period table answers.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from cadrebook.core import contributions
from cadrebook.core.dates import age_in_years
from cadrebook.core.errors import RuleViolation
from cadrebook.core.models import AuditEntry
from cadrebook.core.rules import Ruleset
from cadrebook.members.event_types import (
    ARRIVING,
    DECIDING,
    ENDING,
    LEAVING,
    MOVEMENT_OF_EVENT,
    OPENING,
)
from cadrebook.members.lifecycle import EventData, State, apply_event, effective_events
from cadrebook.members.models import Member, MemberEvent
from cadrebook.members.selectors import event_data
from cadrebook.orgs.models import OrgUnit, UnitPlacement
from cadrebook.reports import figures

# Beyond this many changed members a fresh build is cheaper than correcting.
MAX_CHANGED_MEMBERS = 5000
ATTRIBUTES = ("gender", "birth_date", "ethnicity", "education_level", "theory_level", "card_number")
# Event types that end a member's period, from the registry (`members/event_types.py`).
ENDINGS = ENDING


@dataclass
class Step:
    """One effective event and the member's unit and standing just before and after it."""

    event: EventData
    unit_before: int | None
    unit_after: int | None
    active_before: bool


@dataclass
class Life:
    """A member as folded: periods, the steps that made them, and personal data."""

    periods: list[Any]
    steps: list[Step]
    attrs: dict[str, Any]


@dataclass
class Changes:
    """The members changed since a build: their lives now and as the build saw them."""

    now: dict[int, Life] = field(default_factory=dict)
    then: dict[int, Life] = field(default_factory=dict)
    paths: dict[int, str] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not self.now


def changes_since(build: Any, rules: Ruleset) -> Changes | None:
    """The changes since `build`, or None when the aggregates cannot be corrected for them."""
    # The audit events that change what the statistics count, as their apps declare them
    # (views and exports do not); those the member-by-member correction cannot follow make
    # the aggregates stale.
    counted = list(contributions.counted_changes())
    stale = tuple(t for c in counted if not c.followable for t in c.event_types)
    q = Q(pk__in=[])
    for declared in counted:
        for prefix in declared.event_types:
            q |= Q(event_type__startswith=prefix)
    # Reads are audited under the same names ("member.dossier_viewed"): they change nothing.
    reads = [AuditEntry.Action.VIEW, AuditEntry.Action.EXPORT, AuditEntry.Action.REFUSED]
    entries = list(
        AuditEntry.objects.filter(q, pk__gt=build.audit_mark)
        .exclude(action__in=reads)
        .order_by("pk")
        .values_list("event_type", "object_type", "object_id", "before")
    )
    before: dict[int, dict[str, Any]] = defaultdict(dict)
    for event_type, object_type, object_id, values in entries:
        if event_type.startswith(stale):
            return None
        if object_type != "members.member":
            continue
        member_before = before[int(object_id)]
        for name in ATTRIBUTES:
            if values and name in values and name not in member_before:
                member_before[name] = values[name]  # the earliest "before" is the build's
    if len(before) > MAX_CHANGED_MEMBERS:
        return None
    ids = set(before)
    # Rows written since the build by anything but an audited member change: stale.
    if (
        MemberEvent.objects.filter(pk__gt=build.event_mark).exclude(member_id__in=ids).exists()
        or Member.objects.filter(pk__gt=build.member_mark).exclude(pk__in=ids).exists()
    ):
        return None
    changes = Changes()
    if not ids:
        return changes
    events: dict[int, list[EventData]] = defaultdict(list)
    for ev in MemberEvent.objects.filter(member_id__in=ids).order_by("date", "id"):
        events[ev.member_id].append(event_data(ev))
    for member in Member.objects.filter(pk__in=ids):
        attrs = {name: getattr(member, name) for name in ATTRIBUTES}
        old = {**attrs, **before[member.pk]}
        if isinstance(old["birth_date"], str):
            old["birth_date"] = dt.date.fromisoformat(old["birth_date"])
        kept = [e for e in events[member.pk] if e.id <= build.event_mark]
        try:
            changes.now[member.pk] = _life(events[member.pk], attrs, rules)
            if member.pk <= build.member_mark:
                changes.then[member.pk] = _life(kept, old, rules)
        except RuleViolation:  # a history the rule set in force no longer accepts
            return None
    unit_ids = {
        u
        for life in (*changes.now.values(), *changes.then.values())
        for u in [p.unit_id for p in life.periods]
        + [s.unit_before for s in life.steps]
        + [s.unit_after for s in life.steps]
        if u is not None
    }
    if UnitPlacement.objects.filter(unit_id__in=unit_ids, valid_from__isnull=False).exists():
        # The correction groups units by the tree as it stands; a changed member in a unit
        # that has moved may count on another line before the move: the period table answers.
        return None
    changes.paths = dict(OrgUnit.objects.filter(pk__in=unit_ids).values_list("id", "path"))
    return changes


def _life(events: list[EventData], attrs: dict[str, Any], rules: Ruleset) -> Life:
    state = State()
    steps = []
    for ev in effective_events(events):
        before = state
        state = apply_event(state, ev, rules=rules, birth_date=attrs["birth_date"])
        steps.append(Step(ev, before.unit_id, state.unit_id, before.is_active))
    return Life(state.periods, steps, attrs)


KeyOf = Callable[[int | None], int | None]


def key_function(unit: OrgUnit, by_child: bool, changes: Changes) -> KeyOf:
    """unit id -> the id figures are grouped under: `unit` itself, or the child of `unit`
    the unit lies under; None outside the subtree (or, by child, `unit` itself)."""
    step = OrgUnit.steplen
    if not by_child:
        return lambda uid: (
            unit.pk
            if uid is not None and changes.paths.get(uid, "").startswith(unit.path)
            else None
        )
    width = len(unit.path) + step
    prefixes = {
        p[:width] for p in changes.paths.values() if p.startswith(unit.path) and len(p) >= width
    }
    ids = dict(OrgUnit.objects.filter(path__in=prefixes).values_list("path", "id"))

    def key_of(uid: int | None) -> int | None:
        path = changes.paths.get(uid, "") if uid is not None else ""
        if not path.startswith(unit.path) or len(path) < width:
            return None
        return ids.get(path[:width])

    return key_of


def member_rows(
    lives: dict[int, Life], key_of: KeyOf, on: dt.date, rules: Ruleset, sign: int
) -> dict[int, list[tuple[Any, ...]]]:
    """Grouped member rows (figures.MemberRow, counts times `sign`) of these lives on `on`."""
    brackets = figures.age_brackets(rules)
    rows: dict[int, list[tuple[Any, ...]]] = defaultdict(list)
    for life in lives.values():
        for p in life.periods:
            if not (p.valid_from <= on and (p.valid_to is None or p.valid_to > on)):
                continue
            key = key_of(p.unit_id)
            if key is None:
                continue
            a = life.attrs
            bracket = figures.OTHER
            if a["birth_date"]:
                age = age_in_years(a["birth_date"], on)
                for b in brackets:
                    if age >= b.low and (b.high is None or age <= b.high):
                        bracket = b.label
                        break
            rows[key].append(
                (
                    p.status,
                    p.exempt,
                    a["gender"],
                    bracket,
                    a["ethnicity"],
                    a["education_level"],
                    a["theory_level"],
                    bool(a["card_number"]),
                    sign,
                )
            )
    return rows


def full_counts(lives: dict[int, Life], on: dt.date, rules: Ruleset, sign: int) -> dict[int, int]:
    """Full members of these lives per cell on `on`, times `sign`."""
    counts: dict[int, int] = defaultdict(int)
    for life in lives.values():
        for p in life.periods:
            if (
                p.status == "full"
                and p.valid_from <= on
                and (p.valid_to is None or p.valid_to > on)
            ):
                counts[p.unit_id] += sign
    return counts


def movements(
    lives: dict[int, Life], key_of: KeyOf, date_from: dt.date, date_to: dt.date, sign: int
) -> dict[int, dict[str, int]]:
    """Movements of these lives in the window, grouped by `key_of`, times `sign`."""
    counts: dict[int, dict[str, int]] = defaultdict(figures.empty_movements)

    def add(key: int | None, movement: str) -> None:
        if key is not None:
            counts[key][movement] += sign

    for life in lives.values():
        for s in life.steps:
            ev = s.event
            if not (date_from <= ev.date <= date_to):
                continue
            if ev.type in OPENING:
                add(key_of(s.unit_after), ev.type)
            elif ev.type == DECIDING:
                add(key_of(s.unit_before), DECIDING)
            elif ev.type in ENDINGS and s.active_before:
                add(key_of(s.unit_before), ev.type)
            elif ev.type == ARRIVING:
                origin, destination = key_of(s.unit_before), key_of(s.unit_after)
                if origin != destination:
                    add(destination, MOVEMENT_OF_EVENT[ARRIVING])
                    add(origin, MOVEMENT_OF_EVENT[LEAVING])
            elif ev.type == LEAVING and ev.to_unit_id is None and s.active_before:
                add(key_of(s.unit_before), MOVEMENT_OF_EVENT[LEAVING])
    return counts
