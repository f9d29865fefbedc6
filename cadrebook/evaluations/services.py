"""Writes on targets."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.errors import ServiceError
from cadrebook.core.rules import current_ruleset
from cadrebook.evaluations.models import Target
from cadrebook.orgs.models import OrgUnit

TARGET_FIELDS = ["unit", "year", "indicator", "target"]
MIN_YEAR, MAX_YEAR = 1900, 2100


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


def target_set(*, actor: Any, unit: OrgUnit, year: int, indicator: str, target: int) -> Target:
    """Set (or revise) the target of `unit` for `indicator` in `year`; audited either way."""
    target_check(year=year, indicator=indicator, target=target)
    with transaction.atomic():
        row = (
            Target.objects.select_for_update()
            .filter(unit=unit, year=year, indicator=indicator)
            .first()
        )
        by = actor if getattr(actor, "pk", None) else None
        if row is None:
            row = Target.objects.create(
                unit=unit, year=year, indicator=indicator, target=target, updated_by=by
            )
            audit_record(
                actor=actor,
                obj=row,
                action="create",
                event_type="target.set",
                unit=unit,
                after=snapshot(row, TARGET_FIELDS),
            )
            return row
        if row.target == target:
            return row
        before = snapshot(row, TARGET_FIELDS)
        Target.objects.filter(pk=row.pk).update(target=target, updated_by=by)
        row.refresh_from_db()
        audit_record(
            actor=actor,
            obj=row,
            action="update",
            event_type="target.revised",
            unit=unit,
            before=before,
            after=snapshot(row, TARGET_FIELDS),
        )
        return row
