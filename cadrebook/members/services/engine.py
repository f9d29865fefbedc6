"""The event engine: every lifecycle event of a member is recorded here.

Every lifecycle transition appends a `MemberEvent`, checked by the pure fold in
`cadrebook.members.lifecycle` against the rule set; then the member's cached status and the
`MemberPeriod` rows are brought in line with the fold, and an audit entry is written, all in
one transaction. A refused event leaves the database as it was. The named service of each
event type (`events.py`) and the restructuring of units call `member_record_event`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.dates import check_plausible
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.restrictions import TRANSFER, check_unrestricted
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.documents.models import Document
from cadrebook.documents.references import cited_document, document_by_symbol, symbol_key
from cadrebook.members.choices import EventType, MemberStatus
from cadrebook.members.expulsion import check_expulsion_route
from cadrebook.members.lifecycle import (
    EventData,
    State,
    apply_event,
    check_decision,
    check_vote_recorded,
    fold,
    vote_to_compare,
)
from cadrebook.members.models import (
    Member,
    MemberEvent,
    MemberPeriod,
)
from cadrebook.members.name_keys import follow_members
from cadrebook.members.placing import (
    ANCESTOR_FIELDS,
    Placed,
    period_changes,
    place_periods,
    spans_for,
    stored_period,
)
from cadrebook.members.selectors import (
    event_data,
    member_state,
    recorded_full_members,
    unit_check,
)
from cadrebook.orgs.models import OrgUnit

# The fields an event may change; the card is among them (it goes when a member stops being a
# full member), so the audit trail shows that too.
CACHE_FIELDS = [
    "status",
    "unit",
    "exempt",
    "admitted_on",
    "recognized_on",
    "pending_transfer_to",
    "card_number",
]


# Helpers -------------------------------------------------------------------------------------
def _unit_check(rules: Ruleset) -> Any:
    cache: dict[int, OrgUnit] = {}

    def lookup(unit_id: int) -> OrgUnit:
        if unit_id not in cache:
            cache[unit_id] = OrgUnit.objects.get(pk=unit_id)
        return cache[unit_id]

    return unit_check(rules, lookup)


def _period_row(member_id: int, placed: Placed) -> MemberPeriod:
    p, ancestors = placed
    row = MemberPeriod(
        member_id=member_id,
        unit_id=p.unit_id,
        status=p.status,
        exempt=p.exempt,
        valid_from=p.valid_from,
        valid_to=p.valid_to,
    )
    for depth, anc in enumerate(ancestors, start=1):
        setattr(row, f"anc{depth}_id", anc)
    return row


def _sync(member: Member, state: State) -> None:
    """Bring the member's cache fields and periods in line with `state`.

    Rows that match are kept; the open period is closed in place when its end arrives; only
    a correction can make an existing row disappear.
    """
    existing = member.periods.order_by("valid_from", "id").values_list(
        "pk", "unit_id", "status", "exempt", "valid_from", "valid_to", *ANCESTOR_FIELDS
    )
    wanted = place_periods(state.periods, spans_for(state.periods))
    new, closed, stale = period_changes([stored_period(r) for r in existing], wanted)
    for pk, valid_to in closed:
        MemberPeriod.objects.filter(pk=pk).update(valid_to=valid_to)
    if stale:
        MemberPeriod.objects.filter(pk__in=stale).delete()
    MemberPeriod.objects.bulk_create([_period_row(member.pk, p) for p in new])

    member.status = state.status or MemberStatus.APPLICANT
    moved = state.unit_id is not None and state.unit_id != member.unit_id
    if state.unit_id is not None:
        member.unit_id = state.unit_id
    member.exempt = state.exempt
    member.admitted_on = state.admitted_on
    member.recognized_on = state.recognized_on
    member.probation_start = state.probation_since
    member.temporary_until = state.temp_until
    member.pending_transfer_to_id = state.pending_to
    update: dict[str, Any] = {
        "status": member.status,
        "unit_id": member.unit_id,
        "exempt": member.exempt,
        "admitted_on": member.admitted_on,
        "recognized_on": member.recognized_on,
        "probation_start": member.probation_start,
        "temporary_until": member.temporary_until,
        "pending_transfer_to_id": member.pending_transfer_to_id,
    }
    Member.objects.filter(pk=member.pk).update(**update, version=F("version") + 1)
    member.version += 1
    if moved:  # a transfer (or its correction): the name keys carry the province
        follow_members([member.pk])
    if member.card_number and member.status != MemberStatus.FULL and _cards_full_only():
        # A card belongs to full members only; it is kept in the events' audit trail.
        Member.objects.filter(pk=member.pk).update(card_number=None)
        member.card_number = None


def _cards_full_only() -> bool:
    return bool(current_ruleset().value("card.full_members_only"))


def _check_date(member: Member, day: dt.date, state: State) -> None:
    today = timezone.localdate()
    if day > today:
        raise ServiceError(
            "event.in_future",
            _("The date %(date)s is in the future.") % {"date": day},
            field="date",
        )
    if state.last_date is not None and day < state.last_date:
        raise ServiceError(
            "event.before_previous",
            _("The date %(date)s is before the member's previous event on %(last)s.")
            % {"date": day, "last": state.last_date},
            field="date",
        )


# Set while a restructuring hands a unit's members over (a cell merged into another): a
# member's restriction on transfers (a discipline in force, `core.restrictions`) stops the
# member's own transfer, not the reorganization of the cell.
_REORGANIZING: ContextVar[bool] = ContextVar("reorganizing", default=False)


@contextmanager
def _reorganizing() -> Iterator[None]:
    """The transfers recorded inside are a reorganization's, not the members' own."""
    token = _REORGANIZING.set(True)
    try:
        yield
    finally:
        _REORGANIZING.reset(token)


def _check_restrictions(member: Member, type: str, day: dt.date, taken_over: bool) -> None:
    """Refuse an official transfer while a restriction on transfers is in force; a decision
    taken over from the old files records what happened and is not refused."""
    if type == EventType.TRANSFER_OUT and not taken_over and not _REORGANIZING.get():
        check_unrestricted(member.pk, day, TRANSFER, field="type")


def _lock(member: Member) -> Member:
    return Member.objects.select_for_update().get(pk=member.pk)


def _pending_unit(state: State, receiving: OrgUnit | None) -> OrgUnit | None:
    """The cell the pending transfer goes to, read from the locked state (never from a copy
    read before the lock); refused when the caller answers for another cell."""
    if state.pending_to is None:
        raise RuleViolation(
            "transfer.none_pending", _("No transfer is pending for this member."), field="type"
        )
    if receiving is not None and receiving.pk != state.pending_to:
        raise ServiceError(
            "transfer.pending_elsewhere",
            _(
                "The transfer now pending goes to another cell than %(unit)s; reload the "
                "member and answer again."
            )
            % {"unit": receiving},
            field="type",
        )
    return OrgUnit.objects.get(pk=state.pending_to)


def _cited(
    actor: Any,
    member: Member,
    document: str,
    registered: Document | int | None,
    unit_id: int | None,
    date: dt.date,
) -> Document | None:
    """The registered document the event rests on: the one given (by id: the actor must be
    able to read it, and it must have been issued), else the one its text names among the
    documents of the event's unit and the units above it that the actor may read (a text
    naming no such single document stays text, marked as not in the register)."""
    if registered is not None:
        cited = cited_document(actor, registered)
        if document.strip() and symbol_key(document) != symbol_key(cited.symbol):
            raise ServiceError(
                "event.document_mismatch",
                _("%(text)s is not the symbol of the document chosen (%(symbol)s).")
                % {"text": document, "symbol": cited.symbol},
                field="document",
            )
        return cited
    if not document.strip():
        return None
    unit = OrgUnit.objects.get(pk=unit_id) if unit_id is not None else member.unit
    return document_by_symbol(actor, document, unit.ancestor_paths(), date)


def member_record_event(
    *,
    actor: Any,
    member: Member,
    type: str,
    date: dt.date,
    unit: OrgUnit | None = None,
    to_unit: OrgUnit | None = None,
    destination: str = "",
    document: str = "",
    registered_document: Document | int | None = None,
    reason: str = "",
    receiving: OrgUnit | None = None,
    taken_over: bool = False,
    until: dt.date | None = None,
    for_study: bool = False,
    votes_for: int | None = None,
    votes_against: int | None = None,
    full_members: int | None = None,
) -> MemberEvent:
    """Append one lifecycle event after checking it against the rule set; update derived data.

    Everything is decided from the member as it stands under the row lock: the fold of the
    events read after the lock is the single authority, whatever the caller checked before.
    `receiving` is the cell whose officer answers a transfer (accepts or returns it); the
    answer is refused when the pending transfer now goes elsewhere. The decision must come
    with what the rule set asks of it (`check_decision`: document, reason, …) unless it is
    `taken_over` from records kept before Cadrebook, which is stored and shown.

    The deciding document is given by its register id (`registered_document`: refused as
    missing when the actor may not read it, refused when a draft) or as text (`document`),
    which is linked to the register when it names one issued document of the event's unit
    or a unit above it that the actor may read, and otherwise kept as written.
    """
    if type == EventType.CORRECTION:
        raise ServiceError("event.use_correction", _("Use the correction service."), field="type")
    if type not in EventType.values:
        raise ServiceError(
            "event.type_unknown", _("Unknown event type %(t)s.") % {"t": type}, field="type"
        )
    if type == EventType.EXPELLED:
        check_expulsion_route()  # a discipline decision's consequence, never recorded alone
    check_plausible(date)
    check_plausible(until, field="until")
    # What the decision is recorded with: the fold's check and the stored event take the same
    # fields (`DECISION_FIELDS`).
    decision: dict[str, Any] = {
        "document": document,
        "reason": reason,
        "taken_over": taken_over,
        "until": until,
        "for_study": for_study,
        "votes_for": votes_for,
        "votes_against": votes_against,
        "full_members": full_members,
    }
    rules = current_ruleset()
    with transaction.atomic():
        member = _lock(member)
        state = member_state(member, rules=rules)
        _check_date(member, date, state)
        _check_restrictions(member, type, date, taken_over)
        if type in (EventType.TRANSFER_IN, EventType.TRANSFER_RETURNED):
            pending = _pending_unit(state, receiving)
            if type == EventType.TRANSFER_IN:
                unit = pending  # the member joins the cell the transfer goes to
        cited = _cited(
            actor,
            member,
            document,
            registered_document,
            unit.pk if unit else state.unit_id,
            date,
        )
        if cited is not None and not document.strip():
            decision["document"] = document = cited.symbol
        data = EventData(
            type=type,
            date=date,
            unit_id=unit.pk if unit else None,
            to_unit_id=to_unit.pk if to_unit else None,
            destination=destination,
            id=2**62,
            **decision,
        )
        new_state = apply_event(
            state, data, rules=rules, birth_date=member.birth_date, check_unit=_unit_check(rules)
        )
        check_decision(data, state, rules=rules)
        if vote_to_compare(data) and new_state.unit_id is not None:
            vote = (new_state.unit_id, date)
            recorded = recorded_full_members([vote])[vote] - {member.pk}
            check_vote_recorded(data, len(recorded))
        event = MemberEvent.objects.create(
            member=member,
            type=type,
            date=date,
            unit=unit,
            to_unit=to_unit,
            destination=destination,
            **decision,
            registered_document=cited,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        before = snapshot(member, CACHE_FIELDS)
        _sync(member, new_state)
        audit_record(
            actor=actor,
            obj=member,
            action="update",
            event_type=f"member.{type}",
            unit=member.unit,
            before=before,
            after={
                **snapshot(member, CACHE_FIELDS),
                "event": event.pk,
                "date": date,
                "document": document,
                **({"registered_document": cited.pk} if cited is not None else {}),
                "reason": reason,
                **({"taken_over": True} if taken_over else {}),
                **({"until": until, "for_study": for_study} if until else {}),
                **(
                    {"vote": [votes_for, votes_against, full_members]}
                    if votes_for is not None
                    else {}
                ),
            },
        )
        return event


def member_correct_event(
    *,
    actor: Any,
    event: MemberEvent,
    reason: str,
    void: bool = False,
    date: dt.date | None = None,
    unit: OrgUnit | None = None,
    to_unit: OrgUnit | None = None,
    document: str = "",
) -> MemberEvent:
    """Record a correction that voids `event` or restates it; the original stays as it was."""
    if not reason.strip():
        raise ServiceError(
            "correction.reason_missing", _("Say why the event is corrected."), field="reason"
        )
    if event.type == EventType.CORRECTION:
        raise ServiceError(
            "correction.of_correction",
            _("Correct the original event, not a correction."),
            field="event",
        )
    if not void and date is None and unit is None and to_unit is None:
        raise ServiceError(
            "correction.empty",
            _("A correction voids the event or gives a new date or unit."),
            field="date",
        )
    check_plausible(date)
    rules = current_ruleset()
    with transaction.atomic():
        member = _lock(event.member)
        new_date = date or event.date
        if new_date > timezone.localdate():
            raise ServiceError(
                "event.in_future",
                _("The date %(date)s is in the future.") % {"date": new_date},
                field="date",
            )
        correction = MemberEvent.objects.create(
            member=member,
            type=EventType.CORRECTION,
            date=new_date,
            unit=unit,
            to_unit=to_unit,
            document=document,
            reason=reason,
            corrects=event,
            void=void,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        events = [event_data(e) for e in member.events.order_by("date", "id")]
        # The corrected history must itself obey every rule; otherwise nothing is written.
        new_state = fold(
            events, rules=rules, birth_date=member.birth_date, check_unit=_unit_check(rules)
        )
        before = snapshot(member, CACHE_FIELDS)
        _sync(member, new_state)
        audit_record(
            actor=actor,
            obj=member,
            action="update",
            event_type="member.correction",
            unit=member.unit,
            before=before,
            after={
                **snapshot(member, CACHE_FIELDS),
                "corrects": event.pk,
                "void": void,
                "date": new_date,
                "reason": reason,
            },
        )
        return correction
