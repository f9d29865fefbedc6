"""Writes on members — and on units where members are concerned (move, merge, dissolve).

Every lifecycle transition appends a `MemberEvent`, checked by the pure fold in
`cadrebook.members.lifecycle` against the rule set; then the member's cached status and the
`MemberPeriod` rows are brought in line with the fold, and an audit entry is written, all in
one transaction. A refused event leaves the database as it was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.dates import check_plausible
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.normalize import normalize_name
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.core.scoping import scope_for
from cadrebook.members.choices import ACTIVE_STATUSES, EventType, MemberStatus
from cadrebook.members.lifecycle import (
    EventData,
    Period,
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
    Sponsorship,
)
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
from cadrebook.orgs.models import OrgUnit, UnitPlacement
from cadrebook.orgs.placements import Spans, load_spans, placement_row
from cadrebook.orgs.selectors import check_kind_under

PERSONAL_FIELDS = [
    "full_name",
    "gender",
    "birth_date",
    "ethnicity",
    "national_id",
    "hometown",
    "education_level",
    "theory_level",
    "occupation",
    "phone",
    "address",
]
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
    if state.unit_id is not None:
        member.unit_id = state.unit_id
    member.exempt = state.exempt
    member.admitted_on = state.admitted_on
    member.recognized_on = state.recognized_on
    member.pending_transfer_to_id = state.pending_to
    update: dict[str, Any] = {
        "status": member.status,
        "unit_id": member.unit_id,
        "exempt": member.exempt,
        "admitted_on": member.admitted_on,
        "recognized_on": member.recognized_on,
        "pending_transfer_to_id": member.pending_transfer_to_id,
    }
    Member.objects.filter(pk=member.pk).update(**update, version=F("version") + 1)
    member.version += 1
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
    """
    if type == EventType.CORRECTION:
        raise ServiceError("event.use_correction", _("Use the correction service."), field="type")
    if type not in EventType.values:
        raise ServiceError(
            "event.type_unknown", _("Unknown event type %(t)s.") % {"t": type}, field="type"
        )
    check_plausible(date)
    check_plausible(until, field="until")
    rules = current_ruleset()
    with transaction.atomic():
        member = _lock(member)
        state = member_state(member, rules=rules)
        _check_date(member, date, state)
        if type in (EventType.TRANSFER_IN, EventType.TRANSFER_RETURNED):
            pending = _pending_unit(state, receiving)
            if type == EventType.TRANSFER_IN:
                unit = pending  # the member joins the cell the transfer goes to
        data = EventData(
            type=type,
            date=date,
            unit_id=unit.pk if unit else None,
            to_unit_id=to_unit.pk if to_unit else None,
            destination=destination,
            id=2**62,
            document=document,
            reason=reason,
            taken_over=taken_over,
            until=until,
            for_study=for_study,
            votes_for=votes_for,
            votes_against=votes_against,
            full_members=full_members,
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
            document=document,
            reason=reason,
            taken_over=taken_over,
            until=until,
            for_study=for_study,
            votes_for=votes_for,
            votes_against=votes_against,
            full_members=full_members,
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


def _personal_data(fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - set(PERSONAL_FIELDS)
    if unknown:
        raise ServiceError(
            "member.unknown_field",
            _("Unknown field(s): %(f)s") % {"f": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    data = dict(fields)
    if "full_name" in data:
        data["full_name"] = (data["full_name"] or "").strip()
        if not data["full_name"]:
            raise ServiceError(
                "member.name_missing", _("A member needs a full name."), field="full_name"
            )
        data["name_norm"] = normalize_name(data["full_name"])
    if "national_id" in data:
        data["national_id"] = (data["national_id"] or "").strip() or None
    return data


_Service = TypeVar("_Service", bound=Callable[..., Any])


class NationalIdTaken(ServiceError):
    """A national ID already held by another person. The refusal names nobody: the holder
    may lie outside the actor's part of the organization, and naming them (or their unit)
    would tell the actor that this person exists and where. `holder_id` is for the audit
    entry that lets an administrator resolve the duplicate; `hidden` says whether the holder
    lies outside what the actor may see (only then is the attempt audited)."""

    def __init__(self, national_id: str, holder_id: int, hidden: bool) -> None:
        super().__init__(
            "member.national_id_taken",
            _("Another person has the national ID number %(n)s.") % {"n": national_id},
            field="national_id",
        )
        self.national_id = national_id
        self.holder_id = holder_id
        self.hidden = hidden
        self.recorded = False
        # The unit the actor was recording in (a unit, or an import's row unit: has a code).
        self.attempted_in: Any = None


def _check_national_id(
    national_id: str | None, exclude_pk: int | None = None, *, actor: Any = None
) -> None:
    if not national_id:
        return
    holder = (
        Member.objects.filter(national_id=national_id)
        .exclude(pk=exclude_pk or 0)
        .values_list("pk", "unit__path")
        .first()
    )
    if holder is not None:
        hidden = actor is not None and not scope_for(actor, "view_sensitive").covers_path(holder[1])
        raise NationalIdTaken(national_id, holder[0], hidden)


def member_national_id_clash_record(*, actor: Any, refusal: NationalIdTaken, via: str) -> None:
    """Audit a refused attempt to give a person the national ID of someone the actor may
    not see: the entry names the holder and is scoped to the holder's unit, so that the
    administrators there (not the actor) can resolve the duplicate. Written after the
    refused operation rolled back, in its own transaction; once per refusal."""
    if not refusal.hidden or refusal.recorded:
        return
    holder = Member.objects.select_related("unit").filter(pk=refusal.holder_id).first()
    if holder is None:
        return
    with transaction.atomic():
        audit_record(
            actor=actor,
            obj=holder,
            action="refused",
            event_type="member.national_id_clash",
            unit=holder.unit,
            after={
                "national_id": refusal.national_id,
                "attempted_in": getattr(refusal.attempted_in, "code", None),
                "via": via,
            },
        )
    refusal.recorded = True


def _in_callers_transaction() -> bool:
    """Whether a caller's transaction is still open (a test case's own wrapping transaction
    does not count: Django marks it, as its durable-atomic check does)."""
    blocks = transaction.get_connection().atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)


def _auditing_hidden_clashes(service: _Service) -> _Service:
    """A service refused for a national ID held out of the actor's sight records the attempt
    (`member_national_id_clash_record`) once its transaction has rolled back. Called inside
    a caller's transaction it leaves that to the caller: an entry written now would roll
    back with the caller's work."""

    @functools.wraps(service)
    def run(**kwargs: Any) -> Any:
        try:
            return service(**kwargs)
        except NationalIdTaken as exc:
            if exc.attempted_in is None:
                exc.attempted_in = kwargs.get("unit") or getattr(kwargs.get("member"), "unit", None)
            if not _in_callers_transaction():
                member_national_id_clash_record(
                    actor=kwargs.get("actor"), refusal=exc, via="service"
                )
            raise

    return cast(_Service, run)


def _check_sponsors(sponsors: list[Member], date: dt.date) -> None:
    """The rule set's number of sponsors, each a different full member on `date`."""
    rules = current_ruleset()
    needed = rules.int("admission.sponsors")
    if len(sponsors) != needed or len({s.pk for s in sponsors}) != len(sponsors):
        raise rules.violation(
            "admission",
            "admission.sponsors",
            _("An applicant needs %(n)s different full members as sponsors.") % {"n": needed},
            field="sponsors",
        )
    for sponsor in sponsors:
        period = (
            MemberPeriod.objects.filter(member=sponsor, valid_from__lte=date)
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=date))
            .first()
        )
        if period is None or period.status != "full":
            raise rules.violation(
                "admission",
                "admission.sponsor_not_full",
                _("%(name)s was not a full member on %(date)s and cannot sponsor.")
                % {"name": sponsor.full_name, "date": date},
                field="sponsors",
            )


@_auditing_hidden_clashes
def member_register_applicant(
    *,
    actor: Any,
    unit: OrgUnit,
    date: dt.date,
    document: str = "",
    sponsors: list[Member] | None = None,
    taken_over: bool = False,
    **personal: Any,
) -> Member:
    """Enter a person being prepared for admission (quần chúng ưu tú) in a cell, with their
    sponsors. A record taken over from elsewhere (`taken_over`, stored on the registration)
    may come without them; any other registration names them."""
    data = _personal_data(personal)
    if "full_name" not in data:
        raise ServiceError(
            "member.name_missing", _("A member needs a full name."), field="full_name"
        )
    if sponsors is None and not taken_over:
        rules = current_ruleset()
        raise rules.violation(
            "admission",
            "admission.sponsors_missing",
            _(
                "Name the %(n)s sponsors, or mark the record as taken over from files kept "
                "before Cadrebook."
            )
            % {"n": rules.int("admission.sponsors")},
            field="sponsors",
        )
    with transaction.atomic():
        _check_national_id(data.get("national_id"), actor=actor)
        if sponsors is not None:
            _check_sponsors(sponsors, date)
        member = Member.objects.create(unit=unit, status=MemberStatus.APPLICANT, **data)
        for sponsor in sponsors or []:
            Sponsorship.objects.create(applicant=member, sponsor=sponsor, since=date)
        after = snapshot(member, PERSONAL_FIELDS)
        if sponsors:
            after["sponsors"] = [f"{s.full_name} (#{s.pk})" for s in sponsors]
        audit_record(
            actor=actor,
            obj=member,
            action="create",
            event_type="member.created",
            unit=unit,
            after=after,
        )
        member_record_event(
            actor=actor,
            member=member,
            type=EventType.REGISTERED,
            date=date,
            unit=unit,
            document=document,
            taken_over=taken_over,
        )
        member.refresh_from_db()
        return member


@_auditing_hidden_clashes
def member_update_personal(*, actor: Any, member: Member, version: int, **fields: Any) -> Member:
    """Change personal data. `version` is the one the editor read; a stale one is refused."""
    data = _personal_data(fields)
    with transaction.atomic():
        current = _lock(member)
        if current.version != version:
            raise ServiceError(
                "member.stale_version",
                _("Someone changed this member meanwhile; reload and re-apply."),
                field="version",
            )
        _check_national_id(data.get("national_id"), exclude_pk=current.pk, actor=actor)
        if "birth_date" in data and data["birth_date"] != current.birth_date:
            # The recorded history must stay lawful under the new date of birth (admission age).
            events = [event_data(e) for e in current.events.order_by("date", "id")]
            fold(events, rules=current_ruleset(), birth_date=data["birth_date"])
        before = snapshot(current, PERSONAL_FIELDS)
        Member.objects.filter(pk=current.pk).update(**data, version=F("version") + 1)
        current.refresh_from_db()
        audit_record(
            actor=actor,
            obj=current,
            action="update",
            event_type="member.personal_data",
            unit=current.unit,
            before=before,
            after=snapshot(current, PERSONAL_FIELDS),
        )
        return current


def member_set_card(*, actor: Any, member: Member, card_number: str) -> Member:
    """Record a member card number in the rule set's format (full members only)."""
    rules = current_ruleset()
    card_number = (card_number or "").strip()
    if not rules.card_pattern().match(card_number):
        raise rules.violation(
            "card",
            "card.bad_format",
            _("%(n)s is not a card number like %(ex)s.")
            % {"n": card_number, "ex": rules.value("card.example")},
            field="card_number",
        )
    with transaction.atomic():
        current = _lock(member)
        if rules.value("card.full_members_only") and current.status != MemberStatus.FULL:
            raise rules.violation(
                "card",
                "card.full_members_only",
                _("Only full members hold a member card."),
                field="card_number",
            )
        if Member.objects.filter(card_number=card_number).exclude(pk=current.pk).exists():
            raise ServiceError(
                "card.taken",
                _("Card %(n)s belongs to another member.") % {"n": card_number},
                field="card_number",
            )
        before = {"card_number": current.card_number}
        Member.objects.filter(pk=current.pk).update(
            card_number=card_number, version=F("version") + 1
        )
        current.refresh_from_db()
        audit_record(
            actor=actor,
            obj=current,
            action="update",
            event_type="member.card_set",
            unit=current.unit,
            before=before,
            after={"card_number": card_number},
        )
        return current


# One named service per transition, for readable call sites ----------------------------------
def member_propose_admission(
    *, actor: Any, member: Member, date: dt.date, document: str = "", taken_over: bool = False
) -> MemberEvent:
    """Record that the cell's resolution proposing the applicant's admission was made and
    sent up on `date` (`document`, if given, is the resolution): the upper committee's
    deadline (`admission.decision_working_days`) runs from it. A later proposal (the dossier
    sent back and proposed again) starts the deadline afresh. No status changes."""
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.ADMISSION_PROPOSED,
        date=date,
        document=document,
    )


def member_admit(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    unit: OrgUnit | None = None,
    document: str = "",
    taken_over: bool = False,
    votes_for: int | None = None,
    votes_against: int | None = None,
    full_members: int | None = None,
) -> MemberEvent:
    """Admit an applicant, with the cell's vote (in favour, against, the cell's full members)
    that the rule set asks for (`admission.vote_share`), unless taken over from old files."""
    return member_record_event(
        votes_for=votes_for,
        votes_against=votes_against,
        full_members=full_members,
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.ADMITTED,
        date=date,
        unit=unit,
        document=document,
    )


def member_extend_decision(
    *, actor: Any, member: Member, date: dt.date, document: str = "", taken_over: bool = False
) -> MemberEvent:
    """Record that the upper committee extended the deadline of the decision it owes on the
    member: an applicant's admission after the cell's proposal, or a probationary member's
    recognition; by the rule set's `decision_extension_working_days` of that section, once
    per decision (`decision.already_extended`; `decision.nothing_pending` when none is
    pending). The deciding document is asked for by `records.document_required`."""
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.DECISION_EXTENDED,
        date=date,
        document=document,
    )


def member_recognize(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    document: str = "",
    taken_over: bool = False,
    votes_for: int | None = None,
    votes_against: int | None = None,
    full_members: int | None = None,
) -> MemberEvent:
    """Recognize a probationary member as a full member, with the cell's vote
    (`probation.vote_share`), unless taken over from old files."""
    return member_record_event(
        votes_for=votes_for,
        votes_against=votes_against,
        full_members=full_members,
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.RECOGNIZED,
        date=date,
        document=document,
    )


def member_not_recognize(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    document: str = "",
    reason: str = "",
    taken_over: bool = False,
) -> MemberEvent:
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.NOT_RECOGNIZED,
        date=date,
        document=document,
        reason=reason,
    )


def member_transfer_out(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    to_unit: OrgUnit | None = None,
    destination: str = "",
    document: str = "",
    reason: str = "",
    taken_over: bool = False,
) -> MemberEvent:
    """Issue an official transfer to `to_unit`, or out of the deployment to `destination`."""
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.TRANSFER_OUT,
        date=date,
        to_unit=to_unit,
        destination=destination,
        document=document,
        reason=reason,
    )


def member_transfer_accept(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    document: str = "",
    receiving: OrgUnit | None = None,
    taken_over: bool = False,
) -> MemberEvent:
    """The receiving cell accepts the pending transfer; the member joins it on `date`.

    The cell is the one the transfer goes to under the lock; `receiving`, the cell the
    officer answers for, must be that one."""
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.TRANSFER_IN,
        date=date,
        document=document,
        receiving=receiving,
    )


def member_transfer_return(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    reason: str,
    receiving: OrgUnit | None = None,
    taken_over: bool = False,
) -> MemberEvent:
    """The receiving cell returns the pending transfer (`receiving` as for the acceptance)."""
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.TRANSFER_RETURNED,
        date=date,
        reason=reason,
        receiving=receiving,
    )


def member_transfer(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    to_unit: OrgUnit,
    document: str = "",
    reason: str = "",
) -> MemberEvent:
    """Issue and accept an official transfer on the same day (used by merges and imports)."""
    member_transfer_out(
        actor=actor, member=member, date=date, to_unit=to_unit, document=document, reason=reason
    )
    return member_transfer_accept(actor=actor, member=member, date=date, document=document)


def member_temporary_transfer(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    host: OrgUnit,
    document: str = "",
    reason: str = "",
    taken_over: bool = False,
    until: dt.date | None = None,
    for_study: bool = False,
) -> MemberEvent:
    """Send the member to `host` for a while, until `until` (the rule set bounds the length;
    study may last longer); the member keeps counting in the home cell."""
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.TEMPORARY_TRANSFER,
        date=date,
        to_unit=host,
        until=until,
        for_study=for_study,
        document=document,
        reason=reason,
    )


def member_temporary_transfer_end(
    *, actor: Any, member: Member, date: dt.date, document: str = "", taken_over: bool = False
) -> MemberEvent:
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.TEMPORARY_TRANSFER_ENDED,
        date=date,
        document=document,
    )


def member_exempt(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    reason: str,
    document: str = "",
    taken_over: bool = False,
) -> MemberEvent:
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.EXEMPTED,
        date=date,
        reason=reason,
        document=document,
    )


def member_exemption_end(
    *, actor: Any, member: Member, date: dt.date, document: str = "", taken_over: bool = False
) -> MemberEvent:
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.EXEMPTION_ENDED,
        date=date,
        document=document,
    )


def member_remove(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    reason: str,
    document: str = "",
    taken_over: bool = False,
) -> MemberEvent:
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.REMOVED,
        date=date,
        reason=reason,
        document=document,
    )


def member_expel(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    reason: str,
    document: str = "",
    taken_over: bool = False,
) -> MemberEvent:
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.EXPELLED,
        date=date,
        reason=reason,
        document=document,
    )


def member_record_death(
    *, actor: Any, member: Member, date: dt.date, document: str = "", taken_over: bool = False
) -> MemberEvent:
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.DECEASED,
        date=date,
        document=document,
    )


def member_readmit(
    *,
    actor: Any,
    member: Member,
    date: dt.date,
    unit: OrgUnit | None = None,
    document: str = "",
    taken_over: bool = False,
) -> MemberEvent:
    return member_record_event(
        taken_over=taken_over,
        actor=actor,
        member=member,
        type=EventType.READMITTED,
        date=date,
        unit=unit,
        document=document,
    )


# Units, where members are concerned ---------------------------------------------------------
def unit_move(
    *, actor: Any, unit: OrgUnit, new_parent: OrgUnit, date: dt.date, document: str = ""
) -> OrgUnit:
    """Move `unit` and its subtree under `new_parent` from `date` on.

    The tree's history is appended to, never rewritten: every unit of the subtree gets a new
    placement from `date` (the old one ends there), and every member period of the subtree
    that runs past `date` is cut there (`place_periods`): before it the periods keep their
    ancestors, from it they carry the new ones. Figures of any earlier date do not change.
    """
    check_plausible(date)
    with transaction.atomic():
        unit = OrgUnit.objects.select_for_update().get(pk=unit.pk)
        new_parent.refresh_from_db()
        _check_move(unit, new_parent, date)
        subtree = list(
            OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", flat=True)
        )
        open_placements = UnitPlacement.objects.filter(unit_id__in=subtree, valid_to__isnull=True)
        latest = max(
            (d for d in open_placements.values_list("valid_from", flat=True) if d), default=None
        )
        if latest is not None and date <= latest:
            # History is appended in date order: a move before the last one would rewrite it.
            raise ServiceError(
                "unit.move_before_history",
                _("The tree here last changed on %(last)s; a move must come after it.")
                % {"last": latest},
                field="date",
            )
        parent = OrgUnit.objects.get_parent(unit)
        before = {"parent": parent.code if parent else None}
        OrgUnit.objects.move(unit, new_parent, pos="sorted-child")
        unit.refresh_from_db()
        _replace_placements(unit, date, document)
        _cut_periods(subtree, date)
        audit_record(
            actor=actor,
            obj=unit,
            action="update",
            event_type="unit.moved",
            unit=unit,
            before=before,
            after={"parent": new_parent.code, "date": date, "document": document},
        )
        return unit


def _check_move(unit: OrgUnit, new_parent: OrgUnit, date: dt.date) -> None:
    if new_parent.path.startswith(unit.path):
        raise ServiceError(
            "unit.move_into_itself",
            _("A unit cannot move under itself or its own subtree."),
            field="parent",
        )
    if not new_parent.is_active or not new_parent.is_active_on(date):
        raise ServiceError(
            "unit.parent_dissolved",
            _("The new parent unit is not active on %(date)s.") % {"date": date},
            field="parent",
        )
    if not unit.is_active:
        raise ServiceError("unit.already_dissolved", _("The unit is dissolved."), field="unit")
    if unit.founded_on and date < unit.founded_on:
        raise ServiceError(
            "unit.moved_before_founding",
            _("The unit was founded on %(founded)s, after %(date)s.")
            % {"founded": unit.founded_on, "date": date},
            field="date",
        )
    if date > timezone.localdate():
        raise ServiceError(
            "event.in_future",
            _("The date %(date)s is in the future.") % {"date": date},
            field="date",
        )
    if OrgUnit.objects.get_parent(unit) == new_parent:
        raise ServiceError(
            "unit.move_same_parent",
            _("%(unit)s already stands under %(parent)s.") % {"unit": unit, "parent": new_parent},
            field="parent",
        )
    check_kind_under(kind=unit.kind, parent=new_parent)
    deepest = OrgUnit.objects.filter(path__startswith=unit.path).order_by("-depth").first()
    assert deepest is not None
    if deepest.depth - unit.depth + new_parent.depth + 1 > settings.MAX_TREE_DEPTH:
        raise ServiceError("unit.too_deep", _("The tree would become too deep."), field="parent")


def _replace_placements(unit: OrgUnit, date: dt.date, document: str) -> None:
    """End the open placement of every unit of `unit`'s (moved) subtree on `date` and open
    one with its ancestors now."""
    rows = list(OrgUnit.objects.filter(path__startswith=unit.path).values_list("pk", "path"))
    step = OrgUnit.steplen
    above = {
        p: i
        for p, i in OrgUnit.objects.filter(path__in=unit.ancestor_paths()).values_list("path", "pk")
    }
    by_path = {**above, **{path: pk for pk, path in rows}}
    UnitPlacement.objects.filter(
        unit_id__in=[pk for pk, _path in rows], valid_to__isnull=True
    ).update(valid_to=date)
    UnitPlacement.objects.bulk_create(
        placement_row(
            pk, [by_path[path[: step * d]] for d in range(1, len(path) // step + 1)], date, document
        )
        for pk, path in rows
    )


def _cut_periods(unit_ids: list[int], date: dt.date) -> None:
    """Cut the member periods of these units that run past `date` by the units' placements
    (now including the one from `date`), with the same function as every other writer."""
    fields = ("member_id", "unit_id", "status", "exempt", "valid_from", "valid_to")
    spans: Spans = {}
    for i in range(0, len(unit_ids), 900):
        spans.update(load_spans(unit_ids[i : i + 900]))
    for i in range(0, len(unit_ids), 900):
        running = MemberPeriod.objects.filter(unit_id__in=unit_ids[i : i + 900]).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gt=date)
        )
        new: list[MemberPeriod] = []
        for member_id, unit_id, status, exempt, valid_from, valid_to in running.values_list(
            *fields
        ):
            period = Period(unit_id, status, exempt, valid_from, valid_to)
            new.extend(_period_row(member_id, placed) for placed in place_periods([period], spans))
        running.delete()
        MemberPeriod.objects.bulk_create(new, batch_size=2000)


def _active_members(unit: OrgUnit) -> Any:
    return Member.objects.filter(unit=unit, status__in=ACTIVE_STATUSES)


NAMED = 5  # members a refusal names at most


def unit_dissolve(*, actor: Any, unit: OrgUnit, date: dt.date, document: str = "") -> OrgUnit:
    """Dissolve a unit on `date`; refused while it or a unit below it has active members
    or active child units."""
    check_plausible(date)
    with transaction.atomic():
        unit.refresh_from_db()
        if unit.dissolved_on:
            raise ServiceError("unit.already_dissolved", _("The unit is already dissolved."))
        below = OrgUnit.objects.filter(path__startswith=unit.path)
        active_members = Member.objects.filter(unit__in=below, status__in=ACTIVE_STATUSES).count()
        if active_members:
            raise ServiceError(
                "unit.has_members",
                _("%(n)d active members still belong here; transfer them first.")
                % {"n": active_members},
            )
        pending = list(
            Member.objects.filter(pending_transfer_to__in=below)
            .order_by("full_name", "pk")
            .values_list("full_name", "pk")[: NAMED + 1]
        )
        if pending:
            # Named, as on the unit's page of incoming transfers, so they can be answered.
            names = [_("%(name)s (id %(id)d)") % {"name": n, "id": pk} for n, pk in pending]
            raise ServiceError(
                "unit.has_pending_transfers",
                _("Transfers to this unit are pending; answer them first: %(members)s.")
                % {"members": ", ".join(names[:NAMED]) + (", …" if len(names) > NAMED else "")},
            )
        if below.exclude(pk=unit.pk).filter(dissolved_on__isnull=True).exists():
            raise ServiceError(
                "unit.has_active_children",
                _("Units below this one are still active; dissolve or move them first."),
            )
        if date > timezone.localdate():
            raise ServiceError(
                "event.in_future",
                _("The date %(date)s is in the future.") % {"date": date},
                field="date",
            )
        # The unit may have stood at another depth before a move: any ancestor column.
        anywhere = Q()
        for column in ANCESTOR_FIELDS:
            anywhere |= Q(**{column: unit.pk})
        last = (
            MemberPeriod.objects.filter(anywhere)
            .order_by("-valid_to")
            .values_list("valid_to", flat=True)
            .first()
        )
        earliest = (
            max(d for d in (unit.founded_on, last) if d) if (unit.founded_on or last) else None
        )
        if earliest and date < earliest:
            raise ServiceError(
                "unit.dissolved_before_history",
                _("The unit has history until %(last)s; it cannot be dissolved on %(date)s.")
                % {"last": earliest, "date": date},
                field="date",
            )
        before = snapshot(unit, ["dissolved_on"])
        OrgUnit.objects.filter(pk=unit.pk).update(dissolved_on=date)
        unit.refresh_from_db()
        audit_record(
            actor=actor,
            obj=unit,
            action="update",
            event_type="unit.dissolved",
            unit=unit,
            before=before,
            after={"dissolved_on": date, "document": document},
        )
        return unit


# The fields by which the steps of a merge name the unit merged into: the units below move
# under it (`parent`), the members are transferred to it (`to_unit`).
MERGE_TARGET_FIELDS = frozenset({"parent", "new_parent", "to_unit"})


@contextlib.contextmanager
def _naming_into() -> Iterator[None]:
    """A refusal by a step of a merge names the merge's own field, `into`, where the step
    named the unit merged into by its own."""
    try:
        yield
    except ServiceError as exc:
        if exc.field in MERGE_TARGET_FIELDS:
            exc.field = "into"
        raise


def _naming(member: Member, exc: ServiceError) -> ServiceError:
    """A member's refusal within a restructuring, naming the member it is about (the
    browser, the API and the units import show it as it is)."""
    message = _("%(name)s (id %(id)d): %(message)s") % {
        "name": member.full_name,
        "id": member.pk,
        "message": exc.message,
    }
    if isinstance(exc, RuleViolation):
        return RuleViolation(exc.code, message, source=exc.source, field=exc.field)
    return ServiceError(exc.code, message, field=exc.field)


def unit_merge(
    *, actor: Any, unit: OrgUnit, into: OrgUnit, date: dt.date, document: str = ""
) -> OrgUnit:
    """Merge `unit` into `into` on `date`, then dissolve `unit`; history is kept.

    The units below `unit` move under `into` with a dated move (their members are handed
    over with them: no transfers, the figures of earlier dates unchanged). Members held by
    `unit` itself (a cell merged into a cell) are transferred into `into` (reason
    "reorganization"), each an ordinary transfer.
    """
    check_plausible(date)
    if unit.pk == into.pk:
        raise ServiceError(
            "unit.merge_into_itself", _("A unit cannot merge into itself."), field="into"
        )
    with transaction.atomic(), _naming_into():
        unit.refresh_from_db()
        into.refresh_from_db()
        if into.path.startswith(unit.path):
            raise ServiceError(
                "unit.move_into_itself",
                _("A unit cannot merge into a unit below it."),
                field="into",
            )
        children = OrgUnit.objects.filter(
            path__startswith=unit.path, depth=unit.depth + 1, dissolved_on__isnull=True
        ).order_by("path")
        for child in list(children):
            unit_move(actor=actor, unit=child, new_parent=into, date=date, document=document)
        for member in _active_members(unit).order_by("pk"):
            try:
                if member.pending_transfer_to_id:
                    member_transfer_return(
                        actor=actor, member=member, date=date, reason=_("reorganization")
                    )
                    member.refresh_from_db()
                member_transfer(
                    actor=actor,
                    member=member,
                    date=date,
                    to_unit=into,
                    document=document,
                    reason="reorganization",
                )
            except ServiceError as exc:
                raise _naming(member, exc) from exc
        # Applicants follow their cell too (they have no periods).
        for applicant in Member.objects.filter(unit=unit, status=MemberStatus.APPLICANT):
            Member.objects.filter(pk=applicant.pk).update(unit=into, version=F("version") + 1)
            audit_record(
                actor=actor,
                obj=applicant,
                action="update",
                event_type="member.applicant_moved",
                unit=into,
                before={"unit": unit.pk},
                after={"unit": into.pk},
            )
        unit.refresh_from_db()
        return unit_dissolve(actor=actor, unit=unit, date=date, document=document)


def units_merge(
    *, actor: Any, units: list[OrgUnit], into: OrgUnit, date: dt.date, document: str = ""
) -> OrgUnit:
    """Merge several units into `into` on `date` (e.g. two province committees into a new
    one), in one transaction: each is merged by `unit_merge` and dissolved; they stay
    readable, with their figures, for the years they existed."""
    if not units:
        raise ServiceError("unit.merge_nothing", _("Name the units to merge."), field="units")
    if len({u.pk for u in units}) != len(units):
        raise ServiceError(
            "unit.merge_twice", _("A unit is named twice in the merge."), field="units"
        )
    with transaction.atomic():
        for unit in units:
            unit_merge(actor=actor, unit=unit, into=into, date=date, document=document)
        into.refresh_from_db()
        audit_record(
            actor=actor,
            obj=into,
            action="update",
            event_type="unit.merged",
            unit=into,
            after={"merged": [u.code for u in units], "date": date, "document": document},
        )
        return into


__all__ = ["IntegrityError"]
