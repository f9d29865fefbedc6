"""Reads of the inspections app, scoped: inspection files are confidential, read only with
`view_inspections` on the inspecting body (its subtree), never with plain `view`.

- the scoped lists: `programs`, `inspections`, `inspection_subjects`, `recommendations`,
  `disciplines` (scoped by the subject: a member's record follows the member), `appeals`;
- a program's progress ("completed 9 of 10 planned"): `program_progress`;
- a recommendation's state on a day (`recommendation_state`: overdue is derived);
- the worklist's reads: `late_steps`, `overdue_recommendations`, `appeals_waiting`;
- disciplines in force on a day for a member or an organization (`disciplines_in_force`)
  and the facts of a year that the evaluations read (`discipline_facts`);
- what the subject of an inspection sees: the conclusion concerning it, not the file
  (`conclusions_concerning`, its shape ready for the pages of phase 2);
- the remit of a body (`in_remit`) and whether a body stands above an inspected unit's own
  committee (`is_from_higher_level`), which the services check and record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from cadrebook.core.permissions import CHANGE, VIEW, VIEW_SENSITIVE
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.core.scoping import scope_for, subtree_q
from cadrebook.inspections import discipline_rules as engine
from cadrebook.inspections.choices import (
    OVERDUE,
    AppealOutcome,
    DisciplineStatus,
    FollowUpStatus,
)
from cadrebook.inspections.models import (
    Appeal,
    Discipline,
    Inspection,
    InspectionProgram,
    InspectionStep,
    InspectionSubject,
    ProgramItem,
    Recommendation,
)
from cadrebook.inspections.permissions import VIEW_INSPECTIONS
from cadrebook.inspections.rules import inspection_rules
from cadrebook.orgs.models import OrgUnit

# -- Scoped lists --------------------------------------------------------------------------


def programs(user: Any) -> QuerySet[InspectionProgram]:
    """The programs of the bodies in the user's `view_inspections` scope."""
    return InspectionProgram.objects.visible_to(user, VIEW_INSPECTIONS)


def program_items(user: Any) -> QuerySet[ProgramItem]:
    return ProgramItem.objects.visible_to(user, VIEW_INSPECTIONS)


def inspections(user: Any) -> QuerySet[Inspection]:
    """The inspections and supervisions of the bodies in the user's `view_inspections` scope
    (the files: team, steps, subjects and findings, recommendations)."""
    return Inspection.objects.visible_to(user, VIEW_INSPECTIONS)


def inspection_file(user: Any, pk: int) -> Inspection | None:
    """One inspection's file, None when it is out of the user's sight (as if missing)."""
    return inspections(user).filter(pk=pk).select_related("body").first()


def inspection_subjects(user: Any) -> QuerySet[InspectionSubject]:
    return InspectionSubject.objects.visible_to(user, VIEW_INSPECTIONS)


def recommendations(user: Any) -> QuerySet[Recommendation]:
    return Recommendation.objects.visible_to(user, VIEW_INSPECTIONS)


def recommendations_addressed_to(user: Any, action: str = CHANGE) -> QuerySet[Recommendation]:
    """The recommendations addressed to a unit where the user holds `action` (`change`: the
    inspected unit records its own follow-up of what it was asked to do; `view`: it reads
    them), without reading the inspection's file."""
    scope = scope_for(user, action)
    rows = Recommendation.objects.filter(owner_unit__isnull=False)
    if scope.everything:
        return rows
    if scope.nothing:
        return rows.none()
    return rows.filter(subtree_q("owner_unit__path", scope.paths))


def disciplines(user: Any) -> QuerySet[Discipline]:
    """The disciplines of subjects in the user's `view_inspections` scope (the file: votes,
    violation, appeals)."""
    return Discipline.objects.visible_to(user, VIEW_INSPECTIONS)


def appeals(user: Any) -> QuerySet[Appeal]:
    return Appeal.objects.visible_to(user, VIEW_INSPECTIONS)


# -- Programs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """What a program planned and what was done against it."""

    planned: int
    started: int  # an inspection opened against the item
    completed: int  # that inspection concluded


def program_progress(program: InspectionProgram) -> Progress:
    """ "Completed N of M planned": the program's items, those with an inspection opened
    against them, and those whose inspection is concluded (one query)."""
    counts = program.items.aggregate(
        planned=Count("id"),
        started=Count("id", filter=Q(inspection__isnull=False)),
        completed=Count("id", filter=Q(inspection__concluded_on__isnull=False)),
    )
    return Progress(counts["planned"], counts["started"], counts["completed"])


# -- Recommendations and the worklist -------------------------------------------------------


def recommendation_state(recommendation: Recommendation, day: dt.date) -> str:
    """The recommendation's status on `day`: its latest follow-up's, or "overdue" when it is
    not done and its deadline has passed."""
    if (
        recommendation.status != FollowUpStatus.DONE
        and recommendation.deadline is not None
        and recommendation.deadline < day
    ):
        return OVERDUE
    return recommendation.status


def overdue_recommendations(user: Any, day: dt.date) -> QuerySet[Recommendation]:
    """Recommendations not done whose deadline passed before `day`, oldest deadline first."""
    return (
        recommendations(user)
        .exclude(status=FollowUpStatus.DONE)
        .filter(deadline__lt=day)
        .order_by("deadline", "id")
    )


def late_steps(user: Any, day: dt.date) -> QuerySet[InspectionStep]:
    """Steps of open inspections not done by their due day, before `day`."""
    visible = inspections(user).filter(concluded_on__isnull=True)
    return (
        InspectionStep.objects.filter(inspection__in=visible, done_on__isnull=True, due_on__lt=day)
        .select_related("inspection")
        .order_by("due_on", "inspection_id", "position")
    )


def appeals_waiting(user: Any) -> QuerySet[Appeal]:
    """Appeals lodged and not yet decided, in the user's `view_inspections` scope, the
    oldest first."""
    return (
        appeals(user)
        .filter(outcome=AppealOutcome.PENDING)
        .select_related("discipline", "body")
        .order_by("lodged_on", "id")
    )


# The worklist of limitation periods running out is `worklists.limitation_near`: with no
# record of a case under consideration (a discipline is recorded once decided), it reads the
# violations a concluded inspection found and no discipline cites yet.


# -- Disciplines in force --------------------------------------------------------------------


def standings(rows: Iterable[Discipline] | QuerySet[Discipline]) -> dict[int, engine.Standing]:
    """Discipline id -> what the records say of its lapse (`engine.Standing`: an appeal
    waiting, the last upholding appeal's day, the later decisions on the same subject with
    the day each lapses), for every decision in force on the subjects of `rows` (a queryset
    is read as a subquery). Two queries, unscoped: a later decision counts whoever may read
    it (the disciplines of one subject share its scope anyway)."""
    if isinstance(rows, QuerySet):
        subjects = Q(member__in=rows.filter(member__isnull=False).values("member")) | Q(
            unit__in=rows.filter(unit__isnull=False).values("unit")
        )
    else:
        listed = list(rows)
        member_ids = {d.member_id for d in listed if d.member_id is not None}
        unit_ids = {d.unit_id for d in listed if d.unit_id is not None}
        if not member_ids and not unit_ids:
            return {}
        subjects = Q(member_id__in=member_ids) | Q(unit_id__in=unit_ids)
    peers = Discipline.objects.filter(subjects, status=DisciplineStatus.IN_FORCE)
    pending: set[int] = set()
    upheld: dict[int, dt.date] = {}
    for pk, outcome, decided_on in Appeal.objects.filter(
        discipline__in=peers.values("pk"),
        outcome__in=(AppealOutcome.PENDING, AppealOutcome.UPHELD),
    ).values_list("discipline_id", "outcome", "decided_on"):
        if outcome == AppealOutcome.PENDING:
            pending.add(pk)
        elif decided_on is not None and (pk not in upheld or decided_on > upheld[pk]):
            upheld[pk] = decided_on
    by_subject: dict[tuple[str, int], list[tuple[dt.date, int, str]]] = {}
    for pk, member_id, unit_id, form, decided_on in peers.values_list(
        "pk", "member_id", "unit_id", "form", "decided_on"
    ):
        key = ("member", member_id) if member_id is not None else ("unit", unit_id)
        by_subject.setdefault(key, []).append((decided_on, pk, form))
    r = engine.discipline_rules()
    found: dict[int, engine.Standing] = {}
    for decisions in by_subject.values():
        # The newest first: each one's lapse day is known before the older ones read it.
        done: list[tuple[dt.date, dt.date | None]] = []
        for decided_on, pk, form in sorted(decisions, reverse=True):
            standing = engine.Standing(
                appeal_pending=pk in pending,
                upheld_on=upheld.get(pk),
                later=tuple((day, lapses) for day, lapses in done if day > decided_on),
            )
            found[pk] = standing
            if form in r.severity:  # a form of an older rule set: nothing this one can say
                done.append((decided_on, engine.lapse_day(form, decided_on, standing, rules=r)))
    return found


def disciplines_in_force(
    user: Any, day: dt.date, *, member: Any = None, unit: OrgUnit | None = None
) -> list[Discipline]:
    """The disciplines of `member` or of the organization `unit` (one of them) in force on
    `day`: decided by then, neither annulled nor changed on appeal, not lapsed (the rule
    set's months without appeal or new violation, `engine.lapse_day`; some forms never
    lapse). Most recent first."""
    if (unit is None) == (member is None):
        raise ValueError("name exactly one subject: a unit or a member")
    rows = list(
        disciplines(user)
        .filter(**({"unit": unit} if unit is not None else {"member": member}))
        .filter(status=DisciplineStatus.IN_FORCE, decided_on__lte=day)
        .order_by("-decided_on", "-id")
    )
    rules = engine.discipline_rules()
    known = standings(rows)
    return [
        d
        for d in rows
        if d.form in rules.severity
        and (
            (lapses := engine.lapse_day(d.form, d.decided_on, known.get(d.pk), rules=rules)) is None
            or day < lapses
        )
    ]


# Derived, never stored: a discipline in force whose lapse date has passed (the rule set's
# months without appeal or new violation): its record stands, its effects have ended.
LAPSED = "lapsed"


@dataclass(frozen=True)
class DisciplineState:
    """A discipline as of a day: its status (`in_force`, `lapsed`, `annulled`, `changed`),
    whether it is in force, the day it lapses (None: never, not while an appeal waits, or
    annulled / changed), and its bans with the day each ends (those of a decision no longer
    standing: none)."""

    status: str
    in_force: bool
    lapses_on: dt.date | None
    bans: tuple[engine.Ban, ...]


def discipline_state(
    discipline: Discipline,
    day: dt.date,
    rules: engine.DisciplineRules | None = None,
    standing: engine.Standing | None = None,
) -> DisciplineState:
    """`discipline` as of `day` (see `DisciplineState`); a form the rule set in force does
    not know (an older rule set's) is taken as stored, without lapse or bans. `standing`:
    what the records say of its lapse, from `standings` (read here when not given: give it
    for a list, read once for all its rows)."""
    r = rules or engine.discipline_rules()
    if discipline.status != DisciplineStatus.IN_FORCE:
        return DisciplineState(discipline.status, False, None, ())
    if discipline.form not in r.severity:
        return DisciplineState(discipline.status, True, None, ())
    if standing is None:
        standing = standings([discipline]).get(discipline.pk)
    effects = engine.effects(discipline.form, discipline.decided_on, rules=r, standing=standing)
    lapsed = effects.lapses_on is not None and day >= effects.lapses_on
    return DisciplineState(
        LAPSED if lapsed else DisciplineStatus.IN_FORCE,
        not lapsed and discipline.decided_on <= day,
        effects.lapses_on,
        effects.bans,
    )


@dataclass(frozen=True)
class DisciplineFacts:
    """What the disciplines of a period say of a member or an organization, for the year's
    evaluation: disciplined at all, and disciplined with a form of "reprimand or above" for
    a violation in performing duties (the rule set's `reprimand_or_above`)."""

    disciplined: bool
    reprimand_or_above_for_duty: bool


def discipline_facts(
    *, member: Any = None, unit: OrgUnit | None = None, start: dt.date, end: dt.date
) -> DisciplineFacts:
    """The facts of the disciplines decided from `start` to `end` (inclusive) on `member`
    or `unit`, not annulled. Unscoped: the evaluation's service asks it for a subject it
    already holds."""
    if (unit is None) == (member is None):
        raise ValueError("name exactly one subject: a unit or a member")
    rows = (
        Discipline.objects.filter(**({"unit": unit} if unit is not None else {"member": member}))
        .filter(decided_on__gte=start, decided_on__lte=end)
        .exclude(status=DisciplineStatus.ANNULLED)
        .values_list("form", "duty_related", "status")
    )
    above = engine.discipline_rules().reprimand_or_above
    # A decision changed on appeal counts through its replacement.
    kept = [(form, duty) for form, duty, status in rows if status != DisciplineStatus.CHANGED]
    return DisciplineFacts(
        disciplined=bool(kept),
        reprimand_or_above_for_duty=any(duty and form in above for form, duty in kept),
    )


# -- The subject's view --------------------------------------------------------------------


@dataclass(frozen=True)
class Conclusion:
    """What the subject of an inspection reads of its conclusion: the inspection's code, kind
    and body, the day and document of the conclusion, and the findings and recommendations
    concerning this subject only (no team, no steps, no other subject, no summary).

    On a member, the finding is personal: `detailed` is False for a reader who holds
    neither `view_sensitive` nor `view_inspections` on the member's unit, and then only
    whether a violation was found is given (`violation_kind`, `findings` empty,
    `recommendations` none)."""

    inspection_id: int
    code: str
    kind: str
    body_id: int
    body_kind: str
    concluded_on: dt.date
    document_id: int | None
    document_text: str
    violation_found: bool | None
    violation_kind: str
    findings: str
    recommendations: tuple[str, ...]
    detailed: bool = True


def conclusions_concerning(
    user: Any, *, unit: OrgUnit | None = None, member: Any = None
) -> list[Conclusion]:
    """The concluded inspections' conclusions on `unit` or `member` (one of them), for a user
    whose plain `view` scope covers the subject's unit (a member's unit of today): the subject's side reads the
    conclusion concerning it, never the file (issue 19, item 6).

    On a member, the findings text, the kind of violation and the recommendations are the
    member's personal data: given only to a user holding `view_sensitive` or
    `view_inspections` on the member's (current) unit; any other reader of the unit (a
    `viewer`) reads the code, kind, body, day, document and whether a violation was found.
    An organization's conclusion is not personal: every reader of the unit reads it whole."""
    if (unit is None) == (member is None):
        raise ValueError("name exactly one subject: a unit or a member")
    detailed = True
    if member is not None:
        # The member's side is the member's unit of today: after a transfer, the new cell's
        # readers read the conclusions on their member, the old cell's no longer do.
        path = member.unit.path
        detailed = can_read_member_findings(user, path)
        where = Q() if scope_for(user, VIEW).covers_path(path) else Q(pk__in=[])
    else:
        where = _subject_scope(user)
    rows = (
        InspectionSubject.objects.filter(inspection__concluded_on__isnull=False)
        .filter(**({"unit": unit} if unit is not None else {"member": member}))
        .filter(where)
        .select_related("inspection")
        .order_by("-inspection__concluded_on", "-id")
    )
    if detailed:
        rows = rows.prefetch_related("recommendations")
    return [
        Conclusion(
            inspection_id=s.inspection_id,
            code=s.inspection.code,
            kind=s.inspection.kind,
            body_id=s.inspection.body_id,
            body_kind=s.inspection.body_kind,
            concluded_on=s.inspection.concluded_on,  # type: ignore[arg-type]
            document_id=s.inspection.conclusion_document_id,
            document_text=s.inspection.conclusion_document_text,
            violation_found=s.violation_found,
            violation_kind=s.violation_kind if detailed else "",
            findings=s.findings if detailed else "",
            recommendations=(tuple(r.text for r in s.recommendations.all()) if detailed else ()),
            detailed=detailed,
        )
        for s in rows
    ]


def can_read_member_findings(user: Any, path: str) -> bool:
    """Whether `user` reads the findings on a member of the unit at `path`: the personal
    data's readers (`view_sensitive`) and the discipline files' (`view_inspections`)."""
    return scope_for(user, VIEW_SENSITIVE).covers_path(path) or scope_for(
        user, VIEW_INSPECTIONS
    ).covers_path(path)


def _subject_scope(user: Any) -> Q:
    scope = scope_for(user, VIEW)
    if scope.everything:
        return Q()
    if scope.nothing:
        return Q(pk__in=[])
    return subtree_q("subject_path", scope.paths)


# -- Remit and level -----------------------------------------------------------------------


def in_remit(body: OrgUnit, path: str) -> bool:
    """Whether a unit with `path` stands in `body`'s subtree (the body's remit)."""
    return path.startswith(body.path)


def own_committee(unit: OrgUnit, ruleset: Ruleset | None = None) -> OrgUnit:
    """The committee an inspected unit answers to: the unit itself, or, for a unit of a kind
    the rule set lists in `[inspection] parent_committee_kinds` (a cell of a grassroots
    committee), the unit above it."""
    rules = inspection_rules(ruleset or current_ruleset())
    if unit.kind in rules.parent_committee_kinds and unit.depth > 1:
        parent: OrgUnit = unit.get_parent()
        return parent
    return unit


def is_from_higher_level(body: OrgUnit, unit: OrgUnit, ruleset: Ruleset | None = None) -> bool:
    """Whether `body` stands above the own committee of the inspected `unit`."""
    committee = own_committee(unit, ruleset)
    return committee.path != body.path and committee.path.startswith(body.path)
