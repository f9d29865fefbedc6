"""Reads of cadre work, each from a scoped queryset, and the checks the services (and the
imports of the next pass) share before they write.

- `holders_on`: who holds the posts of a unit on a day (read with `view` on the unit).
- `post_history`: a person's posts, the ended ones too, and those voided as recorded in
  error (`correction`: shown struck, with the reason; they count nowhere else).
- `appointments_due`: the appointments ending within the rule set's notice, counted in
  working days of the `[calendar]` (`[cadres] notice_working_days`).
- `retirements_due`: the holders reaching their retirement within N months (read with
  `view_sensitive`: the retirement date is derived from the date of birth, masked for
  others as the members' pages mask it).
- `holds_post`: whether a member holds a post on a day (the discipline's hook asks it).
- `full_members_on`: the full members of a unit on a day (a cell committee's threshold).

The worklists, the API and the statistics of the next pass read these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from cadrebook.cadres.choices import HoldingHow
from cadrebook.cadres.models import PostHolding, PostHoldingQuerySet
from cadrebook.cadres.retirement import months_left, retirement_date
from cadrebook.cadres.rules import RetirementSchedule, cadre_rules
from cadrebook.core.dates import add_months
from cadrebook.core.permissions import VIEW, VIEW_SENSITIVE
from cadrebook.core.rules import current_ruleset
from cadrebook.members.choices import MemberStatus
from cadrebook.members.models import Member
from cadrebook.members.selectors import periods_as_of
from cadrebook.orgs.models import OrgUnit


def _holdings() -> PostHoldingQuerySet:
    # A holding's correction (voided as recorded in error) and its end's restoration (the
    # removal annulled on appeal) come along: the history shows them, struck.
    return PostHolding.objects.select_related(
        "member", "unit", "term", "end__restoration", "correction", "document"
    )


def holders_on(user: Any, unit: OrgUnit, day: dt.date) -> QuerySet[PostHolding]:
    """The holdings of `unit`'s posts running on `day` (by position code, then start), as
    `user` may `view` them (a unit out of scope: none)."""
    return (
        _holdings()
        .visible_to(user, VIEW)
        .filter(unit=unit)
        .held_on(day)
        .order_by("position", "started_on", "id")
    )


def post_history(user: Any, member: Member) -> QuerySet[PostHolding]:
    """Every post `member` held or holds, newest first, with their ends; only the posts of
    units `user` may `view`."""
    return _holdings().visible_to(user, VIEW).filter(member=member).order_by("-started_on", "-id")


def holds_post(member: Member | int, day: dt.date) -> bool:
    """Whether the member holds a post on `day` (any unit, unscoped: a rule asks it)."""
    member_id = member if isinstance(member, int) else member.pk
    return PostHolding.objects.filter(member_id=member_id).held_on(day).exists()


def full_members_on(unit: OrgUnit, day: dt.date) -> int:
    """The full members of `unit` itself (not its subtree) on `day`."""
    return periods_as_of(day).filter(unit=unit, status=MemberStatus.FULL).count()


@dataclass(frozen=True)
class DueAppointment:
    """An appointment ending within the notice: its holding, the day it ends, the last day
    to raise it (`notify_by`: the rule set's working days before the end) and a note when
    the holidays of a year on the way are not in the rule set."""

    holding: PostHolding
    ends_on: dt.date
    notify_by: dt.date
    note: str


def appointments_due(user: Any, day: dt.date) -> list[DueAppointment]:
    """The running appointments `user` may `view` whose planned end comes within the rule
    set's notice (`[cadres] notice_working_days` working days after `day`), soonest first.
    An appointment overdue (its planned end passed, no end recorded) stays on the list."""
    rules = current_ruleset()
    days = cadre_rules(rules).notice_working_days
    # The end E is due on `day` when E less the notice's working days is on or before `day`:
    # exactly when E is on or before `day` plus the notice's working days.
    horizon = rules.add_working_days(day, days)
    rows = (
        _holdings()
        .visible_to(user, VIEW)
        .running()
        .filter(how=HoldingHow.APPOINTED, planned_end__isnull=False, planned_end__lte=horizon)
        .order_by("planned_end", "id")
    )
    found = []
    for h in rows:
        assert h.planned_end is not None
        deadline = rules.working_deadline(h.planned_end, -days)
        found.append(DueAppointment(h, h.planned_end, deadline.date, deadline.note))
    return found


@dataclass(frozen=True)
class DueRetirement:
    """A holder reaching retirement: the member, their running holdings, the retirement day
    and the whole months left on the day asked."""

    member: Member
    holdings: tuple[PostHolding, ...]
    retires_on: dt.date
    months_left: int


def latest_birth_retiring_by(
    gender: str, limit: dt.date, schedule: RetirementSchedule
) -> dt.date | None:
    """The latest birth date of a person of `gender` who retires on or before `limit` by
    the schedule (None: nobody born in the century before retires by then). The retirement
    day never comes earlier for a later birth (a later birth reaches each age later, and
    the schedule's age never falls from one year to the next), so everyone born on or
    before the day found retires by `limit` and nobody born after it does: the due list's
    filter becomes a range of birth dates, one per gender, that the database applies."""
    low = limit - dt.timedelta(days=366 * 100)  # retired long before the limit
    high = limit  # born on the limit: retires decades after it
    if retirement_date(low, gender, schedule) > limit:
        return None
    # Invariant: born on `low` retires by the limit; born on `high` does not.
    while (high - low).days > 1:
        middle = low + dt.timedelta(days=(high - low).days // 2)
        if retirement_date(middle, gender, schedule) <= limit:
            low = middle
        else:
            high = middle
    return low


def _never_falls(schedule: RetirementSchedule) -> bool:
    """Whether the schedule's age never falls from one year to the next (what makes the
    retirement day follow the birth date in order; a rule set where it falls is read
    holder by holder)."""
    for gender, before in schedule.before.items():
        ages = [before] + [schedule.by_year[y][gender] for y in sorted(schedule.by_year)]
        if any(b < a for a, b in zip(ages, ages[1:], strict=False)):
            return False
    return True


def retirements_due(user: Any, day: dt.date, months: int) -> list[DueRetirement]:
    """The holders of posts on `day` who retire within `months` months of it, soonest first:
    those whose personal data `user` may read (`view_sensitive` on the post's unit: the
    retirement day tells the date of birth). A holder without a recorded date of birth is
    not listed (nothing to count from). The ages come from the rule set's schedule.

    One query: the rule set's schedule turns "retires by the limit" into a latest birth date
    per gender (`latest_birth_retiring_by`), which the database compares; only the holders
    due are read, whatever the number of holders."""
    schedule = cadre_rules().retirement
    limit = add_months(day, months)
    due = Q(pk__in=[]) if _never_falls(schedule) else Q()
    for gender in schedule.before if _never_falls(schedule) else ():
        cutoff = latest_birth_retiring_by(gender, limit, schedule)
        if cutoff is not None:
            due |= Q(member__gender=gender, member__birth_date__lte=cutoff)
    rows = (
        _holdings()
        .visible_to(user, VIEW_SENSITIVE)
        .held_on(day)
        .filter(member__birth_date__isnull=False)
        .filter(due)
        .order_by("member_id", "id")
    )
    by_member: dict[int, list[PostHolding]] = {}
    for h in rows:
        by_member.setdefault(h.member_id, []).append(h)
    found = []
    for held in by_member.values():
        member = held[0].member
        assert member.birth_date is not None
        retires = retirement_date(member.birth_date, member.gender, schedule)
        if retires <= limit:
            left = months_left(member.birth_date, member.gender, day, schedule)
            found.append(DueRetirement(member, tuple(held), retires, left))
    found.sort(key=lambda r: (r.retires_on, r.member.pk))
    return found
