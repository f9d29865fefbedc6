"""Writes of discipline: a decision on a member or an organization (`discipline_decide`), an
appeal against it (`appeal_lodge`) and the appeal's decision (`appeal_decide`).

Every check goes through the pure engine (`cadrebook.inspections.discipline_rules`), whose
refusals name the rule's source; a refusal writes nothing. The consequences of a decision go
through the services of the apps that own them, in the same transaction: an expulsion
records the member's `expelled` event (`members.services.member_expel`), a dissolution the
unit's (`members.services.unit_merge` when the decision hands the members over to a unit,
else `unit_dissolve`), a removal from post the post's end (a hook: no cadre records yet,
`POST_REMOVAL_HOOKS`). An annulled expulsion restores membership by a correction that voids
the `expelled` event (`member_correct_event`), never by an edit.

Unlike the inspection services, these check the actor's scope themselves: the subject must
be within what the actor may `decide_discipline` on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from cadrebook.inspections.models import Appeal, Discipline, Inspection
from cadrebook.orgs.models import OrgUnit

# Called with (actor, discipline) when a removal from post is decided, in the decision's
# transaction: the cadre records, once they exist, end the appointment here.
POST_REMOVAL_HOOKS: list[Callable[[Any, Discipline], None]] = []


def discipline_decide(
    *,
    actor: Any,
    subject_kind: str,
    member: Any = None,
    unit: OrgUnit | None = None,
    form: str,
    body: OrgUnit,
    body_kind: str,
    decided_on: dt.date,
    document: Any = None,
    document_text: str = "",
    violation: str,
    violation_kind: str = "",
    violation_on: dt.date,
    duty_related: bool = False,
    votes: Mapping[str, int] | None = None,
    voters_total: int | None = None,
    proposing_for: int | None = None,
    proposing_total: int | None = None,
    inspection: Inspection | None = None,
    child_under_months: bool = False,
    youngest_child_born_on: dt.date | None = None,
    holds_post: bool | None = None,
    relations: Iterable[str] = (),
    may_admit: bool = False,
    members_to: OrgUnit | None = None,
) -> Discipline:
    """Record the decision of `body_kind` of `body` on `decided_on` imposing `form` on a
    member (`subject_kind="member"`, `member`) or an organization (`"unit"`, `unit`) for
    `violation` (its kind from the rule set's list, committed on `violation_on`).

    Refused with the rule's source, nothing written: a form the subject may not receive (a
    member's standing on `decided_on`, full or probationary; `removal_from_post` only when
    the member holds a post: `holds_post`, else asked of the restriction hook), a form
    beyond the body's authority (the subject's relation to the body from the tree: a member
    of the body's unit or its subtree, an organization below it, plus the `relations` the
    caller knows, e.g. `own_committee_member`, until committee records exist; `may_admit`:
    the body holds the power to admit) naming the body to forward to, votes that do not
    reach `form`, the limitation period, a member raising a child under the rule set's
    months (`child_under_months`, or `youngest_child_born_on`), a second discipline for the
    same violation (same subject, day and kind or text, not annulled), a subject outside the
    actor's `decide_discipline` scope.

    `votes` ({form: count, "none": count} of `voters_total` full members; for an expulsion
    the proposing body's `proposing_for` of `proposing_total`) may be omitted for a
    historic decision imported from old files: they are then recorded as unknown (empty
    votes, no total) and not checked. Given, they are checked.

    `document`: the decision from the register (an id or a `Document`, issued by `body`),
    or `document_text` as written. `members_to`: for a dissolution, the unit the decision
    hands the organization's members over to (required when it still has members).
    Consequences in the same transaction (see the module's docstring); audited."""
    raise NotImplementedError


def appeal_lodge(
    *,
    actor: Any,
    discipline: Discipline,
    lodged_on: dt.date,
    received_on: dt.date,
    body: OrgUnit,
    body_kind: str,
    document: Any = None,
    document_text: str = "",
) -> Appeal:
    """Record an appeal against `discipline`, lodged on `lodged_on`, the decision having been
    received on `received_on`, to `body_kind` of `body` (a kind the rule set names, at the
    level above the deciding body). Refused after the rule set's deadline counted from the
    receipt, with its source. The decision stays in force meanwhile. Audited."""
    raise NotImplementedError


def appeal_decide(
    *,
    actor: Any,
    appeal: Appeal,
    decided_on: dt.date,
    outcome: str,
    new_form: str = "",
    document: Any = None,
    document_text: str = "",
    votes: Mapping[str, int] | None = None,
    voters_total: int | None = None,
    proposing_for: int | None = None,
    proposing_total: int | None = None,
) -> Appeal:
    """Decide a pending `appeal`: `outcome` upheld, changed (to `new_form`, checked as a
    decision of the appeal's body would be: the form for the subject, the body's authority,
    the votes when given) or annulled. A changed or annulled discipline keeps its record
    (status `changed` / `annulled`, `annulled_by` the appeal); a changed one is followed by a
    new discipline with the new form, from the appeal's decision. An annulled (or changed
    away from) expulsion restores membership through a correction voiding the `expelled`
    event. Audited, in one transaction."""
    raise NotImplementedError
