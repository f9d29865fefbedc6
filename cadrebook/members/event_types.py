"""The registry of event types: one entry per kind of event in a member's life.

Each entry says what the event is called in each place that names it (its code, the API's
spelling, the browser action), the service that records it and the fields that service
takes, what the rule set may ask of it (the keys it is looked up under, never the rule
itself), whether the browser asks for confirmation, and how the statistics count it. The
browser's actions (`members/actions.py`), the API's event literal (`members/api.py`), the
events import (`imports/importers/events.py`), the per-event services
(`members/services/events.py`) and the movement categories of the statistics
(`reports/periods.py`, `reports/deltas.py`, `reports/aggregates/build.py`) are built from
it.

Adding an event type: a value of `EventType` (`members/choices.py`), its entry here, its
handler in the fold (`members/lifecycle.py`) and its tests. This module imports nothing of
the app but its choices, so that every layer may read it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cadrebook.members.choices import EventType

# The rule set's lists of the event types that need each piece of paperwork (`[records]`).
DOCUMENT_RULE = "records.document_required"
REASON_RULE = "records.reason_required"
VOTE_RULE = "records.vote_required"

# The cell's vote on a decision: in favour, against, and the cell's full members.
VOTE_FIELDS = ("votes_for", "votes_against", "full_members")

# What a new decision is recorded with besides its type, date and units: columns of
# `MemberEvent`, attributes of the fold's `EventData` and columns of the events file under
# the same names. `check_decision` reads them; the fold itself does not.
DECISION_FIELDS = ("document", "reason", "taken_over", "until", "for_study", *VOTE_FIELDS)
# What the fold reads of a recorded event, in the order of `EventData`'s first fields.
FOLD_FIELDS = ("type", "date", "unit_id", "to_unit_id", "destination", "id", "corrects_id", "void")

# How the statistics count an event (`movement`); the figure it counts in is `statistic`.
OPENS = "opens"  # opens a period: counted in the unit it opens
CLOSES = "closes"  # ends the period: counted in the unit it ends
DECIDED = "decided"  # changes the status within a period: counted where the member stands
TRANSFER_IN = "transfer_in"  # joins another unit: counted in where it joins, out where it left
TRANSFER_OUT = "transfer_out"  # leaves the deployment: counted out where it ends (else pending)
MOVEMENTS = (OPENS, CLOSES, DECIDED, TRANSFER_IN, TRANSFER_OUT)


@dataclass(frozen=True)
class EventKind:
    """One event type and everything the browser, the API, the import, the services and the
    statistics need to know of it."""

    code: EventType
    # The service that records it, in `cadrebook.members.services`.
    service: str
    # The keyword arguments of the service besides `actor`, `member`, `date` and
    # `taken_over`; `host` is the temporary transfer's `to_unit`, `receiving` the cell whose
    # officer answers a transfer.
    fields: tuple[str, ...] = ()
    # The service is generated from this entry (a call of `member_record_event`); False for
    # the events that have a service of their own (registration, correction).
    derived: bool = True
    # The API's spelling when it records the event through `POST /members/{id}/events`
    # ("" for the code itself; None: not recorded there).
    api: str | None = ""
    # The browser's action (its URL name); None: no action on the dossier.
    action: str | None = None
    destructive: bool = False  # the browser asks for confirmation first
    receiving: bool = False  # taken by the officer of the unit a transfer goes to
    importable: bool = True  # a row type of the events file
    # The rule set's share of the cell's vote (section, key), for the decisions it votes on.
    vote_share: tuple[str, str] | None = None
    movement: str | None = None  # how the statistics count it (one of `MOVEMENTS`)
    statistic: str = ""  # the movement figure it counts in ("" for its code)

    @property
    def label(self) -> str:
        return str(self.code.label)

    @property
    def api_type(self) -> str | None:
        """The type the API posts to record it (None when the API does not)."""
        return None if self.api is None else (self.api or str(self.code))

    @property
    def figure(self) -> str:
        """The movement figure it counts in, for the statistics."""
        return self.statistic or str(self.code)

    @property
    def service_fields(self) -> tuple[str, ...]:
        """The keyword arguments of its service besides actor, member, date, taken_over."""
        return (*self.fields, *(VOTE_FIELDS if self.vote_share else ()))

    def needs(self, rule: str, rules: Any) -> bool:
        """Whether the rule set (`rules`, a `Ruleset`) lists this event type under `rule`
        (`DOCUMENT_RULE`, `REASON_RULE`, `VOTE_RULE`)."""
        return str(self.code) in rules.value(rule)


E = EventType
# The order is the API's enum and the browser's order of actions on a dossier.
REGISTRY: tuple[EventKind, ...] = (
    EventKind(E.REGISTERED, "member_register_applicant", derived=False, api=None),
    EventKind(
        E.ADMISSION_PROPOSED,
        "member_propose_admission",
        ("document",),
        action="propose_admission",
    ),
    EventKind(
        E.ADMITTED,
        "member_admit",
        ("unit", "document"),
        action="admit",
        vote_share=("admission", "admission.vote_share"),
        movement=OPENS,
    ),
    EventKind(
        E.RECOGNIZED,
        "member_recognize",
        ("document",),
        action="recognize",
        vote_share=("probation", "probation.vote_share"),
        movement=DECIDED,
    ),
    EventKind(
        E.NOT_RECOGNIZED,
        "member_not_recognize",
        ("document", "reason"),
        action="not_recognize",
        destructive=True,
        movement=CLOSES,
    ),
    EventKind(
        E.DECISION_EXTENDED, "member_extend_decision", ("document",), action="extend_decision"
    ),
    EventKind(
        E.TRANSFER_OUT,
        "member_transfer_out",
        ("to_unit", "destination", "document", "reason"),
        api="transferred",
        action="transfer",
        movement=TRANSFER_OUT,
        statistic="transferred_out",
    ),
    EventKind(
        E.TRANSFER_IN,
        "member_transfer_accept",
        ("document", "receiving"),
        api="transfer_accepted",
        action="accept_transfer",
        receiving=True,
        movement=TRANSFER_IN,
        statistic="transferred_in",
    ),
    EventKind(
        E.TRANSFER_RETURNED,
        "member_transfer_return",
        ("reason", "receiving"),
        action="return_transfer",
        receiving=True,
    ),
    EventKind(
        E.TEMPORARY_TRANSFER,
        "member_temporary_transfer",
        ("host", "until", "for_study", "document", "reason"),
        action="temporary_transfer",
    ),
    EventKind(
        E.TEMPORARY_TRANSFER_ENDED,
        "member_temporary_transfer_end",
        ("document",),
        action="end_temporary_transfer",
    ),
    EventKind(E.EXEMPTED, "member_exempt", ("reason", "document"), action="exempt", movement=OPENS),
    EventKind(E.EXEMPTION_ENDED, "member_exemption_end", ("document",), action="end_exemption"),
    EventKind(
        E.REMOVED,
        "member_remove",
        ("reason", "document"),
        action="remove",
        destructive=True,
        movement=CLOSES,
    ),
    EventKind(
        E.EXPELLED,
        "member_expel",
        ("reason", "document"),
        action="expel",
        destructive=True,
        movement=CLOSES,
    ),
    EventKind(
        E.DECEASED,
        "member_record_death",
        ("document",),
        action="death",
        destructive=True,
        movement=CLOSES,
    ),
    EventKind(
        E.READMITTED, "member_readmit", ("unit", "document"), action="readmit", movement=OPENS
    ),
    EventKind(E.CORRECTION, "member_correct_event", derived=False, api=None, importable=False),
)
del E

BY_CODE: dict[str, EventKind] = {k.code.value: k for k in REGISTRY}


def kind(code: str) -> EventKind:
    """The registry's entry of an event type."""
    return BY_CODE[code]


# Derived tables ---------------------------------------------------------------------------
# Each is a function of the registry (a test derives them again with an entry more) and a
# constant for the callers.
def api_types(registry: Iterable[EventKind] = REGISTRY) -> dict[str, EventKind]:
    """The API's event types, in order, and the entry each records."""
    return {k.api_type: k for k in registry if k.api_type is not None}


def browser_actions(registry: Iterable[EventKind] = REGISTRY) -> dict[str, EventKind]:
    """The browser's actions that record an event, in order."""
    return {k.action: k for k in registry if k.action is not None}


def importable_types(registry: Iterable[EventKind] = REGISTRY) -> tuple[str, ...]:
    """The event types of the events file."""
    return tuple(str(k.code) for k in registry if k.importable)


def derived_services(registry: Iterable[EventKind] = REGISTRY) -> dict[str, EventKind]:
    """The services recorded through `member_record_event` with the entry's fields."""
    return {k.service: k for k in registry if k.derived}


API_TYPES = api_types()
BROWSER_ACTIONS = browser_actions()
IMPORTABLE_TYPES = importable_types()
DERIVED_SERVICES = derived_services()
# The decisions the cell votes on, with the section and key of the share of its vote.
VOTE_SHARES: dict[str, tuple[str, str]] = {
    str(k.code): k.vote_share for k in REGISTRY if k.vote_share is not None
}


def codes(movement: str, registry: Iterable[EventKind] = REGISTRY) -> tuple[str, ...]:
    """The event types the statistics count as `movement`, in registry order."""
    return tuple(str(k.code) for k in registry if k.movement == movement)


# Event types that open a period and count under their own name (admission, readmission,
# exemption), and those that end one (non-recognition, removal, expulsion, death).
OPENING = codes(OPENS)
ENDING = codes(CLOSES)
# The event type of a transfer arriving, of one leaving the deployment, and of the decision
# counted where the member stands (recognition).
(ARRIVING,) = codes(TRANSFER_IN)
(LEAVING,) = codes(TRANSFER_OUT)
(DECIDING,) = codes(DECIDED)
# Event types whose movement figure has another name than the event's code.
MOVEMENT_OF_EVENT: dict[str, str] = {
    str(k.code): k.figure for k in REGISTRY if k.movement and k.figure != str(k.code)
}
# Movement figures read off the period they end (the unit as it stood the day before).
# A transfer in ends the period where the member left, and counts out there under the
# figure of a transfer leaving the deployment.
CLOSING_FIGURES = frozenset(k.figure for k in REGISTRY if k.movement in (CLOSES, TRANSFER_OUT))


_WORD = re.compile(r"^[a-z_]+$")


def sql_list(values: Iterable[str]) -> str:
    """Event codes as an SQL list of literals: `'a', 'b'` (registry constants only; a code
    that is not a plain word is refused, so nothing else can reach the SQL)."""
    out = []
    for value in values:
        if not _WORD.match(value):
            raise ValueError(value)
        out.append(f"'{value}'")
    return ", ".join(out)
