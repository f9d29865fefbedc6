"""Writes of the posts: an election (`post_elect`), an appointment, acting or secondment
(`post_appoint`), the end of a post (`holding_end`: resigned, dismissed, end of term,
retired), the end a discipline decision brings (`holdings_end_by_discipline`, called by
the inspections' removal-from-post hook in the decision's transaction), and the correction
of a holding recorded in error (`holding_correct`: a `PostCorrection` voids it; history is
never overwritten), and the restoration of the posts a removal from post ended when the
removal is annulled on appeal (`holdings_restore_by_appeal`, the inspections'
`POST_RESTORE_HOOKS`).

Each checks with the rule set (`[cadres]`, through `_checks`), refuses with the rule's
source and writes nothing then, writes the audit entry in its transaction, and checks the
actor's `manage_cadres` scope on the post's unit (except the discipline's end: the deciding
body's scope was checked by the discipline service).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.cadres.choices import ENDED_BY_HAND, EndReason, HoldingHow
from cadrebook.cadres.models import PostCorrection, PostEnd, PostHolding, PostRestoration
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
CORRECTION_FIELDS = ["holding", "reason", "document", "document_text"]


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
    _check_not_voided(holding)
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


def _check_not_voided(holding: PostHolding) -> None:
    if PostCorrection.objects.filter(holding=holding).exists():
        raise ServiceError(
            "cadres.holding_voided",
            _("This post was voided as recorded in error: it was never held."),
            field="holding",
        )


def holding_correct(
    *,
    actor: Any,
    holding: PostHolding,
    reason: str,
    document: Any = None,
    document_text: str = "",
) -> PostCorrection:
    """Void `holding` as recorded in error, for `reason` (required), on a decision if given:
    a `PostCorrection` beside it, the holding and its end kept as they were. From then on
    the holding counts nowhere (holders on a day, seats, due lists, checks); the history
    shows it struck with the reason. Refused: no reason, a holding already voided, a
    holding a rotation stint stands on (the stint moved its holder from it), a unit
    outside the actor's `manage_cadres`."""
    from cadrebook.cadres.models import RotationStint

    if not reason.strip():
        raise ServiceError(
            "cadres.correction_reason_missing",
            _("Say what was recorded in error."),
            field="reason",
        )
    with transaction.atomic():
        holding = PostHolding.objects.select_for_update().select_related("unit").get(pk=holding.pk)
        check_scope(actor, holding.unit)
        _check_not_voided(holding)
        if RotationStint.objects.filter(from_holding=holding).exists():
            raise ServiceError(
                "cadres.holding_rotated",
                _("A rotation stint moved this holder from the post: it cannot be voided."),
                field="holding",
            )
        doc = check_document(actor, document, timezone.localdate())
        correction = PostCorrection.objects.create(
            holding=holding,
            reason=reason.strip(),
            document=doc,
            document_text=document_text or (doc.symbol if doc is not None else ""),
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=correction,
            action="create",
            event_type="post.voided",
            unit=holding.unit,
            after={
                **snapshot(correction, CORRECTION_FIELDS),
                "voided": snapshot(holding, HOLDING_FIELDS),
            },
        )
        return correction


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


RESTORATION_FIELDS = ["end", "discipline", "reason", "document_text", "restored"]


def _runs_until(holding: PostHolding) -> dt.date | None:
    """The last day the post would have run without the removal: its planned end's eve (an
    appointment's planned end is the day it is due to end) or its term's close, whichever
    comes first; None when neither is set (it runs on)."""
    days = []
    if holding.planned_end is not None:
        days.append(holding.planned_end)
    if holding.term is not None and holding.term.end is not None:
        days.append(holding.term.end)
    return min(days) if days else None


def holdings_restore_by_appeal(
    *, actor: Any, discipline: Any, reason: str, document_text: str = ""
) -> list[PostRestoration]:
    """Void the ends of posts that `discipline` (a removal from post) caused, now that it
    was annulled on appeal or changed to a form that is no removal from post (called in the
    appeal decision's transaction by the inspections' `POST_RESTORE_HOOKS`; the appeal
    body's scope was checked there). Each end stays as recorded; a `PostRestoration` beside
    it voids it, and the post runs again by a holding of the same post, member, term, how,
    planned end and decision from the day after the end. When the post's term closed after
    that day, the holding run again ends with the term (end of term), as the term's close
    would have ended it. When the planned end or the term's close came on or before that
    day, nothing runs again (the post would have ended anyway): the restoration records it,
    with no holding. Seats are not checked: a seat filled meanwhile holds one too many
    until the organizing board ends one of the posts (the audit entry says so)."""
    one_day = dt.timedelta(days=1)
    made: list[PostRestoration] = []
    with transaction.atomic():
        ends = list(
            PostEnd.objects.select_for_update(of=("self",))
            .select_related("holding__unit", "holding__term")
            .filter(
                discipline=discipline,
                reason=EndReason.REMOVED_BY_DISCIPLINE,
                restoration__isnull=True,
                holding__correction__isnull=True,
            )
            .order_by("id")
        )
        for end in ends:
            h = end.holding
            restart = end.ended_on + one_day
            until = _runs_until(h)
            restored = None
            if until is None or until > restart:
                restored = PostHolding.objects.create(
                    member_id=h.member_id,
                    unit=h.unit,
                    position=h.position,
                    term=h.term,
                    how=h.how,
                    started_on=restart,
                    planned_end=h.planned_end,
                    document=h.document,
                    document_text=h.document_text,
                    votes_for=h.votes_for,
                    votes_total=h.votes_total,
                    ruleset=current_ruleset().id,
                    created_by=by(actor),
                )
            restoration = PostRestoration.objects.create(
                end=end,
                discipline=discipline,
                reason=reason,
                document_text=document_text,
                restored=restored,
                created_by=by(actor),
            )
            seats_over = False
            if restored is not None:
                rules = cadre_rules()
                for seats in rules.seats_for(h.position, h.unit.kind):
                    if seats.max is None:
                        continue
                    held = (
                        PostHolding.objects.filter(unit=h.unit, position__in=seats.positions)
                        .held_on(restart if until is None else min(until, restart))
                        .count()
                    )
                    seats_over = seats_over or held > seats.max
            audit_record(
                actor=actor,
                obj=restoration,
                action="create",
                event_type="post.restored",
                unit=h.unit,
                after={
                    **snapshot(restoration, RESTORATION_FIELDS),
                    "holding": h.pk,
                    "seats_over": seats_over,
                },
            )
            term = h.term
            if (
                restored is not None
                and term is not None
                and term.end is not None
                and (h.planned_end is None or term.end < h.planned_end)
            ):
                _end(actor=actor, holding=restored, ended_on=term.end, reason=EndReason.END_OF_TERM)
            made.append(restoration)
    return made


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
