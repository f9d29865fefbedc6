"""Writes of the evaluation: opening a round with its subjects, marking a subject's case,
marking an outstanding unit, self-assessment, the cell's proposal, the decision, closing the
round and the reconsideration after it. Each checks the rule set's evaluation rules
(`evaluations/rules.py`), writes in one transaction and audits; a refusal writes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Case, F, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.bulk import RowWriter
from cadrebook.core.errors import ServiceError
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import PATH_END
from cadrebook.documents.references import cited_document
from cadrebook.evaluations.choices import (
    STATE_AWAITING_DECISION,
    STATE_DECIDED,
    STATE_EXCLUDED,
    STATE_NO_PROPOSAL,
    STATE_NOT_ASSESSED,
    STATES,
    Exclusion,
    Framework,
    Level,
    RatingSource,
    RoundStatus,
    SpecialCase,
    SubjectKind,
)
from cadrebook.evaluations.models import (
    RATING_ANCESTOR_COLUMNS,
    Decision,
    OutstandingUnit,
    Proposal,
    Rating,
    Round,
    RoundStateCount,
    SelfAssessment,
    Subject,
    TimetableChange,
)
from cadrebook.evaluations.rules import ENFORCE_REFUSE, EvaluationRules, evaluation_rules
from cadrebook.evaluations.selectors import (
    Cap,
    check_level,
    check_level_stands,
    check_level_within_score,
    check_no_overlap,
    check_opening,
    check_score,
    check_scores,
    check_steps,
    check_timetable,
    decision_caps,
    evaluation_violation,
    is_outstanding,
    latest_decisions,
    lines_on,
    link_caps,
    link_caps_counted,
    member_decider,
    member_deciders,
    member_levels_by_subtree,
    no_decider,
    opening_periods,
    opening_units,
    quota_counts,
    ruleset_of,
    with_state,
)
from cadrebook.evaluations.tally import tally_change, tally_keys
from cadrebook.members.choices import EventType
from cadrebook.members.models import MemberEvent
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import ancestors_on

ROUND_FIELDS = [
    "kind",
    "year",
    "unit",
    "reference_date",
    "self_assessment_until",
    "proposals_until",
    "decisions_until",
    "status",
    "ruleset",
]
SUBJECT_FIELDS = ["excluded", "special_case", "framework", "role_group", "host_unit", "leads"]
DECISION_FIELDS = [
    "subject",
    "level",
    "score",
    "deciding_unit",
    "document",
    "disqualifiers",
    "override_reason",
    "override_text",
    "over_quota",
    "reconsideration",
    "reason",
    "late",
    "missing_steps",
]


def _by(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


def _rules_of(round_: Round) -> EvaluationRules:
    return evaluation_rules(ruleset_of(round_))


def _need_open(round_: Round, rules: EvaluationRules) -> None:
    if round_.status != RoundStatus.OPEN:
        raise evaluation_violation(
            rules,
            "evaluation.round_closed",
            _(
                "The round was closed on %(date)s: it changes only by a reconsideration with "
                "its document."
            )
            % {"date": round_.closed_at.date() if round_.closed_at else "-"},
            field="round",
        )


def _need_rated(subject: Subject, rules: EvaluationRules) -> None:
    if subject.excluded:
        raise evaluation_violation(
            rules,
            "evaluation.subject_excluded",
            _("This member is not rated in the round: %(reason)s.")
            % {"reason": rules.exclusion_label(subject.excluded)},
            source=rules.exclusions_source,
            field="subject",
        )


def _name(subject: Subject) -> str:
    """The subject as a message names it: the member's full name, the unit's name."""
    return subject.member.full_name if subject.member is not None else str(subject.unit)


def _today() -> dt.date:
    return timezone.localdate()


# The steps of the timetable: the round's field of each step's deadline.
STEP_DEADLINES = {
    "self_assessment": "self_assessment_until",
    "proposal": "proposals_until",
    "decision": "decisions_until",
}


def _late(round_: Round, rules: EvaluationRules, step: str) -> bool:
    """Whether `step` recorded today comes after its deadline in the round's timetable;
    refused then when the rule set refuses a late step."""
    deadline: dt.date = getattr(round_, STEP_DEADLINES[step])
    today = _today()
    if today <= deadline:
        return False
    if rules.timetable_enforcement == ENFORCE_REFUSE:
        messages = {
            "self_assessment": _(
                "The self-assessment of this round was due by %(date)s: it is no longer "
                "recorded (the committee may change the timetable)."
            ),
            "proposal": _(
                "The cells' proposals of this round were due by %(date)s: it is no longer "
                "recorded (the committee may change the timetable)."
            ),
            "decision": _(
                "The decisions of this round were due by %(date)s: it is no longer recorded "
                "(the committee may change the timetable)."
            ),
        }
        raise evaluation_violation(
            rules,
            "evaluation.after_deadline",
            messages[step] % {"date": deadline},
            source=rules.timetable_source,
            field="round",
        )
    return True


def _locked_subject(subject: Subject) -> Subject:
    """The subject read again under a lock on its round's row for this transaction: a
    decision, a mark and the close do not cross."""
    Round.objects.select_for_update().filter(pk=subject.round_id).first()
    return Subject.objects.select_related("round", "home", "deciding_unit", "member", "unit").get(
        pk=subject.pk
    )


# The steps in the order a subject goes through them: a step moves the stored state forward,
# never back (a late self-assessment after the proposal leaves it awaiting the decision).
STATE_RANK = {
    STATE_NOT_ASSESSED: 0,
    STATE_NO_PROPOSAL: 1,
    STATE_AWAITING_DECISION: 2,
    STATE_DECIDED: 3,
}


def _move_count(round_id: int, old: str, new: str) -> None:
    """One subject of the round moved from state `old` to `new`: the round's counts per state
    (`RoundStateCount`) follow, by one UPDATE of their two rows."""
    if old != new:
        RoundStateCount.objects.filter(round_id=round_id, state__in=[old, new]).update(
            n=F("n") + Case(When(state=new, then=Value(1)), default=Value(-1))
        )


def _store_state(subject: Subject, state: str) -> None:
    """Write `subject.state` (the cache of where it stands, `models.Subject`) and the round's
    counts when it changes: two UPDATEs, in the caller's transaction (which holds the lock
    on the round's row)."""
    if subject.state != state:
        Subject.objects.filter(pk=subject.pk).update(state=state)
        _move_count(subject.round_id, subject.state, state)
        subject.state = state


def _step_recorded(subject: Subject, state: str) -> None:
    """A step recorded for a rated subject: its state moves forward to `state`'s."""
    if subject.excluded:
        return
    if STATE_RANK.get(subject.state, -1) < STATE_RANK[state]:
        _store_state(subject, state)


def _recomputed_state(subject: Subject) -> str:
    """Where `subject` stands, worked out from its exclusion and step records (what a change
    of the exclusion sets the stored state to)."""
    if subject.excluded:
        return STATE_EXCLUDED
    if Decision.objects.filter(subject=subject).exists():
        return STATE_DECIDED
    if Proposal.objects.filter(subject=subject).exists():
        return STATE_AWAITING_DECISION
    if SelfAssessment.objects.filter(subject=subject).exists():
        return STATE_NO_PROPOSAL
    return STATE_NOT_ASSESSED


# Opening a round --------------------------------------------------------------------------


def _temporary_hosts(members: Any, day: dt.date) -> dict[int, int]:
    """Member -> host cell, for the members on a temporary transfer on `day` (their latest
    temporary transfer, its end or an accepted transfer up to that day is the transfer).
    `members`: their ids, or a subquery of them."""
    hosts: dict[int, int] = {}
    events = (
        MemberEvent.objects.filter(
            member_id__in=members,
            date__lte=day,
            type__in=[
                EventType.TEMPORARY_TRANSFER,
                EventType.TEMPORARY_TRANSFER_ENDED,
                EventType.TRANSFER_IN,
            ],
        )
        .order_by("member_id", "date", "id")
        .values_list("member_id", "type", "to_unit_id")
    )
    for member_id, type_, to_unit in events:
        if type_ == EventType.TEMPORARY_TRANSFER:
            hosts[member_id] = to_unit
        else:
            hosts.pop(member_id, None)
    return hosts


def round_open(
    *,
    actor: Any,
    unit: OrgUnit,
    kind: str,
    year: int,
    reference_date: dt.date,
    self_assessment_until: dt.date,
    proposals_until: dt.date,
    decisions_until: dt.date,
) -> Round:
    """Open a round of `kind` for `year` by `unit` for its subtree as it stood on the
    reference date, listing its subjects: every member of the subtree then (rated in the
    cell they belonged to; those the rule set does not rate listed with the reason: exempt,
    admitted too recently; on temporary transfer: rated at home, the host cell noted) and
    every unit below `unit` of a kind the rule set rates, with the unit that decides for it.
    Refused when `unit` stands below the grassroots organization that decides for its
    members, or when a round of the same kind and year covers part of the subtree.

    The subjects are read and written in chunks (`SUBJECT_CHUNK` members or units at a time:
    the memory a national round takes does not grow with its members), the deciding unit
    worked out once per cell."""
    rules = check_opening(
        unit=unit,
        kind=kind,
        year=year,
        reference_date=reference_date,
        self_assessment_until=self_assessment_until,
        proposals_until=proposals_until,
        decisions_until=decisions_until,
    )
    with transaction.atomic():
        check_no_overlap(unit, kind, year, lock=True)
        round_ = Round.objects.create(
            kind=kind,
            year=year,
            unit=unit,
            reference_date=reference_date,
            self_assessment_until=self_assessment_until,
            proposals_until=proposals_until,
            decisions_until=decisions_until,
            ruleset=current_ruleset().id,
            opened_by=_by(actor),
        )
        counts = _list_subjects(round_, unit, rules)
        excluded = sum(counts[reason] for reason in Exclusion.values)
        first = {STATE_EXCLUDED: excluded, STATE_NOT_ASSESSED: sum(counts.values()) - excluded}
        RoundStateCount.objects.bulk_create(
            RoundStateCount(round=round_, state=state, n=first.get(state, 0)) for state in STATES
        )
        audit_record(
            actor=actor,
            obj=round_,
            action="create",
            event_type="evaluation.round_opened",
            unit=unit,
            after=snapshot(round_, ROUND_FIELDS) | {"subjects": counts},
        )
    return round_


# How many members (or units) the opening of a round reads and writes at a time.
SUBJECT_CHUNK = 20_000
SUBJECT_COLUMNS = (
    "round_id",
    "kind",
    "member_id",
    "unit_id",
    "home_id",
    "framework",
    "role_group",
    "deciding_unit_id",
    "excluded",
    "special_case",
    "host_unit_id",
    "leads_id",
    "note",
    "state",
)


def _list_subjects(round_: Round, unit: OrgUnit, rules: EvaluationRules) -> dict[str, int]:
    """Write the round's subjects; return how many of each (members rated, members not rated
    per reason, units). The members' periods are read `SUBJECT_CHUNK` at a time in member
    order (a keyset on the member), their subjects written a chunk at a time (COPY on
    PostgreSQL); the deciding unit is worked out once per cell, for the cells a chunk meets
    first. Then the units, a chunk at a time in path order."""
    day = round_.reference_date
    periods = opening_periods(unit, day)
    cutoff = rules.admitted_cutoff(day)
    deciders: dict[int, int | None] = {}
    kinds: dict[int, str] = {}
    counts = {"members": 0, "units": 0} | {reason: 0 for reason in Exclusion.values}
    with connection.cursor() as cursor:
        writer = RowWriter(cursor)
        after = 0
        while True:
            chunk = list(
                periods.filter(member_id__gt=after)
                .order_by("member_id")
                .values_list("member_id", "unit_id", "exempt", "member__admitted_on")[
                    :SUBJECT_CHUNK
                ]
            )
            if not chunk:
                break
            first, after = chunk[0][0], chunk[-1][0]
            hosts = _temporary_hosts(
                periods.filter(member_id__gte=first, member_id__lte=after).values("member_id"),
                day,
            )
            new = {home_id for _m, home_id, _e, _a in chunk if home_id not in deciders}
            if new:
                deciders.update(member_deciders(new, Framework.MEMBER, day, rules, kinds=kinds))
            rows = []
            for member_id, home_id, exempt, admitted_on in chunk:
                decider = deciders[home_id]
                if decider is None:
                    no_decider(rules, home_id)
                excluded = ""
                if exempt:
                    excluded = Exclusion.EXEMPT
                elif admitted_on is not None and admitted_on > cutoff:
                    excluded = Exclusion.RECENTLY_ADMITTED
                host = None if excluded else hosts.get(member_id)
                rows.append(
                    (
                        round_.pk,
                        SubjectKind.MEMBER.value,
                        member_id,
                        None,
                        home_id,
                        Framework.MEMBER.value,
                        Framework.MEMBER.value,
                        decider,
                        str(excluded),
                        SpecialCase.TEMPORARY_TRANSFER.value if host else "",
                        host,
                        None,
                        "",
                        STATE_EXCLUDED if excluded else STATE_NOT_ASSESSED,
                    )
                )
                counts[excluded or "members"] += 1
            writer.write(Subject, SUBJECT_COLUMNS, rows)
        below = opening_units(unit, day, rules).values_list("id", "path")
        after_path = unit.path
        while True:
            units = list(below.filter(path__gt=after_path)[:SUBJECT_CHUNK])
            if not units:
                break
            after_path = units[-1][1]
            lines = lines_on([unit_id for unit_id, _path in units], day)
            rows = []
            for unit_id, path in units:
                line = lines[unit_id]
                parent: int | None = line[-2] if len(line) >= 2 else None
                if parent is None:  # a root then: the unit above it in the tree now
                    parent = (
                        OrgUnit.objects.filter(path=path[: -OrgUnit.steplen])
                        .values_list("id", flat=True)
                        .first()
                    )
                if parent is None:
                    continue
                rows.append(
                    (
                        round_.pk,
                        SubjectKind.UNIT.value,
                        None,
                        unit_id,
                        unit_id,
                        Framework.ORGANIZATION.value,
                        Framework.ORGANIZATION.value,
                        parent,
                        "",
                        "",
                        None,
                        None,
                        "",
                        STATE_NOT_ASSESSED,
                    )
                )
                counts["units"] += 1
            writer.write(Subject, SUBJECT_COLUMNS, rows)
        if connection.vendor == "postgresql" and sum(counts.values()) >= SUBJECT_CHUNK:
            # A large round changes the table's size many times over before autovacuum
            # counts it again; without fresh statistics the planner reads a committee's
            # worklist from every subject of the round (seconds instead of milliseconds).
            # ANALYZE counts the rows this transaction wrote.
            cursor.execute(f"ANALYZE {connection.ops.quote_name(Subject._meta.db_table)}")
    return counts


def subject_mark(
    *,
    actor: Any,
    subject: Subject,
    excluded: str | None = None,
    special_case: str | None = None,
    leave_months: int | None = None,
    framework: str | None = None,
    role_group: str | None = None,
    host_unit: OrgUnit | None = None,
    leads: OrgUnit | None = None,
    note: str | None = None,
) -> Subject:
    """Say what the records do not: a member suspended from activities (not rated), on
    sick or maternity leave of the rule set's months or more (rated on the work done), on
    temporary transfer (with the host cell), holding a leading post (the leaders' framework,
    `leads` the unit led), or a group of similar roles of its own for the quota. Before the
    subject's first decision, in an open round; the audit keeps what it was."""
    rules = _rules_of(subject.round)
    with transaction.atomic():
        subject = _locked_subject(subject)
        _need_open(subject.round, rules)
        if subject.decisions.exists():
            raise ServiceError(
                "evaluation.subject_decided",
                _("A decision is recorded for this subject: its case no longer changes."),
                field="subject",
            )
        before = snapshot(subject, SUBJECT_FIELDS)
        if excluded is not None:
            if excluded and excluded not in Exclusion.values:
                raise evaluation_violation(
                    rules,
                    "evaluation.exclusion_unknown",
                    _("%(code)s is not a reason the rule set leaves a member unrated.")
                    % {"code": excluded},
                    source=rules.exclusions_source,
                    field="excluded",
                )
            if subject.kind != SubjectKind.MEMBER and excluded:
                raise ServiceError(
                    "evaluation.exclusion_not_member",
                    _("Only a member is left unrated."),
                    field="excluded",
                )
            subject.excluded = excluded
        if special_case is not None:
            if special_case and special_case not in SpecialCase.values:
                raise evaluation_violation(
                    rules,
                    "evaluation.special_case_unknown",
                    _("%(code)s is not a special case of the rule set.") % {"code": special_case},
                    source=rules.special_source,
                    field="special_case",
                )
            if special_case == SpecialCase.LONG_LEAVE and (
                leave_months is None or leave_months < rules.long_leave_min_months
            ):
                raise evaluation_violation(
                    rules,
                    "evaluation.leave_too_short",
                    _(
                        "A leave is a special case from %(n)d months: give its length "
                        "(%(given)s is less)."
                    )
                    % {"n": rules.long_leave_min_months, "given": leave_months},
                    source=rules.special_source,
                    field="leave_months",
                )
            if special_case == SpecialCase.TEMPORARY_TRANSFER and host_unit is None:
                raise ServiceError(
                    "transfer.host_missing", _("Name the host cell."), field="host_unit"
                )
            subject.special_case = special_case
            subject.host_unit = (
                host_unit if special_case == SpecialCase.TEMPORARY_TRANSFER else None
            )
        if framework is not None:
            if framework not in Framework.values or (
                (framework == Framework.ORGANIZATION) != (subject.kind == SubjectKind.UNIT)
            ):
                raise evaluation_violation(
                    rules,
                    "evaluation.framework_wrong",
                    _("%(f)s is not a framework for this subject.") % {"f": framework},
                    field="framework",
                )
            if subject.role_group == subject.framework:
                subject.role_group = framework
            subject.framework = framework
            if subject.kind == SubjectKind.MEMBER:
                decider = member_decider(
                    subject.home, framework, subject.round.reference_date, rules
                )
                if decider is not None:
                    subject.deciding_unit = decider
        if role_group is not None:
            if not role_group.strip():
                raise ServiceError(
                    "evaluation.role_group_missing",
                    _("Name the group of similar roles."),
                    field="role_group",
                )
            subject.role_group = role_group.strip()[:64]
        if leads is not None:
            subject.leads = leads
        if note is not None:
            subject.note = note
        if subject.excluded != before["excluded"]:
            state = _recomputed_state(subject)
            _move_count(subject.round_id, subject.state, state)
            subject.state = state
        subject.save()
        audit_record(
            actor=actor,
            obj=subject,
            action="update",
            event_type="evaluation.subject_marked",
            unit=subject.home,
            before=before,
            after=snapshot(subject, SUBJECT_FIELDS),
        )
    return subject


def round_mark_outstanding(*, actor: Any, round: Round, unit: OrgUnit) -> OutstandingUnit:
    """Mark `unit`, which decides for subjects of the open round, outstanding: its quota of
    "excellent" is the rule set's larger share."""
    rules = _rules_of(round)
    with transaction.atomic():
        Round.objects.select_for_update().filter(pk=round.pk).first()
        round.refresh_from_db()
        _need_open(round, rules)
        if not Subject.objects.filter(round=round, deciding_unit=unit).exists():
            raise ServiceError(
                "evaluation.not_a_quota_unit",
                _("%(unit)s decides for no subject of this round.") % {"unit": unit},
                field="unit",
            )
        mark, created = OutstandingUnit.objects.get_or_create(
            round=round, unit=unit, defaults={"marked_by": _by(actor)}
        )
        audit_record(
            actor=actor,
            obj=mark,
            action="create" if created else "update",
            event_type="evaluation.outstanding_marked",
            unit=unit,
            after={"round": round.pk, "unit": unit.pk},
        )
    return mark


def round_reschedule(
    *,
    actor: Any,
    round: Round,
    self_assessment_until: dt.date,
    proposals_until: dt.date,
    decisions_until: dt.date,
    reason: str,
) -> TimetableChange:
    """Change the timetable of an open round (by the committee that opened it): the new
    dates run in order as when it opened; the reason is recorded and the earlier dates kept
    (`TimetableChange`), the round carries the new ones. Steps already recorded keep whether
    they were late."""
    rules = _rules_of(round)
    with transaction.atomic():
        Round.objects.select_for_update().filter(pk=round.pk).first()
        round.refresh_from_db()
        _need_open(round, rules)
        check_timetable(
            rules, round.reference_date, self_assessment_until, proposals_until, decisions_until
        )
        if not reason.strip():
            raise ServiceError(
                "evaluation.reason_missing",
                _("Give the reason for changing the timetable."),
                field="reason",
            )
        if (round.self_assessment_until, round.proposals_until, round.decisions_until) == (
            self_assessment_until,
            proposals_until,
            decisions_until,
        ):
            raise ServiceError(
                "evaluation.timetable_unchanged",
                _("These are the dates of the timetable already: nothing to change."),
                field="self_assessment_until",
            )
        before = snapshot(round, ROUND_FIELDS)
        change = TimetableChange.objects.create(
            round=round,
            previous_self_assessment_until=round.self_assessment_until,
            previous_proposals_until=round.proposals_until,
            previous_decisions_until=round.decisions_until,
            self_assessment_until=self_assessment_until,
            proposals_until=proposals_until,
            decisions_until=decisions_until,
            reason=reason.strip(),
            recorded_by=_by(actor),
        )
        round.self_assessment_until = self_assessment_until
        round.proposals_until = proposals_until
        round.decisions_until = decisions_until
        round.save(update_fields=["self_assessment_until", "proposals_until", "decisions_until"])
        audit_record(
            actor=actor,
            obj=round,
            action="update",
            event_type="evaluation.round_rescheduled",
            unit=round.unit,
            before=before,
            after=snapshot(round, ROUND_FIELDS) | {"reason": change.reason},
        )
    return change


# The subject's steps ----------------------------------------------------------------------


def subject_self_assess(
    *, actor: Any, subject: Subject, scores: dict[str, Any], review: str = ""
) -> SelfAssessment:
    """Record the subject's own scores on its framework's criteria groups (each within the
    group's points) and self-review; a later one supersedes it."""
    rules = _rules_of(subject.round)
    with transaction.atomic():
        subject = _locked_subject(subject)
        _need_open(subject.round, rules)
        _need_rated(subject, rules)
        total = check_scores(rules, subject.framework, scores)
        clean = {code: str(check_score(rules, value)) for code, value in scores.items()}
        late = _late(subject.round, rules, "self_assessment")
        row = SelfAssessment.objects.create(
            subject=subject,
            scores=clean,
            score=total,
            review=review,
            late=late,
            recorded_by=_by(actor),
        )
        _step_recorded(subject, STATE_NO_PROPOSAL)
        audit_record(
            actor=actor,
            obj=row,
            action="create",
            event_type="evaluation.self_assessed",
            unit=subject.home,
            after={"subject": subject.pk, "scores": clean, "score": total, "late": late},
        )
    return row


def subject_propose(
    *,
    actor: Any,
    subject: Subject,
    score: Decimal,
    level: str,
    votes_for: int,
    votes_against: int,
    present: int,
    host_comments: str = "",
    note: str = "",
) -> Proposal:
    """Record the cell's proposal (for a unit, its collective's): score, level and the vote
    that carried it; for a member on temporary transfer, the host cell's comments."""
    rules = _rules_of(subject.round)
    with transaction.atomic():
        subject = _locked_subject(subject)
        _need_open(subject.round, rules)
        _need_rated(subject, rules)
        value = check_score(rules, score)
        check_level(rules, level)
        check_level_within_score(rules, level=level, score=value)
        for name, count in (
            ("votes_for", votes_for),
            ("votes_against", votes_against),
            ("present", present),
        ):
            if count is None or count < 0:
                raise ServiceError("vote.missing", _("Give the vote's three counts."), field=name)
        if votes_for + votes_against > present:
            raise ServiceError(
                "vote.more_than_present",
                _("%(f)d in favour and %(a)d against are more than the %(p)d members present.")
                % {"f": votes_for, "a": votes_against, "p": present},
                field="votes_for",
            )
        if host_comments and subject.special_case not in rules.host_comment_cases:
            raise evaluation_violation(
                rules,
                "evaluation.host_comments_not_expected",
                _("Host cell's comments go with a member on temporary transfer."),
                source=rules.special_source,
                field="host_comments",
            )
        late = _late(subject.round, rules, "proposal")
        row = Proposal.objects.create(
            subject=subject,
            late=late,
            score=value,
            level=level,
            votes_for=votes_for,
            votes_against=votes_against,
            present=present,
            host_comments=host_comments,
            note=note,
            recorded_by=_by(actor),
        )
        _step_recorded(subject, STATE_AWAITING_DECISION)
        audit_record(
            actor=actor,
            obj=row,
            action="create",
            event_type="evaluation.proposed",
            unit=subject.home,
            after=snapshot(
                row,
                ["subject", "score", "level", "votes_for", "votes_against", "present", "late"],
            ),
        )
    return row


def _member_levels(subject: Subject) -> list[str]:
    """The levels of the rated members of an organization subject in its round: decided,
    else proposed."""
    unit = subject.unit
    assert unit is not None
    members = with_state(
        Subject.objects.filter(
            round_id=subject.round_id,
            kind=SubjectKind.MEMBER,
            excluded="",
            home__path__gte=unit.path,
            home__path__lt=unit.path + PATH_END,
        )
    ).values_list("decided_level", "proposed_level")
    return [decided or proposed for decided, proposed in members if decided or proposed]


def _caps(subject: Subject, rules: EvaluationRules, disqualifiers: list[str]) -> list[Cap]:
    """The caps on the subject's level: the disqualifiers ticked, those its discipline
    records or its confidence votes of the year set by themselves (`discipline_disqualifiers`,
    `fact_disqualifiers`, marked so), and for an organization the link to its members'
    levels."""
    caps = decision_caps(rules, subject, disqualifiers)
    if subject.kind == SubjectKind.UNIT:
        caps += link_caps(rules, _member_levels(subject))
    return caps


def _document(
    actor: Any, document: Any, rules: EvaluationRules, *, required: bool, issuer: OrgUnit
) -> Any:
    """The decision's document from the register: readable by the actor, issued (not a
    draft), and issued by `issuer`, the unit that decides (a committee's decision rests on
    its own document, not on any the actor may read)."""
    if document is None:
        if required:
            raise evaluation_violation(
                rules,
                "evaluation.document_missing",
                _("Cite the decision's document from the register."),
                field="document",
            )
        return None
    doc = cited_document(actor, document)
    if doc.issuer_id != issuer.pk:
        raise evaluation_violation(
            rules,
            "evaluation.document_not_deciders",
            _(
                "%(symbol)s was issued by %(other)s: the decision rests on a document of "
                "%(unit)s, the unit that decides."
            )
            % {"symbol": doc.symbol, "other": doc.issuer, "unit": issuer},
            source=rules.deciders_source,
            field="document",
        )
    return doc


def _write_rating(subject: Subject, decision: Decision, rules: EvaluationRules) -> None:
    """The subject's rating of the year, from the decision of a round of a kind that rates the
    year: created, or rewritten by a later decision or reconsideration."""
    round_ = subject.round
    kind = rules.round_kind(round_.kind)
    if kind is None or not kind.rates_year:
        return
    line = ancestors_on(subject.home, round_.reference_date)
    ancestors: dict[str, Any] = {f"anc{k}_id": None for k in range(1, RATING_ANCESTOR_COLUMNS + 1)}
    ancestors.update({f"anc{k}_id": uid for k, uid in enumerate(line, start=1)})
    values = {
        "subject_kind": subject.kind,
        "level": decision.level,
        "label": "",
        "score": decision.score,
        "source": RatingSource.ROUND,
        "round": round_,
        "decision": decision,
        "document": decision.document,
        "document_text": "",
        "rated_in": subject.home,
        "quota_unit": subject.deciding_unit,
        "role_group": subject.role_group,
        **ancestors,
    }
    key: dict[str, Any] = (
        {"member_id": subject.member_id} if subject.member_id else {"unit_id": subject.unit_id}
    )
    unit_kind = subject.unit.kind if subject.unit is not None else ""
    existing = Rating.objects.select_for_update().filter(year=round_.year, **key).first()
    before = tally_keys(existing, unit_kind)
    rating, _created = Rating.objects.update_or_create(year=round_.year, **key, defaults=values)
    # The figures read the tally: it changes with the rating, in the same transaction.
    tally_change(before, tally_keys(rating, unit_kind))


def _check_quota(subject: Subject, rules: EvaluationRules, level: str) -> tuple[bool, str]:
    """Whether a decision at `level` takes the subject's deciding unit and group over the
    quota of "excellent" (and the count against it, for the message)."""
    if subject.framework not in rules.quota_frameworks:
        return False, ""
    previous = latest_decisions(Subject.objects.filter(pk=subject.pk)).first()
    excellent, good = quota_counts(
        subject.round, subject.deciding_unit, subject.role_group, leave_out=subject.pk
    )
    excellent += level == Level.EXCELLENT
    good += level == Level.GOOD
    outstanding = is_outstanding(subject.round, subject.deciding_unit)
    allowed = rules.allowed_excellent(good, outstanding=outstanding)
    # Only a decision that adds an "excellent" or takes away a "good" can go over: one that
    # leaves the quota as it was (or eases it) is never refused for an earlier overrun.
    worsens = level == Level.EXCELLENT or (previous is not None and previous.level == Level.GOOD)
    if excellent <= allowed or not worsens:
        return False, ""
    share = rules.quota_outstanding_share if outstanding else rules.quota_share
    message = _(
        "%(unit)s would have %(excellent)d rated excellent for %(good)d rated good in the group "
        "%(group)s: the quota allows %(allowed)d (%(share)s of those rated good)."
    ) % {
        "unit": subject.deciding_unit,
        "excellent": excellent,
        "good": good,
        "group": subject.role_group,
        "allowed": allowed,
        "share": f"{float(share):.0%}",
    }
    return True, message


def subject_decide(
    *,
    actor: Any,
    subject: Subject,
    deciding_unit: OrgUnit,
    level: str,
    score: Decimal,
    document: Any = None,
    disqualifiers: list[str] | None = None,
    override_reason: str = "",
    override_text: str = "",
) -> Decision:
    """Record the deciding unit's level for a subject of an open round. Refused: by a unit
    that does not decide for the subject (the rule set's `deciders`); a score off the scale;
    a level the score and the caps (disqualifiers; for an organization, its members' levels)
    do not give, unless a reason the rule set allows is recorded; a member before the
    collective when the rule set orders so; beyond the quota of "excellent" of the deciding
    unit and group when the rule set refuses (recorded with `over_quota` when it warns);
    without the document the rule set requires. A later decision supersedes it until the
    round closes; the year's rating follows the latest."""
    rules = _rules_of(subject.round)
    codes = list(disqualifiers or [])
    with transaction.atomic():
        subject = _locked_subject(subject)
        round_ = subject.round
        _need_open(round_, rules)
        _need_rated(subject, rules)
        if deciding_unit.pk != subject.deciding_unit_id:
            raise evaluation_violation(
                rules,
                "evaluation.not_decider",
                _("%(unit)s does not decide this level: %(decider)s does.")
                % {"unit": deciding_unit, "decider": subject.deciding_unit},
                source=rules.deciders_source,
                field="deciding_unit",
            )
        value = check_score(rules, score)
        check_level(rules, level)
        caps = _caps(subject, rules, codes)
        check_level_stands(
            rules,
            level=level,
            score=value,
            caps=caps,
            override_reason=override_reason,
            override_text=override_text,
        )
        if rules.collective_first and subject.kind == SubjectKind.MEMBER:
            collective = Subject.objects.filter(round=round_, unit_id=subject.home_id).first()
            if collective is not None and not collective.decisions.exists():
                raise evaluation_violation(
                    rules,
                    "evaluation.collective_first",
                    _("%(unit)s, the collective, is decided before its members.")
                    % {"unit": subject.home},
                    source=rules.collective_first_source,
                    field="subject",
                )
        # The self-assessment and the cell's proposal come first: refused without them, or
        # recorded marked with what is missing, as the rule set says.
        missing = check_steps(rules, subject, _name(subject))
        doc = _document(
            actor,
            document,
            rules,
            required=rules.decision_document_required,
            issuer=deciding_unit,
        )
        # The deciding unit's row is the quota's lock: two decisions of the same unit do not
        # both see room for one more "excellent".
        OrgUnit.objects.select_for_update().filter(pk=deciding_unit.pk).first()
        over, message = _check_quota(subject, rules, level)
        if over and rules.quota_enforcement == ENFORCE_REFUSE:
            raise evaluation_violation(
                rules,
                "evaluation.quota_exceeded",
                message,
                source=rules.quota_source,
                field="level",
            )
        late = _late(round_, rules, "decision")
        decision = Decision.objects.create(
            subject=subject,
            level=level,
            score=value,
            deciding_unit=deciding_unit,
            document=doc,
            disqualifiers=[c.code for c in caps],
            override_reason=override_reason if override_text.strip() else "",
            override_text=override_text.strip() if override_reason else "",
            over_quota=over,
            late=late,
            missing_steps=missing,
            recorded_by=_by(actor),
        )
        _write_rating(subject, decision, rules)
        _step_recorded(subject, STATE_DECIDED)
        audit_record(
            actor=actor,
            obj=decision,
            action="create",
            event_type="evaluation.decided",
            unit=subject.home,
            after=snapshot(decision, DECISION_FIELDS),
        )
    return decision


def round_close(*, actor: Any, round: Round) -> Round:
    """Close the round when every rated subject has a decided level and every organization's
    level still stands with its members' decided levels (the rule set's links, unless its
    decision recorded a reason); the round is then locked."""
    rules = _rules_of(round)
    with transaction.atomic():
        Round.objects.select_for_update().filter(pk=round.pk).first()
        round.refresh_from_db()
        _need_open(round, rules)
        rated = with_state(Subject.objects.filter(round=round, excluded=""))
        undecided = rated.filter(decided_level__isnull=True).count()
        if undecided:
            raise ServiceError(
                "evaluation.round_incomplete",
                _("%(n)d subjects of the round have no decided level yet.") % {"n": undecided},
                field="round",
            )
        # The links: every organization's decided level against its members' levels, the
        # members counted once per home for the whole round (not once per organization).
        linked = latest_decisions(
            Subject.objects.filter(round=round, kind=SubjectKind.UNIT, excluded="")
        ).filter(override_reason="")
        by_subtree = member_levels_by_subtree(round) if linked.exists() else {}
        for decision in linked.select_related("subject__unit").iterator(chunk_size=2000):
            unit = decision.subject.unit
            assert unit is not None
            caps = link_caps_counted(rules, *by_subtree.get(unit.path, (0, 0)))
            binding = [
                c
                for c in caps
                if [*Level.values].index(decision.level) < [*Level.values].index(c.cap)
            ]
            if binding:
                raise evaluation_violation(
                    rules,
                    "evaluation.link_broken",
                    _(
                        "%(unit)s is rated %(level)s, but %(what)s: decide it again before "
                        "the round closes."
                    )
                    % {
                        "unit": decision.subject.unit,
                        "level": rules.level_label(decision.level),
                        "what": binding[0].label,
                    },
                    source=rules.links_source,
                    field="round",
                )
        before = snapshot(round, ROUND_FIELDS)
        round.status = RoundStatus.CLOSED
        round.closed_at = timezone.now()
        round.closed_by = _by(actor)
        round.save(update_fields=["status", "closed_at", "closed_by"])
        audit_record(
            actor=actor,
            obj=round,
            action="update",
            event_type="evaluation.round_closed",
            unit=round.unit,
            before=before,
            after=snapshot(round, ROUND_FIELDS),
        )
    return round


def subject_reconsider(
    *,
    actor: Any,
    subject: Subject,
    deciding_unit: OrgUnit,
    level: str,
    score: Decimal,
    document: Any,
    reason: str,
    disqualifiers: list[str] | None = None,
    override_reason: str = "",
    override_text: str = "",
) -> Decision:
    """Change a subject's level after its round closed: a decision of its own, by the unit
    that decided or one above it, with its document and reason; the level stands with the
    score and caps, and within the quota of the subject's deciding unit and group, as a
    decision's does. The year's rating follows it; the earlier decision
    stays."""
    rules = _rules_of(subject.round)
    with transaction.atomic():
        subject = _locked_subject(subject)
        if subject.round.status != RoundStatus.CLOSED:
            raise ServiceError(
                "evaluation.round_not_closed",
                _("The round is open: record a decision, not a reconsideration."),
                field="round",
            )
        _need_rated(subject, rules)
        decider = subject.deciding_unit
        if not (deciding_unit.path <= decider.path and decider.path.startswith(deciding_unit.path)):
            raise evaluation_violation(
                rules,
                "evaluation.not_decider",
                _("%(unit)s is neither %(decider)s nor above it.")
                % {"unit": deciding_unit, "decider": decider},
                source=rules.deciders_source,
                field="deciding_unit",
            )
        if not reason.strip():
            raise ServiceError(
                "evaluation.reason_missing",
                _("Give the reason for the reconsideration."),
                field="reason",
            )
        value = check_score(rules, score)
        check_level(rules, level)
        caps = _caps(subject, rules, list(disqualifiers or []))
        check_level_stands(
            rules,
            level=level,
            score=value,
            caps=caps,
            override_reason=override_reason,
            override_text=override_text,
        )
        doc = _document(actor, document, rules, required=True, issuer=deciding_unit)
        # The quota as a decision checks it: the latest decided levels of the deciding unit
        # and group, this subject's with its new level (the deciding unit's row is the lock).
        OrgUnit.objects.select_for_update().filter(pk=subject.deciding_unit_id).first()
        over, message = _check_quota(subject, rules, level)
        if over and rules.quota_enforcement == ENFORCE_REFUSE:
            raise evaluation_violation(
                rules,
                "evaluation.quota_exceeded",
                message,
                source=rules.quota_source,
                field="level",
            )
        decision = Decision.objects.create(
            subject=subject,
            level=level,
            score=value,
            deciding_unit=deciding_unit,
            document=doc,
            disqualifiers=[c.code for c in caps],
            override_reason=override_reason if override_text.strip() else "",
            override_text=override_text.strip() if override_reason else "",
            over_quota=over,
            reconsideration=True,
            reason=reason.strip(),
            recorded_by=_by(actor),
        )
        _write_rating(subject, decision, rules)
        _step_recorded(subject, STATE_DECIDED)
        audit_record(
            actor=actor,
            obj=decision,
            action="create",
            event_type="evaluation.reconsidered",
            unit=subject.home,
            after=snapshot(decision, DECISION_FIELDS),
        )
    return decision
