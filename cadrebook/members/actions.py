"""The lifecycle actions an officer takes on a member in the browser, one per service.

Each action names the service it calls, the fields its form asks for, whether it ends or
suspends membership (so the form asks for confirmation first) and the statuses it applies
to. The views build one form per action from this table; the rule checks stay in the
services, which are the same for the browser, the API and the imports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cadrebook.core.errors import RuleViolation
from cadrebook.core.rules import current_ruleset
from cadrebook.members import services
from cadrebook.members.choices import EventType, MemberStatus
from cadrebook.members.lifecycle import expulsion_refusal, extension_refusal
from cadrebook.members.models import Member
from cadrebook.members.selectors import member_state

ACTIVE = (MemberStatus.PROBATIONARY, MemberStatus.FULL)
VOTE = ("votes_for", "votes_against", "full_members")  # the cell's vote, where it votes
GONE = (MemberStatus.REMOVED, MemberStatus.LEFT)


@dataclass(frozen=True)
class Action:
    """One lifecycle action: its URL name, label, service and the form fields it needs."""

    name: str
    label: str | Promise
    service: Callable[..., Any]
    fields: tuple[str, ...]
    applies: Callable[[Member], bool]
    destructive: bool = False
    receiving: bool = False  # taken by the officer of the unit a transfer goes to
    icon: str = "ti-arrow-right"
    event: str = ""  # the event type it records (none for the card number)


def _on_temporary_transfer(member: Member) -> bool:
    """Whether the member's latest temporary transfer has not ended yet (the fold knows)."""
    return member.status in ACTIVE and member_state(member).temp_host_id is not None


def _may_extend(member: Member) -> bool:
    """Whether the upper committee's pending decision on the member may be extended now (the
    fold's own rule: a decision pending, not extended yet)."""
    if member.status not in (MemberStatus.APPLICANT, MemberStatus.PROBATIONARY):
        return False
    if member.pending_transfer_to_id:
        return False
    return _extension_refusal_today(member) is None


def _extension_refusal_today(member: Member) -> RuleViolation | None:
    """The fold's refusal of an extension recorded today (an extension is dated when it is
    recorded, at the latest today: what may not be recorded today is not offered)."""
    return extension_refusal(member_state(member), rules=current_ruleset(), on=timezone.localdate())


def _expulsion_refusal(member: Member) -> RuleViolation | None:
    """The fold's refusal of expelling an active member of this status (the rule set's
    forms of discipline for it)."""
    return expulsion_refusal(member.status, rules=current_ruleset())


def _status(*statuses: str, pending: bool | None = False) -> Callable[[Member], bool]:
    def check(member: Member) -> bool:
        if pending is not None and bool(member.pending_transfer_to_id) != pending:
            return False
        return member.status in statuses

    return check


ACTIONS: dict[str, Action] = {
    a.name: a
    for a in [
        Action(
            "propose_admission",
            _("Record the cell's admission proposal"),
            services.member_propose_admission,
            ("date", "document"),
            _status(MemberStatus.APPLICANT),
            event=EventType.ADMISSION_PROPOSED,
            icon="ti-send",
        ),
        Action(
            "admit",
            _("Admit"),
            services.member_admit,
            ("date", "document", *VOTE),
            _status(MemberStatus.APPLICANT),
            event=EventType.ADMITTED,
            icon="ti-user-plus",
        ),
        Action(
            "recognize",
            _("Recognize as full member"),
            services.member_recognize,
            ("date", "document", *VOTE),
            _status(MemberStatus.PROBATIONARY),
            event=EventType.RECOGNIZED,
            icon="ti-user-check",
        ),
        Action(
            "not_recognize",
            _("Do not recognize"),
            services.member_not_recognize,
            ("date", "document", "reason"),
            _status(MemberStatus.PROBATIONARY),
            destructive=True,
            event=EventType.NOT_RECOGNIZED,
            icon="ti-user-x",
        ),
        Action(
            "extend_decision",
            _("Extend the decision deadline"),
            services.member_extend_decision,
            ("date", "document"),
            _may_extend,
            event=EventType.DECISION_EXTENDED,
            icon="ti-calendar-plus",
        ),
        Action(
            "transfer",
            _("Issue a transfer"),
            services.member_transfer_out,
            ("date", "to_unit", "destination", "moved_on", "document", "reason"),
            _status(*ACTIVE),
            event=EventType.TRANSFER_OUT,
            icon="ti-arrows-exchange",
        ),
        Action(
            "accept_transfer",
            _("Accept the transfer"),
            services.member_transfer_accept,
            ("date", "document"),
            _status(*ACTIVE, pending=True),
            receiving=True,
            event=EventType.TRANSFER_IN,
            icon="ti-check",
        ),
        Action(
            "return_transfer",
            _("Return the transfer"),
            services.member_transfer_return,
            ("date", "reason"),
            _status(*ACTIVE, pending=True),
            receiving=True,
            event=EventType.TRANSFER_RETURNED,
            icon="ti-arrow-back-up",
        ),
        Action(
            "temporary_transfer",
            _("Temporary transfer"),
            services.member_temporary_transfer,
            ("date", "host", "until", "for_study", "document", "reason"),
            lambda m: _status(*ACTIVE)(m) and not _on_temporary_transfer(m),
            event=EventType.TEMPORARY_TRANSFER,
            icon="ti-clock-share",
        ),
        Action(
            "end_temporary_transfer",
            _("End the temporary transfer"),
            services.member_temporary_transfer_end,
            ("date", "document"),
            _on_temporary_transfer,
            event=EventType.TEMPORARY_TRANSFER_ENDED,
            icon="ti-clock-check",
        ),
        Action(
            "exempt",
            _("Exempt from activities"),
            services.member_exempt,
            ("date", "reason", "document"),
            lambda m: m.status in ACTIVE and not m.exempt and not m.pending_transfer_to_id,
            event=EventType.EXEMPTED,
            icon="ti-armchair",
        ),
        Action(
            "end_exemption",
            _("End the exemption"),
            services.member_exemption_end,
            ("date", "document"),
            lambda m: m.status in ACTIVE and m.exempt,
            event=EventType.EXEMPTION_ENDED,
            icon="ti-run",
        ),
        Action(
            "remove",
            _("Remove from the rolls"),
            services.member_remove,
            ("date", "reason", "document"),
            _status(*ACTIVE),
            destructive=True,
            event=EventType.REMOVED,
            icon="ti-user-minus",
        ),
        Action(
            "expel",
            _("Expel"),
            services.member_expel,
            ("date", "reason", "document"),
            lambda m: _status(*ACTIVE)(m) and _expulsion_refusal(m) is None,
            destructive=True,
            event=EventType.EXPELLED,
            icon="ti-ban",
        ),
        Action(
            "death",
            _("Record a death"),
            services.member_record_death,
            ("date", "document"),
            _status(MemberStatus.APPLICANT, *ACTIVE, pending=None),
            destructive=True,
            event=EventType.DECEASED,
            icon="ti-flower",
        ),
        Action(
            "card",
            _("Record the card number"),
            services.member_set_card,
            ("card_number",),
            lambda m: m.status == MemberStatus.FULL and not m.card_number,
            icon="ti-id",
        ),
        Action(
            "readmit",
            _("Readmit"),
            services.member_readmit,
            ("date", "document"),
            _status(*GONE),
            event=EventType.READMITTED,
            icon="ti-user-up",
        ),
    ]
}


def actions_for(member: Member, *, sending: bool, receiving: bool) -> list[Action]:
    """The actions that apply to `member` now, for an officer who may change records of its
    unit (`sending`) or of the unit a transfer brings it to (`receiving`)."""
    return [
        a for a in ACTIONS.values() if a.applies(member) and (receiving if a.receiving else sending)
    ]


def refusal(action: Action, member: Member, event_type: str = "") -> RuleViolation:
    """Why `action` does not apply to `member` now, with the code and words the lifecycle
    fold uses for the same refusal: the browser and the API answer it alike. `event_type`
    names the event in the message (by default the one the action records)."""
    event_type = event_type or action.event or action.name
    active = member.status in ACTIVE
    if active and member.pending_transfer_to_id and action.name != "accept_transfer":
        return RuleViolation(
            "transfer.already_pending",
            gettext("A transfer is already pending for this member."),
            field="type",
        )
    if action.name == "extend_decision":
        refused = _extension_refusal_today(member)
        if refused is not None:
            return refused
    if active and action.name == "expel":
        refused = _expulsion_refusal(member)
        if refused is not None:
            return refused
    if active and action.name == "exempt" and member.exempt:
        return RuleViolation(
            "exemption.already", gettext("The member is already exempted."), field="type"
        )
    if active and action.name == "end_exemption":
        return RuleViolation("exemption.none", gettext("The member is not exempted."), field="type")
    if active and action.name == "temporary_transfer":
        return RuleViolation(
            "transfer.temporary_active",
            gettext("The member is already on a temporary transfer."),
            field="type",
        )
    if active and action.name == "end_temporary_transfer":
        return RuleViolation(
            "transfer.temporary_none",
            gettext("The member is not on a temporary transfer."),
            field="type",
        )
    return RuleViolation(
        "member.status_forbids_event",
        gettext("A member whose status is %(status)s cannot have the event %(event)s.")
        % {"status": member.status, "event": event_type},
        field="type",
    )
