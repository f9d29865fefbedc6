"""Posts taken over from the old files: a holding that began and ended before Cadrebook,
recorded with its end in one step (`holding_take_over`, the appointments import's writer for
a row with `ended_on`), audited as taken over.

It checks what makes sense for history, with the rule's source: the actor's `manage_cadres`
scope on the unit; a position of the rule set the unit's kind has, on a unit active on the
start; the member a member of the unit's subtree on the start, full where the position
requires it; no other post of the same member in the unit over the same days; no more
holders of the seat's positions on any day of the holding than the seat allows; the votes,
when the old file gives them, within those cast and above the rule set's share; the end on
or after the start, for a reason of the rule set's list.

It does not check what only a decision taken today can be held to: the working life left
before retirement on the day the file was received (the old file seldom says that day), a
discipline in force on the day (the discipline records before Cadrebook may be missing: the
old file records what was decided then), a committee term (the register may hold none of
the old terms: the holding is linked to the term covering its start when there is one), a
document in the register (the decision's symbol is kept as written when it is not).

Planning entries taken over from the old files (`planning_take_over`, the planning import's
writer for a row with `removed_on`): a person in a past planning list and the dated fact that
took them out, audited as `planning.taken_over`. Checked: the `manage_cadres` scope, the
position and the unit's seat of it, the unit active on the day added, a committee term of the
unit covering that day (the entry's term: required by the model), the member a member of the
unit's subtree on that day and full where the position requires it, not planned for the same
post over the same days, no day with more people on the post's list than the rule set's
`max_candidates_per_position`, the removal after the entry, for a reason of the list, with a
note where the reason needs one. Not checked: the working life left then, the disciplines'
bars, the posts the person held then (planning only for higher posts), the posts per
candidate at the level (their other entries of those years may not be in the file), the
competent body's decision in the register (kept as written), the nomination round.

Kept beside the services (not in `services/`) so the import's history path stays apart from
the writes of today's decisions; it shares their checks (`services/_checks.py`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cadrebook.cadres.choices import EndReason, HoldingHow, PlanningRemovalReason
from cadrebook.cadres.models import PlanningEntry, PlanningRemoval, PostEnd, PostHolding
from cadrebook.cadres.planning_rules import planning_rules
from cadrebook.cadres.rules import CadreRules, Position, cadre_rules
from cadrebook.cadres.services._checks import (
    by,
    check_membership,
    check_not_future,
    check_post,
    check_scope,
    check_unit_active,
    check_votes,
)
from cadrebook.cadres.services.planning import ENTRY_FIELDS, NOTE_REQUIRED, REMOVAL_FIELDS
from cadrebook.cadres.services.posts import END_FIELDS, HOLDING_FIELDS, _check_term
from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.rules import current_ruleset
from cadrebook.documents.selectors import term_on
from cadrebook.members.choices import MemberStatus
from cadrebook.members.models import Member
from cadrebook.members.selectors import member_status_as_of
from cadrebook.orgs.models import OrgUnit

TAKEN_OVER = "post.taken_over"
PLANNING_TAKEN_OVER = "planning.taken_over"


def _overlapping(unit: OrgUnit, start: dt.date, end: dt.date) -> Any:
    """The holdings of `unit` held on some day of [start, end]."""
    return (
        PostHolding.objects.valid()
        .filter(unit=unit, started_on__lte=end)
        .filter(Q(end__isnull=True) | Q(end__ended_on__gte=start))
    )


def _check_member(
    rules: CadreRules,
    position: Position,
    member: Member,
    unit: OrgUnit,
    start: dt.date,
    end: dt.date,
) -> None:
    period = member_status_as_of(member, start)
    if period is None or period.status not in (MemberStatus.PROBATIONARY, MemberStatus.FULL):
        raise ServiceError(
            "cadres.not_a_member",
            _("%(name)s is not a member on %(date)s.") % {"name": member.full_name, "date": start},
            field="member",
        )
    if not period.unit.path.startswith(unit.path):
        raise ServiceError(
            "cadres.outside_unit",
            _(
                "%(name)s is a member of %(other)s on %(date)s, not of %(unit)s or the "
                "organizations below it."
            )
            % {"name": member.full_name, "other": period.unit, "date": start, "unit": unit},
            field="member",
        )
    if position.requires_full_member and period.status != MemberStatus.FULL:
        raise rules.violation(
            "cadres.full_member_required",
            _("%(position)s is held by a full member; %(name)s is probationary on %(date)s.")
            % {"position": position.display_label, "name": member.full_name, "date": start},
            source=position.source,
            field="member",
        )
    other = _overlapping(unit, start, end).filter(member=member).first()
    if other is not None:
        raise ServiceError(
            "cadres.holds_other_position",
            _("%(name)s holds %(position)s in %(unit)s from %(since)s: end that post first.")
            % {
                "name": member.full_name,
                "position": rules.position_label(other.position),
                "unit": unit,
                "since": other.started_on,
            },
            field="member",
        )


def _check_seats(
    rules: CadreRules, position: Position, unit: OrgUnit, start: dt.date, end: dt.date
) -> None:
    """No day of [start, end] with more holders than a seat allows: the most holders at once
    are counted on the days a holding begins within it, and on its start."""
    for seats in rules.seats_for(position.code, unit.kind):
        if seats.max is None:
            continue
        others = list(
            _overlapping(unit, start, end)
            .filter(position__in=seats.positions)
            .select_related("end")
            .only("started_on", "end__ended_on")
        )
        days = {start} | {h.started_on for h in others if start <= h.started_on <= end}
        for day in days:
            held = sum(
                1
                for h in others
                if h.started_on <= day
                and (getattr(h, "end", None) is None or h.end.ended_on >= day)
            )
            if held + 1 > seats.max:
                raise rules.violation(
                    "cadres.seats_full",
                    _("%(unit)s has no free seat of %(position)s on %(date)s (at most %(max)d).")
                    % {
                        "unit": unit,
                        "position": position.display_label,
                        "date": day,
                        "max": seats.max,
                    },
                    source=seats.source,
                    field="position",
                )


def holding_take_over(
    *,
    actor: Any,
    member: Member,
    unit: OrgUnit,
    position: str,
    how: str,
    started_on: dt.date,
    ended_on: dt.date,
    end_reason: str,
    planned_end: dt.date | None = None,
    document: Any = None,
    document_text: str = "",
    votes_for: int | None = None,
    votes_total: int | None = None,
) -> PostHolding:
    """Record a past holding taken over from the old files and its end (see the module's
    docstring for the checks made and those left to today's decisions)."""
    rules = cadre_rules()
    if how not in HoldingHow.values:
        raise ServiceError(
            "cadres.how_unknown",
            _("%(how)s is not elected, appointed, acting or seconded.") % {"how": how},
            field="how",
        )
    if end_reason not in EndReason.values:
        raise ServiceError(
            "cadres.end_reason_unknown",
            _("%(reason)s is not a reason to end a post here; known: %(known)s.")
            % {"reason": end_reason, "known": ", ".join(EndReason.values)},
            field="reason",
        )
    if ended_on < started_on:
        raise ServiceError(
            "cadres.end_before_start",
            _("A post cannot end on %(date)s, before it began on %(start)s.")
            % {"date": ended_on, "start": started_on},
            field="ended_on",
        )
    if planned_end is not None and planned_end <= started_on:
        raise ServiceError(
            "cadres.planned_end_before_start",
            _("The planned end must come after the start."),
            field="planned_end",
        )
    if votes_for is not None or votes_total is not None:
        check_votes(rules, votes_for, votes_total)
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        OrgUnit.objects.select_for_update().filter(pk=unit.pk).first()  # one seat at a time
        check_scope(actor, unit)
        check_not_future(ended_on, "ended_on")
        check_unit_active(unit, started_on)
        found = check_post(rules, position, unit)
        _check_member(rules, found, member, unit, started_on, ended_on)
        _check_seats(rules, found, unit, started_on, ended_on)
        holding = PostHolding.objects.create(
            member=member,
            unit=unit,
            position=position,
            term=term_on(unit, started_on),
            how=how,
            started_on=started_on,
            planned_end=planned_end,
            document=document,
            document_text=document_text or (document.symbol if document is not None else ""),
            votes_for=votes_for,
            votes_total=votes_total,
            ruleset=current_ruleset().id,
            created_by=by(actor),
        )
        end = PostEnd.objects.create(
            holding=holding,
            ended_on=ended_on,
            reason=end_reason,
            document_text="",
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=holding,
            action="create",
            event_type=TAKEN_OVER,
            unit=unit,
            after={
                **snapshot(holding, HOLDING_FIELDS),
                "end": snapshot(end, END_FIELDS),
                "taken_over": True,
            },
        )
    return holding


def _planned_over(unit: OrgUnit, term: Any, position: str, start: dt.date, end: dt.date) -> Any:
    """The entries of the post's list in planning on some day of [start, end) (a removal's
    day is the first day out)."""
    return PlanningEntry.objects.filter(
        unit=unit, term=term, position=position, added_on__lt=end
    ).filter(Q(removal__isnull=True) | Q(removal__removed_on__gt=start))


def planning_take_over(
    *,
    actor: Any,
    member: Member,
    unit: OrgUnit,
    term: Any,
    position: str,
    added_on: dt.date,
    removed_on: dt.date,
    reason: str,
    note: str = "",
    document: Any = None,
    document_text: str = "",
    removal_document_text: str = "",
) -> PlanningEntry:
    """Record a past planning entry taken over from the old files, with the removal that
    took the person out (see the module's docstring for the checks made and those left to
    today's decisions)."""
    rules = cadre_rules()
    prules = planning_rules()
    if reason not in PlanningRemovalReason.values:
        raise ServiceError(
            "planning.reason_unknown",
            _("%(reason)s is not a reason; known: %(known)s.")
            % {"reason": reason, "known": ", ".join(PlanningRemovalReason.values)},
            field="reason",
        )
    if reason in NOTE_REQUIRED and not note.strip():
        raise RuleViolation(
            "planning.reason_missing",
            _("Say why the person leaves the planning."),
            source=prules.review_source,
            field="note",
        )
    if removed_on <= added_on:
        raise ServiceError(
            "planning.removed_before_added",
            _("A removal on %(date)s would come before the entry of %(added)s.")
            % {"date": removed_on, "added": added_on},
            field="removed_on",
        )
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        OrgUnit.objects.select_for_update().filter(pk=unit.pk).first()  # one list at a time
        check_scope(actor, unit)
        check_not_future(removed_on, "removed_on")
        check_unit_active(unit, added_on)
        _check_term(term, unit, added_on, required=True)
        found = check_post(rules, position, unit)
        check_membership(rules, found, member, unit, added_on)
        listed = list(
            _planned_over(unit, term, position, added_on, removed_on)
            .select_related("removal")
            .only("member_id", "added_on", "removal__removed_on")
        )
        if any(e.member_id == member.pk for e in listed):
            raise ServiceError(
                "planning.already_planned",
                _("%(name)s is already in the planning for this post.")
                % {"name": member.full_name},
                field="member",
            )
        days = {added_on} | {e.added_on for e in listed if added_on <= e.added_on < removed_on}
        for day in sorted(days):
            planned = sum(
                1
                for e in listed
                if e.added_on <= day
                and (getattr(e, "removal", None) is None or e.removal.removed_on > day)
            )
            if planned + 1 > prules.max_candidates:
                raise RuleViolation(
                    "planning.post_full",
                    _("%(count)d people are planned for %(position)s of %(unit)s: at most %(max)d.")
                    % {
                        "count": planned,
                        "position": rules.position_label(position),
                        "unit": unit,
                        "max": prules.max_candidates,
                    },
                    source=prules.max_candidates_source,
                    field="position",
                )
        entry = PlanningEntry.objects.create(
            unit=unit,
            term=term,
            position=position,
            member=member,
            added_on=added_on,
            document=document,
            document_text=document_text or (document.symbol if document is not None else ""),
            ruleset=current_ruleset().id,
            created_by=by(actor),
        )
        removal = PlanningRemoval.objects.create(
            entry=entry,
            removed_on=removed_on,
            reason=reason,
            note=note.strip(),
            document_text=removal_document_text,
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=entry,
            action="create",
            event_type=PLANNING_TAKEN_OVER,
            unit=unit,
            after={
                **snapshot(entry, ENTRY_FIELDS),
                "removal": snapshot(removal, REMOVAL_FIELDS),
                "taken_over": True,
            },
        )
    return entry
