"""Writes of the rotation of cadres (65-QĐ/TW 2022): a unit's yearly plan
(`rotation_plan_record`), a stint of it (`rotation_stint_add`: a member moved from the post
held to an equal post elsewhere) and the dated end of a stint (`rotation_stint_end`).

Each checks the actor's `manage_cadres` scope (on the deciding unit, and on the units a
stint moves between), refuses with the rule set's source (`[rotation]`) and writes nothing
then, and writes its audit entry in its transaction. Plans, stints and their ends are
append-only: a stint is never edited, it ends by a `RotationStintEnd`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.cadres import rotation_selectors
from cadrebook.cadres.models import PostHolding, RotationPlan, RotationStint, RotationStintEnd
from cadrebook.cadres.planning_rules import RotationRules, rotation_rules
from cadrebook.cadres.planning_selectors import is_planned_for
from cadrebook.cadres.retirement import months_left, retirement_date
from cadrebook.cadres.rules import CadreRules, cadre_rules
from cadrebook.cadres.services._checks import (
    by,
    check_document,
    check_not_future,
    check_post,
    check_scope,
    check_unit_active,
)
from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.dates import add_months, months_between
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.rules import current_ruleset
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

PLAN_FIELDS = ["unit", "year", "decided_on", "document", "document_text", "ruleset"]
STINT_FIELDS = [
    "plan",
    "member",
    "from_holding",
    "from_unit",
    "from_position",
    "to_unit",
    "to_position",
    "planned_start",
    "planned_end",
    "ruleset",
]
STINT_END_FIELDS = ["stint", "ended_on", "note", "document", "document_text"]


def _violation(code: str, message: str, source: str, field: str) -> RuleViolation:
    return RuleViolation(code, message, source=source, field=field)


def rotation_plan_record(
    *,
    actor: Any,
    unit: OrgUnit,
    year: int,
    decided_on: dt.date,
    document: Any = None,
    document_text: str = "",
) -> RotationPlan:
    """Record `unit`'s rotation plan for `year`, decided on `decided_on` by its decision (a
    document of the register, or the text as written). Refused: a unit outside the actor's
    scope or not active on the day, no decision cited, a document dated after the day."""
    if document is None and not document_text.strip():
        raise ServiceError(
            "rotation.decision_missing",
            _("Cite the decision of the rotation plan."),
            field="document",
        )
    with transaction.atomic():
        check_scope(actor, unit)
        check_not_future(decided_on, "decided_on")
        check_unit_active(unit, decided_on)
        doc = check_document(actor, document, decided_on)
        plan = RotationPlan.objects.create(
            unit=unit,
            year=year,
            decided_on=decided_on,
            document=doc,
            document_text=document_text or (doc.symbol if doc is not None else ""),
            ruleset=current_ruleset().id,
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=plan,
            action="create",
            event_type="rotation.plan_recorded",
            unit=unit,
            after=snapshot(plan, PLAN_FIELDS),
        )
        return plan


def _from_holding(rules: CadreRules, member: Member, day: dt.date) -> PostHolding:
    """The post the member is rotated from: the highest held on `day`."""
    held = list(PostHolding.objects.filter(member=member).held_on(day).select_related("unit"))
    if not held:
        raise ServiceError(
            "rotation.no_post_held",
            _("%(name)s holds no post on %(date)s to be rotated from.")
            % {"name": member.full_name, "date": day},
            field="member",
        )
    return max(held, key=lambda h: (rules.rank(h.position, h.unit.kind), h.started_on, h.pk))


def _check_stint(
    rules: CadreRules,
    rrules: RotationRules,
    member: Member,
    held: PostHolding,
    to_unit: OrgUnit,
    to_position: str,
    start: dt.date,
    end: dt.date,
) -> None:
    """The rules of 65-QĐ/TW: an equal post; a stint long enough; the working life left
    (checked before the planning: past the age limit, a person is out of planning anyway,
    and the retirement says why); in planning; not heading the same unit more terms in a
    row than allowed."""
    if rules.rank(to_position, to_unit.kind) != rules.rank(held.position, held.unit.kind):
        raise _violation(
            "rotation.not_equal_post",
            _("%(name)s holds %(held)s in %(from)s: %(to)s in %(unit)s is not an equal post.")
            % {
                "name": member.full_name,
                "held": rules.position_label(held.position),
                "from": held.unit,
                "to": rules.position_label(to_position),
                "unit": to_unit,
            },
            rrules.equal_post_source,
            "to_position",
        )
    stint = months_between(start, end)
    if stint < rrules.min_stint_months:
        raise _violation(
            "rotation.stint_too_short",
            _("A stint of %(months)d months is shorter than the %(min)d months a rotation lasts.")
            % {"months": stint, "min": rrules.min_stint_months},
            rrules.min_stint_source,
            "planned_end",
        )
    if member.birth_date is None:
        raise ServiceError(
            "cadres.birth_date_missing",
            _(
                "%(name)s has no date of birth recorded: the working life left before "
                "retirement cannot be counted."
            )
            % {"name": member.full_name},
            field="member",
        )
    left = months_left(member.birth_date, member.gender, start, rules)
    needed = max(rrules.min_months_left, stint)
    if left < needed:
        raise _violation(
            "rotation.too_close_to_retirement",
            _(
                "%(name)s retires on %(retires)s: %(left)d months of working life are left on "
                "%(date)s; this rotation needs %(min)d."
            )
            % {
                "name": member.full_name,
                "retires": retirement_date(member.birth_date, member.gender, rules),
                "left": max(left, 0),
                "date": start,
                "min": needed,
            },
            rrules.min_months_left_source,
            "member",
        )
    if not is_planned_for(member, to_unit, to_position, start):
        raise _violation(
            "rotation.not_planned",
            _("%(name)s is not in planning on %(date)s: only cadres in planning are rotated.")
            % {"name": member.full_name, "date": start},
            rrules.planning_source,
            "member",
        )
    if to_position == rrules.head_position:
        # The stint's own term counts as one more term heading the unit.
        before = rotation_selectors.head_terms_in_a_row(
            member, to_unit, rrules.head_position, start
        )
        if before + 1 > rrules.max_consecutive_head_terms:
            raise _violation(
                "rotation.head_terms_exceeded",
                _(
                    "%(name)s has headed %(unit)s %(count)d terms in a row up to %(date)s: "
                    "nobody heads the same place more than %(max)d terms in a row."
                )
                % {
                    "name": member.full_name,
                    "unit": to_unit,
                    "count": before,
                    "date": start,
                    "max": rrules.max_consecutive_head_terms,
                },
                rrules.max_consecutive_head_terms_source,
                "to_unit",
            )


def rotation_stint_add(
    *,
    actor: Any,
    plan: RotationPlan,
    member: Member,
    to_unit: OrgUnit,
    to_position: str,
    planned_start: dt.date,
    planned_end: dt.date | None = None,
) -> RotationStint:
    """Add to `plan` a stint of `member`, rotated from the post held on `planned_start` (the
    highest, if several) to `to_position` of `to_unit`, until `planned_end` (by default the
    start plus the rule set's shortest stint). Refused, with the rule's source: a unit
    outside the actor's scope or outside the plan's unit's subtree, a post the unit has not,
    no post held on the day, the member not in planning on the day, a post not equal to the
    one held, a stint shorter than `[rotation] min_stint_months`, less working life left
    than the rule set asks (and than the stint), heading the same unit more committee terms
    in a row than `[rotation] max_consecutive_head_terms`."""
    rules = cadre_rules()
    rrules = rotation_rules()
    end = planned_end or add_months(planned_start, rrules.min_stint_months)
    if end <= planned_start:
        raise ServiceError(
            "cadres.planned_end_before_start",
            _("The planned end must come after the start."),
            field="planned_end",
        )
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        check_scope(actor, plan.unit)
        check_scope(actor, to_unit)
        if not to_unit.path.startswith(plan.unit.path):
            raise ServiceError(
                "rotation.outside_plan",
                _("%(unit)s is not %(plan)s or an organization below it.")
                % {"unit": to_unit, "plan": plan.unit},
                field="to_unit",
            )
        check_unit_active(to_unit, planned_start)
        check_post(rules, to_position, to_unit)
        held = _from_holding(rules, member, planned_start)
        check_scope(actor, held.unit)
        if held.unit_id == to_unit.pk:
            raise ServiceError(
                "rotation.same_unit",
                _("A rotation moves %(name)s out of %(unit)s: name another unit.")
                % {"name": member.full_name, "unit": to_unit},
                field="to_unit",
            )
        _check_stint(rules, rrules, member, held, to_unit, to_position, planned_start, end)
        stint = RotationStint.objects.create(
            plan=plan,
            member=member,
            from_holding=held,
            from_unit=held.unit,
            from_position=held.position,
            to_unit=to_unit,
            to_position=to_position,
            planned_start=planned_start,
            planned_end=end,
            ruleset=current_ruleset().id,
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=stint,
            action="create",
            event_type="rotation.stint_added",
            unit=plan.unit,
            after=snapshot(stint, STINT_FIELDS),
        )
        return stint


def rotation_stint_end(
    *,
    actor: Any,
    stint: RotationStint,
    ended_on: dt.date,
    note: str = "",
    document: Any = None,
    document_text: str = "",
) -> RotationStintEnd:
    """End a stint on `ended_on` (its last day), with a note and the decision. The stint
    itself is never changed. Refused: a stint already ended, an end before its start, a
    plan outside the actor's scope, a document dated after the end."""
    with transaction.atomic():
        stint = (
            RotationStint.objects.select_for_update().select_related("plan__unit").get(pk=stint.pk)
        )
        check_scope(actor, stint.plan.unit)
        check_not_future(ended_on, "ended_on")
        if RotationStintEnd.objects.filter(stint=stint).exists():
            raise ServiceError(
                "rotation.already_ended", _("This stint has already ended."), field="stint"
            )
        if ended_on < stint.planned_start:
            raise ServiceError(
                "rotation.end_before_start",
                _("A stint cannot end on %(date)s, before it began on %(start)s.")
                % {"date": ended_on, "start": stint.planned_start},
                field="ended_on",
            )
        doc = check_document(actor, document, ended_on)
        end = RotationStintEnd.objects.create(
            stint=stint,
            ended_on=ended_on,
            note=note,
            document=doc,
            document_text=document_text or (doc.symbol if doc is not None else ""),
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=end,
            action="create",
            event_type="rotation.stint_ended",
            unit=stint.plan.unit,
            after=snapshot(end, STINT_END_FIELDS),
        )
        return end
