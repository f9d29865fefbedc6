"""API of the reports: `GET /api/v1/reports/stats?unit=&from=&to=&as_of=`."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from cadrebook.cadres.schemas import CadresOut
from cadrebook.core.api_toolkit import ApiDate, answers, found
from cadrebook.core.permissions import VIEW
from cadrebook.core.replica import reading_replica
from cadrebook.documents.api import DocumentCountsOut
from cadrebook.evaluations.api import TargetOut
from cadrebook.evaluations.schemas import EvaluationOut
from cadrebook.inspections.schemas import DisciplineOut, InspectionOut
from cadrebook.orgs.models import OrgUnit
from cadrebook.reports.privacy import mask_statistics
from cadrebook.reports.selectors import unit_statistics

router = Router(tags=["reports"])


class StatsQuery(Schema):
    unit: str = Field(..., description="Code of the unit whose subtree is counted")
    date_from: ApiDate = Field(..., alias="from", description="First day of the period")
    date_to: ApiDate = Field(..., alias="to", description="Last day of the period")
    as_of: ApiDate | None = Field(None, description="Day members are counted (default: to)")


class PartOut(Schema):
    as_of: str
    from_: str = Field(..., alias="from")
    to: str
    members: dict[str, Any]
    movements: dict[str, int]
    units: dict[str, Any]
    targets: list[TargetOut]
    documents: DocumentCountsOut
    evaluation: EvaluationOut
    inspection: InspectionOut | None
    discipline: DisciplineOut | None
    cadres: CadresOut | None


class ChildOut(Schema):
    unit: str
    name: str
    kind: str
    members: dict[str, Any]
    movements: dict[str, int]
    units: dict[str, Any]
    targets: list[TargetOut]
    documents: DocumentCountsOut
    evaluation: EvaluationOut
    inspection: InspectionOut | None
    discipline: DisciplineOut | None
    cadres: CadresOut | None


class StatsOut(PartOut):
    unit: str
    name: str
    kind: str
    previous: PartOut
    change_pct: dict[str, dict[str, float | None]]
    children: list[ChildOut]
    source: str


@router.get(
    "/stats", response=answers({200: StatsOut}), by_alias=True, summary="Statistics of a subtree"
)
def stats(request: HttpRequest, query: Query[StatsQuery]) -> dict[str, Any]:
    """Members on `as_of`, movements from `from` to `to`, units, targets, the previous year
    and the breakdown by subordinate unit (docs/reports.md). A unit outside the caller's
    scope answers 404, like one that does not exist. For a role that sees personal data
    masked, the breakdowns by age and ethnicity follow docs/reports.md ("Privacy")."""
    with reading_replica():
        unit = found(OrgUnit.objects.visible_to(request.user, VIEW), code=query.unit)
        stats = unit_statistics(unit, query.date_from, query.date_to, query.as_of)
        return mask_statistics(stats, request.user)
