"""Reads of the planning and the confidence votes, each from a scoped queryset (`view` on
the unit; what is derived from a member's date of birth or ethnicity needs
`view_sensitive`, masked for others as the members' pages mask it), and the facts the
services and the capabilities above ask unscoped.

- `planning_list`, `planning_history`: a unit's planning on a day, and every entry with its
  removal (history kept).
- `is_planned_for`: a person in the planning for a post, or an equal or higher one (the
  appointment's check, when the lead wires it).
- `planning_flags`: the entries the rules take out of planning (age limit passed, a
  discipline of reprimand or above, a "low" confidence vote): the worklist's.
- `planning_structure`, `planning_structure_by_level`: the structure report of the lists
  (three age brackets; women, young, ethnic-minority shares against the rule set's targets,
  shortfalls marked).
- `confidence_outcome`, `confidence_flags`: what a vote's counts mean by the rule set, and
  the people a vote flags (out of planning; dismissal).
- `confidence_cap`: the evaluations' fact: a leader with more than the rule set's share of
  "low" in a year's vote is rated no higher than its cap level.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.db.models import QuerySet

from cadrebook.cadres.models import (
    ConfidenceResult,
    ConfidenceSession,
    PlanningEntry,
    PlanningEntryQuerySet,
    PostHolding,
)
from cadrebook.cadres.planning_rules import (
    TARGETS,
    ConfidenceRules,
    PlanningRules,
    confidence_rules,
    planning_rules,
)
from cadrebook.cadres.retirement import months_left
from cadrebook.cadres.rules import cadre_rules
from cadrebook.core.permissions import VIEW, VIEW_SENSITIVE
from cadrebook.core.scoping import scope_for
from cadrebook.documents.models import Term
from cadrebook.inspections import discipline_rules as engine
from cadrebook.inspections.choices import DisciplineStatus
from cadrebook.inspections.models import Discipline
from cadrebook.members.choices import Gender
from cadrebook.members.models import Member
from cadrebook.orgs.models import OrgUnit

# -- Planning lists --------------------------------------------------------------------------


def _entries() -> PlanningEntryQuerySet:
    return PlanningEntry.objects.select_related("member", "unit", "term", "removal", "document")


def planning_list(
    user: Any, unit: OrgUnit, day: dt.date, term: Term | None = None
) -> QuerySet[PlanningEntry]:
    """The people in the planning of `unit`'s posts on `day` (of `term` when given), by
    position then the day added, as `user` may `view` them (a unit out of scope: none)."""
    rows = _entries().visible_to(user, VIEW).filter(unit=unit).in_on(day)
    if term is not None:
        rows = rows.filter(term=term)
    return rows.order_by("position", "added_on", "id")


def planning_history(user: Any, unit: OrgUnit, term: Term | None = None) -> QuerySet[PlanningEntry]:
    """Every entry of `unit`'s planning, those removed too (with their removal), oldest
    first, as `user` may `view` them."""
    rows = _entries().visible_to(user, VIEW).filter(unit=unit)
    if term is not None:
        rows = rows.filter(term=term)
    return rows.order_by("added_on", "id")


def is_planned_for(member: Member | int, unit: OrgUnit, position: str, day: dt.date) -> bool:
    """Whether the member is in planning on `day` for `position` of `unit`, or for an equal
    or higher post (the rule set's rank: the unit's kind level, then the position's).
    Unscoped: a rule asks it."""
    rules = cadre_rules()
    wanted = rules.rank(position, unit.kind)
    member_id = member if isinstance(member, int) else member.pk
    planned = (
        PlanningEntry.objects.filter(member_id=member_id)
        .in_on(day)
        .values_list("position", "unit__kind")
    )
    return any(rules.rank(p, kind) >= wanted for p, kind in planned)


# -- Flags -----------------------------------------------------------------------------------

AGE_LIMIT = "age_limit"
DISCIPLINE = "discipline"
CONFIDENCE_VOTE = "confidence_vote"


@dataclass(frozen=True)
class PlanningFlag:
    """An entry the rules take out of planning: why (`reason`: age_limit, discipline,
    confidence_vote), since when (`since`), and the rule's source."""

    entry: PlanningEntry
    reason: str
    since: dt.date
    source: str


def reprimand_or_above_since(member_ids: Iterable[int], day: dt.date) -> dict[int, list[dt.date]]:
    """Member id -> the days of their disciplines of "reprimand or above" (the rule set's
    `[discipline] reprimand_or_above`) decided on or before `day`, standing (neither
    annulled nor changed on appeal). Unscoped: a rule asks it."""
    above = engine.discipline_rules().reprimand_or_above
    found: dict[int, list[dt.date]] = {}
    for member_id, decided_on in Discipline.objects.filter(
        member_id__in=list(member_ids),
        status=DisciplineStatus.IN_FORCE,
        form__in=sorted(above),
        decided_on__lte=day,
    ).values_list("member_id", "decided_on"):
        found.setdefault(member_id, []).append(decided_on)
    return found


def age_limit_passed(member: Member, day: dt.date, rules: PlanningRules | None = None) -> bool:
    """Whether the member has less working life left on `day` than a planned person needs
    (`[planning] min_months_before_retirement`; the retirement age of the rule set's
    schedule). A member without a date of birth: not known, False."""
    r = rules or planning_rules()
    if member.birth_date is None:
        return False
    left = months_left(member.birth_date, member.gender, day, cadre_rules())
    return left < r.min_months_before_retirement


def planning_flags(user: Any, day: dt.date) -> list[PlanningFlag]:
    """The entries in planning on `day` that `user` may `view` and that the rules take out:
    a discipline of reprimand or above decided since the entry was added; a confidence vote
    with more than the rule set's share "low" since then; and, where `user` may read the
    member's personal data (`view_sensitive` on the unit: it tells the age), less working
    life left than the rule set asks. Oldest flag first."""
    rules = planning_rules()
    conf = confidence_rules()
    entries = list(_entries().visible_to(user, VIEW).in_on(day).order_by("id"))
    if not entries:
        return []
    sensitive = scope_for(user, VIEW_SENSITIVE)
    members = {e.member_id for e in entries}
    disciplined = reprimand_or_above_since(members, day)
    low_votes = _low_votes(members, None, day, conf)
    flags = []
    for e in entries:
        if sensitive.covers_path(e.unit.path) and age_limit_passed(e.member, day, rules):
            flags.append(PlanningFlag(e, AGE_LIMIT, day, rules.age_limit_source))
        since = [d for d in disciplined.get(e.member_id, ()) if d >= e.added_on]
        if since:
            flags.append(PlanningFlag(e, DISCIPLINE, min(since), rules.discipline_source))
        voted = [d for d in low_votes.get(e.member_id, ()) if d >= e.added_on]
        if voted:
            flags.append(
                PlanningFlag(e, CONFIDENCE_VOTE, min(voted), conf.low_out_of_planning_source)
            )
    flags.sort(key=lambda f: (f.since, f.entry.pk, f.reason))
    return flags


# -- Structure of the lists ----------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """One target of a list's structure: how many of the list, the share, the rule set's
    minimum (None: no target) and whether the list falls short of it. `count` and `share`
    are None when the user may not read what they are derived from (masked)."""

    code: str
    count: int | None
    share: Fraction | None
    target: Fraction | None
    short: bool


@dataclass(frozen=True)
class Structure:
    """The structure of a planning list (or of the lists of a unit, or of a level): the
    people counted once each, the three age brackets (None: masked; a person without a date
    of birth in none), the shares against the targets, the shortfalls (the targets missed,
    and `age_brackets` when a bracket is empty), and the sources."""

    label: str
    people: int
    brackets: tuple[int, ...] | None
    shares: tuple[Share, ...]
    shortfalls: tuple[str, ...]
    sources: tuple[str, ...] = field(default=())


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def structure_of(
    label: str,
    members: Iterable[Member],
    day: dt.date,
    *,
    sensitive: bool,
    rules: PlanningRules | None = None,
) -> Structure:
    """The structure of the people `members` (each counted once) on `day`; `sensitive`:
    whether the reader may read their dates of birth and ethnicity (if not, the brackets,
    the young and the minorities are masked and no shortfall is claimed for them)."""
    r = rules or planning_rules()
    people = list({m.pk: m for m in members}.values())
    women = sum(1 for m in people if m.gender == Gender.FEMALE)
    if not sensitive:
        return structure_from_counts(label, len(people), women, None, None, None, rules=r)
    per = [0] * len(r.age_brackets)
    young = 0
    for m in people:
        if m.birth_date is None:
            continue
        age = _age(m.birth_date, day)
        found = r.bracket_of(age)
        if found is not None:
            per[found] += 1
        young += age <= r.young_max_age
    # A member without a recorded ethnicity is not counted as a minority.
    minority = sum(1 for m in people if m.ethnicity and m.ethnicity != r.majority_ethnicity)
    return structure_from_counts(label, len(people), women, tuple(per), young, minority, rules=r)


def structure_from_counts(
    label: str,
    total: int,
    women: int,
    brackets: tuple[int, ...] | None,
    young: int | None,
    ethnic_minority: int | None,
    *,
    rules: PlanningRules | None = None,
) -> Structure:
    """The structure of a list of `total` people from its counts (`structure_of` counts
    them from the people; the statistics' figure `cadres.figures` from grouped queries):
    the shares against the rule set's targets and the shortfalls. A count given as None is
    masked: no share, and no shortfall claimed for it."""
    r = rules or planning_rules()
    counts: dict[str, int | None] = {
        "women": women,
        "young": young,
        "ethnic_minority": ethnic_minority,
    }
    shares = []
    shortfalls = []
    for code in TARGETS:
        count = counts[code]
        target = r.targets.get(code)
        share = None if count is None or not total else Fraction(count, total)
        short = bool(total) and target is not None and share is not None and share < target
        shares.append(Share(code, count, share, target, short))
        if short:
            shortfalls.append(code)
    if brackets is not None and total and not all(brackets):
        shortfalls.append("age_brackets")
    return Structure(
        label,
        total,
        brackets,
        tuple(shares),
        tuple(shortfalls),
        (r.age_brackets_source, r.young_source, r.targets_source),
    )


@dataclass(frozen=True)
class UnitStructure:
    """The structure report of a unit's planning: per list (position) and the whole."""

    unit: OrgUnit
    lists: tuple[Structure, ...]
    whole: Structure


def planning_structure(
    user: Any, unit: OrgUnit, day: dt.date, term: Term | None = None
) -> UnitStructure | None:
    """The structure of `unit`'s planning lists on `day` (of `term` when given), per
    position and for the whole; None when `user` may not `view` the unit."""
    if not scope_for(user, VIEW).covers_path(unit.path):
        return None
    sensitive = scope_for(user, VIEW_SENSITIVE).covers_path(unit.path)
    rules = planning_rules()
    cadres = cadre_rules()
    by_position: dict[str, list[Member]] = {}
    for e in planning_list(user, unit, day, term):
        by_position.setdefault(e.position, []).append(e.member)
    order = {p.code: i for i, p in enumerate(cadres.positions)}
    lists = tuple(
        structure_of(cadres.position_label(p), ms, day, sensitive=sensitive, rules=rules)
        for p, ms in sorted(by_position.items(), key=lambda kv: order.get(kv[0], len(order)))
    )
    every = [m for ms in by_position.values() for m in ms]
    return UnitStructure(
        unit, lists, structure_of(str(unit), every, day, sensitive=sensitive, rules=rules)
    )


def planning_structure_by_level(user: Any, day: dt.date) -> dict[int, Structure]:
    """The structure of the planning `user` may `view` on `day`, per level of the units'
    kinds (`[cadres] kind_levels`, highest first): the people planned for posts of units of
    that level, each once. The sensitive figures are shown only when `user` may read the
    personal data of every unit counted."""
    cadres = cadre_rules()
    sensitive = scope_for(user, VIEW_SENSITIVE)
    by_level: dict[int, list[Member]] = {}
    masked: set[int] = set()
    for e in _entries().visible_to(user, VIEW).in_on(day).order_by("id"):
        level = cadres.kind_levels.get(e.unit.kind, 0)
        by_level.setdefault(level, []).append(e.member)
        if not sensitive.covers_path(e.unit.path):
            masked.add(level)
    return {
        level: structure_of(str(level), ms, day, sensitive=level not in masked)
        for level, ms in sorted(by_level.items(), reverse=True)
    }


# -- Confidence votes ------------------------------------------------------------------------

OUT_OF_PLANNING = "out_of_planning"
DISMISSAL = "dismissal"


def confidence_outcome(
    low: int, present: int, rules: ConfidenceRules | None = None
) -> tuple[str, str]:
    """What `low` "low" ballots of `present` mean: (`dismissal`, source) at or above the
    rule set's dismissal share; (`out_of_planning`, source) above its out-of-planning share;
    ("", "") otherwise. The share is of the ballots: those present."""
    r = rules or confidence_rules()
    if present <= 0:
        return "", ""
    share = Fraction(low, present)
    if share >= r.low_dismissal:
        return DISMISSAL, r.low_dismissal_source
    if share > r.low_out_of_planning:
        return OUT_OF_PLANNING, r.low_out_of_planning_source
    return "", ""


def is_quorate(summoned: int, present: int, rules: ConfidenceRules | None = None) -> bool:
    """Whether a session is valid: present at least the rule set's share of the summoned."""
    r = rules or confidence_rules()
    return summoned > 0 and Fraction(present, summoned) >= r.quorum


def _low_votes(
    member_ids: Iterable[int], start: dt.date | None, end: dt.date, rules: ConfidenceRules
) -> dict[int, list[dt.date]]:
    """Member id -> the days of the valid votes on them with more than the rule set's
    out-of-planning share "low" (dismissal included), from `start` (None: ever) to `end`."""
    rows = ConfidenceResult.objects.filter(
        member_id__in=list(member_ids), session__held_on__lte=end
    )
    if start is not None:
        rows = rows.filter(session__held_on__gte=start)
    found: dict[int, list[dt.date]] = {}
    for member_id, held_on, low, summoned, present in rows.values_list(
        "member_id", "session__held_on", "low", "session__summoned", "session__present"
    ):
        if is_quorate(summoned, present, rules) and confidence_outcome(low, present, rules)[0]:
            found.setdefault(member_id, []).append(held_on)
    return found


@dataclass(frozen=True)
class ConfidenceFlag:
    """A person a vote flags: the result, the outcome (`out_of_planning`: considered for
    resignation or removal; `dismissal`) and the rule's source."""

    result: ConfidenceResult
    outcome: str
    source: str


def confidence_sessions(user: Any) -> QuerySet[ConfidenceSession]:
    """The sessions `user` may `view` (by the body's unit), newest first."""
    return ConfidenceSession.objects.visible_to(user, VIEW).select_related("unit")


def confidence_flags(user: Any, start: dt.date, end: dt.date) -> list[ConfidenceFlag]:
    """The people flagged by the votes held from `start` to `end` that `user` may `view`:
    more than the out-of-planning share "low", or the dismissal share and more. Most
    severe first, then the newest."""
    rules = confidence_rules()
    rows = (
        ConfidenceResult.objects.select_related("session", "session__unit", "member")
        .filter(session__in=confidence_sessions(user).values("pk"))
        .filter(session__held_on__gte=start, session__held_on__lte=end)
        .order_by("-session__held_on", "id")
    )
    flags = []
    for r in rows:
        if not is_quorate(r.session.summoned, r.session.present, rules):
            continue
        outcome, source = confidence_outcome(r.low, r.session.present, rules)
        if outcome:
            flags.append(ConfidenceFlag(r, outcome, source))
    flags.sort(key=lambda f: f.outcome != DISMISSAL)
    return flags


@dataclass(frozen=True)
class ConfidenceCap:
    """The evaluations' fact: the level a leader is rated no higher than in `year`, the day
    of the vote that caps it, and the rule's source."""

    level: str
    held_on: dt.date
    source: str


def confidence_cap(member: Member | int, year: int) -> ConfidenceCap | None:
    """The cap a year's confidence votes put on the member's rating (more than the rule
    set's out-of-planning share "low" in a valid vote held that year: no higher than
    `[confidence_vote] cap_level`); None: no such vote. Unscoped: the evaluation's service
    asks it for a subject it already holds."""
    rules = confidence_rules()
    member_id = member if isinstance(member, int) else member.pk
    days = _low_votes([member_id], dt.date(year, 1, 1), dt.date(year, 12, 31), rules).get(member_id)
    if not days:
        return None
    return ConfidenceCap(rules.cap_level, min(days), rules.cap_source)


def holds_post_under(member: Member, unit: OrgUnit, day: dt.date) -> PostHolding | None:
    """The highest post the member holds on `day` in `unit` or below it (None: none)."""
    rules = cadre_rules()
    held = list(
        PostHolding.objects.select_related("unit")
        .filter(member=member, unit__path__startswith=unit.path)
        .held_on(day)
    )
    if not held:
        return None
    return max(held, key=lambda h: rules.rank(h.position, h.unit.kind))
