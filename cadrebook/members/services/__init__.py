"""Writes on members — and on units where members are concerned (move, merge, dissolve).

One module per concern; every public name is re-exported here, so callers import
`cadrebook.members.services` (or a name from it) whichever module holds it:

- `engine`: the event engine (`member_record_event`, `member_correct_event`): lock the
  member, fold its events with the new one against the rule set, write the event, the
  periods and the audit entry in one transaction.
- `personal`: personal data (registration, changes, the card number) and the national ID
  held by someone else.
- `events`: one named service per event type (`member_admit`, `member_remove`, …), made
  from the registry of event types (`cadrebook/members/event_types.py`).
- `restructuring`: units where members are concerned (move, dissolve, merge).
"""

from django.db import IntegrityError

from cadrebook.members.services.engine import (
    CACHE_FIELDS,
    member_correct_event,
    member_record_event,
)
from cadrebook.members.services.events import (
    SERVICES,
    EventService,
    member_admit,
    member_exempt,
    member_exemption_end,
    member_expel,
    member_extend_decision,
    member_not_recognize,
    member_propose_admission,
    member_readmit,
    member_recognize,
    member_record_death,
    member_remove,
    member_temporary_transfer,
    member_temporary_transfer_end,
    member_transfer,
    member_transfer_accept,
    member_transfer_out,
    member_transfer_return,
)
from cadrebook.members.services.personal import (
    PERSONAL_FIELDS,
    NationalIdTaken,
    member_national_id_clash_record,
    member_register_applicant,
    member_set_card,
    member_update_personal,
)
from cadrebook.members.services.restructuring import (
    MERGE_TARGET_FIELDS,
    unit_dissolve,
    unit_merge,
    unit_move,
    unit_restore,
    units_merge,
)

# Every named event service of the registry, also one added without a name in `events`.
globals().update(SERVICES)

MODULES = ("engine", "personal", "events", "restructuring")

__all__ = [
    "CACHE_FIELDS",
    "MERGE_TARGET_FIELDS",
    "PERSONAL_FIELDS",
    "SERVICES",
    "EventService",
    "IntegrityError",
    "NationalIdTaken",
    "member_admit",
    "member_correct_event",
    "member_exempt",
    "member_exemption_end",
    "member_expel",
    "member_extend_decision",
    "member_national_id_clash_record",
    "member_not_recognize",
    "member_propose_admission",
    "member_readmit",
    "member_recognize",
    "member_record_death",
    "member_record_event",
    "member_register_applicant",
    "member_remove",
    "member_set_card",
    "member_temporary_transfer",
    "member_temporary_transfer_end",
    "member_transfer",
    "member_transfer_accept",
    "member_transfer_out",
    "member_transfer_return",
    "member_update_personal",
    "unit_dissolve",
    "unit_restore",
    "unit_merge",
    "unit_move",
    "units_merge",
]
