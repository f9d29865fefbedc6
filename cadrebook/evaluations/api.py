"""API of the targets: `GET /api/v1/targets?unit=&year=`, each with what was achieved.

The statistics (`GET /api/v1/reports/stats`) carry each target with what was achieved too
(`TargetOut`, the figure `evaluations/contributions.py` contributes); the reports' schema takes
the shape from here, so it lives with the figure.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from cadrebook.core.api_toolkit import answers, found
from cadrebook.core.dates import MAX_YEAR, MIN_YEAR
from cadrebook.core.permissions import VIEW
from cadrebook.evaluations.selectors import target_progress, unit_targets
from cadrebook.orgs.models import OrgUnit

router = Router(tags=["targets"])


class TargetOut(Schema):
    indicator: str
    year: int
    target: int
    actual: int
    achievement_pct: float | None


class TargetsQuery(Schema):
    unit: str = Field(..., description="Code of the unit: its targets and its children's")
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="Only this year")


class UnitTargetOut(Schema):
    unit: str = Field(..., description="Code of the unit the target is set for")
    indicator: str
    year: int
    target: int
    actual: int | None = Field(..., description="Counted by the statistics over the year")
    achievement_pct: float | None


@router.get("", response=answers({200: list[UnitTargetOut]}), summary="Targets of a unit and below")
def target_list(request: HttpRequest, query: Query[TargetsQuery]) -> list[dict[str, Any]]:
    """The targets of `unit` and of the units directly below it, latest year first, each with
    what the unit's subtree achieved over the year and the achievement in %. A unit outside
    the caller's scope answers 404, like one that does not exist."""
    unit = found(OrgUnit.objects.visible_to(request.user, VIEW), code=query.unit)
    return [
        {
            "unit": row["target"].unit.code,
            "indicator": row["target"].indicator,
            "year": row["target"].year,
            "target": row["target"].target,
            "actual": row["actual"],
            "achievement_pct": row["achievement_pct"],
        }
        for row in target_progress(list(unit_targets(unit, year=query.year)), below=unit)
    ]
