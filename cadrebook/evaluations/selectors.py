"""Reads on targets: the indicators of the rule set, the check of a target that the service
and the import ask before they write, the targets a user may see, and those the statistics of
a unit report against."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from cadrebook.core.contributions import statistics_counts
from cadrebook.core.dates import MAX_YEAR, MIN_YEAR
from cadrebook.core.errors import ServiceError
from cadrebook.core.numbers import percent
from cadrebook.core.permissions import VIEW
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import PATH_END
from cadrebook.evaluations.models import Target
from cadrebook.orgs.models import OrgUnit, UnitPlacement

# The largest count a target may hold: what every database stores in the column.
MAX_TARGET = 2_147_483_647


def target_indicators() -> dict[str, str]:
    """Indicator code -> the event type whose count is the actual, from the rule set."""
    return dict(current_ruleset().value("targets.indicators"))


def target_check(*, year: int, indicator: str, target: int) -> None:
    """Refuse a target the rule set does not know or that cannot be a count."""
    indicators = target_indicators()
    if indicator not in indicators:
        raise current_ruleset().violation(
            "targets",
            "target.indicator_unknown",
            _("%(i)s is not an indicator of the rule set; known: %(known)s.")
            % {"i": indicator, "known": ", ".join(sorted(indicators))},
            field="indicator",
        )
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ServiceError(
            "target.bad_year",
            _("The year %(y)s is not between %(a)d and %(b)d.")
            % {"y": year, "a": MIN_YEAR, "b": MAX_YEAR},
            field="year",
        )
    if target < 0:
        raise ServiceError("target.negative", _("A target cannot be negative."), field="target")
    if target > MAX_TARGET:
        raise ServiceError(
            "target.too_large",
            _("A target cannot be more than %(max)s.") % {"max": MAX_TARGET},
            field="target",
        )


def visible_targets(user: Any, *, year: int | None = None) -> QuerySet[Target]:
    """The targets of the units in `user`'s scope (of `year` when given), by year, unit and
    indicator, with their unit."""
    targets: QuerySet[Target] = Target.objects.visible_to(user, VIEW).select_related("unit")
    if year is not None:
        targets = targets.filter(year=year)
    return targets.order_by("-year", "unit__path", "indicator")


def unit_targets(unit: OrgUnit, *, year: int | None = None) -> QuerySet[Target]:
    """The targets of `unit` and of the units directly below it (of `year` when given), by
    year, unit and indicator: what the unit's officers follow, as the statistics break it
    down."""
    targets: QuerySet[Target] = Target.objects.filter(
        unit__path__gte=unit.path,
        unit__path__lt=unit.path + PATH_END,
        unit__depth__lte=unit.depth + 1,
    ).select_related("unit")
    if year is not None:
        targets = targets.filter(year=year)
    return targets.order_by("-year", "unit__path", "indicator")


def statistics_targets(
    parent: OrgUnit, first_year: int, last_year: int, children: bool
) -> list[Target]:
    """The targets of `parent` (and of the units that stood directly under it at some time in
    those years, as the tree stood: a unit moved away since is still a child for the years
    it stood there) from `first_year` to `last_year`; the children by their placements, a
    subquery: no list of thousands of ids."""
    targets = Target.objects.filter(year__gte=first_year, year__lte=last_year)
    if children:
        placed = (
            UnitPlacement.objects.filter(parent=parent)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=dt.date(last_year, 12, 31)))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=dt.date(first_year, 1, 1)))
            .values("unit_id")
        )
        targets = targets.filter(Q(unit=parent) | Q(unit_id__in=placed))
    else:
        targets = targets.filter(unit=parent)
    return list(targets.order_by("year", "indicator"))


def target_progress(targets: list[Target], *, below: OrgUnit | None = None) -> list[dict[str, Any]]:
    """Each target with what its unit's subtree achieved over the year (the count the
    statistics give, through `core.contributions`) and the achievement in %; achieved is
    None where no statistics are installed. With `below` (the targets of that unit and of
    the units directly under it), the counts are read as the unit's statistics break them
    down: one read per year, the same figures as its statistics."""
    counts = statistics_counts()
    indicators = target_indicators()
    year_movements: Callable[[Target], dict[str, int]] | None = None
    if counts is not None and below is not None and targets:
        units = list({t.unit_id: t.unit for t in targets}.values())
        years = [t.year for t in targets]
        read = counts.below(below, units, min(years), max(years))

        def year_movements(t: Target) -> dict[str, int]:
            return read(t.unit_id, t.year)

    elif counts is not None:
        known: dict[tuple[int, int], dict[str, int]] = {}

        def year_movements(t: Target) -> dict[str, int]:
            key = (t.unit_id, t.year)
            if key not in known:
                known[key] = counts.year_movements(t.unit, t.year)
            return known[key]

    rows = []
    for target in targets:
        actual: int | None = None
        if counts is not None and year_movements is not None:
            movement = counts.movement_of(indicators.get(target.indicator, target.indicator))
            actual = year_movements(target).get(movement, 0)
        rows.append(
            {
                "target": target,
                "actual": actual,
                "achievement_pct": None if actual is None else percent(actual, target.target),
            }
        )
    return rows
