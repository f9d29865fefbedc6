"""API of the members: read them and their history, and record lifecycle events.

`GET|POST /api/v1/members`, `GET|PATCH /api/v1/members/{id}`,
`GET|POST /api/v1/members/{id}/events`. The same services as the browser's forms refuse the same
things (a 4xx with the rule's code, message, field and source); members outside the caller's
scope answer 404 like missing ones; sensitive fields are masked for roles that may not read
them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.responses import Status
from pydantic import field_validator

from cadrebook.core.api_toolkit import (
    API_ROOT,
    ApiDate,
    ErrorOut,
    answers,
    date_cursor,
    forbidden,
    found,
    not_found,
    read_date_cursor,
)
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.fields import (
    OptDate,
    ReqDate,
    RowModel,
    ShortId,
    Text32,
    Text64,
    Text128,
    Text255,
)
from cadrebook.core.normalize import SEARCH_MAX_LENGTH
from cadrebook.core.permissions import CHANGE, VIEW, VIEW_SENSITIVE
from cadrebook.core.views import can
from cadrebook.members import services
from cadrebook.members.actions import ACTIONS, VOTE, refusal
from cadrebook.members.choices import EventType, MemberStatus
from cadrebook.members.event_types import API_TYPES, EventKind
from cadrebook.members.fields import EducationCode, FullName, GenderCode, PersonalData, TheoryCode
from cadrebook.members.lists import (
    PAGE_SIZE,
    filtered_members,
    keyset_page,
    refuse_masked_filters,
    search_within,
)
from cadrebook.members.models import SENSITIVE_FIELDS, Member, MemberEvent
from cadrebook.members.reads import member_list_read_record, member_read_record
from cadrebook.members.selectors import mask, recognition_decided_on
from cadrebook.members.services import PERSONAL_FIELDS
from cadrebook.orgs.models import OrgUnit

router = Router(tags=["members"])
# The most members one page of the list answers (a script pages on with `next_cursor`).
MAX_PAGE_SIZE = 200


# Event type of the API -> the action (and service) that records it, from the registry of
# event types (`members/event_types.py`), in its order (the order of the OpenAPI enum).
def event_actions(types: dict[str, EventKind]) -> dict[str, str]:
    """The API's event types (`event_types.api_types`) and the browser action of each."""
    return {api_type: kind.action for api_type, kind in types.items() if kind.action is not None}


EVENT_ACTIONS = event_actions(API_TYPES)
EventTypeIn = Literal[tuple(EVENT_ACTIONS)]  # type: ignore[valid-type]


class MemberOut(Schema):
    id: int
    full_name: str
    gender: str
    birth_date: str | None
    ethnicity: str
    national_id: str
    unit: str
    status: str
    exempt: bool
    admitted_on: dt.date | None
    recognized_on: dt.date | None = Field(
        description="The day full membership took effect: the end of probation, however late "
        "the decision came"
    )
    recognition_decided_on: dt.date | None = Field(
        None,
        description="The date of the decision that recognized the member (what the members "
        "file's recognized_on column holds)",
    )
    card_number: str
    pending_transfer_to: str | None
    version: int


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page")
    total: int | None = Field(
        None,
        description="How many members the filters find: that many when `total_exact`, "
        "else more than that many (counting stops there)",
    )
    total_exact: bool | None = Field(None, description="Whether `total` is the exact count")


StatusFilter = Literal[("active", "all", *MemberStatus.values)]  # type: ignore[valid-type]


class MemberQuery(Schema):
    unit: str | None = Field(None, description="Code of a unit: its whole subtree")
    status: StatusFilter | None = Field(  # type: ignore[valid-type]
        None, description="active (default), all, or one status"
    )
    q: str | None = Field(
        None,
        max_length=SEARCH_MAX_LENGTH,
        description="Name (accents optional), national ID or card",
    )
    as_of: ApiDate | None = Field(None, description="Members of the subtree on that day")
    gender: Literal["male", "female"] | None = None
    born_before: ApiDate | None = None
    born_after: ApiDate | None = None
    cursor: str = ""
    limit: int = Field(PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE, description="Members a page")


# The history records facts, so a few types differ from the verbs that record them: posting
# "transferred" records "transfer_out" (the transfer issued, pending) and "transfer_accepted"
# records "transfer_in"; registration and corrections are recorded by their own operations.
RecordedType = Literal[tuple(EventType.values)]  # type: ignore[valid-type]


class EventOut(Schema):
    id: int
    type: RecordedType = Field(  # type: ignore[valid-type]
        ...,
        description="The recorded fact: posting transferred records transfer_out, "
        "transfer_accepted records transfer_in",
    )
    date: dt.date
    unit: str | None
    to_unit: str | None
    destination: str
    document: str = Field(..., description="The deciding document as written (its symbol)")
    document_id: int | None = Field(
        None,
        description="The document of the register it is (GET /api/v1/documents/{id}); null "
        "when the text names no registered document: kept as written, not in the register",
    )
    reason: str
    corrects: int | None
    void: bool
    taken_over: bool = Field(
        False, description="A decision made before Cadrebook, copied from the old files"
    )
    until: dt.date | None = Field(None, description="Planned end of a temporary transfer")
    for_study: bool = Field(False, description="A temporary transfer for study")
    votes_for: int | None = Field(None, description="The cell's vote: in favour")
    votes_against: int | None = Field(None, description="The cell's vote: against")
    full_members: int | None = Field(None, description="The cell's full members at the vote")


VOTE_DESCRIPTION = (
    "admitted, recognized: the cell's vote (in favour, against, the cell's full members), "
    "checked against the rule set's share; required unless taken_over"
)


class EventIn(Schema):
    type: EventTypeIn  # type: ignore[valid-type]
    date: ApiDate
    to_unit: str | None = Field(
        None, description="Receiving cell (transfers), host cell, cell of a readmission"
    )
    destination: str = Field("", max_length=255, description="A transfer out of Cadrebook")
    document: str = Field(
        "",
        max_length=64,
        description="Deciding document, e.g. 28-NQ/TU: linked to the register when it names "
        "one issued document of the member's unit or a unit above it that the caller may "
        "read, else kept as written",
    )
    document_id: int | None = Field(
        None,
        ge=1,
        le=2**62,
        description="Deciding document by its register id: refused as not found when the "
        "caller may not read it, refused when a draft",
    )
    reason: str = Field("", max_length=255)
    taken_over: bool = Field(
        False,
        description="A decision made before Cadrebook, copied from the old files: recorded as "
        "taken over, and exempt from the document, reason and vote the old files may lack",
    )
    until: ApiDate | None = Field(
        None,
        description="temporary_transfer: the day it ends (the rule set bounds the length)",
    )
    for_study: bool = Field(
        False, description="temporary_transfer: for study, which may last longer"
    )
    votes_for: int | None = Field(None, ge=0, le=1_000_000, description=VOTE_DESCRIPTION)
    votes_against: int | None = Field(None, ge=0, le=1_000_000, description=VOTE_DESCRIPTION)
    full_members: int | None = Field(None, ge=1, le=1_000_000, description=VOTE_DESCRIPTION)


def _recognition_decided(member: Member) -> dt.date | None:
    """The recognition decision's date, annotated by the lists (one query for a page) or
    read for one member; only for a member whose full membership is recorded."""
    if member.recognized_on is None:
        return None
    if hasattr(member, "recognition_decided"):
        return cast(dt.date | None, member.recognition_decided)
    return cast(
        dt.date | None,
        Member.objects.filter(pk=member.pk)
        .annotate(decided=recognition_decided_on())
        .values_list("decided", flat=True)
        .first(),
    )


def _out(member: Member, sensitive: bool) -> dict[str, Any]:
    data = {
        "id": member.pk,
        "full_name": member.full_name,
        "gender": member.gender,
        "birth_date": member.birth_date.isoformat() if member.birth_date else None,
        "ethnicity": member.ethnicity,
        "national_id": member.national_id or "",
        "unit": member.unit.code,
        "status": member.status,
        "exempt": member.exempt,
        "admitted_on": member.admitted_on,
        "recognized_on": member.recognized_on,
        "recognition_decided_on": _recognition_decided(member),
        "card_number": member.card_number or "",
        "pending_transfer_to": (
            member.pending_transfer_to.code if member.pending_transfer_to_id else None
        ),
        "version": member.version,
    }
    if not sensitive:
        for name in SENSITIVE_FIELDS:
            if name in data:  # set or empty alike: presence is not told either
                data[name] = mask(data[name])
    return data


def _member(request: HttpRequest, member_id: int) -> Member:
    members = Member.objects.select_related("unit", "pending_transfer_to").annotate(
        recognition_decided=recognition_decided_on()
    )
    return cast(Member, found(members.visible_to(request.user), pk=member_id))


@router.get(
    "", response=answers({200: MemberPage}), summary="Members of a subtree, a page at a time"
)
def list_members(request: HttpRequest, query: Query[MemberQuery]) -> dict[str, Any]:
    """Members of `unit`'s subtree (default: the caller's top unit) that pass the filters,
    by name, `limit` a page (50 unless asked); `next_cursor` leads to the next page."""
    visible = OrgUnit.objects.visible_to(request.user, VIEW)
    if query.unit:
        unit = found(visible, code=query.unit)
    else:
        unit = visible.order_by("depth", "path").first()
        if unit is None:
            return {"items": [], "next_cursor": None, "total": 0, "total_exact": True}
    sensitive = can(request.user, VIEW_SENSITIVE, unit.path)
    if not sensitive:  # filtering by a masked field would unmask it, as in the browser
        refuse_masked_filters(query.model_dump())
    data = {"status": query.status or "active", "q": query.q or "", "gender": query.gender}
    data["as_of"] = query.as_of

    def listed(data: dict[str, Any]) -> QuerySet[Member]:
        members = filtered_members(unit, data, sensitive=sensitive).visible_to(request.user)
        if query.born_before:
            members = members.filter(birth_date__lt=query.born_before)
        if query.born_after:
            members = members.filter(birth_date__gt=query.born_after)
        return members.select_related("pending_transfer_to").annotate(
            recognition_decided=recognition_decided_on()
        )

    page = keyset_page(
        listed(data),
        "name",
        query.cursor,
        ranked=True,
        size=query.limit,
        text=data["q"],
        count=True,
        unsearched=listed({**data, "q": ""}),
        within=search_within(unit, data),
    )
    if sensitive:
        filters = query.model_dump(exclude_none=True, exclude={"limit"})  # a page size, no filter
        member_list_read_record(actor=request.user, unit=unit, members=page.rows, filters=filters)
    total = page.total
    return {
        "items": [_out(m, sensitive) for m in page.rows],
        "next_cursor": page.next_cursor,
        "total": total.count if total else None,
        "total_exact": total.exact if total else None,
    }


@router.get("/{member_id}", response=answers({200: MemberOut}), summary="One member")
def get_member(request: HttpRequest, member_id: int) -> dict[str, Any]:
    """One member's record; every read is in the audit log, like a dossier opened in the
    browser."""
    member = _member(request, member_id)
    member_read_record(actor=request.user, member=member)
    return _out(member, can(request.user, VIEW_SENSITIVE, member.unit.path))


EVENT_PAGE = 100


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for later events")


@router.get("/{member_id}/events", response=answers({200: EventPage}), summary="A member's history")
def list_events(request: HttpRequest, member_id: int, cursor: str = "") -> dict[str, Any]:
    """Every event, oldest first, corrections included (they point at what they correct),
    100 a page; `next_cursor` leads to the next page."""
    member = _member(request, member_id)
    after = read_date_cursor(cursor)
    events = member.events.select_related("unit", "to_unit").order_by("date", "id")
    if after is not None:
        day, pk = after
        events = events.filter(Q(date__gt=day) | Q(date=day, id__gt=pk))
    rows = list(events[: EVENT_PAGE + 1])
    more = len(rows) > EVENT_PAGE
    rows = rows[:EVENT_PAGE]
    last = rows[-1] if more and rows else None
    return {
        "items": [_event_out(e) for e in rows],
        "next_cursor": date_cursor(last.date, last.pk) if last else None,
    }


@router.get(
    "/{member_id}/events/{event_id}", response=answers({200: EventOut}), summary="One event"
)
def get_event(request: HttpRequest, member_id: int, event_id: int) -> dict[str, Any]:
    member = _member(request, member_id)
    events = member.events.select_related("unit", "to_unit")
    return _event_out(found(events, pk=event_id))


def _event_out(e: MemberEvent) -> dict[str, Any]:
    return {
        "id": e.pk,
        "type": e.type,
        "date": e.date,
        "unit": e.unit.code if e.unit_id else None,
        "to_unit": e.to_unit.code if e.to_unit_id else None,
        "destination": e.destination,
        "document": e.document,
        "document_id": e.registered_document_id,
        "reason": e.reason,
        "corrects": e.corrects_id,
        "void": e.void,
        "taken_over": e.taken_over,
        "until": e.until,
        "for_study": e.for_study,
        "votes_for": e.votes_for,
        "votes_against": e.votes_against,
        "full_members": e.full_members,
    }


@router.post(
    "/{member_id}/events",
    response=answers({201: EventOut}),
    summary="Record a lifecycle event (a decision)",
)
def record_event(
    request: HttpRequest, response: HttpResponse, member_id: int, payload: EventIn
) -> tuple[int, Any]:
    """Admit, recognize, transfer, exempt, remove… through the same services and rule checks
    as the browser. The receiving unit's officer accepts or returns a transfer."""
    action = ACTIONS[EVENT_ACTIONS[payload.type]]
    members = Member.objects.select_related("unit", "pending_transfer_to")
    if action.receiving:
        member = found(members, pk=member_id)
        target = member.pending_transfer_to
        if target is None and can(request.user, CHANGE, member.unit.path):
            raise RuleViolation(
                "transfer.none_pending", _("No transfer is pending for this member."), field="type"
            )
        if target is None or not can(request.user, CHANGE, target.path):
            # Only the receiving side answers a transfer; to anybody else who cannot see
            # the member, it is not there.
            if can(request.user, VIEW, member.unit.path):
                raise forbidden()
            raise not_found()
    else:
        member = found(members.visible_to(request.user), pk=member_id)
        if not can(request.user, CHANGE, member.unit.path):
            raise forbidden()
    if not action.applies(member):
        raise refusal(action, member, payload.type)
    # What a decision must come with (document, reason) is the service's to decide.
    kwargs: dict[str, Any] = {"date": payload.date, "taken_over": payload.taken_over}
    fields = set(action.fields)
    for name in ("document", "reason", "destination", "until", "for_study", *VOTE):
        if name in fields:
            kwargs[name] = getattr(payload, name)
    if payload.document_id is not None:
        if "document" not in fields:
            raise ServiceError(
                "event.document_unused",
                _("%(type)s takes no document: leave document_id out.") % {"type": payload.type},
                field="document_id",
            )
        kwargs["registered_document"] = payload.document_id
    unused = [n for n in VOTE if getattr(payload, n) is not None and n not in fields]
    if unused:
        raise ServiceError(
            "vote.not_voted",
            _("The cell does not vote on %(type)s: leave the vote out.") % {"type": payload.type},
            field=unused[0],
        )
    if payload.until is not None and "until" not in fields:
        raise ServiceError(
            "event.until_unused",
            _("%(type)s takes no end date: leave until out.") % {"type": payload.type},
            field="until",
        )
    unit_field = "to_unit" if "to_unit" in fields else ("host" if "host" in fields else None)
    if unit_field:
        unit = None
        if payload.to_unit:
            unit = OrgUnit.objects.filter(code=payload.to_unit).first()
            if unit is None:
                raise ServiceError(
                    "unit.unknown",
                    _("No unit has the code %(code)s.") % {"code": payload.to_unit},
                    field="to_unit",
                )
        if unit_field == "host" and unit is None:
            raise ServiceError("event.host_missing", _("Give the host unit."), field="to_unit")
        kwargs[unit_field] = unit
    elif payload.to_unit and action.name == "readmit":
        # Readmitted into another cell (the old one may be gone): one the caller records for.
        unit = OrgUnit.objects.visible_to(request.user, VIEW).filter(code=payload.to_unit)
        into = unit.first()
        if into is None or not can(request.user, CHANGE, into.path):
            raise ServiceError(
                "unit.unknown",
                _("No unit has the code %(code)s.") % {"code": payload.to_unit},
                field="to_unit",
            )
        kwargs["unit"] = into
    elif payload.to_unit:
        raise ServiceError(
            "event.to_unit_unused",
            _("%(type)s takes no unit: leave to_unit out.") % {"type": payload.type},
            field="to_unit",
        )
    if action.receiving:
        kwargs["receiving"] = target  # checked again under the lock
    event = action.service(actor=request.user, member=member, **kwargs)
    if not isinstance(event, MemberEvent):  # the card number service returns the member
        event = member.events.order_by("-id").first()
    response["Location"] = f"{API_ROOT}/members/{member.pk}/events/{event.pk}"
    return Status(201, _event_out(event))


class MemberIn(PersonalData):
    """An applicant to register: the personal data of a members file's row (the same
    checks), the cell, the day, and the admission if it was decided."""

    unit: str = Field(..., description="Code of the cell")
    birth_date: ReqDate
    registered_on: ApiDate
    admitted_on: ApiDate | None = Field(None, description="Also admit the applicant that day")
    document: str = Field("", max_length=64)
    sponsors: list[int] | None = Field(None, description="Ids of the sponsoring full members")
    taken_over: bool = Field(
        False,
        description="A record taken over from files kept before Cadrebook: it may come without "
        "sponsors (and its admission without the cell's vote); recorded as taken over",
    )
    votes_for: int | None = Field(None, ge=0, le=1_000_000, description=VOTE_DESCRIPTION)
    votes_against: int | None = Field(None, ge=0, le=1_000_000, description=VOTE_DESCRIPTION)
    full_members: int | None = Field(None, ge=1, le=1_000_000, description=VOTE_DESCRIPTION)


CLEARABLE = ("birth_date", "national_id")  # the personal fields that null may clear


class MemberPatch(RowModel):
    """Personal data to change: the fields of `PersonalData`, each optional."""

    version: int = Field(..., description="The version read; a stale one answers 409")
    # Only the CLEARABLE fields may be cleared with null; for the other fields null is
    # refused (422) like any value of the wrong type. Absent fields stay.
    full_name: FullName = Field(None)  # type: ignore[assignment]
    gender: GenderCode = Field(None)  # type: ignore[assignment]
    birth_date: OptDate = None
    ethnicity: Text64 = Field(None)  # type: ignore[assignment]
    national_id: ShortId | None = None
    hometown: Text255 = Field(None)  # type: ignore[assignment]
    education_level: EducationCode = Field(None)  # type: ignore[assignment]
    theory_level: TheoryCode = Field(None)  # type: ignore[assignment]
    occupation: Text128 = Field(None)  # type: ignore[assignment]
    phone: Text32 = Field(None)  # type: ignore[assignment]
    address: Text255 = Field(None)  # type: ignore[assignment]

    @field_validator(*(f for f in PERSONAL_FIELDS if f not in CLEARABLE), mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs before the cleaning, which would read null as "" and clear the field.
        if value is None:
            raise ValueError(_('This field cannot be null; send "" to clear it.'))
        return value


class MemberConflictOut(ErrorOut):
    """A 409: the refusal and, for a stale version, the record as it now stands."""

    current: MemberOut | None = Field(None, description="The record now (a stale version)")


@router.post("", response=answers({201: MemberOut}), summary="Register an applicant (and admit)")
def create_member(
    request: HttpRequest, response: HttpResponse, payload: MemberIn
) -> tuple[int, Any]:
    """Register an applicant in a cell, with sponsors if given; with `admitted_on`, admit
    them that day too. All or nothing: a refused admission registers nobody."""
    unit = found(OrgUnit.objects.visible_to(request.user, VIEW), code=payload.unit)
    if not can(request.user, CHANGE, unit.path):
        raise forbidden()
    sponsors = None
    if payload.sponsors is not None:
        visible = Member.objects.visible_to(request.user)
        sponsors = [found(visible, pk=pk) for pk in payload.sponsors]
    personal = {k: getattr(payload, k) for k in PersonalData.model_fields}
    with transaction.atomic():
        member = services.member_register_applicant(
            actor=request.user,
            unit=unit,
            date=payload.registered_on,
            document=payload.document,
            sponsors=sponsors,
            taken_over=payload.taken_over,
            **{k: v for k, v in personal.items() if v not in (None, "")},
        )
        if payload.admitted_on is not None:
            services.member_admit(
                actor=request.user,
                member=member,
                date=payload.admitted_on,
                document=payload.document,
                taken_over=payload.taken_over,
                votes_for=payload.votes_for,
                votes_against=payload.votes_against,
                full_members=payload.full_members,
            )
            member.refresh_from_db()
    response["Location"] = f"{API_ROOT}/members/{member.pk}"
    return Status(201, _out(member, can(request.user, VIEW_SENSITIVE, unit.path)))


@router.patch(
    "/{member_id}",
    response=answers({200: MemberOut, 409: MemberConflictOut}),
    summary="Change personal data (with the version read)",
)
def patch_member(request: HttpRequest, member_id: int, payload: MemberPatch) -> tuple[int, Any]:
    """Only the fields sent change. A stale `version` changes nothing and answers 409 with
    the current record (`current`), so the caller can re-apply its change."""
    member = _member(request, member_id)
    if not can(request.user, CHANGE, member.unit.path):
        raise forbidden()
    changes = payload.model_dump(exclude_unset=True)
    version = changes.pop("version")
    sensitive = can(request.user, VIEW_SENSITIVE, member.unit.path)
    if member.version != version:
        return _stale(member, sensitive)
    if changes:
        try:
            member = services.member_update_personal(
                actor=request.user, member=member, version=version, **changes
            )
        except ServiceError as exc:
            if exc.code != "member.stale_version":
                raise
            # Changed by someone else between our read and the service's: the same answer
            # as a stale version seen at once, with the record as it now stands.
            return _stale(_member(request, member_id), sensitive)
    return Status(200, _out(member, sensitive))


def _stale(member: Member, sensitive: bool) -> Status:
    return Status(
        409,
        {
            "code": "member.stale_version",
            "message": _("Someone changed this member meanwhile; reload and re-apply."),
            "field": "version",
            "current": _out(member, sensitive),
        },
    )
