"""Writes of the planning (succession pools): a nomination round with its votes
(`planning_round_record`), a person added to the planning of a post with the competent
body's approval (`planning_add`), a person taken out by a dated removal with its reason
(`planning_remove`), and the yearly review that does both at once (`planning_review`).

Each checks with the rule set (`[planning]`, `[cadres]`), refuses with the rule's source
and writes nothing then, writes the audit entry in its transaction, and checks the actor's
`manage_cadres` scope on the unit. History is kept: an entry is never deleted nor changed;
a removal is a dated fact beside it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.cadres.choices import NominationPurpose, NominationStep, PlanningRemovalReason
from cadrebook.cadres.models import (
    Nomination,
    NominationRound,
    PlanningEntry,
    PlanningRemoval,
    PlanningReview,
    PostHolding,
)
from cadrebook.cadres.planning_rules import PlanningRules, planning_rules
from cadrebook.cadres.planning_selectors import age_limit_passed
from cadrebook.cadres.retirement import retirement_date
from cadrebook.cadres.rules import CadreRules, cadre_rules
from cadrebook.cadres.services._checks import (
    by,
    check_document,
    check_membership,
    check_not_future,
    check_post,
    check_scope,
    check_unit_active,
)
from cadrebook.cadres.services.posts import _check_term
from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.restrictions import APPOINTMENT, check_unrestricted
from cadrebook.core.rules import current_ruleset
from cadrebook.documents.models import Term
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

ROUND_FIELDS = ["unit", "term", "step", "held_on", "ballots", "document", "document_text"]
ENTRY_FIELDS = [
    "unit",
    "term",
    "position",
    "member",
    "added_on",
    "document",
    "document_text",
    "nomination",
    "review",
    "ruleset",
]
REMOVAL_FIELDS = ["entry", "removed_on", "reason", "note", "document", "document_text", "review"]
REVIEW_FIELDS = ["unit", "term", "year", "reviewed_on", "document", "document_text"]

# The restriction of the inspections' bans that stops a higher post ([discipline.bans]).
HIGHER_POST = "higher_post"

# The reasons a removal must explain in a note ("removed, with reasons": the others name
# the rule that takes the person out).
NOTE_REQUIRED = (PlanningRemovalReason.REVIEW, PlanningRemovalReason.OTHER)


def _violation(code: str, message: str, source: str, field: str) -> RuleViolation:
    return RuleViolation(code, message, source=source, field=field)


def _check_member(
    rules: CadreRules,
    prules: PlanningRules,
    member: Member,
    unit: OrgUnit,
    position: str,
    day: dt.date,
) -> None:
    """A member of the unit's subtree on `day`, full where the post requires it, with the
    working life a planned person needs, under no discipline's bar on a nomination or a
    higher post, and planned only for a post higher than every post held that day."""
    found = rules.position(position)
    assert found is not None
    check_membership(rules, found, member, unit, day)
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
    if age_limit_passed(member, day, prules):
        raise _violation(
            "planning.age_limit",
            _(
                "%(name)s retires on %(retires)s: a person planned needs %(min)d months of "
                "working life left on %(date)s."
            )
            % {
                "name": member.full_name,
                "retires": retirement_date(member.birth_date, member.gender, rules),
                "min": prules.min_months_before_retirement,
                "date": day,
            },
            prules.age_limit_source,
            "member",
        )
    # A discipline in force bars a nomination, and one of reprimand or above bars a higher
    # post for the rule set's months after it ([discipline.bans]): planning is for a higher
    # post, so both refuse it.
    check_unrestricted(member.pk, day, APPOINTMENT, field="member")
    check_unrestricted(member.pk, day, HIGHER_POST, field="member")
    rank = rules.rank(position, unit.kind)
    for held in PostHolding.objects.filter(member=member).held_on(day).select_related("unit"):
        if rules.rank(held.position, held.unit.kind) >= rank:
            raise _violation(
                "planning.not_higher",
                _(
                    "%(name)s holds %(held)s in %(unit)s on %(date)s: planning is for a "
                    "higher post only."
                )
                % {
                    "name": member.full_name,
                    "held": rules.position_label(held.position),
                    "unit": held.unit,
                    "date": day,
                },
                prules.higher_post_source,
                "position",
            )


def _check_limits(
    rules: CadreRules,
    prules: PlanningRules,
    member: Member,
    unit: OrgUnit,
    term: Term,
    position: str,
    day: dt.date,
) -> None:
    """Not planned for this post already; a place on the post's list; a place in the
    person's posts at the unit's level (entries in planning on `day` or later)."""
    same = PlanningEntry.objects.filter(unit=unit, term=term, position=position).from_day(day)
    if same.filter(member=member).exists():
        raise ServiceError(
            "planning.already_planned",
            _("%(name)s is already in the planning for this post.") % {"name": member.full_name},
            field="member",
        )
    taken = same.count()
    if taken >= prules.max_candidates:
        raise _violation(
            "planning.post_full",
            _("%(count)d people are planned for %(position)s of %(unit)s: at most %(max)d.")
            % {
                "count": taken,
                "position": rules.position_label(position),
                "unit": unit,
                "max": prules.max_candidates,
            },
            prules.max_candidates_source,
            "position",
        )
    level = rules.kind_levels.get(unit.kind, 0)
    kinds = [k for k, v in rules.kind_levels.items() if v == level] or [unit.kind]
    posts = (
        PlanningEntry.objects.filter(member=member, unit__kind__in=kinds)
        .from_day(day)
        .values_list("unit_id", "position")
        .distinct()
    )
    count = len(set(posts))
    if count >= prules.max_positions:
        raise _violation(
            "planning.candidate_full",
            _("%(name)s is planned for %(count)d posts at this level: at most %(max)d.")
            % {"name": member.full_name, "count": count, "max": prules.max_positions},
            prules.max_positions_source,
            "member",
        )


def _check_approval(
    actor: Any, prules: PlanningRules, unit: OrgUnit, document: Any, text: str, day: dt.date
) -> Any:
    """The competent body's approval: a decision of the register issued by the unit or a
    unit above it (or, for a paper the register does not hold, its text as written)."""
    if document is None and not text.strip():
        raise _violation(
            "planning.approval_missing",
            _("Cite the competent body's decision approving the planning."),
            prules.approval_source,
            "document",
        )
    doc = check_document(actor, document, day)
    if doc is not None and not unit.path.startswith(doc.issuer.path):
        raise _violation(
            "planning.approval_not_competent",
            _("%(symbol)s was issued by %(issuer)s, not by %(unit)s or a level above it.")
            % {"symbol": doc.symbol, "issuer": doc.issuer, "unit": unit},
            prules.approval_source,
            "document",
        )
    return doc


def _lock(member: Member | None, unit: OrgUnit) -> None:
    # One candidate and one list at a time: the limits count what is there.
    if member is not None:
        Member.objects.select_for_update().filter(pk=member.pk).first()
    OrgUnit.objects.select_for_update().filter(pk=unit.pk).first()


def planning_round_record(
    *,
    actor: Any,
    unit: OrgUnit,
    term: Term,
    step: str,
    held_on: dt.date,
    ballots: int,
    nominations: Iterable[Mapping[str, Any]],
    document: Any = None,
    document_text: str = "",
) -> NominationRound:
    """Record a nomination round for posts of `unit` in `term`: the step, the day, the
    ballots cast, and each nomination (`member`, `position`, `purpose`: planning or
    appointment, `votes_for`). Refused: an unknown step or purpose, a post the unit has not,
    votes for above the ballots, a person nominated twice for one post, and, with the rule's
    source, a person nominated for planning and for appointment in the same round (never
    planned and proposed for appointment in the same step)."""
    rules = cadre_rules()
    prules = planning_rules()
    if step not in NominationStep.values:
        raise ServiceError(
            "planning.step_unknown",
            _("%(step)s is not a step; known: %(known)s.")
            % {"step": step, "known": ", ".join(NominationStep.values)},
            field="step",
        )
    if ballots <= 0:
        raise ServiceError("planning.ballots_invalid", _("Give the ballots cast."), field="ballots")
    listed = list(nominations)
    if not listed:
        raise ServiceError(
            "planning.nominations_missing", _("Name the people nominated."), field="nominations"
        )
    with transaction.atomic():
        _lock(None, unit)
        check_scope(actor, unit)
        check_not_future(held_on, "held_on")
        check_unit_active(unit, held_on)
        _check_term(term, unit, held_on, required=True)
        purposes: dict[int, set[str]] = {}
        seen: set[tuple[int, str]] = set()
        for n in listed:
            member, position = n["member"], n["position"]
            purpose, votes = n["purpose"], n["votes_for"]
            check_post(rules, position, unit)
            if purpose not in NominationPurpose.values:
                raise ServiceError(
                    "planning.purpose_unknown",
                    _("%(purpose)s is not planning or appointment.") % {"purpose": purpose},
                    field="purpose",
                )
            if votes < 0 or votes > ballots:
                raise ServiceError(
                    "planning.votes_invalid",
                    _("%(for)d votes for of %(total)d ballots is not possible.")
                    % {"for": votes, "total": ballots},
                    field="votes_for",
                )
            if (member.pk, position) in seen:
                raise ServiceError(
                    "planning.nominated_twice",
                    _("%(name)s is nominated twice for one post.") % {"name": member.full_name},
                    field="member",
                )
            seen.add((member.pk, position))
            purposes.setdefault(member.pk, set()).add(purpose)
            if len(purposes[member.pk]) > 1:
                raise _violation(
                    "planning.same_step",
                    _(
                        "%(name)s cannot be nominated for planning and for appointment in "
                        "the same step."
                    )
                    % {"name": member.full_name},
                    prules.same_step_source,
                    "member",
                )
        doc = check_document(actor, document, held_on)
        round_ = NominationRound.objects.create(
            unit=unit,
            term=term,
            step=step,
            held_on=held_on,
            ballots=ballots,
            document=doc,
            document_text=document_text or (doc.symbol if doc is not None else ""),
            ruleset=current_ruleset().id,
            created_by=by(actor),
        )
        made = Nomination.objects.bulk_create(
            [
                Nomination(
                    round=round_,
                    member=n["member"],
                    position=n["position"],
                    purpose=n["purpose"],
                    votes_for=n["votes_for"],
                )
                for n in listed
            ]
        )
        after = snapshot(round_, ROUND_FIELDS)
        after["nominations"] = [
            {
                "member": n.member_id,
                "position": n.position,
                "purpose": n.purpose,
                "votes_for": n.votes_for,
            }
            for n in made
        ]
        audit_record(
            actor=actor,
            obj=round_,
            action="create",
            event_type="planning.round",
            unit=unit,
            after=after,
        )
        return round_


def _add(
    *,
    actor: Any,
    unit: OrgUnit,
    term: Term,
    position: str,
    member: Member,
    added_on: dt.date,
    doc: Any,
    document_text: str,
    nomination: Nomination | None,
    review: PlanningReview | None,
) -> PlanningEntry:
    rules = cadre_rules()
    prules = planning_rules()
    check_post(rules, position, unit)
    _check_member(rules, prules, member, unit, position, added_on)
    _check_limits(rules, prules, member, unit, term, position, added_on)
    if nomination is not None:
        round_ = nomination.round
        if (
            round_.unit_id != unit.pk
            or round_.term_id != term.pk
            or nomination.member_id != member.pk
            or nomination.position != position
        ):
            raise ServiceError(
                "planning.nomination_other",
                _("The nomination is not of this person for this post."),
                field="nomination",
            )
        if nomination.purpose != NominationPurpose.PLANNING:
            raise _violation(
                "planning.same_step",
                _(
                    "%(name)s was nominated for appointment in that step: not for planning "
                    "in the same step."
                )
                % {"name": member.full_name},
                prules.same_step_source,
                "nomination",
            )
        if round_.held_on > added_on:
            raise ServiceError(
                "planning.nomination_later",
                _("The nomination was made on %(date)s, after %(added)s.")
                % {"date": round_.held_on, "added": added_on},
                field="nomination",
            )
    # Planned and appointed by one decision, or on the same day to the same post, is the
    # same step.
    same_step = PostHolding.objects.filter(member=member, unit=unit, started_on=added_on)
    if doc is not None:
        same_step = same_step | PostHolding.objects.filter(member=member, document=doc)
    if same_step.exists():
        raise _violation(
            "planning.same_step",
            _("%(name)s was appointed in the same step: not planned in it as well.")
            % {"name": member.full_name},
            prules.same_step_source,
            "member",
        )
    entry = PlanningEntry.objects.create(
        unit=unit,
        term=term,
        position=position,
        member=member,
        added_on=added_on,
        document=doc,
        document_text=document_text or (doc.symbol if doc is not None else ""),
        nomination=nomination,
        review=review,
        ruleset=current_ruleset().id,
        created_by=by(actor),
    )
    audit_record(
        actor=actor,
        obj=entry,
        action="create",
        event_type="planning.added",
        unit=unit,
        after=snapshot(entry, ENTRY_FIELDS),
    )
    return entry


def planning_add(
    *,
    actor: Any,
    unit: OrgUnit,
    term: Term,
    position: str,
    member: Member,
    added_on: dt.date,
    document: Any = None,
    document_text: str = "",
    nomination: Nomination | None = None,
) -> PlanningEntry:
    """Add `member` to the planning for `position` of `unit` in `term` from `added_on`, on
    the competent body's approval (`document` issued by the unit or a level above, or the
    text as written), from a `nomination` if given. Refused, with the rule's source: no
    approval, or one by a lower unit; a post the unit has not; the person not a member of
    the unit's subtree, not full where the post requires it, past the age limit (less
    working life left than `[planning] min_months_before_retirement`), under a discipline's
    bar on a nomination or a higher post (`[discipline.bans]`), or holding an equal or
    higher post; the post's list full (`max_candidates_per_position`); the person's posts at
    that level full (`max_positions_per_candidate`); planned and proposed for appointment
    in the same step."""
    prules = planning_rules()
    with transaction.atomic():
        _lock(member, unit)
        check_scope(actor, unit)
        check_not_future(added_on, "added_on")
        check_unit_active(unit, added_on)
        _check_term(term, unit, added_on, required=True)
        doc = _check_approval(actor, prules, unit, document, document_text, added_on)
        return _add(
            actor=actor,
            unit=unit,
            term=term,
            position=position,
            member=member,
            added_on=added_on,
            doc=doc,
            document_text=document_text,
            nomination=nomination,
            review=None,
        )


def _remove(
    *,
    actor: Any,
    entry: PlanningEntry,
    removed_on: dt.date,
    reason: str,
    note: str,
    doc: Any,
    document_text: str,
    review: PlanningReview | None,
) -> PlanningRemoval:
    if reason not in PlanningRemovalReason.values:
        raise ServiceError(
            "planning.reason_unknown",
            _("%(reason)s is not a reason; known: %(known)s.")
            % {"reason": reason, "known": ", ".join(PlanningRemovalReason.values)},
            field="reason",
        )
    if reason in NOTE_REQUIRED and not note.strip():
        raise _violation(
            "planning.reason_missing",
            _("Say why the person leaves the planning."),
            planning_rules().review_source,
            "note",
        )
    if PlanningRemoval.objects.filter(entry=entry).exists():
        raise ServiceError(
            "planning.already_removed", _("This person is already out of it."), field="entry"
        )
    if removed_on <= entry.added_on:
        raise ServiceError(
            "planning.removed_before_added",
            _("A removal on %(date)s would come before the entry of %(added)s.")
            % {"date": removed_on, "added": entry.added_on},
            field="removed_on",
        )
    removal = PlanningRemoval.objects.create(
        entry=entry,
        removed_on=removed_on,
        reason=reason,
        note=note.strip(),
        document=doc,
        document_text=document_text or (doc.symbol if doc is not None else ""),
        review=review,
        created_by=by(actor),
    )
    audit_record(
        actor=actor,
        obj=removal,
        action="create",
        event_type=f"planning.removed.{reason}",
        unit=entry.unit,
        after=snapshot(removal, REMOVAL_FIELDS),
    )
    return removal


def planning_remove(
    *,
    actor: Any,
    entry: PlanningEntry,
    removed_on: dt.date,
    reason: str,
    note: str = "",
    document: Any = None,
    document_text: str = "",
) -> PlanningRemoval:
    """Take the person of `entry` out of the planning from `removed_on` (the first day
    out), for `reason`, with a note (required for the review's and other reasons), on a
    decision if given. The entry stays: the removal is a dated fact beside it. Refused: an
    unknown reason, no note where one is required, an entry already removed, a day not
    after the entry's."""
    with transaction.atomic():
        entry = PlanningEntry.objects.select_for_update().select_related("unit").get(pk=entry.pk)
        check_scope(actor, entry.unit)
        check_not_future(removed_on, "removed_on")
        doc = check_document(actor, document, removed_on)
        return _remove(
            actor=actor,
            entry=entry,
            removed_on=removed_on,
            reason=reason,
            note=note,
            doc=doc,
            document_text=document_text,
            review=None,
        )


def planning_review(
    *,
    actor: Any,
    unit: OrgUnit,
    term: Term,
    year: int,
    reviewed_on: dt.date,
    remove: Iterable[Mapping[str, Any]] = (),
    add: Iterable[Mapping[str, Any]] = (),
    document: Any = None,
    document_text: str = "",
) -> PlanningReview:
    """Record the yearly review of `unit`'s planning in `term` for `year`, on the competent
    body's decision: the people taken out (`remove`: `entry`, `reason`, `note`) from
    `reviewed_on`, then those added (`add`: `member`, `position`, optional `nomination`)
    from that day, each checked as `planning_remove` and `planning_add` check them.
    One review a year; all of it or nothing."""
    prules = planning_rules()
    with transaction.atomic():
        _lock(None, unit)
        check_scope(actor, unit)
        check_not_future(reviewed_on, "reviewed_on")
        _check_term(term, unit, reviewed_on, required=True)
        doc = _check_approval(actor, prules, unit, document, document_text, reviewed_on)
        if PlanningReview.objects.filter(unit=unit, term=term, year=year).exists():
            raise ServiceError(
                "planning.reviewed",
                _("The planning of %(unit)s was already reviewed for %(year)d.")
                % {"unit": unit, "year": year},
                field="year",
            )
        review = PlanningReview.objects.create(
            unit=unit,
            term=term,
            year=year,
            reviewed_on=reviewed_on,
            document=doc,
            document_text=document_text or (doc.symbol if doc is not None else ""),
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=review,
            action="create",
            event_type="planning.reviewed",
            unit=unit,
            after=snapshot(review, REVIEW_FIELDS),
        )
        for r in remove:
            entry = PlanningEntry.objects.select_for_update().get(pk=r["entry"].pk)
            if entry.unit_id != unit.pk or entry.term_id != term.pk:
                raise ServiceError(
                    "planning.entry_other",
                    _("The entry is not of this unit's planning in this term."),
                    field="remove",
                )
            _remove(
                actor=actor,
                entry=entry,
                removed_on=reviewed_on,
                reason=r["reason"],
                note=r.get("note", ""),
                doc=doc,
                document_text=document_text,
                review=review,
            )
        for a in add:
            _add(
                actor=actor,
                unit=unit,
                term=term,
                position=a["position"],
                member=a["member"],
                added_on=reviewed_on,
                doc=doc,
                document_text=document_text,
                nomination=a.get("nomination"),
                review=review,
            )
        return review
