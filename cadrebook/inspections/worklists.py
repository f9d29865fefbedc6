"""The worklists of the inspecting bodies (issue 19, item 4), scoped to the actor's
`view_inspections` units, for the page `/inspections/worklists/` and the API
`/api/v1/inspections/worklists/{name}`:

- `late_steps`: steps of open inspections not done by their due day (the day the rule set's
  `[inspection] steps` days after the decision give, stored on the step when it is opened);
- `overdue_recommendations`: recommendations not done past their deadline;
- `appeals_waiting`: appeals lodged and not yet decided;
- `limitation_near`: violations found by a concluded inspection on a member or an organization
  and not yet disciplined, whose limitation period (the rule set's `[discipline]
  limitation_years`, per form) runs out within `within_days` (by default the rule set's
  `[inspection] limitation_warning_days`). There is no record of a case
  under consideration: a violation found by a conclusion is the case. Its day is not recorded
  either, so the period counts from the start of the period inspected (the earliest the
  violation can have been committed; the decision's day when no period was given): the list
  warns early rather than late.

Reads only; each returns a queryset ordered for the page (the API pages them by id).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce

from cadrebook.core.dates import add_months
from cadrebook.inspections import discipline_rules as engine
from cadrebook.inspections import selectors
from cadrebook.inspections.models import (
    Appeal,
    Discipline,
    InspectionStep,
    InspectionSubject,
    Recommendation,
)
from cadrebook.inspections.rules import inspection_rules

LATE_STEPS = "late-steps"
OVERDUE_RECOMMENDATIONS = "overdue-recommendations"
APPEALS_WAITING = "appeals-waiting"
LIMITATION_NEAR = "limitation-near"
NAMES = (LATE_STEPS, OVERDUE_RECOMMENDATIONS, APPEALS_WAITING, LIMITATION_NEAR)


def late_steps(user: Any, day: dt.date) -> QuerySet[InspectionStep]:
    """Steps of the user's open inspections not done by their due day, before `day`."""
    return selectors.late_steps(user, day).select_related("inspection__body")


def overdue_recommendations(user: Any, day: dt.date) -> QuerySet[Recommendation]:
    """Recommendations not done whose deadline passed before `day`, oldest deadline first."""
    return selectors.overdue_recommendations(user, day).select_related(
        "inspection", "owner_unit", "subject__unit", "subject__member"
    )


def appeals_waiting(user: Any, day: dt.date | None = None) -> QuerySet[Appeal]:
    """Appeals lodged and not yet decided, the oldest first (`day` unused: every list takes
    one)."""
    return selectors.appeals_waiting(user).select_related("discipline__member", "discipline__unit")


def _anchor() -> Any:
    return Coalesce("inspection__period_from", "inspection__decided_on")


def limitation_near(
    user: Any, day: dt.date, within_days: int | None = None
) -> QuerySet[InspectionSubject]:
    """Subjects found in violation by a concluded inspection of the user's, not yet
    disciplined for it (no discipline on the same subject citing the inspection), whose
    limitation period for some form ends from `day` to `day + within_days`: the violation's
    day counted as the start of the period inspected (see the module's docstring). Annotated
    `violation_from` (that day); the earliest first."""
    rules = engine.discipline_rules()
    if within_days is None:
        within_days = inspection_rules().limitation_warning_days
    horizon = day + dt.timedelta(days=within_days)
    near = Q(pk__in=[])
    for years in sorted(set(rules.limitation_years.values())):
        # limitation ends = anchor + years: day <= end <= horizon.
        near |= Q(
            violation_from__gte=add_months(day, -12 * years),
            violation_from__lte=add_months(horizon, -12 * years),
        )
    decided = Discipline.objects.filter(inspection=OuterRef("inspection")).filter(
        Q(member=OuterRef("member"), member__isnull=False)
        | Q(unit=OuterRef("unit"), unit__isnull=False)
    )
    return (
        selectors.inspection_subjects(user)
        .filter(violation_found=True, inspection__concluded_on__isnull=False)
        .annotate(violation_from=_anchor())
        .filter(near)
        .exclude(Exists(decided))
        .select_related("inspection", "unit", "member")
        .order_by("violation_from", "id")
    )


@dataclass(frozen=True)
class Limitation:
    """The next limitation of a case: the form whose period ends next on or after a day."""

    form: str
    label: str
    ends_on: dt.date


def next_limitation(violation_from: dt.date, day: dt.date) -> Limitation | None:
    """The first form whose limitation period (counted from `violation_from`) ends on or
    after `day` (None: only forms without limitation are left)."""
    rules = engine.discipline_rules()
    found = [
        (end, form)
        for form in rules.limitation_years
        if (end := engine.limitation_ends(form, violation_from, rules=rules)) is not None
        and end >= day
    ]
    if not found:
        return None
    end, form = min(found)
    return Limitation(form, rules.form_label(form), end)


WORKLISTS: dict[str, Callable[..., QuerySet[Any]]] = {
    LATE_STEPS: late_steps,
    OVERDUE_RECOMMENDATIONS: overdue_recommendations,
    APPEALS_WAITING: appeals_waiting,
    LIMITATION_NEAR: limitation_near,
}


def worklist(name: str, user: Any, day: dt.date) -> QuerySet[Any]:
    """The worklist `name` (one of `NAMES`) of `user` on `day`; KeyError for another name."""
    return WORKLISTS[name](user, day)
