"""Reads of personal data leave a trace: who read whom, as the browser's dossier does.

Reading is not a change, but "who looked at whom" must be answerable for sensitive personal
data (docs/architecture.md, house rule 4): one entry per member read, and one per list page that showed
personal data unmasked, naming the members on it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cadrebook.core.audit import audit_record
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

DOSSIER_VIEWED = "member.dossier_viewed"
LIST_VIEWED = "member.list_viewed"


def member_read_record(*, actor: Any, member: Member) -> None:
    """One member's record was read (the dossier page, or `GET /members/{id}`)."""
    audit_record(
        actor=actor, obj=member, action="view", event_type=DOSSIER_VIEWED, unit=member.unit
    )


def member_list_read_record(
    *, actor: Any, unit: OrgUnit, members: Sequence[Member], filters: dict[str, Any]
) -> None:
    """A page of a member list showed these members' personal data unmasked. Pages that
    showed nothing, or only masked values, are not personal-data reads and write nothing."""
    if not members:
        return
    audit_record(
        actor=actor,
        obj=unit,
        action="view",
        event_type=LIST_VIEWED,
        unit=unit,
        after={
            "members": [m.pk for m in members],
            "filters": {k: str(v) for k, v in filters.items() if v not in (None, "")},
        },
    )
