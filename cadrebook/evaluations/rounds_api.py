"""API of the evaluation (`/api/v1/evaluations/`): rounds (the list, opening one, one with its
progress and quota, closing it, marking an outstanding unit), the subjects of a round by
worklist, a subject's self-assessment, the cell's proposal, the decision (with the quota it
leaves) and the reconsideration; the ratings of a subtree and year and a member's or unit's
history; the model organizations' registration and recognition.

Scoping: a round is reached by the users whose scope holds its opener or a unit of its
subtree (a cell's clerk reaches the round of the committee above, and sees the cell's
subjects only); a subject, rating or unit outside the caller's scope answers 404. A member
has no account: the cell's clerk records the self-assessment on the member's behalf and the
cell's proposal (`evaluate` on the subject's cell); the committee's office opens, decides and
closes (`decide_evaluations` on the deciding unit); 403 for a caller who sees the object but
lacks the action. Every write goes through the services (`evaluations/services/`), which
check the rule set and audit; a refusal answers the rule's code, message, field and source.

(The targets' API is `evaluations/api.py`, mounted under `/api/v1/targets`.)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal, cast

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from cadrebook.core.api_toolkit import API_ROOT, ApiDate, answers, forbidden, found
from cadrebook.core.dates import MAX_YEAR, MIN_YEAR
from cadrebook.core.errors import ServiceError
from cadrebook.core.permissions import VIEW
from cadrebook.core.scoping import scope_for
from cadrebook.evaluations.models import Decision, Proposal, Rating, Round, SelfAssessment, Subject
from cadrebook.evaluations.permissions import DECIDE_EVALUATIONS, EVALUATE
from cadrebook.evaluations.reads import (
    reachable_rounds,
    subject_quota,
    subtree_ratings,
    visible_subjects,
)
from cadrebook.evaluations.rules import evaluation_rules
from cadrebook.evaluations.selectors import (
    STATES,
    late_counts,
    model_records,
    quota_status,
    rating_history,
    round_progress,
    round_subject,
    round_subjects,
    ruleset_of,
    step_names,
    subject_state,
    with_state,
)
from cadrebook.evaluations.services import (
    model_recognize,
    model_register,
    round_close,
    round_mark_outstanding,
    round_open,
    round_reschedule,
    subject_decide,
    subject_mark,
    subject_propose,
    subject_reconsider,
    subject_self_assess,
)
from cadrebook.members.models import Member
from cadrebook.members.reads import member_read_record
from cadrebook.orgs.models import OrgUnit

router = Router(tags=["evaluations"])
PAGE = 100
ROOT = f"{API_ROOT}/evaluations"

LevelCode = Literal["excellent", "good", "completed", "not_completed"]
StateCode = Literal["not_assessed", "no_proposal", "awaiting_decision", "decided", "excluded"]
assert set(StateCode.__args__) == set(STATES)  # type: ignore[attr-defined]


# Shapes ------------------------------------------------------------------------------------
class ProgressOut(Schema):
    total: int
    not_assessed: int
    no_proposal: int
    awaiting_decision: int
    decided: int
    excluded: int


class QuotaOut(Schema):
    unit: str = Field(..., description="Code of the deciding unit (grassroots organization)")
    role_group: str = Field(..., description="The group of similar roles")
    excellent: int
    good: int
    allowed: int = Field(..., description="How many may be rated excellent: a share of good")
    over: int = Field(..., description="By how many the excellent go over (0 within)")
    outstanding: bool = Field(..., description="Marked outstanding: the larger share")


class RoundOut(Schema):
    id: int
    kind: str
    year: int
    unit: str = Field(..., description="Code of the committee that opened it")
    reference_date: dt.date
    self_assessment_until: dt.date
    proposals_until: dt.date
    decisions_until: dt.date
    status: Literal["open", "closed"]
    ruleset: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None


class TimetableChangeOut(Schema):
    previous_self_assessment_until: dt.date
    previous_proposals_until: dt.date
    previous_decisions_until: dt.date
    self_assessment_until: dt.date
    proposals_until: dt.date
    decisions_until: dt.date
    reason: str
    recorded_at: dt.datetime


class LateOut(Schema):
    self_assessment: int = Field(..., description="Self-assessments recorded after D1")
    proposal: int = Field(..., description="Proposals recorded after D2")
    decision: int = Field(..., description="Decisions recorded after D3")


class RoundDetailOut(RoundOut):
    under: str = Field(..., description="The unit whose subtree the progress and quota count")
    progress: ProgressOut
    quota: list[QuotaOut]
    late: LateOut = Field(..., description="Steps recorded after their deadline (warned)")
    timetable_changes: list[TimetableChangeOut] = Field(
        ..., description="Every change of the timetable, oldest first, with the earlier dates"
    )


class TimetableIn(Schema):
    self_assessment_until: ApiDate
    proposals_until: ApiDate
    decisions_until: ApiDate
    reason: str = Field(..., max_length=2000)


class RoundPage(Schema):
    items: list[RoundOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page")


class RoundQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="Opened in this unit's subtree")
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)
    kind: str | None = Field(None, max_length=32)
    status: Literal["open", "closed"] | None = None
    cursor: str = Field("", max_length=20)


class RoundIn(Schema):
    unit: str = Field(..., max_length=32, description="Code of the committee opening it")
    kind: str = Field(..., max_length=32, description="A kind of round of the rule set")
    year: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)
    reference_date: ApiDate
    self_assessment_until: ApiDate
    proposals_until: ApiDate
    decisions_until: ApiDate


class RoundReadQuery(Schema):
    unit: str | None = Field(
        None, max_length=32, description="Count progress and quota in this unit's subtree"
    )


class OutstandingIn(Schema):
    unit: str = Field(..., max_length=32, description="The deciding unit marked outstanding")


class SubjectOut(Schema):
    id: int
    round: int
    kind: Literal["member", "unit"]
    member: int | None = Field(..., description="Id of the member (member subjects)")
    name: str = Field(..., description="The member's full name or the unit's name")
    unit: str | None = Field(..., description="Code of the organization (unit subjects)")
    home: str = Field(..., description="Code of the unit it is rated in")
    deciding_unit: str
    framework: str
    role_group: str
    excluded: str = Field(..., description="Why it is not rated (empty: rated)")
    special_case: str
    host_unit: str | None
    state: StateCode
    assessed_score: Decimal | None
    proposed_level: LevelCode | None
    decided_level: LevelCode | None


class SubjectPage(Schema):
    items: list[SubjectOut]
    next_cursor: str | None = None


class SubjectQuery(Schema):
    state: StateCode | None = None
    unit: str | None = Field(None, max_length=32, description="Rated in this unit's subtree")
    member: int | None = Field(
        None, ge=1, le=2**62, description="Only this member's subject (refused if not listed)"
    )
    organization: str | None = Field(
        None, max_length=32, description="Only this unit's subject (refused if not listed)"
    )
    cursor: str = Field("", max_length=20)


class MarkIn(Schema):
    """What changes of the subject's case; a field left out keeps its value."""

    excluded: str | None = Field(
        None, max_length=24, description="Why the member is not rated (empty: rated)"
    )
    special_case: str | None = Field(
        None, max_length=24, description="Special case code (empty: none)"
    )
    leave_months: int | None = Field(None, ge=0, le=600, description="For a long leave")
    host_unit: str | None = Field(None, max_length=32, description="Host cell's code")
    framework: str | None = Field(None, max_length=16)
    role_group: str | None = Field(None, max_length=64)
    leads: str | None = Field(None, max_length=32, description="Code of the unit led")
    note: str | None = Field(None, max_length=20000)


class SelfAssessmentIn(Schema):
    scores: dict[str, Decimal] = Field(..., description="Criteria group -> points")
    review: str = Field("", max_length=20000)


class SelfAssessmentOut(Schema):
    id: int
    subject: int
    scores: dict[str, str]
    score: Decimal
    review: str
    late: bool = Field(..., description="Recorded after its deadline in the timetable")
    recorded_at: dt.datetime


class ProposalIn(Schema):
    score: Decimal = Field(..., max_digits=6, decimal_places=2)
    level: str = Field(..., max_length=16)
    votes_for: int = Field(..., ge=0, le=100_000)
    votes_against: int = Field(..., ge=0, le=100_000)
    present: int = Field(..., ge=0, le=100_000)
    host_comments: str = Field("", max_length=20000)
    note: str = Field("", max_length=20000)


class ProposalOut(Schema):
    id: int
    subject: int
    score: Decimal
    level: str
    votes_for: int
    votes_against: int
    present: int
    host_comments: str
    note: str
    late: bool = Field(..., description="Recorded after its deadline in the timetable")
    recorded_at: dt.datetime


class DecisionIn(Schema):
    deciding_unit: str | None = Field(
        None, max_length=32, description="Code of the deciding unit; default the subject's"
    )
    level: str = Field(..., max_length=16)
    score: Decimal = Field(..., max_digits=6, decimal_places=2)
    document: int | None = Field(None, ge=1, le=2**62, description="Id in the register")
    disqualifiers: list[str] = Field(default_factory=list, max_length=20)
    override_reason: str = Field("", max_length=32)
    override_text: str = Field("", max_length=20000)


class ReconsiderationIn(DecisionIn):
    document: int = Field(..., ge=1, le=2**62, description="Id in the register")
    reason: str = Field(..., max_length=20000)


class WarningOut(Schema):
    code: str
    message: str
    source: str


# The steps the rule set puts before a decision not recorded when it was made (warned).
MissingSteps = list[Literal["self_assessment", "proposal"]]
MISSING_STEPS_FIELD = Field(
    ...,
    description="The steps the rule set puts before the decision (the self-assessment, the "
    "cell's proposal) not recorded when it was made, where the rule set only warns",
)


class DecisionOut(Schema):
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
    recorded_at: dt.datetime
    quota: QuotaOut | None = Field(
        ..., description="The deciding unit's quota after this decision (null: no quota)"
    )
    warning: WarningOut | None = Field(
        ..., description="Over the quota where the rule set only warns"
    )
    missing_steps: MissingSteps = MISSING_STEPS_FIELD
    steps_warning: WarningOut | None = Field(
        ..., description="Decided without those steps where the rule set only warns"
    )


class SubjectDetailOut(SubjectOut):
    latest_decision: DecisionOut | None
    quota: QuotaOut | None


class RatingOut(Schema):
    id: int
    subject_kind: Literal["member", "unit"]
    subject: str = Field(..., description="The member's external id or the unit's code")
    member: int | None
    name: str
    year: int
    level: LevelCode
    label: str = Field(..., description="The original label of a legacy rating")
    score: Decimal | None
    source: Literal["round", "import"]
    document: str = Field(..., description="The document, as registered or as written")
    rated_in: str


class RatingPage(Schema):
    items: list[RatingOut]
    next_cursor: str | None = None


class RatingQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="Rated in this unit's subtree")
    year: int | None = Field(None, ge=MIN_YEAR, le=MAX_YEAR)
    subject_kind: Literal["member", "unit"] | None = None
    level: LevelCode | None = None
    cursor: str = Field("", max_length=20)


class HistoryOut(Schema):
    year: int
    level: LevelCode
    label: str
    score: Decimal | None
    source: Literal["round", "import"]
    document: str
    excellent_running: int = Field(..., description="Years running rated excellent up to it")
    honour_candidate: bool


class ModelIn(Schema):
    unit: str = Field(..., max_length=32)
    year: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)
    kind: str = Field(..., max_length=32, description="A model of the rule set")
    date: ApiDate
    document: int | None = Field(None, ge=1, le=2**62)


class RecognitionIn(ModelIn):
    recognized: bool


class ModelRecordOut(Schema):
    id: int
    unit: str
    year: int
    kind: str
    step: str
    date: dt.date
    document: int | None


class ModelQuery(Schema):
    unit: str = Field(..., max_length=32)
    year: int = Field(..., ge=MIN_YEAR, le=MAX_YEAR)


# Helpers -----------------------------------------------------------------------------------
CENTS = Decimal("0.01")


def _points(value: Decimal | None) -> Decimal | None:
    """A score as every answer gives it: two decimal places ("95.00"), whatever the database
    returned (SQLite gives a subquery's decimal without its places)."""
    return None if value is None else Decimal(value).quantize(CENTS)


def _cursor(cursor: str) -> int | None:
    """The id after which a page starts (None: the first page)."""
    if not cursor:
        return None
    if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
        raise ServiceError(
            "cursor.invalid", _("This cursor was not given by this list."), field="cursor"
        )
    return int(cursor)


def _page(rows: Any, cursor: str, *, newest_first: bool = False) -> tuple[list[Any], str | None]:
    after = _cursor(cursor)
    if after is not None:
        rows = rows.filter(id__lt=after) if newest_first else rows.filter(id__gt=after)
    found_rows = list(rows[: PAGE + 1])
    more = len(found_rows) > PAGE
    found_rows = found_rows[:PAGE]
    return found_rows, (str(found_rows[-1].pk) if more and found_rows else None)


def _unit(request: HttpRequest, code: str) -> OrgUnit:
    return cast(OrgUnit, found(OrgUnit.objects.visible_to(request.user, VIEW), code=code))


def _may(request: HttpRequest, action: str, unit: OrgUnit) -> None:
    """403 for a unit the caller sees but whose action their role lacks there."""
    if not scope_for(request.user, action).covers_path(unit.path):
        raise forbidden()


def _round(request: HttpRequest, round_id: int) -> Round:
    return cast(Round, found(reachable_rounds(request.user), pk=round_id))


def _deciding_round(request: HttpRequest, round_id: int) -> Round:
    round_ = _round(request, round_id)
    if not scope_for(request.user, VIEW).covers_path(round_.unit.path):
        raise forbidden()  # reached from below: the cell sees the round, not its opener
    _may(request, DECIDE_EVALUATIONS, round_.unit)
    return round_


def _subject(request: HttpRequest, subject_id: int) -> Subject:
    return cast(Subject, found(visible_subjects(request.user), pk=subject_id))


def _round_out(round_: Round) -> dict[str, Any]:
    return {
        "id": round_.pk,
        "kind": round_.kind,
        "year": round_.year,
        "unit": round_.unit.code,
        "reference_date": round_.reference_date,
        "self_assessment_until": round_.self_assessment_until,
        "proposals_until": round_.proposals_until,
        "decisions_until": round_.decisions_until,
        "status": round_.status,
        "ruleset": round_.ruleset,
        "opened_at": round_.opened_at,
        "closed_at": round_.closed_at,
    }


def _subject_out(subject: Any) -> dict[str, Any]:
    return {
        "id": subject.pk,
        "round": subject.round_id,
        "kind": subject.kind,
        "member": subject.member_id,
        "name": subject.member.full_name if subject.member_id else subject.unit.name,
        "unit": subject.unit.code if subject.unit_id else None,
        "home": subject.home.code,
        "deciding_unit": subject.deciding_unit.code,
        "framework": subject.framework,
        "role_group": subject.role_group,
        "excluded": subject.excluded,
        "special_case": subject.special_case,
        "host_unit": subject.host_unit.code if subject.host_unit_id else None,
        "state": subject_state(subject),
        "assessed_score": _points(subject.assessed_score),
        "proposed_level": subject.proposed_level,
        "decided_level": subject.decided_level,
    }


def _decision_out(decision: Decision, subject: Subject) -> dict[str, Any]:
    rules = evaluation_rules(ruleset_of(subject.round))
    quota = subject_quota(subject)
    warning = None
    if decision.over_quota:
        warning = {
            "code": "evaluation.quota_exceeded",
            "message": _("This decision takes the deciding unit over its quota of excellent."),
            "source": rules.quota_source,
        }
    steps_warning = None
    if decision.missing_steps:
        steps_warning = {
            "code": "evaluation.steps_missing",
            "message": _("Decided without %(steps)s.")
            % {"steps": step_names(subject.kind, decision.missing_steps)},
            "source": rules.steps_source,
        }
    return {
        "id": decision.pk,
        "subject": decision.subject_id,
        "level": decision.level,
        "score": _points(decision.score),
        "deciding_unit": decision.deciding_unit.code,
        "document": decision.document_id,
        "disqualifiers": list(decision.disqualifiers),
        "override_reason": decision.override_reason,
        "over_quota": decision.over_quota,
        "reconsideration": decision.reconsideration,
        "reason": decision.reason,
        "late": decision.late,
        "recorded_at": decision.recorded_at,
        "quota": quota,
        "warning": warning,
        "missing_steps": list(decision.missing_steps),
        "steps_warning": steps_warning,
    }


def _subject_detail(subject: Subject) -> dict[str, Any]:
    annotated = with_state(Subject.objects.filter(pk=subject.pk)).select_related(
        "round", "member", "unit", "home", "deciding_unit", "host_unit"
    )[0]
    latest = (
        Decision.objects.filter(subject=subject).select_related("deciding_unit").order_by("-id")
    ).first()
    return {
        **_subject_out(annotated),
        "latest_decision": _decision_out(latest, annotated) if latest else None,
        "quota": subject_quota(annotated),
    }


def _document_text(rating: Rating) -> str:
    return rating.document.symbol if rating.document_id else rating.document_text


def _rating_out(rating: Rating) -> dict[str, Any]:
    member = rating.member
    return {
        "id": rating.pk,
        "subject_kind": rating.subject_kind,
        "subject": (member.external_id or f"cadrebook:{member.pk}")
        if member is not None
        else rating.unit.code,  # type: ignore[union-attr]
        "member": rating.member_id,
        "name": member.full_name if member is not None else rating.unit.name,  # type: ignore[union-attr]
        "year": rating.year,
        "level": rating.level,
        "label": rating.label,
        "score": _points(rating.score),
        "source": rating.source,
        "document": _document_text(rating),
        "rated_in": rating.rated_in.code,
    }


def _history_out(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "year": row["year"],
            "level": row["level"],
            "label": row["label"],
            "score": _points(row["rating"].score),
            "source": row["rating"].source,
            "document": _document_text(row["rating"]),
            "excellent_running": row["excellent_running"],
            "honour_candidate": row["honour_candidate"],
        }
        for row in rows
    ]


def _model_out(row: Any) -> dict[str, Any]:
    return {
        "id": row.pk,
        "unit": row.unit.code,
        "year": row.year,
        "kind": row.kind,
        "step": row.step,
        "date": row.date,
        "document": row.document_id,
    }


# Rounds ------------------------------------------------------------------------------------
@router.get("/rounds", response=answers({200: RoundPage}), summary="Evaluation rounds")
def list_rounds(request: HttpRequest, query: Query[RoundQuery]) -> dict[str, Any]:
    """The rounds the caller reaches (opened in `unit`'s subtree when given), newest first,
    100 a page."""
    rounds = reachable_rounds(request.user)
    if query.unit:
        unit = _unit(request, query.unit)
        rounds = rounds.filter(unit__path__gte=unit.path, unit__path__lt=unit.path + "~")
    if query.year is not None:
        rounds = rounds.filter(year=query.year)
    if query.kind:
        rounds = rounds.filter(kind=query.kind)
    if query.status:
        rounds = rounds.filter(status=query.status)
    rows, cursor = _page(rounds.order_by("-id"), query.cursor, newest_first=True)
    return {"items": [_round_out(r) for r in rows], "next_cursor": cursor}


@router.post("/rounds", response=answers({201: RoundOut}), summary="Open a round")
def open_round(request: HttpRequest, response: HttpResponse, payload: RoundIn) -> Any:
    """Open a round of a kind of the rule set for the committee's subtree as it stood on the
    reference date, with its timetable; its subjects are listed (the members not rated with
    their reason). Needs `decide_evaluations` on the committee."""
    unit = _unit(request, payload.unit)
    _may(request, DECIDE_EVALUATIONS, unit)
    round_ = round_open(
        actor=request.user,
        unit=unit,
        kind=payload.kind,
        year=payload.year,
        reference_date=payload.reference_date,
        self_assessment_until=payload.self_assessment_until,
        proposals_until=payload.proposals_until,
        decisions_until=payload.decisions_until,
    )
    response["Location"] = f"{ROOT}/rounds/{round_.pk}"
    return Status(201, _round_out(round_))


def _progress_unit(request: HttpRequest, round_: Round, code: str | None) -> OrgUnit:
    """Whose subtree a round's figures count for the caller: `code` (in scope, 404 else),
    the opener when in scope, else the caller's highest unit inside the round."""
    if code:
        return _unit(request, code)
    visible = OrgUnit.objects.visible_to(request.user, VIEW)
    if visible.filter(pk=round_.unit_id).exists():
        return round_.unit
    inside = visible.filter(path__gte=round_.unit.path, path__lt=round_.unit.path + "~").order_by(
        "depth", "path"
    )
    return cast(OrgUnit, found(inside))


@router.get("/rounds/{round_id}", response=answers({200: RoundDetailOut}), summary="One round")
def get_round(request: HttpRequest, round_id: int, query: Query[RoundReadQuery]) -> Any:
    """The round, its progress (how many subjects stand at each step) and the quota of each
    deciding unit and group, counted in the caller's part of it (or `unit`'s subtree)."""
    round_ = _round(request, round_id)
    under = _progress_unit(request, round_, query.unit)
    return {
        **_round_out(round_),
        "under": under.code,
        "progress": round_progress(round_, under=under),
        "quota": [
            {**q.as_dict(), "outstanding": q.outstanding} for q in quota_status(round_, under=under)
        ],
        "late": late_counts(round_, under=under),
        "timetable_changes": list(round_.timetable_changes.order_by("id")),
    }


@router.post(
    "/rounds/{round_id}/timetable",
    response=answers({200: RoundDetailOut}),
    summary="Change the timetable",
)
def reschedule_round(request: HttpRequest, round_id: int, payload: TimetableIn) -> Any:
    """Change an open round's timetable D1/D2/D3 with the reason (`decide_evaluations` on
    the committee that opened it); the earlier dates are kept in `timetable_changes`. Refused
    with nothing written: a closed round, dates out of order, no reason, the same dates."""
    round_ = _deciding_round(request, round_id)
    round_reschedule(
        actor=request.user,
        round=round_,
        self_assessment_until=payload.self_assessment_until,
        proposals_until=payload.proposals_until,
        decisions_until=payload.decisions_until,
        reason=payload.reason,
    )
    return get_round(request, round_id, RoundReadQuery())


@router.post("/rounds/{round_id}/close", response=answers({200: RoundOut}), summary="Close it")
def close_round(request: HttpRequest, round_id: int) -> Any:
    """Close the round when every rated subject has a decided level; it is then locked
    (changes only by reconsideration)."""
    round_ = _deciding_round(request, round_id)
    return _round_out(round_close(actor=request.user, round=round_))


@router.post(
    "/rounds/{round_id}/outstanding",
    response=answers({200: QuotaOut}),
    summary="Mark a unit outstanding",
)
def mark_outstanding(request: HttpRequest, round_id: int, payload: OutstandingIn) -> Any:
    """Mark a deciding unit of the round outstanding: its quota of excellent is the rule
    set's larger share. Answers its quota as it stands now."""
    round_ = _deciding_round(request, round_id)
    unit = _unit(request, payload.unit)
    round_mark_outstanding(actor=request.user, round=round_, unit=unit)
    rows = [q for q in quota_status(round_, under=unit) if q.unit.pk == unit.pk]
    if rows:
        return {**rows[0].as_dict(), "outstanding": True}
    return {
        "unit": unit.code,
        "role_group": "",
        "excellent": 0,
        "good": 0,
        "allowed": 0,
        "over": 0,
        "outstanding": True,
    }


@router.get(
    "/rounds/{round_id}/subjects",
    response=answers({200: SubjectPage}),
    summary="The subjects of a round, by worklist",
)
def list_subjects(request: HttpRequest, round_id: int, query: Query[SubjectQuery]) -> Any:
    """The round's subjects rated in the caller's scope (in `unit`'s subtree when given), at
    one step when `state` is given: `not_assessed`, `no_proposal`, `awaiting_decision`,
    `decided`, `excluded` (with the reason); 100 a page. With `member` or `organization`,
    that one's subject: a member or unit the round does not list (outside its subtree on the
    reference date) is refused with `evaluation.outside_round`."""
    round_ = _round(request, round_id)
    under = _unit(request, query.unit) if query.unit else None
    subjects = round_subjects(round_, under=under, state=query.state)
    if query.member is not None:
        member = found(Member.objects.visible_to(request.user), pk=query.member)
        subjects = subjects.filter(pk=round_subject(round_, member=member).pk)
    if query.organization:
        unit = _unit(request, query.organization)
        subjects = subjects.filter(pk=round_subject(round_, unit=unit).pk)
    subjects = subjects.filter(
        pk__in=visible_subjects(request.user).filter(round=round_).values("pk")
    ).select_related("host_unit")
    rows, cursor = _page(subjects.order_by("id"), query.cursor)
    return {"items": [_subject_out(s) for s in rows], "next_cursor": cursor}


# A subject's steps -------------------------------------------------------------------------
@router.get(
    "/subjects/{subject_id}", response=answers({200: SubjectDetailOut}), summary="One subject"
)
def get_subject(request: HttpRequest, subject_id: int) -> Any:
    """The subject, its step, its latest decision and its deciding unit's quota."""
    return _subject_detail(_subject(request, subject_id))


@router.post(
    "/subjects/{subject_id}/mark",
    response=answers({200: SubjectDetailOut}),
    summary="Mark the subject's case",
)
def mark_subject(request: HttpRequest, subject_id: int, payload: MarkIn) -> Any:
    """Say what the records do not: a member not rated (suspended…), on a long leave (its
    months), on temporary transfer (the host cell), holding a leading post (the leaders'
    framework and the unit led), a group of similar roles of its own, a note; before the
    subject's first decision, in an open round (`decide_evaluations` on the deciding unit).
    Audited with what it was; a unit named outside the caller's scope answers 404."""
    subject = _subject(request, subject_id)
    _may(request, DECIDE_EVALUATIONS, subject.deciding_unit)
    subject_mark(
        actor=request.user,
        subject=subject,
        excluded=payload.excluded,
        special_case=payload.special_case,
        leave_months=payload.leave_months,
        framework=payload.framework,
        role_group=payload.role_group,
        host_unit=_unit(request, payload.host_unit) if payload.host_unit else None,
        leads=_unit(request, payload.leads) if payload.leads else None,
        note=payload.note,
    )
    return _subject_detail(subject)


@router.post(
    "/subjects/{subject_id}/self-assessment",
    response=answers({201: SelfAssessmentOut}),
    summary="Record the self-assessment",
)
def self_assess(
    request: HttpRequest, response: HttpResponse, subject_id: int, payload: SelfAssessmentIn
) -> Any:
    """The subject's own points on each criteria group of its framework, and its
    self-review; recorded by the cell's clerk on the member's behalf (`evaluate` on the
    cell). A later one supersedes it."""
    subject = _subject(request, subject_id)
    _may(request, EVALUATE, subject.home)
    row = subject_self_assess(
        actor=request.user, subject=subject, scores=dict(payload.scores), review=payload.review
    )
    response["Location"] = f"{ROOT}/subjects/{subject.pk}"
    return Status(201, assessment_out(row))


@router.post(
    "/subjects/{subject_id}/proposal",
    response=answers({201: ProposalOut}),
    summary="Record the cell's proposal",
)
def propose(
    request: HttpRequest, response: HttpResponse, subject_id: int, payload: ProposalIn
) -> Any:
    """The cell's (for an organization, its collective's) proposed score and level, with the
    vote that carried it (`evaluate` on the cell)."""
    subject = _subject(request, subject_id)
    _may(request, EVALUATE, subject.home)
    row = subject_propose(
        actor=request.user,
        subject=subject,
        score=payload.score,
        level=payload.level,
        votes_for=payload.votes_for,
        votes_against=payload.votes_against,
        present=payload.present,
        host_comments=payload.host_comments,
        note=payload.note,
    )
    response["Location"] = f"{ROOT}/subjects/{subject.pk}"
    return Status(201, proposal_out(row))


def assessment_out(row: SelfAssessment) -> dict[str, Any]:
    """A self-assessment as the API answers it (here and in `steps_api.py`)."""
    return {
        "id": row.pk,
        "subject": row.subject_id,
        "scores": row.scores,
        "score": _points(row.score),
        "review": row.review,
        "late": row.late,
        "recorded_at": row.recorded_at,
    }


def proposal_out(row: Proposal) -> dict[str, Any]:
    """A proposal as the API answers it (here and in `steps_api.py`)."""
    return {
        "id": row.pk,
        "subject": row.subject_id,
        "score": _points(row.score),
        "level": row.level,
        "votes_for": row.votes_for,
        "votes_against": row.votes_against,
        "present": row.present,
        "host_comments": row.host_comments,
        "note": row.note,
        "late": row.late,
        "recorded_at": row.recorded_at,
    }


def _deciding_unit(request: HttpRequest, subject: Subject, code: str | None) -> OrgUnit:
    unit = _unit(request, code) if code else subject.deciding_unit
    if not code and not scope_for(request.user, VIEW).covers_path(unit.path):
        raise forbidden()
    _may(request, DECIDE_EVALUATIONS, unit)
    return unit


@router.post(
    "/subjects/{subject_id}/decision",
    response=answers({201: DecisionOut}),
    summary="Record the decision",
)
def decide(
    request: HttpRequest, response: HttpResponse, subject_id: int, payload: DecisionIn
) -> Any:
    """The deciding unit's level, on its document from the register (`decide_evaluations`
    on the deciding unit). Refused with the rule's code and source: by a unit that does not
    decide for the subject, in a closed round, off the score without a cap or a recorded
    reason, beyond the quota where the rule set refuses (where it warns, the decision is
    recorded with `over_quota` and a `warning`). The answer carries the quota as the
    decision leaves it."""
    subject = _subject(request, subject_id)
    unit = _deciding_unit(request, subject, payload.deciding_unit)
    decision = subject_decide(
        actor=request.user,
        subject=subject,
        deciding_unit=unit,
        level=payload.level,
        score=payload.score,
        document=payload.document,
        disqualifiers=payload.disqualifiers,
        override_reason=payload.override_reason,
        override_text=payload.override_text,
    )
    response["Location"] = f"{ROOT}/subjects/{subject.pk}"
    return Status(201, _decision_out(decision, subject))


@router.post(
    "/subjects/{subject_id}/reconsideration",
    response=answers({201: DecisionOut}),
    summary="Reconsider a closed round's level",
)
def reconsider(
    request: HttpRequest, response: HttpResponse, subject_id: int, payload: ReconsiderationIn
) -> Any:
    """A new level after the round closed, by the deciding unit or one above it, with its
    document and reason; the earlier decision stays."""
    subject = _subject(request, subject_id)
    unit = _deciding_unit(request, subject, payload.deciding_unit)
    decision = subject_reconsider(
        actor=request.user,
        subject=subject,
        deciding_unit=unit,
        level=payload.level,
        score=payload.score,
        document=payload.document,
        reason=payload.reason,
        disqualifiers=payload.disqualifiers,
        override_reason=payload.override_reason,
        override_text=payload.override_text,
    )
    response["Location"] = f"{ROOT}/subjects/{subject.pk}"
    return Status(201, _decision_out(decision, subject))


# Ratings -----------------------------------------------------------------------------------
@router.get("/ratings", response=answers({200: RatingPage}), summary="Ratings of a subtree")
def list_ratings(request: HttpRequest, query: Query[RatingQuery]) -> Any:
    """The ratings of the subjects rated in `unit`'s subtree (default: the caller's top
    unit), of `year`, `subject_kind` and `level` when given; legacy ones with their
    original label. 100 a page."""
    if query.unit:
        unit = _unit(request, query.unit)
    else:
        top = OrgUnit.objects.visible_to(request.user, VIEW).order_by("depth", "path").first()
        if top is None:
            return {"items": [], "next_cursor": None}
        unit = top
    ratings = subtree_ratings(
        request.user,
        unit,
        year=query.year,
        subject_kind=query.subject_kind,
        level=query.level,
    )
    rows, cursor = _page(ratings, query.cursor)
    return {"items": [_rating_out(r) for r in rows], "next_cursor": cursor}


@router.get(
    "/ratings/members/{member_id}",
    response=answers({200: list[HistoryOut]}),
    summary="A member's ratings, every year",
)
def member_ratings(request: HttpRequest, member_id: int) -> Any:
    """The member's ratings, newest first, with the years running rated excellent (a
    candidate for the honour); read like the dossier, so audited."""
    member = cast(
        Member, found(Member.objects.visible_to(request.user).select_related("unit"), pk=member_id)
    )
    member_read_record(actor=request.user, member=member)
    return _history_out(rating_history(member=member))


@router.get(
    "/ratings/units/{code}",
    response=answers({200: list[HistoryOut]}),
    summary="An organization's ratings, every year",
)
def unit_ratings(request: HttpRequest, code: str) -> Any:
    return _history_out(rating_history(unit=_unit(request, code)))


# Model organizations -----------------------------------------------------------------------
@router.get(
    "/models",
    response=answers({200: dict[str, dict[str, int]]}),
    summary="Model organizations of a subtree and year",
)
def list_models(request: HttpRequest, query: Query[ModelQuery]) -> Any:
    """Per model of the rule set, how many units of the subtree registered, were recognized
    and were not ("11/11 organizations registered")."""
    return model_records(_unit(request, query.unit), query.year)


@router.post(
    "/models/registrations",
    response=answers({201: ModelRecordOut}),
    summary="Register a unit for a model",
)
def register_model(request: HttpRequest, response: HttpResponse, payload: ModelIn) -> Any:
    unit = _unit(request, payload.unit)
    _may(request, DECIDE_EVALUATIONS, unit)
    row = model_register(
        actor=request.user,
        unit=unit,
        year=payload.year,
        kind=payload.kind,
        date=payload.date,
        document=payload.document,
    )
    response["Location"] = f"{ROOT}/models?unit={unit.code}&year={row.year}"
    return Status(201, _model_out(row))


@router.post(
    "/models/recognitions",
    response=answers({201: ModelRecordOut}),
    summary="Record whether a unit was recognized",
)
def recognize_model(request: HttpRequest, response: HttpResponse, payload: RecognitionIn) -> Any:
    unit = _unit(request, payload.unit)
    _may(request, DECIDE_EVALUATIONS, unit)
    row = model_recognize(
        actor=request.user,
        unit=unit,
        year=payload.year,
        kind=payload.kind,
        date=payload.date,
        recognized=payload.recognized,
        document=payload.document,
    )
    response["Location"] = f"{ROOT}/models?unit={unit.code}&year={row.year}"
    return Status(201, _model_out(row))
