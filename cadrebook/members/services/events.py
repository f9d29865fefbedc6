"""One named service per event type, for readable call sites, made from the registry.

Each is `member_record_event` with the entry's type and the keyword arguments the entry
lists (`EventKind.fields`): `member_admit(actor=…, member=…, date=…, document=…)`. An
argument the entry does not list is refused as Python refuses an unknown keyword. What a
decision must come with (document, reason, vote) is the rule set's, checked by
`member_record_event`; a new event type gets its service by its entry in
`cadrebook/members/event_types.py`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from cadrebook.members.event_types import DERIVED_SERVICES, EventKind
from cadrebook.members.models import Member, MemberEvent
from cadrebook.members.services.engine import member_record_event
from cadrebook.orgs.models import OrgUnit

# Arguments of a named service that `member_record_event` takes under another name.
RENAMED = {"host": "to_unit"}


class EventService(Protocol):
    """The signature of a named event service (its further arguments: `EventKind.fields`)."""

    def __call__(
        self,
        *,
        actor: Any,
        member: Member,
        date: dt.date,
        taken_over: bool = False,
        **fields: Any,
    ) -> MemberEvent: ...


def _service(kind: EventKind, doc: str = "") -> EventService:
    """The named service recording `kind`."""
    # A decision that takes a document takes it as text or by its register id.
    extra = ("registered_document",) if "document" in kind.service_fields else ()
    allowed = frozenset((*kind.service_fields, *extra))

    def record(
        *,
        actor: Any,
        member: Member,
        date: dt.date,
        taken_over: bool = False,
        **fields: Any,
    ) -> MemberEvent:
        unknown = sorted(set(fields) - allowed)
        if unknown:
            raise TypeError(f"{kind.service}() got an unexpected keyword argument {unknown[0]!r}")
        return member_record_event(
            actor=actor,
            member=member,
            type=kind.code,
            date=date,
            taken_over=taken_over,
            **{RENAMED.get(name, name): value for name, value in fields.items()},
        )

    record.__name__ = record.__qualname__ = kind.service
    record.__module__ = __name__
    record.__doc__ = doc or (
        f"Record the event {kind.code.value} ({', '.join(kind.service_fields) or 'no fields'}); "
        "see `member_record_event`."
    )
    return record


# What some of the services mean, beyond their event type.
DOCS = {
    "member_propose_admission": "Record that the cell's resolution proposing the applicant's "
    "admission was made and sent up on `date` (`document`, if given, is the resolution): the "
    "upper committee's deadline (`admission.decision_working_days`) runs from it. A later "
    "proposal (the dossier sent back and proposed again) starts the deadline afresh. No "
    "status changes.",
    "member_admit": "Admit an applicant, with the cell's vote (in favour, against, the cell's "
    "full members) that the rule set asks for (`admission.vote_share`), unless taken over "
    "from old files.",
    "member_extend_decision": "Record that the upper committee extended the deadline of the "
    "decision it owes on the member: an applicant's admission after the cell's proposal, or "
    "a probationary member's recognition; by the rule set's "
    "`decision_extension_working_days` of that section, once per decision "
    "(`decision.already_extended`; `decision.nothing_pending` when none is pending). The "
    "deciding document is asked for by `records.document_required`.",
    "member_recognize": "Recognize a probationary member as a full member, with the cell's "
    "vote (`probation.vote_share`), unless taken over from old files.",
    "member_transfer_out": "Issue an official transfer to `to_unit`, or out of the deployment "
    "to `destination`.",
    "member_transfer_accept": "The receiving cell accepts the pending transfer; the member "
    "joins it on `date`. The cell is the one the transfer goes to under the lock; "
    "`receiving`, the cell the officer answers for, must be that one.",
    "member_transfer_return": "The receiving cell returns the pending transfer (`receiving` "
    "as for the acceptance).",
    "member_temporary_transfer": "Send the member to `host` for a while, until `until` (the "
    "rule set bounds the length; study may last longer); the member keeps counting in the "
    "home cell.",
}

SERVICES: dict[str, EventService] = {
    name: _service(kind, DOCS.get(name, "")) for name, kind in DERIVED_SERVICES.items()
}

# Every service of the registry is a name of this module (the audit test finds it, the
# browser and the API call it by the entry's name); the names below are for the typed call
# sites (mypy does not see names made in a loop): `test_event_types` checks they agree.
globals().update(SERVICES)
member_propose_admission = SERVICES["member_propose_admission"]
member_admit = SERVICES["member_admit"]
member_recognize = SERVICES["member_recognize"]
member_not_recognize = SERVICES["member_not_recognize"]
member_extend_decision = SERVICES["member_extend_decision"]
member_transfer_out = SERVICES["member_transfer_out"]
member_transfer_accept = SERVICES["member_transfer_accept"]
member_transfer_return = SERVICES["member_transfer_return"]
member_temporary_transfer = SERVICES["member_temporary_transfer"]
member_temporary_transfer_end = SERVICES["member_temporary_transfer_end"]
member_exempt = SERVICES["member_exempt"]
member_exemption_end = SERVICES["member_exemption_end"]
member_remove = SERVICES["member_remove"]
member_expel = SERVICES["member_expel"]
member_record_death = SERVICES["member_record_death"]
member_readmit = SERVICES["member_readmit"]


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
