"""The steps of the evaluation as collections of their own (`/api/v1/evaluations/assessments`,
`/proposals`, `/decisions`): the records of a round (or a subject, or a subtree) listed, newest
first, 100 a page, and a step recorded by naming its subject in the body — the same writes as
`POST /subjects/{id}/self-assessment`, `/proposal` and `/decision` (`rounds_api.py`), with the
same checks, permissions, refusals and answers.

Scoping as everywhere in the evaluation: only the records of subjects the caller may see are
listed; a round, subject or unit outside the caller's scope answers 404.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from cadrebook.core.api_toolkit import answers
from cadrebook.evaluations import rounds_api
from cadrebook.evaluations.models import Decision, Proposal, SelfAssessment
from cadrebook.evaluations.reads import visible_subjects
from cadrebook.evaluations.rounds_api import (
    DecisionIn,
    DecisionOut,
    ProposalIn,
    ProposalOut,
    SelfAssessmentIn,
    SelfAssessmentOut,
)

router = Router(tags=["evaluations"])


class StepQuery(Schema):
    round: int | None = Field(None, ge=1, le=2**62, description="Only this round's records")
    subject: int | None = Field(None, ge=1, le=2**62, description="Only this subject's")
    unit: str | None = Field(None, max_length=32, description="Subjects rated in this subtree")
    cursor: str = Field("", max_length=20)


class SubjectRef(Schema):
    subject: int = Field(..., ge=1, le=2**62, description="Id of the round's subject")


class AssessmentCreate(SelfAssessmentIn, SubjectRef):
    pass


class ProposalCreate(ProposalIn, SubjectRef):
    pass


class DecisionCreate(DecisionIn, SubjectRef):
    pass


class AssessmentPage(Schema):
    items: list[SelfAssessmentOut]
    next_cursor: str | None = None


class ProposalPage(Schema):
    items: list[ProposalOut]
    next_cursor: str | None = None


class DecisionRowOut(Schema):
    id: int
    subject: int
    level: str
    score: Decimal
    deciding_unit: str
    document: int | None
    disqualifiers: list[str]
    override_reason: str
    over_quota: bool
    reconsideration: bool
    reason: str
    late: bool = Field(..., description="Recorded after its deadline in the timetable")
    missing_steps: rounds_api.MissingSteps = rounds_api.MISSING_STEPS_FIELD
    recorded_at: dt.datetime


class DecisionPage(Schema):
    items: list[DecisionRowOut]
    next_cursor: str | None = None


def _steps(request: HttpRequest, rows: QuerySet[Any], query: StepQuery) -> QuerySet[Any]:
    """The records of the subjects the caller may see, narrowed by the query; a round,
    subject or unit the caller may not reach answers 404."""
    subjects = visible_subjects(request.user)
    if query.round is not None:
        subjects = subjects.filter(round=rounds_api._round(request, query.round))
    if query.subject is not None:
        subjects = subjects.filter(pk=rounds_api._subject(request, query.subject).pk)
    if query.unit:
        unit = rounds_api._unit(request, query.unit)
        subjects = subjects.filter(home__path__startswith=unit.path)
    return rows.filter(subject__in=subjects.values("pk"))


def _fields(payload: Schema, schema: type[Schema]) -> Any:
    """The body without its `subject`, as the subject's own endpoint takes it."""
    return schema(**payload.dict(exclude={"subject"}))


@router.get("/assessments", response=answers({200: AssessmentPage}), summary="Self-assessments")
def list_assessments(request: HttpRequest, query: Query[StepQuery]) -> Any:
    """The self-assessments recorded for the subjects the caller sees, newest first."""
    rows = _steps(request, SelfAssessment.objects.all(), query)
    page, cursor = rounds_api._page(rows.order_by("-id"), query.cursor, newest_first=True)
    items = [rounds_api.assessment_out(row) for row in page]
    return {"items": items, "next_cursor": cursor}


@router.post(
    "/assessments", response=answers({201: SelfAssessmentOut}), summary="Record a self-assessment"
)
def create_assessment(
    request: HttpRequest, response: HttpResponse, payload: AssessmentCreate
) -> Any:
    """As `POST /subjects/{subject}/self-assessment`."""
    fields = _fields(payload, SelfAssessmentIn)
    return rounds_api.self_assess(request, response, payload.subject, fields)


@router.get("/proposals", response=answers({200: ProposalPage}), summary="The cells' proposals")
def list_proposals(request: HttpRequest, query: Query[StepQuery]) -> Any:
    """The proposals recorded for the subjects the caller sees, newest first."""
    rows = _steps(request, Proposal.objects.all(), query)
    page, cursor = rounds_api._page(rows.order_by("-id"), query.cursor, newest_first=True)
    items = [rounds_api.proposal_out(row) for row in page]
    return {"items": items, "next_cursor": cursor}


@router.post("/proposals", response=answers({201: ProposalOut}), summary="Record a proposal")
def create_proposal(request: HttpRequest, response: HttpResponse, payload: ProposalCreate) -> Any:
    """As `POST /subjects/{subject}/proposal`."""
    return rounds_api.propose(request, response, payload.subject, _fields(payload, ProposalIn))


@router.get("/decisions", response=answers({200: DecisionPage}), summary="The decisions")
def list_decisions(request: HttpRequest, query: Query[StepQuery]) -> Any:
    """The decisions (reconsiderations included) recorded for the subjects the caller sees,
    newest first; a subject's quota is on `GET /subjects/{id}`."""
    rows = _steps(request, Decision.objects.select_related("deciding_unit"), query)
    page, cursor = rounds_api._page(rows.order_by("-id"), query.cursor, newest_first=True)
    items = [
        {
            "id": row.pk,
            "subject": row.subject_id,
            "level": row.level,
            "score": row.score,
            "deciding_unit": row.deciding_unit.code,
            "document": row.document_id,
            "disqualifiers": list(row.disqualifiers or []),
            "override_reason": row.override_reason,
            "over_quota": row.over_quota,
            "reconsideration": row.reconsideration,
            "reason": row.reason,
            "late": row.late,
            "missing_steps": list(row.missing_steps or []),
            "recorded_at": row.recorded_at,
        }
        for row in page
    ]
    return {"items": items, "next_cursor": cursor}


@router.post("/decisions", response=answers({201: DecisionOut}), summary="Record a decision")
def create_decision(request: HttpRequest, response: HttpResponse, payload: DecisionCreate) -> Any:
    """As `POST /subjects/{subject}/decision`."""
    return rounds_api.decide(request, response, payload.subject, _fields(payload, DecisionIn))
