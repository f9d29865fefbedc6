"""Writes on a member's personal data: registration, changes, the card number, and the
refused attempts to give a person someone else's national ID."""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable
from typing import Any, TypeVar, cast

from django.db import transaction
from django.db.models import F, Q
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.errors import ServiceError
from cadrebook.core.normalize import normalize_name
from cadrebook.core.permissions import VIEW_SENSITIVE
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import scope_for
from cadrebook.members.choices import EventType, MemberStatus
from cadrebook.members.lifecycle import (
    fold,
)
from cadrebook.members.models import (
    Member,
    MemberPeriod,
    Sponsorship,
)
from cadrebook.members.name_keys import replace_name_keys
from cadrebook.members.selectors import (
    event_data,
)
from cadrebook.members.services.engine import _lock, member_record_event
from cadrebook.orgs.models import OrgUnit

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
        hidden = actor is not None and not scope_for(actor, VIEW_SENSITIVE).covers_path(holder[1])
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
        replace_name_keys([(member.pk, member.full_name, member.name_norm)])
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
        if "full_name" in data:
            replace_name_keys([(current.pk, current.full_name, current.name_norm)])
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
