"""API of cadre work: `/api/v1/terms` (a committee's terms: list, open, close),
`/api/v1/positions` (the rule set's positions and seats for a unit kind, or a unit's seats
with their holders on a day), `/api/v1/appointments` (who holds which post: list with
filters, one holding, record an election or an appointment, end a post),
`/api/v1/planning` (a unit's succession pools: the entries, the structure report against
the rule set's targets, add, remove) and `/api/v1/confidence-votes` (the sessions with the
counts of each person and what they mean by the rule set; record a session: counts only,
nothing names a voter) and `/api/v1/rotations` (rotation plans and their stints: list, one
plan with its stints, record a plan, add a stint, end a stint).

Reads follow `view` on the post's unit: anything outside answers 404, exactly as a missing
record, and lists are empty. The holders' personal data (date of birth, ethnicity, and the
retirement day derived from the birth date) is masked as the members' API masks it for a
role without `view_sensitive`; a read that shows it unmasked is audited as the members' list
is. Writes go through the services (`services/`), which check the rule set and audit; 403 for
a caller who sees the unit but lacks `manage_cadres`. A refusal answers the rule's code,
message, field and source.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from django.db.models import Count, Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status

from cadrebook.cadres.choices import ENDED_BY_HAND, HoldingHow, PlanningRemovalReason
from cadrebook.cadres.models import (
    ConfidenceResult,
    ConfidenceSession,
    PlanningEntry,
    PlanningEntryQuerySet,
    PostHolding,
    PostHoldingQuerySet,
    RotationPlan,
    RotationStint,
)
from cadrebook.cadres.permissions import MANAGE_CADRES
from cadrebook.cadres.planning_rules import confidence_rules
from cadrebook.cadres.planning_selectors import (
    Structure,
    confidence_outcome,
    confidence_sessions,
    is_quorate,
    planning_history,
    planning_list,
    planning_structure,
)
from cadrebook.cadres.retirement import retirement_date
from cadrebook.cadres.rotation_selectors import rotation_plans, rotation_stints
from cadrebook.cadres.rules import cadre_rules
from cadrebook.cadres.services import (
    committee_term_close,
    committee_term_open,
    confidence_session_record,
    holding_correct,
    holding_end,
    planning_add,
    planning_remove,
    post_appoint,
    post_elect,
    rotation_plan_record,
    rotation_stint_add,
    rotation_stint_end,
)
from cadrebook.core.api_toolkit import API_ROOT, ApiDate, answers, forbidden, found
from cadrebook.core.errors import ServiceError
from cadrebook.core.permissions import VIEW, VIEW_SENSITIVE
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import scope_for, subtree_q
from cadrebook.core.views import can
from cadrebook.documents.models import Term
from cadrebook.members.models import Member
from cadrebook.members.reads import member_list_read_record
from cadrebook.members.selectors import mask
from cadrebook.orgs.models import OrgUnit

router = Router(tags=["cadres"])
PAGE = 100
Id = Field(..., ge=1, le=2**62)
OptId = Field(None, ge=1, le=2**62)
# The longest notice a list may ask for: ten years of working days (a bound against input
# no calendar answers, not a rule).
MAX_NOTICE_DAYS = 2600


# Shapes ------------------------------------------------------------------------------------
class TermOut(Schema):
    id: int
    unit: str = Field(..., description="Code of the committee's unit")
    label: str
    start: dt.date
    end: dt.date | None


class TermPage(Schema):
    items: list[TermOut]
    next_cursor: str | None = None


class TermQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="Terms of this unit's subtree")
    cursor: str = Field("", max_length=20)


class TermIn(Schema):
    unit: str = Field(..., max_length=32, description="Code of the committee's unit")
    start: ApiDate = Field(..., description="The day after its congress closed")
    end: ApiDate | None = None
    label: str = Field("", max_length=32, description="Empty: named by its years")


class TermCloseIn(Schema):
    end: ApiDate = Field(..., description="The day the next congress closes")


class SeatsOut(Schema):
    positions: list[str] = Field(..., description="The positions sharing these seats")
    max: int | None = Field(..., description="At most this many holders (null: no limit)")
    min_full_members: int | None = Field(
        ..., description="Only when the unit has this many full members (null: no minimum)"
    )
    source: str


class HolderOut(Schema):
    id: int = Field(..., description="The member's id")
    full_name: str
    gender: str
    birth_date: str | None = Field(..., description="Masked without view_sensitive")
    ethnicity: str = Field(..., description="Masked without view_sensitive")
    retires_on: str | None = Field(
        ...,
        description="By the rule set's schedule; masked without view_sensitive (it tells the "
        "date of birth); null: no date of birth",
    )


class SeatHolderOut(Schema):
    appointment: int
    member: HolderOut
    how: str
    started_on: dt.date
    planned_end: dt.date | None


class PositionOut(Schema):
    code: str
    label: str
    level: int
    requires_full_member: bool
    source: str
    seats: list[SeatsOut]
    holders: list[SeatHolderOut] | None = Field(
        ..., description="The holders on as_of (a unit asked for; null for a unit kind)"
    )


class PositionsOut(Schema):
    unit_kind: str
    unit: str | None
    as_of: dt.date | None
    ruleset: str
    positions: list[PositionOut]


class PositionQuery(Schema):
    unit_kind: str | None = Field(None, max_length=32, description="The positions of this kind")
    unit: str | None = Field(
        None, max_length=32, description="Or this unit's seats and their holders on as_of"
    )
    as_of: ApiDate | None = Field(None, description="Default today")


class EndOut(Schema):
    ended_on: dt.date
    reason: str
    document: int | None
    document_text: str
    discipline: int | None
    restored_as: int | None = Field(
        None,
        description="Voided: the removal from post that caused it was annulled on appeal; "
        "the post runs again as this appointment (null: voided, nothing left to run)",
    )
    voided: bool = Field(False, description="Voided by the annulment of its discipline")


class CorrectionOut(Schema):
    reason: str = Field(..., description="What was recorded in error")
    document: int | None
    document_text: str
    recorded_at: dt.datetime


class AppointmentOut(Schema):
    id: int
    unit: str
    position: str
    position_label: str
    member: HolderOut
    how: str
    term: int | None
    started_on: dt.date
    planned_end: dt.date | None
    document: int | None
    document_text: str
    votes_for: int | None
    votes_cast: int | None
    end: EndOut | None
    correction: CorrectionOut | None = Field(
        ..., description="Voided as recorded in error: the post was never held"
    )


class AppointmentPage(Schema):
    items: list[AppointmentOut]
    next_cursor: str | None = None


class AppointmentQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="Posts of this unit's subtree")
    position: str | None = Field(None, max_length=32)
    person: int | None = Field(None, ge=1, le=2**62, description="The member's id")
    as_of: ApiDate | None = Field(None, description="Only the posts held on this day")
    ending_within_working_days: int | None = Field(
        None,
        ge=0,
        le=MAX_NOTICE_DAYS,
        description="Only running appointments whose planned end comes within this many "
        "working days of as_of (default today), by the rule set's calendar; overdue ones too",
    )
    cursor: str = Field("", max_length=20)


class AppointmentIn(Schema):
    how: Literal["elected", "appointed", "acting", "seconded"]
    unit: str = Field(..., max_length=32, description="Code of the committee's unit")
    position: str = Field(..., max_length=32, description="A position of the rule set")
    member: int = Id
    started_on: ApiDate
    term: int | None = Field(
        None, ge=1, le=2**62, description="The committee term's id (required when elected)"
    )
    votes_for: int | None = Field(None, ge=0, le=1_000_000, description="Elected")
    votes_cast: int | None = Field(None, ge=0, le=1_000_000, description="Elected")
    planned_end: ApiDate | None = Field(
        None, description="Acting or seconded: until when (an appointment's is the rule set's)"
    )
    file_received_on: ApiDate | None = Field(
        None, description="Appointed: the day the file was received (default the start)"
    )
    document: int | None = Field(None, ge=1, le=2**62, description="The decision's id")
    document_text: str = Field("", max_length=255)
    outside_planning_document: int | None = Field(
        None,
        ge=1,
        le=2**62,
        description="Appointed: the id of the competent level's decision to appoint a member "
        "not in planning for the post or an equal or higher one",
    )
    outside_planning_text: str = Field(
        "", max_length=255, description="Appointed: that decision as written"
    )


class VoidIn(Schema):
    reason: str = Field(..., max_length=500, description="What was recorded in error")
    document: int | None = OptId
    document_text: str = Field("", max_length=255)


class EndIn(Schema):
    ended_on: ApiDate = Field(..., description="The last day the post is held")
    reason: Literal["resigned", "dismissed", "end_of_term", "retired"]
    document: int | None = OptId
    document_text: str = Field("", max_length=255)


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


def _managing(request: HttpRequest, unit: OrgUnit) -> None:
    """403 for a caller who sees `unit` but may not `manage_cadres` on it."""
    if not scope_for(request.user, MANAGE_CADRES).covers_path(unit.path):
        raise forbidden()


def _terms(request: HttpRequest) -> QuerySet[Term]:
    return Term.objects.visible_to(request.user, VIEW).filter(congress=False).select_related("unit")


def _term_out(term: Term) -> dict[str, Any]:
    return {
        "id": term.pk,
        "unit": term.unit.code,
        "label": term.label,
        "start": term.start,
        "end": term.end,
    }


class _Masking:
    """Whether the caller reads each holder's personal data (`view_sensitive` on the
    member's unit, as the members' API asks), remembered per unit for a page; the members
    shown unmasked, for the audit."""

    def __init__(self, request: HttpRequest) -> None:
        self.user = request.user
        self.by_path: dict[str, bool] = {}
        self.shown: dict[int, Member] = {}
        self.schedule = cadre_rules().retirement

    def holder(self, member: Member) -> dict[str, Any]:
        path = member.unit.path
        if path not in self.by_path:
            self.by_path[path] = can(self.user, VIEW_SENSITIVE, path)
        retires = None
        if member.birth_date is not None:
            retires = retirement_date(member.birth_date, member.gender, self.schedule).isoformat()
        data = {
            "id": member.pk,
            "full_name": member.full_name,
            "gender": member.gender,
            "birth_date": member.birth_date.isoformat() if member.birth_date else None,
            "ethnicity": member.ethnicity,
            "retires_on": retires,
        }
        if not self.by_path[path]:
            for name in ("birth_date", "ethnicity", "retires_on"):
                data[name] = mask(data[name])  # set or empty alike, as the members' API
        else:
            self.shown[member.pk] = member
        return data

    def record(self, request: HttpRequest, unit: OrgUnit | None, filters: dict[str, Any]) -> None:
        """Audit the personal data shown unmasked, as a page of the members' list is."""
        if not self.shown:
            return
        top = (
            unit
            or (
                OrgUnit.objects.visible_to(request.user, VIEW_SENSITIVE).order_by("depth", "path")
            ).first()
        )
        if top is None:
            return
        member_list_read_record(
            actor=request.user, unit=top, members=list(self.shown.values()), filters=filters
        )


def _holdings() -> PostHoldingQuerySet:
    return PostHolding.objects.select_related(
        "member__unit", "unit", "end__restoration", "correction"
    )


def _restoration(end: Any) -> dict[str, Any]:
    restoration = getattr(end, "restoration", None)
    if restoration is None:
        return {"restored_as": None, "voided": False}
    return {"restored_as": restoration.restored_id, "voided": True}


def _appointment_out(h: PostHolding, masking: _Masking) -> dict[str, Any]:
    end = getattr(h, "end", None)
    correction = getattr(h, "correction", None)
    return {
        "id": h.pk,
        "unit": h.unit.code,
        "position": h.position,
        "position_label": cadre_rules().position_label(h.position),
        "member": masking.holder(h.member),
        "how": h.how,
        "term": h.term_id,
        "started_on": h.started_on,
        "planned_end": h.planned_end,
        "document": h.document_id,
        "document_text": h.document_text,
        "votes_for": h.votes_for,
        "votes_cast": h.votes_total,
        "end": None
        if end is None
        else {
            "ended_on": end.ended_on,
            "reason": end.reason,
            "document": end.document_id,
            "document_text": end.document_text,
            "discipline": end.discipline_id,
            **_restoration(end),
        },
        "correction": None
        if correction is None
        else {
            "reason": correction.reason,
            "document": correction.document_id,
            "document_text": correction.document_text,
            "recorded_at": correction.created_at,
        },
    }


def _holding(request: HttpRequest, appointment_id: int) -> PostHolding:
    return cast(
        PostHolding,
        found(_holdings().visible_to(request.user, VIEW), pk=appointment_id),
    )


# Terms -------------------------------------------------------------------------------------
@router.get("/terms", response=answers({200: TermPage}), summary="Committee terms")
def list_terms(request: HttpRequest, query: Query[TermQuery]) -> dict[str, Any]:
    """The committee terms of the units the caller may `view` (in `unit`'s subtree when
    given), newest first; the congresses of the register are not committee terms."""
    rows = _terms(request)
    if query.unit:
        unit = _unit(request, query.unit)
        rows = rows.filter(subtree_q("unit__path", [unit.path]))
    page, cursor = _page(rows, query.cursor)
    return {"items": [_term_out(t) for t in page], "next_cursor": cursor}


@router.post("/terms", response=answers({201: TermOut}), summary="Open a committee term")
def open_term(request: HttpRequest, response: HttpResponse, payload: TermIn) -> Any:
    """Open a committee term of the unit (`manage_cadres` on it), refused for a unit whose
    kind has no committee posts in the rule set or a term overlapping another."""
    unit = _unit(request, payload.unit)
    _managing(request, unit)
    term = committee_term_open(
        actor=request.user, unit=unit, start=payload.start, end=payload.end, label=payload.label
    )
    response["Location"] = f"{API_ROOT}/terms"
    return Status(201, _term_out(term))


@router.post(
    "/terms/{term_id}/close", response=answers({200: TermOut}), summary="Close a committee term"
)
def close_term(request: HttpRequest, term_id: int, payload: TermCloseIn) -> Any:
    """Close the running term on `end`; every post of the term still running ends that day
    for end of term (`manage_cadres` on its unit)."""
    term = cast(Term, found(_terms(request), pk=term_id))
    _managing(request, term.unit)
    closed = committee_term_close(actor=request.user, term=term, end=payload.end)
    return _term_out(closed)


# Positions ---------------------------------------------------------------------------------
@router.get("/positions", response=answers({200: PositionsOut}), summary="Positions and seats")
def list_positions(request: HttpRequest, query: Query[PositionQuery]) -> dict[str, Any]:
    """The rule set's positions on a unit kind (`unit_kind`) with their seat rules, or, for a
    `unit`, its kind's positions with the holders of each on `as_of` (default today)."""
    rules = cadre_rules()
    unit = _unit(request, query.unit) if query.unit else None
    kind = unit.kind if unit is not None else query.unit_kind
    if not kind:
        raise ServiceError(
            "cadres.unit_missing", _("Name a unit or a unit kind."), field="unit_kind"
        )
    if kind not in current_ruleset().unit_kinds:
        raise ServiceError(
            "cadres.unit_kind_unknown",
            _("%(kind)s is not a unit kind of the rule set.") % {"kind": kind},
            field="unit_kind",
        )
    day = query.as_of or timezone.localdate()
    masking = _Masking(request)
    holders: dict[str, list[dict[str, Any]]] = {}
    if unit is not None:
        running = (
            _holdings()
            .visible_to(request.user, VIEW)
            .filter(unit=unit)
            .held_on(day)
            .order_by("position", "started_on", "id")
        )
        for h in running:
            holders.setdefault(h.position, []).append(
                {
                    "appointment": h.pk,
                    "member": masking.holder(h.member),
                    "how": h.how,
                    "started_on": h.started_on,
                    "planned_end": h.planned_end,
                }
            )
        masking.record(request, unit, {"unit": unit.code, "as_of": day})
    positions = []
    for p in rules.positions:  # the rule set's order: the highest first
        seats = rules.seats_for(p.code, kind)
        if not seats:
            continue
        positions.append(
            {
                "code": p.code,
                "label": p.display_label,
                "level": p.level,
                "requires_full_member": p.requires_full_member,
                "source": p.source,
                "seats": [
                    {
                        "positions": sorted(s.positions),
                        "max": s.max,
                        "min_full_members": s.min_full_members,
                        "source": s.source,
                    }
                    for s in seats
                ],
                "holders": holders.get(p.code, []) if unit is not None else None,
            }
        )
    return {
        "unit_kind": kind,
        "unit": unit.code if unit is not None else None,
        "as_of": day if unit is not None else None,
        "ruleset": rules.ruleset_id,
        "positions": positions,
    }


# Appointments ------------------------------------------------------------------------------
@router.get(
    "/appointments", response=answers({200: AppointmentPage}), summary="Posts held and their ends"
)
def list_appointments(request: HttpRequest, query: Query[AppointmentQuery]) -> dict[str, Any]:
    """The posts (elections, appointments, acting, secondments) of the units the caller may
    `view`, newest first, narrowed by `unit` (its subtree), `position`, `person`, `as_of`
    (held that day) and `ending_within_working_days` (running appointments due)."""
    rows = _holdings().visible_to(request.user, VIEW)
    unit = None
    if query.unit:
        unit = _unit(request, query.unit)
        rows = rows.filter(subtree_q("unit__path", [unit.path]))
    if query.position:
        rows = rows.filter(position=query.position)
    if query.person:
        rows = rows.filter(member_id=query.person)
    if query.as_of:
        rows = rows.held_on(query.as_of)
    if query.ending_within_working_days is not None:
        day = query.as_of or timezone.localdate()
        horizon = current_ruleset().add_working_days(day, query.ending_within_working_days)
        rows = rows.running().filter(
            how=HoldingHow.APPOINTED, planned_end__isnull=False, planned_end__lte=horizon
        )
    page, cursor = _page(rows, query.cursor)
    masking = _Masking(request)
    items = [_appointment_out(h, masking) for h in page]
    masking.record(request, unit, query.model_dump())
    return {"items": items, "next_cursor": cursor}


@router.post(
    "/appointments",
    response=answers({201: AppointmentOut}),
    summary="Record an election or an appointment",
)
def create_appointment(request: HttpRequest, response: HttpResponse, payload: AppointmentIn) -> Any:
    """Record that a member was elected (`term`, `votes_for` of `votes_cast`) or appointed,
    acting or seconded (on the decision) to a post of the unit; `manage_cadres` on it. The
    rule set's checks refuse with their source."""
    unit = _unit(request, payload.unit)
    _managing(request, unit)
    member = cast(Member, found(Member.objects.visible_to(request.user, VIEW), pk=payload.member))
    term = None
    if payload.term is not None:
        term = cast(Term, found(_terms(request), pk=payload.term))
    common: dict[str, Any] = {
        "actor": request.user,
        "member": member,
        "unit": unit,
        "position": payload.position,
        "started_on": payload.started_on,
        "document": payload.document,
        "document_text": payload.document_text,
    }
    if payload.how == HoldingHow.ELECTED:
        if term is None:
            raise ServiceError("cadres.term_missing", _("Name the committee term."), field="term")
        if payload.outside_planning_document is not None or payload.outside_planning_text:
            raise ServiceError(
                "cadres.planning_not_needed",
                _("Only an appointment needs planning: an election does not."),
                field="outside_planning_document",
            )
        if payload.votes_for is None or payload.votes_cast is None:
            # The service's refusal, named by this API's field (votes_cast, not votes_total).
            raise ServiceError(
                "cadres.votes_missing",
                _("Give the votes for and the votes cast."),
                field="votes_for" if payload.votes_for is None else "votes_cast",
            )
        holding = post_elect(
            term=term, votes_for=payload.votes_for, votes_total=payload.votes_cast, **common
        )
    else:
        holding = post_appoint(
            how=payload.how,
            term=term,
            planned_end=payload.planned_end,
            file_received_on=payload.file_received_on,
            outside_planning_document=payload.outside_planning_document,
            outside_planning_text=payload.outside_planning_text,
            **common,
        )
    response["Location"] = f"{API_ROOT}/appointments/{holding.pk}"
    masking = _Masking(request)
    return Status(201, _appointment_out(_holdings().get(pk=holding.pk), masking))


@router.get(
    "/appointments/{appointment_id}", response=answers({200: AppointmentOut}), summary="One post"
)
def get_appointment(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    """One post held, with its end when it ended."""
    holding = _holding(request, appointment_id)
    masking = _Masking(request)
    out = _appointment_out(holding, masking)
    masking.record(request, holding.unit, {"appointment": holding.pk})
    return out


@router.post(
    "/appointments/{appointment_id}/end",
    response=answers({200: AppointmentOut}),
    summary="End a post",
)
def end_appointment(request: HttpRequest, appointment_id: int, payload: EndIn) -> Any:
    """End the post on `ended_on` (the last day held) for `reason`: resigned, dismissed, end
    of term or retired (a removal by discipline comes with the discipline's decision);
    `manage_cadres` on its unit."""
    holding = _holding(request, appointment_id)
    _managing(request, holding.unit)
    assert payload.reason in ENDED_BY_HAND
    holding_end(
        actor=request.user,
        holding=holding,
        ended_on=payload.ended_on,
        reason=payload.reason,
        document=payload.document,
        document_text=payload.document_text,
    )
    return _appointment_out(_holdings().get(pk=holding.pk), _Masking(request))


@router.post(
    "/appointments/{appointment_id}/void",
    response=answers({200: AppointmentOut}),
    summary="Void a post recorded in error",
)
def void_appointment(request: HttpRequest, appointment_id: int, payload: VoidIn) -> Any:
    """Void a post recorded in error (the wrong person, post, unit or day), for `reason`:
    a correction of its own beside the record, which stays (`holding_correct`). The post
    then counts nowhere; its history shows it struck with the reason (`manage_cadres` on
    its unit)."""
    holding = _holding(request, appointment_id)
    _managing(request, holding.unit)
    holding_correct(
        actor=request.user,
        holding=holding,
        reason=payload.reason,
        document=payload.document,
        document_text=payload.document_text,
    )
    return _appointment_out(_holdings().get(pk=holding.pk), _Masking(request))


# Planning ----------------------------------------------------------------------------------
class RemovalOut(Schema):
    removed_on: dt.date = Field(..., description="The first day out of the planning")
    reason: str
    note: str
    document: int | None
    document_text: str


class PlanningEntryOut(Schema):
    id: int
    unit: str
    term: int = Field(..., description="The committee term's id")
    position: str
    position_label: str
    member: HolderOut
    added_on: dt.date
    document: int | None = Field(..., description="The approving decision's id")
    document_text: str
    removal: RemovalOut | None


class PlanningPage(Schema):
    items: list[PlanningEntryOut]
    next_cursor: str | None = None


class PlanningQuery(Schema):
    unit: str = Field(..., max_length=32, description="The planning of this unit's posts")
    term: int | None = Field(None, ge=1, le=2**62, description="Of this committee term")
    position: str | None = Field(None, max_length=32)
    as_of: ApiDate | None = Field(None, description="In the planning on this day (default today)")
    history: bool = Field(False, description="Every entry, those removed too, whatever the day")
    cursor: str = Field("", max_length=20)


class PlanningIn(Schema):
    unit: str = Field(..., max_length=32, description="Code of the unit whose post it is")
    term: int = Field(..., ge=1, le=2**62, description="The committee term's id")
    position: str = Field(..., max_length=32, description="A position of the rule set")
    member: int = Id
    added_on: ApiDate
    document: int | None = Field(
        None, ge=1, le=2**62, description="The competent body's approving decision's id"
    )
    document_text: str = Field("", max_length=255, description="Or that decision as written")


class PlanningRemoveIn(Schema):
    removed_on: ApiDate = Field(..., description="The first day out of the planning")
    reason: Literal["review", "age_limit", "discipline", "confidence_vote", "appointed", "other"]
    note: str = Field("", max_length=500, description="Required for review and other")
    document: int | None = OptId
    document_text: str = Field("", max_length=255)


class ShareOut(Schema):
    code: str = Field(..., description="women, young or ethnic_minority")
    count: int | None = Field(..., description="Null: masked without view_sensitive")
    share: float | None = Field(..., description="Of the people; null: masked or none")
    target: float | None = Field(..., description="The rule set's minimum; null: none")
    short: bool


class StructureOut(Schema):
    label: str
    people: int
    age_brackets: list[int] | None = Field(
        ..., description="People per age bracket of the rule set; null: masked"
    )
    shares: list[ShareOut]
    shortfalls: list[str] = Field(..., description="The targets missed; age_brackets: one empty")
    sources: list[str]


class PlanningStructureOut(Schema):
    unit: str
    as_of: dt.date
    lists: list[StructureOut] = Field(..., description="Per position, the highest first")
    whole: StructureOut


class StructureQuery(Schema):
    unit: str = Field(..., max_length=32)
    term: int | None = Field(None, ge=1, le=2**62, description="Of this committee term")
    as_of: ApiDate | None = Field(None, description="Default today")


def _entries() -> PlanningEntryQuerySet:
    return PlanningEntry.objects.select_related("member__unit", "unit", "removal")


def _entry_out(e: PlanningEntry, masking: _Masking) -> dict[str, Any]:
    removal = getattr(e, "removal", None)
    return {
        "id": e.pk,
        "unit": e.unit.code,
        "term": e.term_id,
        "position": e.position,
        "position_label": cadre_rules().position_label(e.position),
        "member": masking.holder(e.member),
        "added_on": e.added_on,
        "document": e.document_id,
        "document_text": e.document_text,
        "removal": None
        if removal is None
        else {
            "removed_on": removal.removed_on,
            "reason": removal.reason,
            "note": removal.note,
            "document": removal.document_id,
            "document_text": removal.document_text,
        },
    }


def _structure_out(s: Structure) -> dict[str, Any]:
    def number(value: Any) -> float | None:
        return None if value is None else float(value)

    return {
        "label": s.label,
        "people": s.people,
        "age_brackets": list(s.brackets) if s.brackets is not None else None,
        "shares": [
            {
                "code": share.code,
                "count": share.count,
                "share": number(share.share),
                "target": number(share.target),
                "short": share.short,
            }
            for share in s.shares
        ],
        "shortfalls": list(s.shortfalls),
        "sources": [source for source in s.sources if source],
    }


@router.get("/planning", response=answers({200: PlanningPage}), summary="Planning of a unit")
def list_planning(request: HttpRequest, query: Query[PlanningQuery]) -> dict[str, Any]:
    """The people in the planning of `unit`'s posts on `as_of` (default today), or with
    `history` every entry with its removal; narrowed by `term` and `position`; newest
    first. Their personal data is masked as the members' list masks it."""
    unit = _unit(request, query.unit)
    term = cast(Term, found(_terms(request), pk=query.term)) if query.term else None
    if query.history:
        rows = planning_history(request.user, unit, term)
    else:
        rows = planning_list(request.user, unit, query.as_of or timezone.localdate(), term)
    rows = rows.select_related("member__unit")
    if query.position:
        rows = rows.filter(position=query.position)
    page, cursor = _page(rows, query.cursor)
    masking = _Masking(request)
    items = [_entry_out(e, masking) for e in page]
    masking.record(request, unit, query.model_dump())
    return {"items": items, "next_cursor": cursor}


@router.get(
    "/planning/structure",
    response=answers({200: PlanningStructureOut}),
    summary="Structure of a unit's planning",
)
def planning_structure_report(request: HttpRequest, query: Query[StructureQuery]) -> Any:
    """The structure report of `unit`'s planning lists on `as_of` (of `term` when given):
    per position and for the whole, the three age brackets and the shares of women, young
    and ethnic-minority people against the rule set's targets, the shortfalls marked. The
    figures derived from dates of birth and ethnicity are null without `view_sensitive`."""
    unit = _unit(request, query.unit)
    term = cast(Term, found(_terms(request), pk=query.term)) if query.term else None
    day = query.as_of or timezone.localdate()
    report = planning_structure(request.user, unit, day, term)
    assert report is not None  # the unit is visible: _unit answered 404 otherwise
    return {
        "unit": unit.code,
        "as_of": day,
        "lists": [_structure_out(s) for s in report.lists],
        "whole": _structure_out(report.whole),
    }


@router.post(
    "/planning", response=answers({201: PlanningEntryOut}), summary="Add a person to planning"
)
def create_planning(request: HttpRequest, response: HttpResponse, payload: PlanningIn) -> Any:
    """Add a member to the planning of a post of the unit in a committee term, on the
    competent body's approval (`manage_cadres` on the unit). The rule set's checks (the
    limits per post and per person, the age limit, discipline, a post already held) refuse
    with their source."""
    unit = _unit(request, payload.unit)
    _managing(request, unit)
    member = cast(Member, found(Member.objects.visible_to(request.user, VIEW), pk=payload.member))
    term = cast(Term, found(_terms(request), pk=payload.term))
    entry = planning_add(
        actor=request.user,
        unit=unit,
        term=term,
        position=payload.position,
        member=member,
        added_on=payload.added_on,
        document=payload.document,
        document_text=payload.document_text,
    )
    response["Location"] = f"{API_ROOT}/planning?unit={unit.code}"
    return Status(201, _entry_out(_entries().get(pk=entry.pk), _Masking(request)))


@router.post(
    "/planning/{entry_id}/remove",
    response=answers({200: PlanningEntryOut}),
    summary="Take a person out of planning",
)
def remove_planning(request: HttpRequest, entry_id: int, payload: PlanningRemoveIn) -> Any:
    """Take the person out of the planning from `removed_on` for `reason` (a note for the
    review's and other reasons); the entry stays, with its removal (`manage_cadres` on its
    unit)."""
    entry = cast(PlanningEntry, found(_entries().visible_to(request.user, VIEW), pk=entry_id))
    _managing(request, entry.unit)
    assert payload.reason in PlanningRemovalReason.values
    planning_remove(
        actor=request.user,
        entry=entry,
        removed_on=payload.removed_on,
        reason=payload.reason,
        note=payload.note,
        document=payload.document,
        document_text=payload.document_text,
    )
    return _entry_out(_entries().get(pk=entry.pk), _Masking(request))


# Confidence votes --------------------------------------------------------------------------
class VotedOut(Schema):
    id: int = Field(..., description="The member's id")
    full_name: str


class ConfidenceResultOut(Schema):
    member: VotedOut
    position: str
    high: int
    confidence: int
    low: int
    outcome: str = Field(
        ..., description="out_of_planning, dismissal or empty, by the rule set's thresholds"
    )
    source: str = Field(..., description="The rule behind the outcome")


class ConfidenceSessionOut(Schema):
    id: int
    unit: str
    held_on: dt.date
    summoned: int
    present: int
    quorate: bool = Field(..., description="Present at least the rule set's quorum")
    document: int | None
    document_text: str
    ruleset: str
    results: list[ConfidenceResultOut]


class ConfidencePage(Schema):
    items: list[ConfidenceSessionOut]
    next_cursor: str | None = None


class ConfidenceQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="Sessions of this unit's subtree")
    cursor: str = Field("", max_length=20)


class CountsIn(Schema):
    member: int = Id
    high: int = Field(..., ge=0, le=1_000_000)
    confidence: int = Field(..., ge=0, le=1_000_000)
    low: int = Field(..., ge=0, le=1_000_000)
    position: str = Field("", max_length=32, description="Empty: the highest post held")


class ConfidenceIn(Schema):
    unit: str = Field(..., max_length=32, description="Code of the voting body's unit")
    held_on: ApiDate
    summoned: int = Field(..., ge=0, le=1_000_000)
    present: int = Field(..., ge=0, le=1_000_000)
    results: list[CountsIn] = Field(
        ..., max_length=500, description="The counts of each person: never who voted how"
    )
    document: int | None = OptId
    document_text: str = Field("", max_length=255)


def _session_out(s: ConfidenceSession) -> dict[str, Any]:
    rules = confidence_rules()
    quorate = is_quorate(s.summoned, s.present, rules)
    results = []
    for r in cast(list[ConfidenceResult], s.results.all()):
        outcome, source = confidence_outcome(r.low, s.present, rules) if quorate else ("", "")
        results.append(
            {
                "member": {"id": r.member_id, "full_name": r.member.full_name},
                "position": r.position,
                "high": r.high,
                "confidence": r.confidence,
                "low": r.low,
                "outcome": outcome,
                "source": source,
            }
        )
    return {
        "id": s.pk,
        "unit": s.unit.code,
        "held_on": s.held_on,
        "summoned": s.summoned,
        "present": s.present,
        "quorate": quorate,
        "document": s.document_id,
        "document_text": s.document_text,
        "ruleset": s.ruleset,
        "results": results,
    }


def _sessions(request: HttpRequest) -> QuerySet[ConfidenceSession]:
    return confidence_sessions(request.user).prefetch_related(
        Prefetch(
            "results", queryset=ConfidenceResult.objects.select_related("member").order_by("id")
        )
    )


@router.get(
    "/confidence-votes", response=answers({200: ConfidencePage}), summary="Confidence votes"
)
def list_confidence_votes(request: HttpRequest, query: Query[ConfidenceQuery]) -> dict[str, Any]:
    """The confidence votes of the bodies the caller may `view` (in `unit`'s subtree when
    given), newest first: per person the counts of high, confidence and low, and what they
    mean by the rule set (out of planning; dismissal) with its source. Only counts exist:
    nothing tells who voted how."""
    rows = _sessions(request)
    if query.unit:
        unit = _unit(request, query.unit)
        rows = rows.filter(subtree_q("unit__path", [unit.path]))
    page, cursor = _page(rows, query.cursor)
    return {"items": [_session_out(s) for s in page], "next_cursor": cursor}


@router.post(
    "/confidence-votes",
    response=answers({201: ConfidenceSessionOut}),
    summary="Record a confidence vote",
)
def create_confidence_vote(
    request: HttpRequest, response: HttpResponse, payload: ConfidenceIn
) -> Any:
    """Record the vote held by the unit's body: those summoned and present (valid only with
    the rule set's quorum) and per person voted on the counts of ballots (`manage_cadres`
    on the unit)."""
    unit = _unit(request, payload.unit)
    _managing(request, unit)
    visible: QuerySet[Member] = Member.objects.visible_to(request.user, VIEW)
    results = [
        {
            "member": cast(Member, found(visible, pk=r.member)),
            "high": r.high,
            "confidence": r.confidence,
            "low": r.low,
            "position": r.position,
        }
        for r in payload.results
    ]
    session = confidence_session_record(
        actor=request.user,
        unit=unit,
        held_on=payload.held_on,
        summoned=payload.summoned,
        present=payload.present,
        results=results,
        document=payload.document,
        document_text=payload.document_text,
    )
    response["Location"] = f"{API_ROOT}/confidence-votes?unit={unit.code}"
    return Status(201, _session_out(_sessions(request).get(pk=session.pk)))


# Rotation ----------------------------------------------------------------------------------
class StintEndOut(Schema):
    ended_on: dt.date = Field(..., description="The last day of the stint")
    note: str
    document: int | None
    document_text: str


class StintOut(Schema):
    id: int
    plan: int
    member: HolderOut
    from_appointment: int = Field(..., description="The post held the member is rotated from")
    from_unit: str
    from_position: str
    to_unit: str
    to_position: str
    planned_start: dt.date
    planned_end: dt.date
    end: StintEndOut | None


class RotationPlanOut(Schema):
    id: int
    unit: str = Field(..., description="Code of the deciding unit")
    year: int
    decided_on: dt.date
    document: int | None = Field(..., description="The decision's id")
    document_text: str
    stints: int = Field(..., description="How many stints the plan has")


class RotationPlanDetailOut(RotationPlanOut):
    items: list[StintOut] = Field(..., description="The plan's stints, with their ends")


class RotationPage(Schema):
    items: list[RotationPlanOut]
    next_cursor: str | None = None


class RotationQuery(Schema):
    unit: str | None = Field(None, max_length=32, description="Plans of this unit's subtree")
    year: int | None = Field(None, ge=1900, le=2999)
    cursor: str = Field("", max_length=20)


class RotationPlanIn(Schema):
    unit: str = Field(..., max_length=32, description="Code of the deciding unit")
    year: int = Field(..., ge=1900, le=2999)
    decided_on: ApiDate
    document: int | None = Field(None, ge=1, le=2**62, description="The decision's id")
    document_text: str = Field("", max_length=255, description="Or the decision as written")


class StintIn(Schema):
    member: int = Id
    to_unit: str = Field(..., max_length=32, description="Code of the unit moved to")
    to_position: str = Field(..., max_length=32, description="A position of the rule set")
    planned_start: ApiDate
    planned_end: ApiDate | None = Field(
        None, description="Default: the start plus the rule set's shortest stint"
    )


class StintEndIn(Schema):
    ended_on: ApiDate = Field(..., description="The last day of the stint")
    note: str = Field("", max_length=500)
    document: int | None = OptId
    document_text: str = Field("", max_length=255)


def _plan_out(p: RotationPlan, count: int) -> dict[str, Any]:
    return {
        "id": p.pk,
        "unit": p.unit.code,
        "year": p.year,
        "decided_on": p.decided_on,
        "document": p.document_id,
        "document_text": p.document_text,
        "stints": count,
    }


def _stints() -> Any:
    return RotationStint.objects.select_related(
        "plan", "member__unit", "from_unit", "to_unit", "end"
    )


def _stint_out(s: RotationStint, masking: _Masking) -> dict[str, Any]:
    end = getattr(s, "end", None)
    return {
        "id": s.pk,
        "plan": s.plan_id,
        "member": masking.holder(s.member),
        "from_appointment": s.from_holding_id,
        "from_unit": s.from_unit.code,
        "from_position": s.from_position,
        "to_unit": s.to_unit.code,
        "to_position": s.to_position,
        "planned_start": s.planned_start,
        "planned_end": s.planned_end,
        "end": None
        if end is None
        else {
            "ended_on": end.ended_on,
            "note": end.note,
            "document": end.document_id,
            "document_text": end.document_text,
        },
    }


def _plan(request: HttpRequest, plan_id: int) -> RotationPlan:
    return cast(RotationPlan, found(rotation_plans(request.user), pk=plan_id))


def _plan_detail(request: HttpRequest, plan: RotationPlan) -> dict[str, Any]:
    stints = list(
        rotation_stints(request.user, plan)
        .select_related("member__unit", "from_unit", "to_unit", "end")
        .order_by("planned_start", "id")
    )
    masking = _Masking(request)
    out = _plan_out(plan, len(stints))
    out["items"] = [_stint_out(s, masking) for s in stints]
    masking.record(request, plan.unit, {"rotation_plan": plan.pk})
    return out


@router.get("/rotations", response=answers({200: RotationPage}), summary="Rotation plans")
def list_rotations(request: HttpRequest, query: Query[RotationQuery]) -> dict[str, Any]:
    """The rotation plans of the deciding units the caller may `view`, newest first,
    narrowed by `unit` (its subtree) and `year`, each with the number of its stints."""
    rows = rotation_plans(request.user).annotate(stint_count=Count("stints"))
    if query.unit:
        unit = _unit(request, query.unit)
        rows = rows.filter(subtree_q("unit__path", [unit.path]))
    if query.year:
        rows = rows.filter(year=query.year)
    page, cursor = _page(rows, query.cursor)
    return {"items": [_plan_out(p, p.stint_count) for p in page], "next_cursor": cursor}


@router.post(
    "/rotations", response=answers({201: RotationPlanDetailOut}), summary="Record a rotation plan"
)
def create_rotation(request: HttpRequest, response: HttpResponse, payload: RotationPlanIn) -> Any:
    """Record the deciding unit's rotation plan for a year, on its decision (`document` or
    `document_text`); `manage_cadres` on the unit."""
    unit = _unit(request, payload.unit)
    _managing(request, unit)
    plan = rotation_plan_record(
        actor=request.user,
        unit=unit,
        year=payload.year,
        decided_on=payload.decided_on,
        document=payload.document,
        document_text=payload.document_text,
    )
    response["Location"] = f"{API_ROOT}/rotations/{plan.pk}"
    return Status(201, _plan_detail(request, _plan(request, plan.pk)))


@router.get(
    "/rotations/{plan_id}",
    response=answers({200: RotationPlanDetailOut}),
    summary="A rotation plan and its stints",
)
def get_rotation(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    """One rotation plan with its stints (oldest start first) and their ends. The rotated
    people's personal data is masked as the members' list masks it."""
    return _plan_detail(request, _plan(request, plan_id))


@router.post(
    "/rotations/{plan_id}/stints",
    response=answers({201: StintOut}),
    summary="Add a stint to a rotation plan",
)
def create_stint(
    request: HttpRequest, response: HttpResponse, plan_id: int, payload: StintIn
) -> Any:
    """Rotate a member from the post held on `planned_start` to an equal post of another
    unit (`rotation_stint_add`: the rule set's conditions refuse with their source);
    `manage_cadres` on the plan's unit and on the units moved between."""
    plan = _plan(request, plan_id)
    _managing(request, plan.unit)
    member = cast(Member, found(Member.objects.visible_to(request.user, VIEW), pk=payload.member))
    to_unit = _unit(request, payload.to_unit)
    stint = rotation_stint_add(
        actor=request.user,
        plan=plan,
        member=member,
        to_unit=to_unit,
        to_position=payload.to_position,
        planned_start=payload.planned_start,
        planned_end=payload.planned_end,
    )
    response["Location"] = f"{API_ROOT}/rotations/{plan.pk}"
    return Status(201, _stint_out(_stints().get(pk=stint.pk), _Masking(request)))


@router.post(
    "/rotation-stints/{stint_id}/end",
    response=answers({200: StintOut}),
    summary="End a rotation stint",
)
def end_stint(request: HttpRequest, stint_id: int, payload: StintEndIn) -> Any:
    """End the stint on `ended_on` (its last day), with a note and the decision; the stint
    itself is never changed (`manage_cadres` on the plan's unit)."""
    stint = cast(RotationStint, found(rotation_stints(request.user), pk=stint_id))
    _managing(request, stint.plan.unit)
    rotation_stint_end(
        actor=request.user,
        stint=stint,
        ended_on=payload.ended_on,
        note=payload.note,
        document=payload.document,
        document_text=payload.document_text,
    )
    return _stint_out(_stints().get(pk=stint.pk), _Masking(request))
