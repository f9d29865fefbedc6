"""The shape of the `cadres` figure in the statistics (`GET /api/v1/reports/stats`: the
`cadres` of the unit, of the year before and of each subordinate unit), which the reports'
schema takes from here so it lives with the figure (`figures.py`, `contributions.py`)."""

from __future__ import annotations

from ninja import Field, Schema


class LevelCountsOut(Schema):
    posts: int = Field(..., description="Posts held on units of this level")
    people: int = Field(..., description="Distinct people holding them")


class ShareOut(Schema):
    count: int | None = Field(..., description="People of the list (null: withheld)")
    percent: float | None = Field(..., description="Their share in % (null: withheld or empty)")
    target_percent: float | None = Field(
        ..., description="The rule set's minimum share in % (null: no target)"
    )
    short: bool = Field(..., description="The list falls short of the target")


class StructureOut(Schema):
    people: int = Field(..., description="People in planning, each once")
    by_age_bracket: dict[str, int] | None = Field(
        ..., description="By the planning's age brackets ([planning] age_brackets; null: withheld)"
    )
    shares: dict[str, ShareOut] = Field(
        ..., description="women, young, ethnic_minority against the rule set's targets"
    )
    shortfalls: list[str] = Field(
        ..., description="The targets missed (and age_brackets when a bracket is empty)"
    )


class PlanningOut(StructureOut):
    entries: int = Field(..., description="Entries in planning on the day")
    lists: int = Field(..., description="Posts planned for (a unit's position each)")
    by_level: dict[str, StructureOut] = Field(
        ..., description="The same per level of the posts' units ([cadres] kind_levels)"
    )


class ConfidenceOut(Schema):
    sessions: int = Field(..., description="Confidence votes held in the period")
    results: int = Field(..., description="People voted on")
    by_outcome: dict[str, int] = Field(
        ..., description="By outcome: dismissal, out_of_planning, none (the rule set's shares)"
    )


class CadresOut(Schema):
    posts: int = Field(..., description="Committee posts held on the period's end")
    people: int = Field(..., description="Distinct people holding them")
    by_position: dict[str, int] = Field(..., description="Posts by position ([cadres] positions)")
    by_level: dict[str, LevelCountsOut] = Field(
        ..., description="Posts and people by the level of the post's unit ([cadres] kind_levels)"
    )
    by_gender: dict[str, int] = Field(..., description="Holders by gender")
    by_age_bracket: dict[str, int] | None = Field(
        ..., description="Holders by the statistics' age brackets (null: withheld)"
    )
    by_ethnicity: dict[str, int] | None = Field(
        ..., description="Holders: majority, minorities, unknown (null: withheld)"
    )
    by_education: dict[str, int] = Field(..., description="Holders by education level")
    by_theory: dict[str, int] = Field(..., description="Holders by political theory level")
    planning: PlanningOut = Field(..., description="The planning's structure on the day")
    started: dict[str, int] = Field(..., description="Posts begun in the period, by how")
    ended: dict[str, int] = Field(..., description="Posts ended in the period, by reason")
    rotations_started: int = Field(..., description="Rotation stints started in the period")
    confidence: ConfidenceOut
