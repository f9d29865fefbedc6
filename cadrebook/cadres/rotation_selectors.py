"""Reads of the rotation of cadres: a unit's plans and the stints of them, from scoped
querysets (`view` on the deciding unit), and the fact the rotation's check asks unscoped.

- `rotation_plans`, `rotation_stints`: the plans a user may read, and their stints (with
  their ends: the history is kept);
- `stints_running_on`: who is on a rotation stint on a day;
- `head_terms_in_a_row`: how many committee terms in a row, up to a day, a person headed a
  unit (the limit of 65-QĐ/TW).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from cadrebook.cadres.models import (
    PostHolding,
    RotationPlan,
    RotationStint,
    RotationStintQuerySet,
)
from cadrebook.core.permissions import VIEW
from cadrebook.documents.models import Term
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit


def rotation_plans(user: Any, unit: OrgUnit | None = None) -> QuerySet[RotationPlan]:
    """The rotation plans `user` may `view` (of `unit` when given), latest year first."""
    rows = RotationPlan.objects.select_related("unit", "document").visible_to(user, VIEW)
    return rows.filter(unit=unit) if unit is not None else rows


def rotation_stints(user: Any, plan: RotationPlan | None = None) -> RotationStintQuerySet:
    """The stints `user` may `view` (of `plan` when given), with their ends."""
    rows: RotationStintQuerySet = RotationStint.objects.select_related(
        "plan", "member", "from_unit", "to_unit", "end"
    ).visible_to(user, VIEW)
    return rows.filter(plan=plan) if plan is not None else rows


def stints_running_on(user: Any, day: dt.date) -> QuerySet[RotationStint]:
    """The stints running on `day` that `user` may `view`."""
    return rotation_stints(user).running_on(day)


def head_terms_in_a_row(member: Member | int, unit: OrgUnit, position: str, day: dt.date) -> int:
    """How many of `unit`'s committee terms in a row, the last one ending before the term
    running on `day` (or, with none running, before `day`), the member held `position` in
    (a holding running on any day of the term). Unscoped: a rule asks it."""
    member_id = member if isinstance(member, int) else member.pk
    terms = list(Term.objects.filter(unit=unit, congress=False, start__lte=day).order_by("-start"))
    # The term running on `day` is the stint's own: the count is of those before it.
    if terms and terms[0].covers(day):
        terms = terms[1:]
    holdings = list(
        PostHolding.objects.valid()
        .filter(member_id=member_id, unit=unit, position=position)
        .filter(
            Q(end__isnull=True) | Q(end__ended_on__gte=min((t.start for t in terms), default=day))
        )
        .values_list("started_on", "end__ended_on")
    )
    count = 0
    for term in terms:
        last = term.end or day
        held = any(
            start <= last and (ended is None or ended >= term.start) for start, ended in holdings
        )
        if not held:
            break
        count += 1
    return count
