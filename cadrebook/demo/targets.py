"""Demo targets: admission and recognition targets near what each unit actually achieved."""

from __future__ import annotations

import datetime as dt
import random

from cadrebook.core.scoping import PATH_END
from cadrebook.evaluations.selectors import target_indicators
from cadrebook.evaluations.services import target_set
from cadrebook.members.models import MemberEvent
from cadrebook.orgs.models import OrgUnit


def demo_targets(
    *, root: OrgUnit, years: int, today: dt.date, seed: int = 1, children: bool = True
) -> int:
    """Set targets for `root` (and, with `children`, the units directly below it) for each of
    `years` years up to `today`'s: the year's count of the indicator's events in the subtree,
    give or take 10 % (so some units reach their target and some do not). Returns how many
    were set."""
    rng = random.Random(seed)
    units = [root]
    if children:
        below = {"path__gt": root.path, "path__lt": root.path + PATH_END}
        units += OrgUnit.objects.filter(**below, depth=root.depth + 1).order_by("path")
    done = 0
    for unit in units:
        for year in range(today.year - years + 1, today.year + 1):
            for indicator, event_type in target_indicators().items():
                actual = MemberEvent.objects.filter(
                    type=event_type,
                    date__year=year,
                    member__unit__path__gte=unit.path,
                    member__unit__path__lt=unit.path + PATH_END,
                ).count()
                target = max(1, round(actual * rng.uniform(0.9, 1.1)))
                target_set(actor=None, unit=unit, year=year, indicator=indicator, target=target)
                done += 1
    return done
