"""Writes on targets."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.evaluations.models import Target
from cadrebook.evaluations.selectors import target_check
from cadrebook.orgs.models import OrgUnit

TARGET_FIELDS = ["unit", "year", "indicator", "target"]


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
