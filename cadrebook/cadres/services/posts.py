"""Writes of the posts: an election (`post_elect`), an appointment, acting or secondment
(`post_appoint`), the end of a post (`holding_end`: resigned, dismissed, end of term,
retired) and the end a discipline decision brings (`holdings_end_by_discipline`, called by
the inspections' removal-from-post hook in the decision's transaction).

Each checks with the rule set (`[cadres]`, through `_checks`), refuses with the rule's
source and writes nothing then, writes the audit entry in its transaction, and checks the
actor's `manage_cadres` scope on the post's unit (except the discipline's end: the deciding
body's scope was checked by the discipline service).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.cadres.choices import ENDED_BY_HAND, EndReason, HoldingHow
from cadrebook.cadres.models import PostEnd, PostHolding
from cadrebook.cadres.planning_rules import planning_rules
from cadrebook.cadres.planning_selectors import is_planned_for
from cadrebook.cadres.rules import cadre_rules
from cadrebook.cadres.services._checks import (
    by,
    check_document,
    check_member,
    check_not_future,
    check_post,
    check_scope,
    check_seats,
    check_unit_active,
    check_votes,
    check_working_life,
    is_first_or_higher,
)
from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.dates import add_months
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.rules import current_ruleset
from cadrebook.documents.models import Term
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

HOLDING_FIELDS = [
    "member",
    "unit",
    "position",
    "term",
    "how",
    "started_on",
    "planned_end",
    "document",
    "document_text",
    "votes_for",
    "votes_total",
    "ruleset",
]
END_FIELDS = ["holding", "ended_on", "reason", "document", "document_text", "discipline"]


def _check_term(term: Term | None, unit: OrgUnit, day: dt.date, *, required: bool) -> None:
    if term is None:
        if required:
            raise ServiceError("cadres.term_missing", _("Name the committee term."), field="term")
        return
    if term.unit_id != unit.pk or term.congress:
        raise ServiceError(
            "cadres.term_not_units",
            _("%(label)s is not a committee term of %(unit)s.")
            % {"label": term.label, "unit": unit},
            field="term",
        )
    if not term.covers(day):
        raise ServiceError(
            "cadres.term_not_running",
            _("The term %(label)s does not run on %(date)s.") % {"label": term.label, "date": day},
            field="term",
        )


def _record(
    *,
    actor: Any,
    member: Member,
    unit: OrgUnit,
    position: str,
    term: Term | None,
    how: str,
    started_on: dt.date,
    planned_end: dt.date | None,
    document: Any,
    document_text: str,
    votes_for: int | None = None,
    votes_total: int | None = None,
    event_type: str,
    extra: dict[str, Any] | None = None,
) -> PostHolding:
    holding = PostHolding.objects.create(
        member=member,
        unit=unit,
        position=position,
        term=term,
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
    audit_record(
        actor=actor,
        obj=holding,
        action="create",
        event_type=event_type,
        unit=unit,
        after=snapshot(holding, HOLDING_FIELDS) | (extra or {}),
    )
    return holding


# How an appointment's planning was checked, as its audit entry records it (`planning`).
PLANNED = "planned"
COMPETENT_DECISION = "competent_decision"
TAKEN_OVER = "taken_over"


def _check_planning(
    actor: Any,
    member: Member,
    unit: OrgUnit,
    position: str,
    started_on: dt.date,
    *,
    outside_planning_document: Any,
    outside_planning_text: str,
    taken_over: bool,
) -> dict[str, Any]:
    """An appointment needs the member in planning on the day for the post or an equal or
    higher one (`is_planned_for`), unless the competent level decided otherwise (its
    decision: `outside_planning_document` of the register, or the text as written). What
    the audit entry records of it: how it was met and the decision cited."""
    text = outside_planning_text.strip()
    if taken_over:
        # A post decided before it was recorded here (an import of old files): the planning
        # of that time is not in the records to check it against.
        return {"planning": TAKEN_OVER}
    planned = is_planned_for(member, unit, position, started_on)
    given = outside_planning_document is not None or bool(text)
    if not planned and not given:
        prules = planning_rules()
        raise RuleViolation(
            "cadres.not_planned",
            _(
                "%(name)s is not in planning on %(date)s for this post or an equal or higher "
                "one: an appointment needs it, or the competent level's decision to appoint "
                "outside planning."
            )
            % {"name": member.full_name, "date": started_on},
            source=prules.appointment_source,
            field="member",
        )
    noted: dict[str, Any] = {"planning": PLANNED if planned else COMPETENT_DECISION}
    if given:
        # Cited even when the person turns out planned: the record keeps what was decided.
        doc = check_document(
            actor, outside_planning_document, started_on, "outside_planning_document"
        )
        noted["outside_planning_document"] = doc.pk if doc is not None else None
        noted["outside_planning_text"] = text or (doc.symbol if doc is not None else "")
    return noted


def post_elect(
    *,
    actor: Any,
    member: Member,
    unit: OrgUnit,
    position: str,
    term: Term,
    started_on: dt.date,
    votes_for: int,
    votes_total: int,
    document: Any = None,
    document_text: str = "",
) -> PostHolding:
    """Record that `member` was elected to `position` of `unit` in `term` (at the congress or
    a conference), from `started_on`, with the votes for of the votes cast; the post runs to
    the term's end (planned: the term's start plus `[organization] term_years`). Refused,
    with the rule's source: an unknown position or one the unit's kind has no seat of; a
    term not the unit's or not running; the member not a member of the unit's subtree on the
    day, not full where the position requires it, holding another post of the unit, or under
    a discipline that bars a nomination; no free seat, or too few full members (a cell
    committee); the votes not more than the rule set's share."""
    rules = cadre_rules()
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        OrgUnit.objects.select_for_update().filter(pk=unit.pk).first()  # one seat at a time
        check_scope(actor, unit)
        check_not_future(started_on, "started_on")
        check_unit_active(unit, started_on)
        found = check_post(rules, position, unit)
        _check_term(term, unit, started_on, required=True)
        check_member(rules, found, member, unit, started_on)
        check_seats(rules, found, unit, started_on)
        check_votes(rules, votes_for, votes_total)
        doc = check_document(actor, document, started_on)
        planned = term.end or add_months(term.start, rules.term_years * 12)
        return _record(
            actor=actor,
            member=member,
            unit=unit,
            position=position,
            term=term,
            how=HoldingHow.ELECTED,
            started_on=started_on,
            planned_end=planned if planned > started_on else None,
            document=doc,
            document_text=document_text,
            votes_for=votes_for,
            votes_total=votes_total,
            event_type="post.elected",
        )


def post_appoint(
    *,
    actor: Any,
    member: Member,
    unit: OrgUnit,
    position: str,
    started_on: dt.date,
    how: str = HoldingHow.APPOINTED,
    term: Term | None = None,
    planned_end: dt.date | None = None,
    file_received_on: dt.date | None = None,
    document: Any = None,
    document_text: str = "",
    outside_planning_document: Any = None,
    outside_planning_text: str = "",
    taken_over: bool = False,
) -> PostHolding:
    """Record that the competent body appointed `member` to `position` of `unit` from
    `started_on` (`how`: appointed, acting or seconded), on its decision (`document` of the
    register, or `document_text` as written). An appointment lasts the rule set's
    `appointment_months` (`planned_end`); an acting or seconded post until the `planned_end`
    given, if any. Refused, with the rule's source: what `post_elect` refuses but the votes;
    for a first or higher appointment (a post above every one the member held), less than
    the rule set's months of working life left before the retirement age on the day the
    file was received (`file_received_on`, by default the start), or no date of birth to
    count it from; for an appointment, the member not in planning on the day for the post
    or an equal or higher one, without the competent level's decision to appoint outside
    planning (`outside_planning_document` of the register, or `outside_planning_text` as
    written; recorded in the audit entry). `taken_over`: a post decided before it is
    recorded here (the import of old files), whose planning is not checked."""
    rules = cadre_rules()
    if how not in (HoldingHow.APPOINTED, HoldingHow.ACTING, HoldingHow.SECONDED):
        raise ServiceError(
            "cadres.how_unknown",
            _("%(how)s is not appointed, acting or seconded.") % {"how": how},
            field="how",
        )
    if how != HoldingHow.APPOINTED and (
        outside_planning_document is not None or outside_planning_text.strip()
    ):
        raise ServiceError(
            "cadres.planning_not_needed",
            _("Only an appointment needs planning: an acting or seconded post does not."),
            field="outside_planning_document",
        )
    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        OrgUnit.objects.select_for_update().filter(pk=unit.pk).first()
        check_scope(actor, unit)
        check_not_future(started_on, "started_on")
        check_unit_active(unit, started_on)
        found = check_post(rules, position, unit)
        _check_term(term, unit, started_on, required=False)
        check_member(rules, found, member, unit, started_on)
        check_seats(rules, found, unit, started_on)
        planning: dict[str, Any] = {}
        if how == HoldingHow.APPOINTED:
            planning = _check_planning(
                actor,
                member,
                unit,
                position,
                started_on,
                outside_planning_document=outside_planning_document,
                outside_planning_text=outside_planning_text,
                taken_over=taken_over,
            )
            if is_first_or_higher(rules, member, position, unit):
                check_working_life(rules, member, file_received_on or started_on)
            planned_end = add_months(started_on, rules.appointment_months)
        elif planned_end is not None and planned_end <= started_on:
            raise ServiceError(
                "cadres.planned_end_before_start",
                _("The planned end must come after the start."),
                field="planned_end",
            )
        doc = check_document(actor, document, started_on)
        return _record(
            actor=actor,
            member=member,
            unit=unit,
            position=position,
            term=term,
            how=how,
            started_on=started_on,
            planned_end=planned_end,
            document=doc,
            document_text=document_text,
            event_type=f"post.{how}",
            extra=planning,
        )


def _end(
    *,
    actor: Any,
    holding: PostHolding,
    ended_on: dt.date,
    reason: str,
    document: Any = None,
    document_text: str = "",
    discipline: Any = None,
) -> PostEnd:
    if PostEnd.objects.filter(holding=holding).exists():
        raise ServiceError(
            "cadres.already_ended",
            _("This post has already ended."),
            field="holding",
        )
    check_not_future(ended_on, "ended_on")
    if ended_on < holding.started_on:
        raise ServiceError(
            "cadres.end_before_start",
            _("A post cannot end on %(date)s, before it began on %(start)s.")
            % {"date": ended_on, "start": holding.started_on},
            field="ended_on",
        )
    end = PostEnd.objects.create(
        holding=holding,
        ended_on=ended_on,
        reason=reason,
        document=document,
        document_text=document_text or (document.symbol if document is not None else ""),
        discipline=discipline,
        created_by=by(actor),
    )
    audit_record(
        actor=actor,
        obj=end,
        action="create",
        event_type=f"post.ended.{reason}",
        unit=holding.unit,
        after=snapshot(end, END_FIELDS),
    )
    return end


def holding_end(
    *,
    actor: Any,
    holding: PostHolding,
    ended_on: dt.date,
    reason: str,
    document: Any = None,
    document_text: str = "",
) -> PostEnd:
    """End a post on `ended_on` (the last day it is held) for `reason`: resigned, dismissed,
    end of term or retired (a removal by discipline comes with the discipline's decision).
    The holding itself is never changed. Refused: another reason, a post already ended, an
    end before the start, a document dated after the end."""
    if reason not in ENDED_BY_HAND:
        raise ServiceError(
            "cadres.end_reason_unknown",
            _("%(reason)s is not a reason to end a post here; known: %(known)s.")
            % {"reason": reason, "known": ", ".join(str(r) for r in ENDED_BY_HAND)},
            field="reason",
        )
    with transaction.atomic():
        holding = PostHolding.objects.select_for_update().select_related("unit").get(pk=holding.pk)
        check_scope(actor, holding.unit)
        doc = check_document(actor, document, ended_on)
        return _end(
            actor=actor,
            holding=holding,
            ended_on=ended_on,
            reason=reason,
            document=doc,
            document_text=document_text,
        )


def holdings_end_by_discipline(*, actor: Any, discipline: Any) -> list[PostEnd]:
    """End, on the decision's day, every running post the disciplined member holds then, for
    removal from post by discipline, citing the decision (called in the discipline's
    transaction by the inspections' `POST_REMOVAL_HOOKS`; the deciding body's scope was
    checked there)."""
    if discipline.member_id is None:
        return []
    with transaction.atomic():
        running = list(
            # Only the holdings' rows: `running()` joins their ends (an outer join, whose
            # nullable side PostgreSQL cannot lock).
            PostHolding.objects.select_for_update(of=("self",))
            .select_related("unit")
            .filter(member_id=discipline.member_id, started_on__lte=discipline.decided_on)
            .running()
            .order_by("id")
        )
        return [
            _end(
                actor=actor,
                holding=h,
                ended_on=discipline.decided_on,
                reason=EndReason.REMOVED_BY_DISCIPLINE,
                document=discipline.document,
                document_text=discipline.document_text,
                discipline=discipline,
            )
            for h in running
        ]


def _end_with_term(actor: Any, term: Term) -> list[PostEnd]:
    """End, on the closed `term`'s last day, every post of the term still running (the
    committee elected for it; the next congress elects the next): for `committee_term_close`,
    in its transaction (audited there, one entry per end)."""
    if term.end is None:
        raise ServiceError("cadres.term_running", _("The term is still running."), field="term")
    with transaction.atomic():
        running = list(
            # Only the holdings' rows: `running()` joins their ends (an outer join, whose
            # nullable side PostgreSQL cannot lock).
            PostHolding.objects.select_for_update(of=("self",))
            .select_related("unit")
            .filter(term=term)
            .running()
            .order_by("id")
        )
        return [
            _end(actor=actor, holding=h, ended_on=term.end, reason=EndReason.END_OF_TERM)
            for h in running
        ]
