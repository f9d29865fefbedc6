"""API of inspection, supervision and discipline: `/api/v1/inspection-programs` (a body's
yearly program, "completed N of M planned"), `/api/v1/inspections` (an inspection or
supervision with its subjects, steps, team, conclusion and recommendations; their steps,
conclusion, recommendations and follow-ups as sub-resources) and `/api/v1/disciplines`
(decisions on members and organizations, their appeals nested).

Confidentiality (issue 19, item 6): the files are read with `view_inspections` in scope (the
inspecting body's subtree; a discipline by its subject's unit); for anyone else a file
answers 404, exactly as a missing one, and lists are empty. Opening a file is audited
(`reads.py`). Writes go through the services (`services/`), which check the rule set and
audit: `inspect` on the body for programs and inspections, `decide_discipline` for
disciplines and appeals; 403 for a caller who sees the body's unit but lacks the action. A
refusal answers the rule's code, message, field and source.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, cast

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import StringConstraints

from cadrebook.core.api_toolkit import API_ROOT, ApiDate, answers, forbidden, found
from cadrebook.core.dates import MAX_YEAR, MIN_YEAR
from cadrebook.core.errors import ServiceError
from cadrebook.core.permissions import VIEW
from cadrebook.core.scoping import scope_for, subtree_q
from cadrebook.inspections import selectors
from cadrebook.inspections.choices import MAX_VOTERS
from cadrebook.inspections.discipline_rules import discipline_rules
from cadrebook.inspections.models import (
    Appeal,
    Discipline,
    Inspection,
    InspectionProgram,
    InspectionSubject,
    ProgramItem,
    Recommendation,
)
from cadrebook.inspections.permissions import DECIDE_DISCIPLINE, INSPECT
from cadrebook.inspections.reads import (
    discipline_read_record,
    inspection_read_record,
    list_read_record,
    program_read_record,
    recommendation_read_record,
)
from cadrebook.inspections.services import (
    Finding,
    TeamMember,
    appeal_decide,
    appeal_lodge,
    discipline_decide,
    inspection_add_subject,
    inspection_conclude,
    inspection_open,
    inspection_record_step,
    program_create,
    program_item_add,
    recommendation_add,
    recommendation_follow_up,
)
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

router = Router(tags=["inspections"])
PAGE = 100
Id = Field(..., ge=1, le=2**62)
OptId = Field(None, ge=1, le=2**62)


# Shapes ------------------------------------------------------------------------------------
class ProgressOut(Schema):
    planned: int
    started: int = Field(..., description="Items with an inspection opened against them")
    completed: int = Field(..., description="Items whose inspection is concluded")


class ProgramOut(Schema):
    id: int
    body: str = Field(..., description="Code of the body's unit")
    body_kind: str
    year: int
    title: str
    document: int | None
    document_text: str
    progress: ProgressOut


class ProgramItemOut(Schema):
    id: int
    kind: str
    subject_unit: str | None
    subject_text: str
    planned_from: dt.date | None
    planned_to: dt.date | None
    inspection: int | None
    done: bool = Field(..., description="Its inspection is concluded")


class ProgramDetailOut(ProgramOut):
    items: list[ProgramItemOut]


class ProgramPage(Schema):
    items: list[ProgramOut]
    next_cursor: str | None = None


class ProgramQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="Bodies in this unit's subtree")
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)
    cursor: str = Field("", max_length=20)


class ProgramIn(Schema):
    body: str = Field(..., max_length=32, description="Code of the body's unit")
    body_kind: str = Field(..., max_length=32)
    year: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)
    title: str = Field(..., max_length=255)
    document: int | None = OptId


class ProgramItemIn(Schema):
    kind: str = Field(..., max_length=32)
    subject_unit: str | None = Field(None, max_length=32)
    subject_text: str = Field("", max_length=255)
    planned_from: ApiDate | None = None
    planned_to: ApiDate | None = None


class TeamIn(Schema):
    name: str = Field("", max_length=200)
    member: int | None = OptId
    leader: bool = False


class InspectionIn(Schema):
    code: str = Field(..., max_length=64)
    body: str = Field(..., max_length=32, description="Code of the body's unit")
    body_kind: str = Field(..., max_length=32)
    kind: str = Field(..., max_length=32)
    decided_on: ApiDate
    document: int | None = Field(None, ge=1, le=2**62, description="The decision's id")
    document_text: str = Field("", max_length=255)
    period_from: ApiDate | None = None
    period_to: ApiDate | None = None
    program_item: int | None = OptId
    team: list[TeamIn] = Field(default_factory=list, max_length=100)
    subject_units: list[str] = Field(default_factory=list, max_length=500)
    subject_members: list[int] = Field(default_factory=list, max_length=500)


class InspectionOut(Schema):
    id: int
    code: str
    body: str
    body_kind: str
    kind: str
    decided_on: dt.date
    concluded_on: dt.date | None
    from_higher_level: bool
    program_item: int | None


class InspectionPage(Schema):
    items: list[InspectionOut]
    next_cursor: str | None = None


class InspectionQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="Bodies in this unit's subtree")
    kind: str | None = Field(None, max_length=32)
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="Decided in this year")
    cursor: str = Field("", max_length=20)


class SubjectOut(Schema):
    id: int
    unit: str | None
    member: int | None
    name: str
    from_higher_level: bool
    violation_found: bool | None
    violation_kind: str
    findings: str


class StepOut(Schema):
    step: str
    due_on: dt.date | None
    done_on: dt.date | None
    note: str


class TeamOut(Schema):
    name: str
    member: int | None
    leader: bool


class FollowUpOut(Schema):
    on: dt.date
    status: str
    note: str


class RecommendationOut(Schema):
    id: int
    subject: int | None
    text: str
    owner_unit: str | None
    owner_text: str
    deadline: dt.date | None
    status: str
    state: str = Field(..., description="The status today, or overdue")
    follow_ups: list[FollowUpOut]


class ConclusionOut(Schema):
    concluded_on: dt.date
    document: int | None
    document_text: str
    summary: str


class InspectionDetailOut(InspectionOut):
    decision_document: int | None
    decision_document_text: str
    period_from: dt.date | None
    period_to: dt.date | None
    team: list[TeamOut]
    subjects: list[SubjectOut]
    steps: list[StepOut]
    conclusion: ConclusionOut | None
    recommendations: list[RecommendationOut]


class StepIn(Schema):
    step: str = Field(..., max_length=32)
    done_on: ApiDate
    note: str = Field("", max_length=20000)


class SubjectIn(Schema):
    unit: str | None = Field(None, max_length=32)
    member: int | None = OptId


class FindingIn(Schema):
    subject: int = Id
    violation_found: bool
    violation_kind: str = Field("", max_length=32)
    text: str = Field("", max_length=20000)


class ConclusionIn(Schema):
    concluded_on: ApiDate
    findings: list[FindingIn] = Field(..., max_length=1000)
    document: int | None = OptId
    document_text: str = Field("", max_length=255)
    summary: str = Field("", max_length=100000)


class RecommendationIn(Schema):
    text: str = Field(..., max_length=20000)
    subject: int | None = OptId
    owner_unit: str | None = Field(None, max_length=32)
    owner_text: str = Field("", max_length=255)
    deadline: ApiDate | None = None


class FollowUpIn(Schema):
    on: ApiDate
    status: Literal["open", "partly", "done"]
    note: str = Field("", max_length=20000)


class AppealOut(Schema):
    id: int
    lodged_on: dt.date
    received_on: dt.date
    body: str
    body_kind: str
    decided_on: dt.date | None
    outcome: str
    new_form: str
    document: int | None
    document_text: str


class BanOut(Schema):
    code: str = Field(..., description="The rule set's ban (transfer, appointment, higher_post...)")
    label: str
    until: dt.date | None = Field(
        ..., description="The first day it no longer applies (null: while the decision stands)"
    )
    active: bool = Field(..., description="It applies on the day asked (as_of)")
    source: str


class DisciplineOut(Schema):
    id: int
    subject_kind: Literal["member", "unit"]
    member: int | None
    unit: str | None
    subject_status: str
    form: str
    body: str
    body_kind: str
    decided_on: dt.date
    document: int | None
    document_text: str
    violation_kind: str
    violation_on: dt.date
    status: str = Field(
        ..., description="in_force, lapsed (its months have run: effects ended), annulled, changed"
    )
    in_force: bool = Field(..., description="In force on the day asked (as_of, default today)")
    lapses_on: dt.date | None = Field(
        ...,
        description=(
            "The day it lapses: the rule set's months from the decision, or from the "
            "appeal's decision that upheld it, and no earlier than a later discipline of "
            "the same subject taken before it lapsed (null: never, e.g. an expulsion; "
            "not while an appeal waits; annulled or changed)"
        ),
    )


class DisciplineDetailOut(DisciplineOut):
    bans: list[BanOut] = Field(
        ..., description="What it bars the subject from, and until when (the rule set's bans)"
    )
    violation: str
    duty_related: bool
    votes: dict[str, int]
    voters_total: int | None
    proposing_for: int | None
    proposing_total: int | None
    relations: list[str] = Field(
        ...,
        description=(
            "The subject's relations to the body on which its authority was accepted: "
            "read from the tree (member, organization) and declared by the recorder "
            "(e.g. own_committee_member)"
        ),
    )
    may_admit: bool = Field(
        ..., description="Declared by the recorder: the body holds the power to admit"
    )
    inspection: int | None
    appeals: list[AppealOut]


class DisciplinePage(Schema):
    items: list[DisciplineOut]
    next_cursor: str | None = None


class DisciplineQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="Subjects in this unit's subtree")
    form: str | None = Field(None, max_length=32)
    subject_kind: Literal["member", "unit"] | None = None
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR, description="Decided in this year")
    cursor: str = Field("", max_length=20)
    as_of: ApiDate | None = Field(None, description="The day in_force is read on (default today)")


class AsOfQuery(Schema):
    as_of: ApiDate | None = Field(None, description="The day in_force is read on (default today)")


Relation = Annotated[str, StringConstraints(max_length=64)]


class DisciplineIn(Schema):
    subject_kind: Literal["member", "unit"]
    member: int | None = OptId
    unit: str | None = Field(None, max_length=32)
    form: str = Field(..., max_length=32)
    body: str = Field(..., max_length=32)
    body_kind: str = Field(..., max_length=32)
    decided_on: ApiDate
    document: int | None = OptId
    document_text: str = Field("", max_length=255)
    violation: str = Field(..., max_length=20000)
    violation_kind: str = Field("", max_length=32)
    violation_on: ApiDate
    duty_related: bool = False
    votes: dict[str, int] | None = Field(None, description='{form: count, "none": count}')
    voters_total: int | None = Field(None, ge=0, le=MAX_VOTERS)
    proposing_for: int | None = Field(None, ge=0, le=MAX_VOTERS)
    proposing_total: int | None = Field(None, ge=0, le=MAX_VOTERS)
    inspection: int | None = OptId
    members_to: str | None = Field(
        None,
        max_length=32,
        description="Dissolution: the code of the unit the decision hands the members over to "
        "(required while the organization still has members)",
    )
    holds_post: bool | None = Field(
        None,
        description="Whether the member holds a post (removal_from_post needs one); null: "
        "asked of the cadre records (none yet: no post)",
    )
    relations: list[Relation] = Field(
        default_factory=list,
        description="The member's relations to the body that the tree does not show (the rule "
        "set's authority relations, e.g. own_committee_member)",
        max_length=10,
    )
    may_admit: bool = Field(False, description="The deciding body holds the power to admit")
    raising_child_under_12_months: bool = Field(
        False,
        description="The member raises a child under the rule set's months (12 in vn-2025): "
        "no discipline is considered meanwhile",
    )
    youngest_child_born_on: ApiDate | None = Field(
        None, description="Or the youngest child's birth date, checked against the rule set"
    )


class AppealIn(Schema):
    lodged_on: ApiDate
    received_on: ApiDate
    body: str = Field(..., max_length=32)
    body_kind: str = Field(..., max_length=32)
    document: int | None = OptId
    document_text: str = Field("", max_length=255)


class AppealDecisionIn(Schema):
    decided_on: ApiDate
    outcome: Literal["upheld", "changed", "annulled"]
    new_form: str = Field("", max_length=32)
    document: int | None = OptId
    document_text: str = Field("", max_length=255)
    votes: dict[str, int] | None = Field(
        None, description='changed: the appeal body\'s votes, {form: count, "none": count}'
    )
    voters_total: int | None = Field(None, ge=0, le=MAX_VOTERS)
    proposing_for: int | None = Field(
        None, ge=0, le=MAX_VOTERS, description="changed to an expulsion: the proposal's votes for"
    )
    proposing_total: int | None = Field(None, ge=0, le=MAX_VOTERS)
    holds_post: bool | None = Field(None, description="changed to removal_from_post: a post held")
    relations: list[Relation] = Field(default_factory=list, max_length=10)
    may_admit: bool = False


# Helpers -----------------------------------------------------------------------------------
def _page(rows: QuerySet[Any], cursor: str) -> tuple[list[Any], str | None]:
    """Newest first by id, 100 a page."""
    if cursor:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
            raise ServiceError(
                "cursor.invalid", _("This cursor was not given by this list."), field="cursor"
            )
        rows = rows.filter(id__lt=int(cursor))
    found_rows = list(rows.order_by("-id")[: PAGE + 1])
    more = len(found_rows) > PAGE
    found_rows = found_rows[:PAGE]
    return found_rows, (str(found_rows[-1].pk) if more and found_rows else None)


def _unit(request: HttpRequest, code: str) -> OrgUnit:
    return cast(OrgUnit, found(OrgUnit.objects.visible_to(request.user, VIEW), code=code))


def _acting_unit(request: HttpRequest, code: str, action: str) -> OrgUnit:
    """A unit the caller sees (404 else) on which they hold `action` (403 else)."""
    unit = _unit(request, code)
    if not scope_for(request.user, action).covers_path(unit.path):
        raise forbidden()
    return unit


def _member(request: HttpRequest, pk: int) -> Member:
    return cast(Member, found(Member.objects.visible_to(request.user, VIEW), pk=pk))


def _team_member(request: HttpRequest, pk: int) -> Member:
    """A team member named by id: a form error on `team` when the caller cannot see such a
    member, in the same words whether it does not exist or lies outside the caller's scope."""
    member = Member.objects.visible_to(request.user, VIEW).filter(pk=pk).first()
    if member is None:
        raise ServiceError(
            "inspection.team_member_unknown",
            _("No member %(id)s among the members you may see: name the team member by name.")
            % {"id": pk},
            field="team",
        )
    return member


def _under(request: HttpRequest, rows: QuerySet[Any], code: str | None, path: str) -> Any:
    if code:
        unit = _unit(request, code)
        rows = rows.filter(subtree_q(path, [unit.path]))
    return rows


def _may_inspect(request: HttpRequest, inspection: Inspection) -> None:
    if not scope_for(request.user, INSPECT).covers_path(inspection.path):
        raise forbidden()


def _program_out(program: InspectionProgram) -> dict[str, Any]:
    return {
        "id": program.pk,
        "body": program.body.code,
        "body_kind": program.body_kind,
        "year": program.year,
        "title": program.title,
        "document": program.document_id,
        "document_text": program.document_text,
        "progress": selectors.program_progress(program).__dict__,
    }


def _item_out(item: ProgramItem) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "subject_unit": item.subject_unit.code if item.subject_unit_id else None,
        "subject_text": item.subject_text,
        "planned_from": item.planned_from,
        "planned_to": item.planned_to,
        "inspection": item.inspection_id,
        "done": item.inspection is not None and item.inspection.concluded_on is not None,
    }


def _inspection_out(inspection: Inspection) -> dict[str, Any]:
    return {
        "id": inspection.pk,
        "code": inspection.code,
        "body": inspection.body.code,
        "body_kind": inspection.body_kind,
        "kind": inspection.kind,
        "decided_on": inspection.decided_on,
        "concluded_on": inspection.concluded_on,
        "from_higher_level": inspection.from_higher_level,
        "program_item": inspection.program_item_id,
    }


def _subject_out(s: InspectionSubject) -> dict[str, Any]:
    return {
        "id": s.pk,
        "unit": s.unit.code if s.unit_id else None,
        "member": s.member_id,
        "name": s.unit.name if s.unit_id else s.member.full_name,
        "from_higher_level": s.from_higher_level,
        "violation_found": s.violation_found,
        "violation_kind": s.violation_kind,
        "findings": s.findings,
    }


def _recommendation_out(r: Recommendation, today: dt.date) -> dict[str, Any]:
    return {
        "id": r.pk,
        "subject": r.subject_id,
        "text": r.text,
        "owner_unit": r.owner_unit.code if r.owner_unit_id else None,
        "owner_text": r.owner_text,
        "deadline": r.deadline,
        "status": r.status,
        "state": selectors.recommendation_state(r, today),
        "follow_ups": [
            {"on": f.on, "status": f.status, "note": f.note} for f in r.follow_ups.all()
        ],
    }


def _recommendations() -> QuerySet[Recommendation]:
    rows: QuerySet[Recommendation] = Recommendation.objects.select_related("owner_unit")
    return rows.prefetch_related("follow_ups")


def _inspection_detail(inspection: Inspection) -> dict[str, Any]:
    inspection = (
        Inspection.objects.select_related("body")
        .prefetch_related(
            "team",
            "steps",
            Prefetch("subjects", InspectionSubject.objects.select_related("unit", "member")),
            Prefetch("recommendations", _recommendations()),
        )
        .get(pk=inspection.pk)
    )
    today = timezone.localdate()
    conclusion = None
    if inspection.concluded_on is not None:
        conclusion = {
            "concluded_on": inspection.concluded_on,
            "document": inspection.conclusion_document_id,
            "document_text": inspection.conclusion_document_text,
            "summary": inspection.conclusion_summary,
        }
    return {
        **_inspection_out(inspection),
        "decision_document": inspection.decision_document_id,
        "decision_document_text": inspection.decision_document_text,
        "period_from": inspection.period_from,
        "period_to": inspection.period_to,
        "team": [
            {"name": t.name, "member": t.member_id, "leader": t.is_leader}
            for t in inspection.team.all()
        ],
        "subjects": [_subject_out(s) for s in inspection.subjects.all()],
        "steps": [
            {"step": s.step, "due_on": s.due_on, "done_on": s.done_on, "note": s.note}
            for s in inspection.steps.all()
        ],
        "conclusion": conclusion,
        "recommendations": [
            _recommendation_out(r, today) for r in inspection.recommendations.all()
        ],
    }


def _inspection(request: HttpRequest, inspection_id: int) -> Inspection:
    return cast(
        Inspection,
        found(selectors.inspections(request.user).select_related("body"), pk=inspection_id),
    )


def _program(request: HttpRequest, program_id: int) -> InspectionProgram:
    return cast(
        InspectionProgram,
        found(selectors.programs(request.user).select_related("body"), pk=program_id),
    )


def _discipline(request: HttpRequest, discipline_id: int) -> Discipline:
    return cast(
        Discipline,
        found(
            selectors.disciplines(request.user).select_related("body", "unit", "member__unit"),
            pk=discipline_id,
        ),
    )


def _appeal_out(a: Appeal) -> dict[str, Any]:
    return {
        "id": a.pk,
        "lodged_on": a.lodged_on,
        "received_on": a.received_on,
        "body": a.body.code,
        "body_kind": a.body_kind,
        "decided_on": a.decided_on,
        "outcome": a.outcome,
        "new_form": a.new_form,
        "document": a.document_id,
        "document_text": a.document_text,
    }


def _discipline_out(
    d: Discipline, day: dt.date | None = None, state: selectors.DisciplineState | None = None
) -> dict[str, Any]:
    state = state or selectors.discipline_state(d, day or timezone.localdate())
    return {
        "id": d.pk,
        "subject_kind": d.subject_kind,
        "member": d.member_id,
        "unit": d.unit.code if d.unit_id else None,
        "subject_status": d.subject_status,
        "form": d.form,
        "body": d.body.code,
        "body_kind": d.body_kind,
        "decided_on": d.decided_on,
        "document": d.document_id,
        "document_text": d.document_text,
        "violation_kind": d.violation_kind,
        "violation_on": d.violation_on,
        "status": state.status,
        "in_force": state.in_force,
        "lapses_on": state.lapses_on,
    }


def _bans_out(
    d: Discipline, day: dt.date, state: selectors.DisciplineState
) -> list[dict[str, Any]]:
    r = discipline_rules()
    return [
        {
            "code": ban.code,
            "label": r.ban_label(ban.code),
            "until": ban.until,
            "active": d.decided_on <= day and (ban.until is None or day < ban.until),
            "source": ban.source,
        }
        for ban in state.bans
    ]


def _discipline_detail(d: Discipline, day: dt.date | None = None) -> dict[str, Any]:
    day = day or timezone.localdate()
    state = selectors.discipline_state(d, day, discipline_rules())
    return {
        **_discipline_out(d, day, state),
        "bans": _bans_out(d, day, state),
        "violation": d.violation,
        "duty_related": d.duty_related,
        "votes": dict(d.votes or {}),
        "voters_total": d.voters_total,
        "proposing_for": d.proposing_for,
        "proposing_total": d.proposing_total,
        "relations": list(d.relations or []),
        "may_admit": d.may_admit,
        "inspection": d.inspection_id,
        "appeals": [_appeal_out(a) for a in d.appeals.select_related("body").order_by("id")],
    }


# Programs ----------------------------------------------------------------------------------
@router.get(
    "/inspection-programs", response=answers({200: ProgramPage}), summary="Inspection programs"
)
def list_programs(request: HttpRequest, query: Query[ProgramQuery]) -> dict[str, Any]:
    """The programs of the bodies in the caller's `view_inspections` scope (in `unit`'s
    subtree when given), newest first, with their progress."""
    rows = _under(request, selectors.programs(request.user), query.unit, "path")
    if query.year is not None:
        rows = rows.filter(year=query.year)
    page, cursor = _page(rows.select_related("body"), query.cursor)
    list_read_record(
        actor=request.user, name="programs", filters=query.model_dump(), rows=len(page)
    )
    return {"items": [_program_out(p) for p in page], "next_cursor": cursor}


@router.post(
    "/inspection-programs", response=answers({201: ProgramOut}), summary="Create a program"
)
def create_program(request: HttpRequest, response: HttpResponse, payload: ProgramIn) -> Any:
    """A body's program for a year (one per body and year); `inspect` on the body."""
    body = _acting_unit(request, payload.body, INSPECT)
    program = program_create(
        actor=request.user,
        body=body,
        body_kind=payload.body_kind,
        year=payload.year,
        title=payload.title,
        document=payload.document,
    )
    response["Location"] = f"{API_ROOT}/inspection-programs/{program.pk}"
    return Status(201, _program_out(program))


@router.get(
    "/inspection-programs/{program_id}",
    response=answers({200: ProgramDetailOut}),
    summary="One program",
)
def get_program(request: HttpRequest, program_id: int) -> dict[str, Any]:
    """The program, its items and what was done against them ("completed N of M")."""
    program = _program(request, program_id)
    program_read_record(actor=request.user, program=program)
    items = program.items.select_related("subject_unit", "inspection").order_by("id")
    return {**_program_out(program), "items": [_item_out(i) for i in items]}


@router.post(
    "/inspection-programs/{program_id}/items",
    response=answers({201: ProgramItemOut}),
    summary="Plan an inspection",
)
def add_program_item(
    request: HttpRequest, response: HttpResponse, program_id: int, payload: ProgramItemIn
) -> Any:
    """Plan an inspection or supervision in the program; `inspect` on its body."""
    program = _program(request, program_id)
    if not scope_for(request.user, INSPECT).covers_path(program.path):
        raise forbidden()
    subject_unit = _unit(request, payload.subject_unit) if payload.subject_unit else None
    item = program_item_add(
        actor=request.user,
        program=program,
        kind=payload.kind,
        subject_unit=subject_unit,
        subject_text=payload.subject_text,
        planned_from=payload.planned_from,
        planned_to=payload.planned_to,
    )
    response["Location"] = f"{API_ROOT}/inspection-programs/{program.pk}"
    return Status(201, _item_out(item))


# Inspections -------------------------------------------------------------------------------
@router.get("/inspections", response=answers({200: InspectionPage}), summary="Inspections")
def list_inspections(request: HttpRequest, query: Query[InspectionQuery]) -> dict[str, Any]:
    """The inspections and supervisions of the bodies in the caller's `view_inspections`
    scope (in `unit`'s subtree, of `kind`, decided in `year` when given), newest first."""
    rows = _under(request, selectors.inspections(request.user), query.unit, "path")
    if query.kind:
        rows = rows.filter(kind=query.kind)
    if query.year is not None:
        rows = rows.filter(decided_on__year=query.year)
    page, cursor = _page(rows.select_related("body"), query.cursor)
    list_read_record(
        actor=request.user, name="inspections", filters=query.model_dump(), rows=len(page)
    )
    return {"items": [_inspection_out(i) for i in page], "next_cursor": cursor}


@router.post(
    "/inspections", response=answers({201: InspectionDetailOut}), summary="Open an inspection"
)
def open_inspection(request: HttpRequest, response: HttpResponse, payload: InspectionIn) -> Any:
    """Open an inspection or supervision (`inspection_open`): `inspect` on the body; its
    subjects are units and members the caller sees (404 else); a team member named by id
    that the caller does not see is refused on `team` (422), alike whether it exists."""
    body = _acting_unit(request, payload.body, INSPECT)
    item = None
    if payload.program_item is not None:
        item = found(selectors.program_items(request.user), pk=payload.program_item)
    team = [
        TeamMember(
            name=t.name,
            member=_team_member(request, t.member) if t.member is not None else None,
            is_leader=t.leader,
        )
        for t in payload.team
    ]
    inspection = inspection_open(
        actor=request.user,
        code=payload.code,
        body=body,
        body_kind=payload.body_kind,
        kind=payload.kind,
        decided_on=payload.decided_on,
        document=payload.document,
        document_text=payload.document_text,
        period_from=payload.period_from,
        period_to=payload.period_to,
        program_item=item,
        team=team,
        subject_units=[_unit(request, c) for c in payload.subject_units],
        subject_members=[_member(request, pk) for pk in payload.subject_members],
    )
    response["Location"] = f"{API_ROOT}/inspections/{inspection.pk}"
    return Status(201, _inspection_detail(inspection))


@router.get(
    "/inspections/{inspection_id}",
    response=answers({200: InspectionDetailOut}),
    summary="One inspection's file",
)
def get_inspection(request: HttpRequest, inspection_id: int) -> dict[str, Any]:
    """The file: subjects and findings, steps, team, conclusion, recommendations and their
    follow-ups. Only with `view_inspections` on the body (404 else); the read is audited."""
    inspection = _inspection(request, inspection_id)
    inspection_read_record(actor=request.user, inspection=inspection)
    return _inspection_detail(inspection)


@router.post(
    "/inspections/{inspection_id}/subjects",
    response=answers({201: SubjectOut}),
    summary="Add a subject",
)
def add_subject(
    request: HttpRequest, response: HttpResponse, inspection_id: int, payload: SubjectIn
) -> Any:
    inspection = _inspection(request, inspection_id)
    _may_inspect(request, inspection)
    subject = inspection_add_subject(
        actor=request.user,
        inspection=inspection,
        unit=_unit(request, payload.unit) if payload.unit else None,
        member=_member(request, payload.member) if payload.member is not None else None,
    )
    response["Location"] = f"{API_ROOT}/inspections/{inspection.pk}"
    return Status(201, _subject_out(subject))


@router.post(
    "/inspections/{inspection_id}/steps",
    response=answers({201: StepOut}),
    summary="Record a step",
)
def record_step(
    request: HttpRequest, response: HttpResponse, inspection_id: int, payload: StepIn
) -> Any:
    inspection = _inspection(request, inspection_id)
    _may_inspect(request, inspection)
    step = inspection_record_step(
        actor=request.user,
        inspection=inspection,
        step=payload.step,
        done_on=payload.done_on,
        note=payload.note,
    )
    response["Location"] = f"{API_ROOT}/inspections/{inspection.pk}"
    return Status(
        201, {"step": step.step, "due_on": step.due_on, "done_on": step.done_on, "note": step.note}
    )


@router.post(
    "/inspections/{inspection_id}/conclusion",
    response=answers({200: InspectionDetailOut}),
    summary="Conclude",
)
def conclude(request: HttpRequest, inspection_id: int, payload: ConclusionIn) -> Any:
    """Conclude with the conclusion's document and a finding on every subject."""
    inspection = _inspection(request, inspection_id)
    _may_inspect(request, inspection)
    inspection_conclude(
        actor=request.user,
        inspection=inspection,
        concluded_on=payload.concluded_on,
        findings=[
            Finding(f.subject, f.violation_found, f.violation_kind, f.text)
            for f in payload.findings
        ],
        document=payload.document,
        document_text=payload.document_text,
        summary=payload.summary,
    )
    return _inspection_detail(inspection)


@router.post(
    "/inspections/{inspection_id}/recommendations",
    response=answers({201: RecommendationOut}),
    summary="Add a recommendation",
)
def add_recommendation(
    request: HttpRequest, response: HttpResponse, inspection_id: int, payload: RecommendationIn
) -> Any:
    inspection = _inspection(request, inspection_id)
    _may_inspect(request, inspection)
    subject = None
    if payload.subject is not None:
        subject = inspection.subjects.filter(pk=payload.subject).first()
        if subject is None:
            raise ServiceError(
                "recommendation.subject_unknown",
                _("No such subject of this inspection."),
                field="subject",
            )
    recommendation = recommendation_add(
        actor=request.user,
        inspection=inspection,
        text=payload.text,
        subject=subject,
        owner_unit=_unit(request, payload.owner_unit) if payload.owner_unit else None,
        owner_text=payload.owner_text,
        deadline=payload.deadline,
    )
    response["Location"] = f"{API_ROOT}/inspections/{inspection.pk}"
    return Status(201, _recommendation_out(recommendation, timezone.localdate()))


@router.post(
    "/inspections/{inspection_id}/recommendations/{recommendation_id}/follow-ups",
    response=answers({201: RecommendationOut}),
    summary="Follow a recommendation up",
)
def follow_up(
    request: HttpRequest,
    response: HttpResponse,
    inspection_id: int,
    recommendation_id: int,
    payload: FollowUpIn,
) -> Any:
    """What was done on a recommendation: recorded by the inspecting body (`inspect` on it)
    or by the unit the recommendation is addressed to (`change` on that unit: it records
    its own follow-up, reading nothing of the file but the recommendation)."""
    owned = (
        selectors.recommendations_addressed_to(request.user)
        .select_related("inspection", "owner_unit")
        .filter(inspection_id=inspection_id, pk=recommendation_id)
        .first()
    )
    if owned is not None:
        recommendation, inspection = owned, owned.inspection
    else:
        inspection = _inspection(request, inspection_id)
        recommendation = found(inspection.recommendations.all(), pk=recommendation_id)
        _may_inspect(request, inspection)
    recommendation_follow_up(
        actor=request.user,
        recommendation=recommendation,
        on=payload.on,
        status=payload.status,
        note=payload.note,
    )
    recommendation.refresh_from_db()
    response["Location"] = (
        f"{API_ROOT}/inspections/{inspection.pk}/recommendations/{recommendation.pk}"
    )
    return Status(201, _recommendation_out(recommendation, timezone.localdate()))


@router.get(
    "/inspections/{inspection_id}/recommendations/{recommendation_id}",
    response=answers({200: RecommendationOut}),
    summary="One recommendation and its follow-up",
)
def get_recommendation(request: HttpRequest, inspection_id: int, recommendation_id: int) -> Any:
    """A recommendation with its follow-ups: for readers of the inspection's file
    (`view_inspections`) and for the unit it is addressed to (`view` on it), who reads the
    recommendation and not the file; 404 for anyone else."""
    recommendation = (
        selectors.recommendations_addressed_to(request.user, VIEW)
        .filter(inspection_id=inspection_id, pk=recommendation_id)
        .first()
    )
    if recommendation is None:
        inspection = _inspection(request, inspection_id)
        recommendation = found(inspection.recommendations.all(), pk=recommendation_id)
    recommendation = _recommendations().select_related("inspection__body").get(pk=recommendation.pk)
    recommendation_read_record(actor=request.user, recommendation=recommendation)
    return _recommendation_out(recommendation, timezone.localdate())


# Disciplines -------------------------------------------------------------------------------
@router.get("/disciplines", response=answers({200: DisciplinePage}), summary="Disciplines")
def list_disciplines(request: HttpRequest, query: Query[DisciplineQuery]) -> dict[str, Any]:
    """The disciplines of subjects in the caller's `view_inspections` scope (in `unit`'s
    subtree, of `form`, `subject_kind`, decided in `year` when given), newest first."""
    rows = _under(request, selectors.disciplines(request.user), query.unit, "subject_path")
    if query.form:
        rows = rows.filter(form=query.form)
    if query.subject_kind:
        rows = rows.filter(subject_kind=query.subject_kind)
    if query.year is not None:
        rows = rows.filter(decided_on__year=query.year)
    page, cursor = _page(rows.select_related("body", "unit"), query.cursor)
    list_read_record(
        actor=request.user, name="disciplines", filters=query.model_dump(), rows=len(page)
    )
    # Whether each lapsed depends on its appeals and the later decisions on its subject:
    # read once for the page.
    known = selectors.standings(page)
    day = query.as_of or timezone.localdate()
    rules = discipline_rules()
    items = [
        _discipline_out(d, day, selectors.discipline_state(d, day, rules, known.get(d.pk)))
        for d in page
    ]
    return {"items": items, "next_cursor": cursor}


@router.post(
    "/disciplines", response=answers({201: DisciplineDetailOut}), summary="Record a discipline"
)
def decide_discipline(request: HttpRequest, response: HttpResponse, payload: DisciplineIn) -> Any:
    """A body's discipline decision (`discipline_decide`: the form for the subject, the
    body's authority, the votes, the limitation period, with the rule's source);
    `decide_discipline` on the subject (403 for one the caller sees without it)."""
    body = _unit(request, payload.body)
    member = unit = None
    if payload.subject_kind == "member":
        if payload.member is None:
            raise ServiceError("discipline.subject_missing", _("Name the member."), field="member")
        member = _member(request, payload.member)
        path = member.unit.path
    else:
        if not payload.unit:
            raise ServiceError("discipline.subject_missing", _("Name the unit."), field="unit")
        unit = _unit(request, payload.unit)
        path = unit.path
    if not scope_for(request.user, DECIDE_DISCIPLINE).covers_path(path):
        raise forbidden()
    inspection = None
    if payload.inspection is not None:
        inspection = found(selectors.inspections(request.user), pk=payload.inspection)
    discipline = discipline_decide(
        actor=request.user,
        subject_kind=payload.subject_kind,
        member=member,
        unit=unit,
        form=payload.form,
        body=body,
        body_kind=payload.body_kind,
        decided_on=payload.decided_on,
        document=payload.document,
        document_text=payload.document_text,
        violation=payload.violation,
        violation_kind=payload.violation_kind,
        violation_on=payload.violation_on,
        duty_related=payload.duty_related,
        votes=payload.votes,
        voters_total=payload.voters_total,
        proposing_for=payload.proposing_for,
        proposing_total=payload.proposing_total,
        inspection=inspection,
        members_to=_unit(request, payload.members_to) if payload.members_to else None,
        holds_post=payload.holds_post,
        relations=payload.relations,
        may_admit=payload.may_admit,
        child_under_months=payload.raising_child_under_12_months,
        youngest_child_born_on=payload.youngest_child_born_on,
    )
    response["Location"] = f"{API_ROOT}/disciplines/{discipline.pk}"
    return Status(201, _discipline_detail(discipline))


@router.get(
    "/disciplines/{discipline_id}",
    response=answers({200: DisciplineDetailOut}),
    summary="One discipline's file",
)
def get_discipline(
    request: HttpRequest, discipline_id: int, query: Query[AsOfQuery]
) -> dict[str, Any]:
    """The decision, its votes and violation, its appeals, whether it is in force on
    `as_of` (default today: a decision lapses after the rule set's months) and its bans.
    Only with `view_inspections` on the subject's unit (404 else); the read is audited."""
    discipline = _discipline(request, discipline_id)
    discipline_read_record(actor=request.user, discipline=discipline)
    return _discipline_detail(discipline, query.as_of)


def _deciding(request: HttpRequest, discipline: Discipline) -> None:
    if not scope_for(request.user, DECIDE_DISCIPLINE).covers_path(discipline.subject_path):
        raise forbidden()


@router.post(
    "/disciplines/{discipline_id}/appeals",
    response=answers({201: AppealOut}),
    summary="Lodge an appeal",
)
def lodge_appeal(
    request: HttpRequest, response: HttpResponse, discipline_id: int, payload: AppealIn
) -> Any:
    discipline = _discipline(request, discipline_id)
    _deciding(request, discipline)
    appeal = appeal_lodge(
        actor=request.user,
        discipline=discipline,
        lodged_on=payload.lodged_on,
        received_on=payload.received_on,
        body=_unit(request, payload.body),
        body_kind=payload.body_kind,
        document=payload.document,
        document_text=payload.document_text,
    )
    response["Location"] = f"{API_ROOT}/disciplines/{discipline.pk}"
    return Status(201, _appeal_out(appeal))


@router.post(
    "/disciplines/{discipline_id}/appeals/{appeal_id}/decision",
    response=answers({200: AppealOut}),
    summary="Decide an appeal",
)
def decide_appeal(
    request: HttpRequest, discipline_id: int, appeal_id: int, payload: AppealDecisionIn
) -> Any:
    discipline = _discipline(request, discipline_id)
    appeal = found(discipline.appeals.select_related("body"), pk=appeal_id)
    _deciding(request, discipline)
    appeal = appeal_decide(
        actor=request.user,
        appeal=appeal,
        decided_on=payload.decided_on,
        outcome=payload.outcome,
        new_form=payload.new_form,
        document=payload.document,
        document_text=payload.document_text,
        votes=payload.votes,
        voters_total=payload.voters_total,
        proposing_for=payload.proposing_for,
        proposing_total=payload.proposing_total,
        holds_post=payload.holds_post,
        relations=payload.relations,
        may_admit=payload.may_admit,
    )
    return _appeal_out(appeal)


# Worklists ---------------------------------------------------------------------------------
# The inspecting bodies' worklists (issue 19, item 4; `worklists.py`), paged like the lists
# above: late steps, overdue recommendations, appeals waiting, limitation periods near.
from cadrebook.core.api_toolkit import not_found  # noqa: E402
from cadrebook.inspections import worklists  # noqa: E402


class WorklistRowOut(Schema):
    id: int = Field(..., description="The step's, recommendation's, appeal's or subject's id")
    inspection: int | None = None
    discipline: int | None = None
    step: str = Field("", description="late-steps: the step's code")
    text: str = Field("", description="overdue-recommendations: the recommendation")
    status: str = Field("", description="overdue-recommendations: the latest follow-up's")
    unit: str | None = Field(None, description="The subject's unit code (limitation-near)")
    member: int | None = Field(None, description="The subject member's id (limitation-near)")
    form: str = Field(
        "", description="The form of the discipline appealed, or whose limitation ends"
    )
    due_on: dt.date | None = Field(
        None,
        description="The step's due day, the recommendation's deadline, the day the appeal "
        "was lodged, or the last day of the limitation period",
    )
    counted_from: dt.date | None = Field(
        None, description="limitation-near: the day the period counts from"
    )


class WorklistPage(Schema):
    items: list[WorklistRowOut]
    next_cursor: str | None = None


class WorklistQuery(Schema):
    cursor: str = Field("", max_length=20)


def _worklist_row(name: str, row: Any, today: dt.date) -> dict[str, Any]:
    if name == worklists.LATE_STEPS:
        return {
            "id": row.pk,
            "inspection": row.inspection_id,
            "step": row.step,
            "due_on": row.due_on,
        }
    if name == worklists.OVERDUE_RECOMMENDATIONS:
        return {
            "id": row.pk,
            "inspection": row.inspection_id,
            "text": row.text,
            "status": row.status,
            "due_on": row.deadline,
        }
    if name == worklists.APPEALS_WAITING:
        return {
            "id": row.pk,
            "discipline": row.discipline_id,
            "form": row.discipline.form,
            "due_on": row.lodged_on,
        }
    limitation = worklists.next_limitation(row.violation_from, today)
    return {
        "id": row.pk,
        "inspection": row.inspection_id,
        "unit": row.unit.code if row.unit_id else None,
        "member": row.member_id,
        "form": limitation.form if limitation else "",
        "due_on": limitation.ends_on if limitation else None,
        "counted_from": row.violation_from,
    }


@router.get(
    "/inspections/worklists/{name}",
    response=answers({200: WorklistPage}),
    summary="A worklist",
)
def get_worklist(request: HttpRequest, name: str, query: Query[WorklistQuery]) -> dict[str, Any]:
    """One of the worklists of the caller's `view_inspections` scope: `late-steps`,
    `overdue-recommendations`, `appeals-waiting`, `limitation-near` (violations found and
    not yet disciplined whose limitation period ends within the rule set's
    `[inspection] limitation_warning_days`). 404 for another name."""
    if name not in worklists.NAMES:
        raise not_found()
    today = timezone.localdate()
    page, cursor = _page(worklists.worklist(name, request.user, today), query.cursor)
    list_read_record(actor=request.user, name=name, filters=query.model_dump(), rows=len(page))
    return {"items": [_worklist_row(name, r, today) for r in page], "next_cursor": cursor}
