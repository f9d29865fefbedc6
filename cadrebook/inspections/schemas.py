"""The shape of the inspection's and the discipline's figures in the statistics (`GET
/api/v1/reports/stats`: the `inspection` and `discipline` of the unit, of the year before and
of each subordinate unit), which the reports' schema takes from here so it lives with the
figures (`figures.py`, `contributions.py`)."""

from __future__ import annotations

from ninja import Field, Schema


class SubjectCountsOut(Schema):
    units: int = Field(..., description="Distinct party organizations")
    members: int | None = Field(
        ..., description="Distinct members (individuals); null: withheld, a small count"
    )


class InspectionOut(Schema):
    inspections: int = Field(
        ...,
        description=(
            "Inspections and supervisions decided in the period by bodies inside the subtree"
        ),
    )
    by_kind: dict[str, int] = Field(
        ..., description="The same by kind (the rule set's codes: thematic, surprise, ...)"
    )
    supervisions: int = Field(..., description="Of them, the supervisions (the rule set's)")
    units_inspected: int = Field(..., description="Distinct organizations they inspected")
    members_inspected: int | None = Field(..., description="Distinct members they inspected")
    subjects_by_kind: dict[str, SubjectCountsOut] = Field(
        ..., description="Distinct subjects of each kind's inspections"
    )
    violations_found: SubjectCountsOut = Field(
        ..., description="Distinct subjects on whom a violation was found"
    )
    completed: int = Field(
        0, description="Inspections and supervisions concluded in the period (whenever decided)"
    )
    completed_by_kind: dict[str, int] = Field(default_factory=dict, description="The same by kind")
    completed_subjects_by_kind: dict[str, SubjectCountsOut] = Field(
        default_factory=dict, description="Distinct subjects of each kind's completed ones"
    )
    completed_subjects_by_group: dict[str, SubjectCountsOut] = Field(
        default_factory=dict,
        description=(
            "Distinct subjects of the completed ones of the kinds the report states together "
            "(thematic+supervision_thematic, regular+supervision_regular): a subject of both "
            "kinds counted once"
        ),
    )
    received_from_higher_levels: int = Field(
        ...,
        description=(
            "Inspections decided in the period by bodies above the subtree's top unit on "
            "subjects inside it"
        ),
    )


class DisciplineFormsOut(Schema):
    members: dict[str, int | None] = Field(
        ..., description="Disciplines of members by form (null: withheld, a small count)"
    )
    organizations: dict[str, int] | None = Field(
        None,
        description=(
            "Disciplines of organizations by form (absent from a figure stored before it "
            "was named so: read `units`)"
        ),
    )
    units: dict[str, int] = Field(
        ...,
        description=(
            "The same as `organizations`: the name it was first published under, kept as an alias"
        ),
    )


class AppealsOut(Schema):
    lodged: int | None = Field(..., description="Appeals lodged in the period")
    decided: dict[str, int | None] = Field(
        ..., description="Appeals decided in the period, by outcome (upheld, changed, annulled)"
    )


class DisciplineOut(Schema):
    by_form: DisciplineFormsOut = Field(
        ...,
        description=(
            "Disciplines decided in the period on subjects inside the subtree, annulled ones "
            "not counted (one changed on appeal counts as the new form)"
        ),
    )
    members: int | None = Field(..., description="Decisions on members")
    units: int = Field(..., description="Decisions on organizations")
    members_disciplined: int | None = Field(None, description="Distinct members disciplined")
    units_disciplined: int = Field(0, description="Distinct organizations disciplined")
    members_by_standing: dict[str, dict[str, int | None]] = Field(
        ..., description="Members by standing at the decision (full, probationary), by form"
    )
    by_violation_kind: dict[str, int] | None
    duty_related: int | None = Field(..., description="Of them, for a violation related to duties")
    appeals: AppealsOut
