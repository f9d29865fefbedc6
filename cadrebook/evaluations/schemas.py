"""The shape of the evaluation's figure in the statistics (`GET /api/v1/reports/stats`: the
`evaluation` of the unit, of the year before and of each subordinate unit), which the
reports' schema takes from here so it lives with the figure (`contributions.py`,
`figures.py`)."""

from __future__ import annotations

from ninja import Field, Schema


class LevelCountsOut(Schema):
    excellent: int
    good: int
    completed: int
    not_completed: int
    not_rated: int = Field(
        ..., description="Counted by the statistics on 31 December of the year, less those rated"
    )


class LevelSharesOut(Schema):
    excellent: float | None
    good: float | None
    completed: float | None
    not_completed: float | None


class EvaluationSharesOut(Schema):
    members: LevelSharesOut = Field(..., description="% of the members rated, per level")
    units: LevelSharesOut = Field(..., description="% of the organizations rated, per level")


class QuotaOut(Schema):
    unit: str = Field(..., description="Code of the grassroots organization (deciding unit)")
    role_group: str
    excellent: int
    good: int
    allowed: int = Field(..., description="How many excellent the rule set's quota allows")
    over: int


class EvaluationOut(Schema):
    year: int = Field(..., description="The year of the period's end")
    members: LevelCountsOut
    units: LevelCountsOut
    units_by_kind: dict[str, LevelCountsOut]
    shares: EvaluationSharesOut
    quota: list[QuotaOut]
