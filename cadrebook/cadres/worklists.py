"""The worklists of cadre work (issue 20, item 7), for the page `/cadres/worklists/`: what
the organizing board of the units in the actor's `manage_cadres` scope has to act on, on a
day, optionally narrowed to a unit's subtree (`under`).

- `empty_seats`: the designated seats (a seat rule of one position with a number: the
  secretary, the inspection committee's chair…) of active units with fewer holders than the
  rule set's number on the day; a seat that needs more full members than the unit has is not
  counted.
- `terms_ending`: running committee terms whose planned end (start plus `[organization]
  term_years`) comes within the rule set's notice (`[cadres] notice_working_days`).
- `appointments_ending`: the appointments ending within the same notice
  (`selectors.appointments_due`).
- `planning_short`: the posts of a unit that keeps planning (someone in its planning on the
  day) with nobody planned for them.
- `planning_off_target`: the planning lists whose structure misses a target of the rule set
  (`planning_selectors.planning_structure`), with the shortfalls.
- `confidence_flagged`: the people a valid confidence vote since `since` flags (out of
  planning; dismissal).
- `retirements`: the holders reaching retirement within N months (`retirements_due`: only
  those whose personal data the actor reads).
- `planning_flags`: the entries the rules take out of planning (age limit, discipline of
  reprimand or above, a "low" vote).

Reads only; each returns a list in the page's order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from cadrebook.cadres import planning_selectors, selectors
from cadrebook.cadres.models import PlanningEntry, PostHolding
from cadrebook.cadres.pages import term_planned_end
from cadrebook.cadres.permissions import MANAGE_CADRES
from cadrebook.cadres.rules import cadre_rules
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import Scope, scope_for
from cadrebook.documents.models import Term
from cadrebook.members.choices import MemberStatus
from cadrebook.members.selectors import periods_as_of
from cadrebook.orgs.models import OrgUnit


def _scope(user: Any) -> Scope:
    return scope_for(user, MANAGE_CADRES)


def _covers(scope: Scope, under: OrgUnit | None, path: str) -> bool:
    return scope.covers_path(path) and (under is None or path.startswith(under.path))


def _units(user: Any, day: dt.date, under: OrgUnit | None) -> Any:
    """The active units the user manages the cadres of (under `under`)."""
    rows = OrgUnit.objects.visible_to(user, MANAGE_CADRES).filter(
        Q(founded_on__isnull=True) | Q(founded_on__lte=day),
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=day),
    )
    if under is not None:
        rows = rows.filter(path__startswith=under.path)
    return rows


@dataclass(frozen=True)
class EmptySeat:
    unit: OrgUnit
    position: str
    label: str
    seats: int
    held: int
    source: str


def empty_seats(user: Any, day: dt.date, under: OrgUnit | None = None) -> list[EmptySeat]:
    """The designated seats of the user's units empty on `day`, by unit then position."""
    rules = cadre_rules()
    designated = [s for s in rules.seats if len(s.positions) == 1 and s.max is not None]
    kinds = {k for s in designated for k in s.unit_kinds}
    units = list(_units(user, day, under).filter(kind__in=kinds).order_by("path"))
    if not units:
        return []
    ids = [u.pk for u in units]
    held: dict[tuple[int, str], int] = {}
    for unit_id, position, n in (
        PostHolding.objects.filter(unit_id__in=ids)
        .held_on(day)
        .order_by()
        .values("unit_id", "position")
        .annotate(n=Count("id"))
        .values_list("unit_id", "position", "n")
    ):
        held[(unit_id, position)] = n
    full: dict[int, int] = {}
    if any(s.min_full_members is not None for s in designated):
        full = dict(
            periods_as_of(day)
            .filter(unit_id__in=ids, status=MemberStatus.FULL)
            .order_by()
            .values("unit_id")
            .annotate(n=Count("id"))
            .values_list("unit_id", "n")
        )
    found = []
    for unit in units:
        for s in designated:
            if unit.kind not in s.unit_kinds:
                continue
            if s.min_full_members is not None and full.get(unit.pk, 0) < s.min_full_members:
                continue
            (position,) = s.positions
            n = held.get((unit.pk, position), 0)
            assert s.max is not None
            if n < s.max:
                found.append(
                    EmptySeat(unit, position, rules.position_label(position), s.max, n, s.source)
                )
    return found


@dataclass(frozen=True)
class EndingTerm:
    term: Term
    ends_on: dt.date
    notify_by: dt.date
    note: str


def terms_ending(user: Any, day: dt.date, under: OrgUnit | None = None) -> list[EndingTerm]:
    """The running committee terms of the user's units due to end within the notice (or
    past their planned end and not closed), soonest first."""
    ruleset = current_ruleset()
    rules = cadre_rules(ruleset)
    horizon = ruleset.add_working_days(day, rules.notice_working_days)
    rows: Any = Term.objects.visible_to(user, MANAGE_CADRES).filter(
        congress=False, end__isnull=True
    )
    if under is not None:
        rows = rows.filter(unit__path__startswith=under.path)
    found = []
    for term in rows.select_related("unit"):
        ends = term_planned_end(term, rules)
        if ends <= horizon:
            deadline = ruleset.working_deadline(ends, -rules.notice_working_days)
            found.append(EndingTerm(term, ends, deadline.date, deadline.note))
    found.sort(key=lambda t: (t.ends_on, t.term.pk))
    return found


def appointments_ending(
    user: Any, day: dt.date, under: OrgUnit | None = None
) -> list[selectors.DueAppointment]:
    """The appointments of the user's units ending within the notice, soonest first."""
    scope = _scope(user)
    return [
        d
        for d in selectors.appointments_due(user, day)
        if _covers(scope, under, d.holding.unit.path)
    ]


def _planning_units(user: Any, day: dt.date, under: OrgUnit | None) -> list[OrgUnit]:
    """The user's units that keep planning: someone in their planning on `day`."""
    ids: Any = (
        PlanningEntry.objects.visible_to(user, MANAGE_CADRES)
        .in_on(day)
        .values_list("unit_id", flat=True)
        .distinct()
    )
    return list(_units(user, day, under).filter(pk__in=ids).order_by("path"))


@dataclass(frozen=True)
class ShortList:
    unit: OrgUnit
    position: str
    label: str


def planning_short(user: Any, day: dt.date, under: OrgUnit | None = None) -> list[ShortList]:
    """The posts of the user's units that keep planning with nobody planned for them on
    `day` (the posts are the rule set's seats of the unit's kind)."""
    rules = cadre_rules()
    units = _planning_units(user, day, under)
    if not units:
        return []
    planned = set(
        PlanningEntry.objects.filter(unit__in=units).in_on(day).values_list("unit_id", "position")
    )
    found = []
    for unit in units:
        for p in rules.positions:
            if rules.seats_for(p.code, unit.kind) and (unit.pk, p.code) not in planned:
                found.append(ShortList(unit, p.code, p.display_label))
    return found


@dataclass(frozen=True)
class OffTarget:
    unit: OrgUnit
    structure: planning_selectors.Structure


def planning_off_target(user: Any, day: dt.date, under: OrgUnit | None = None) -> list[OffTarget]:
    """The planning lists (per post, and each unit's whole) of the user's units whose
    structure misses a target of the rule set on `day`."""
    found = []
    for unit in _planning_units(user, day, under):
        report = planning_selectors.planning_structure(user, unit, day)
        if report is None:
            continue
        for s in (*report.lists, report.whole):
            if s.shortfalls:
                found.append(OffTarget(unit, s))
    return found


def confidence_flagged(
    user: Any, since: dt.date, day: dt.date, under: OrgUnit | None = None
) -> list[planning_selectors.ConfidenceFlag]:
    """The people flagged by the valid votes of the user's units from `since` to `day`."""
    scope = _scope(user)
    return [
        f
        for f in planning_selectors.confidence_flags(user, since, day)
        if _covers(scope, under, f.result.session.unit.path)
    ]


def retirements(
    user: Any, day: dt.date, months: int, under: OrgUnit | None = None
) -> list[selectors.DueRetirement]:
    """The holders of the user's units reaching retirement within `months` months (only
    those whose personal data the user reads)."""
    scope = _scope(user)
    found = []
    for r in selectors.retirements_due(user, day, months):
        held = tuple(h for h in r.holdings if _covers(scope, under, h.unit.path))
        if held:
            found.append(selectors.DueRetirement(r.member, held, r.retires_on, r.months_left))
    return found


def planning_flags(
    user: Any, day: dt.date, under: OrgUnit | None = None
) -> list[planning_selectors.PlanningFlag]:
    """The planning entries of the user's units the rules take out on `day`."""
    scope = _scope(user)
    return [
        f
        for f in planning_selectors.planning_flags(user, day)
        if _covers(scope, under, f.entry.unit.path)
    ]
