"""The lifecycle actions an officer takes on a member in the browser, one per service.

Each action names the service it calls, the fields its form asks for, whether it ends or
suspends membership (so the form asks for confirmation first) and the statuses it applies
to. The actions that record an event are made from the registry of event types
(`members/event_types.py`: name, service, fields, confirmation); this module adds what only
the browser shows (label, icon, when it is offered). The views build one form per action
from this table; the rule checks stay in the services, which are the same for the browser,
the API and the imports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from cadrebook.core.errors import RuleViolation
from cadrebook.core.rules import current_ruleset
from cadrebook.members import services
from cadrebook.members.choices import MemberStatus
from cadrebook.members.event_types import BROWSER_ACTIONS, VOTE_FIELDS, EventKind
from cadrebook.members.expulsion import refusal as expulsion_route_refusal
from cadrebook.members.lifecycle import extension_refusal
from cadrebook.members.models import Member
from cadrebook.members.selectors import member_state

ACTIVE = (MemberStatus.PROBATIONARY, MemberStatus.FULL)
VOTE = VOTE_FIELDS  # the cell's vote, where it votes
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


def _status(*statuses: str, pending: bool | None = False) -> Callable[[Member], bool]:
    def check(member: Member) -> bool:
        if pending is not None and bool(member.pending_transfer_to_id) != pending:
            return False
        return member.status in statuses

    return check


# What the browser adds to a registry entry with an action, where the default (the event
# type's label, offered to active members) is not enough: its label, when it applies, its
# icon, and the form fields the service does not take (`moved_on` is the view's).
@dataclass(frozen=True)
class Face:
    label: str | Promise
    applies: Callable[[Member], bool]
    icon: str
    form_only: tuple[str, ...] = ()


FACES: dict[str, Face] = {
    "propose_admission": Face(
        _("Record the cell's admission proposal"), _status(MemberStatus.APPLICANT), "ti-send"
    ),
    "admit": Face(_("Admit"), _status(MemberStatus.APPLICANT), "ti-user-plus"),
    "recognize": Face(
        _("Recognize as full member"), _status(MemberStatus.PROBATIONARY), "ti-user-check"
    ),
    "not_recognize": Face(_("Do not recognize"), _status(MemberStatus.PROBATIONARY), "ti-user-x"),
    "extend_decision": Face(_("Extend the decision deadline"), _may_extend, "ti-calendar-plus"),
    "transfer": Face(
        _("Issue a transfer"), _status(*ACTIVE), "ti-arrows-exchange", form_only=("moved_on",)
    ),
    "accept_transfer": Face(_("Accept the transfer"), _status(*ACTIVE, pending=True), "ti-check"),
    "return_transfer": Face(
        _("Return the transfer"), _status(*ACTIVE, pending=True), "ti-arrow-back-up"
    ),
    "temporary_transfer": Face(
        _("Temporary transfer"),
        lambda m: _status(*ACTIVE)(m) and not _on_temporary_transfer(m),
        "ti-clock-share",
    ),
    "end_temporary_transfer": Face(
        _("End the temporary transfer"), _on_temporary_transfer, "ti-clock-check"
    ),
    "exempt": Face(
        _("Exempt from activities"),
        lambda m: m.status in ACTIVE and not m.exempt and not m.pending_transfer_to_id,
        "ti-armchair",
    ),
    "end_exemption": Face(
        _("End the exemption"), lambda m: m.status in ACTIVE and m.exempt, "ti-run"
    ),
    "remove": Face(_("Remove from the rolls"), _status(*ACTIVE), "ti-user-minus"),
    # Not offered: an expulsion is a discipline decision (`members/expulsion.py`); the
    # action still answers, with the refusal naming the discipline route.
    "expel": Face(_("Expel"), lambda m: False, "ti-ban"),
    "death": Face(
        _("Record a death"),
        _status(MemberStatus.APPLICANT, *ACTIVE, pending=None),
        "ti-flower",
    ),
    "readmit": Face(_("Readmit"), _status(*GONE), "ti-user-up"),
}
# The service arguments the browser's form does not ask for: the cell readmitted into or
# admitted in (the member's own), the cell whose officer answers a transfer (the view's).
NOT_ON_FORM = frozenset({"unit", "receiving"})


def _event_action(kind: EventKind) -> Action:
    """The browser's action recording the registry's `kind`."""
    assert kind.action is not None
    # Without a face of its own, an action reads as its event type and is offered to active
    # members with no transfer pending; the service's checks decide the rest.
    face = FACES.get(kind.action) or Face(kind.code.label, _status(*ACTIVE), "ti-arrow-right")
    return Action(
        kind.action,
        face.label,
        getattr(services, kind.service),
        (
            "date",
            *(f for f in kind.service_fields if f not in NOT_ON_FORM),
            *face.form_only,
        ),
        face.applies,
        destructive=kind.destructive,
        receiving=kind.receiving,
        icon=face.icon,
        event=kind.code,
    )


# Not an event: the card number is part of the member's record.
CARD = Action(
    "card",
    _("Record the card number"),
    services.member_set_card,
    ("card_number",),
    lambda m: m.status == MemberStatus.FULL and not m.card_number,
    icon="ti-id",
)


def action_table(kinds: Iterable[EventKind]) -> dict[str, Action]:
    """The actions of these entries of the registry (`event_types.browser_actions`), in
    order, the card after the death (as on the dossier)."""
    actions: list[Action] = []
    for kind in kinds:
        if kind.action == "readmit":
            actions.append(CARD)
        actions.append(_event_action(kind))
    return {a.name: a for a in actions}


ACTIONS: dict[str, Action] = action_table(BROWSER_ACTIONS.values())


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
    if action.name == "expel":
        return expulsion_route_refusal()
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
