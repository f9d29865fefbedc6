"""Reads on targets: the indicators of the rule set, the check of a target that the service
and the import ask before they write, the targets a user may see, and those the statistics of
a unit report against."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any, NoReturn

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cadrebook.cadres.planning_selectors import confidence_cap
from cadrebook.core.contributions import statistics_counts
from cadrebook.core.dates import MAX_YEAR, MIN_YEAR, check_plausible
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.numbers import percent
from cadrebook.core.permissions import VIEW
from cadrebook.core.rules import Ruleset, current_ruleset, load_ruleset
from cadrebook.core.scoping import PATH_END
from cadrebook.evaluations.choices import (
    LEVEL_ORDER,
    Exclusion,
    Framework,
    Level,
    ModelStep,
    SubjectKind,
)

# The figures (counts by level, quota, form 7) live in `figures.py`; named here too.
from cadrebook.evaluations.figures import level_counts as level_counts
from cadrebook.evaluations.figures import rating_quota as rating_quota
from cadrebook.evaluations.figures import statistics_evaluation as statistics_evaluation
from cadrebook.evaluations.models import (
    Decision,
    ModelRecord,
    OutstandingUnit,
    Proposal,
    Rating,
    Round,
    RoundStateCount,
    SelfAssessment,
    Subject,
    Target,
)
from cadrebook.evaluations.rules import (
    DECIDER_GRASSROOTS,
    ENFORCE_REFUSE,
    Disqualifier,
    EvaluationRules,
    evaluation_rules,
)
from cadrebook.inspections.selectors import discipline_facts
from cadrebook.members.selectors import periods_as_of
from cadrebook.orgs.models import OrgUnit, UnitPlacement
from cadrebook.orgs.placements import ancestors_on, depth_on, load_spans, span_on

# The largest count a target may hold: what every database stores in the column.
MAX_TARGET = 2_147_483_647


def target_indicators() -> dict[str, str]:
    """Indicator code -> the event type whose count is the actual, from the rule set."""
    return dict(current_ruleset().value("targets.indicators"))


def target_check(*, year: int, indicator: str, target: int) -> None:
    """Refuse a target the rule set does not know or that cannot be a count."""
    indicators = target_indicators()
    if indicator not in indicators:
        raise current_ruleset().violation(
            "targets",
            "target.indicator_unknown",
            _("%(i)s is not an indicator of the rule set; known: %(known)s.")
            % {"i": indicator, "known": ", ".join(sorted(indicators))},
            field="indicator",
        )
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ServiceError(
            "target.bad_year",
            _("The year %(y)s is not between %(a)d and %(b)d.")
            % {"y": year, "a": MIN_YEAR, "b": MAX_YEAR},
            field="year",
        )
    if target < 0:
        raise ServiceError("target.negative", _("A target cannot be negative."), field="target")
    if target > MAX_TARGET:
        raise ServiceError(
            "target.too_large",
            _("A target cannot be more than %(max)s.") % {"max": MAX_TARGET},
            field="target",
        )


def visible_targets(user: Any, *, year: int | None = None) -> QuerySet[Target]:
    """The targets of the units in `user`'s scope (of `year` when given), by year, unit and
    indicator, with their unit."""
    targets: QuerySet[Target] = Target.objects.visible_to(user, VIEW).select_related("unit")
    if year is not None:
        targets = targets.filter(year=year)
    return targets.order_by("-year", "unit__path", "indicator")


def unit_targets(unit: OrgUnit, *, year: int | None = None) -> QuerySet[Target]:
    """The targets of `unit` and of the units directly below it (of `year` when given), by
    year, unit and indicator: what the unit's officers follow, as the statistics break it
    down."""
    targets: QuerySet[Target] = Target.objects.filter(
        unit__path__gte=unit.path,
        unit__path__lt=unit.path + PATH_END,
        unit__depth__lte=unit.depth + 1,
    ).select_related("unit")
    if year is not None:
        targets = targets.filter(year=year)
    return targets.order_by("-year", "unit__path", "indicator")


def statistics_targets(
    parent: OrgUnit, first_year: int, last_year: int, children: bool
) -> list[Target]:
    """The targets of `parent` (and of the units that stood directly under it at some time in
    those years, as the tree stood: a unit moved away since is still a child for the years
    it stood there) from `first_year` to `last_year`; the children by their placements, a
    subquery: no list of thousands of ids."""
    targets = Target.objects.filter(year__gte=first_year, year__lte=last_year)
    if children:
        placed = (
            UnitPlacement.objects.filter(parent=parent)
            .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=dt.date(last_year, 12, 31)))
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=dt.date(first_year, 1, 1)))
            .values("unit_id")
        )
        targets = targets.filter(Q(unit=parent) | Q(unit_id__in=placed))
    else:
        targets = targets.filter(unit=parent)
    return list(targets.order_by("year", "indicator"))


def target_progress(targets: list[Target], *, below: OrgUnit | None = None) -> list[dict[str, Any]]:
    """Each target with what its unit's subtree achieved over the year (the count the
    statistics give, through `core.contributions`) and the achievement in %; achieved is
    None where no statistics are installed. With `below` (the targets of that unit and of
    the units directly under it), the counts are read as the unit's statistics break them
    down: one read per year, the same figures as its statistics."""
    counts = statistics_counts()
    indicators = target_indicators()
    year_movements: Callable[[Target], dict[str, int]] | None = None
    if counts is not None and below is not None and targets:
        units = list({t.unit_id: t.unit for t in targets}.values())
        years = [t.year for t in targets]
        read = counts.below(below, units, min(years), max(years))

        def year_movements(t: Target) -> dict[str, int]:
            return read(t.unit_id, t.year)

    elif counts is not None:
        known: dict[tuple[int, int], dict[str, int]] = {}

        def year_movements(t: Target) -> dict[str, int]:
            key = (t.unit_id, t.year)
            if key not in known:
                known[key] = counts.year_movements(t.unit, t.year)
            return known[key]

    rows = []
    for target in targets:
        actual: int | None = None
        if counts is not None and year_movements is not None:
            movement = counts.movement_of(indicators.get(target.indicator, target.indicator))
            actual = year_movements(target).get(movement, 0)
        rows.append(
            {
                "target": target,
                "actual": actual,
                "achievement_pct": None if actual is None else percent(actual, target.target),
            }
        )
    return rows


# -- The evaluation ----------------------------------------------------------------------------
# Reads of rounds, subjects and ratings, and the checks the services ask before they write
# (and the import of ratings will ask the same): who decides for a subject, whether a level
# stands with its score and caps, the quota of a deciding unit.


def evaluation_violation(
    rules: EvaluationRules, code: str, message: str, *, source: str = "", field: str | None = None
) -> RuleViolation:
    """A refusal by an evaluation rule, naming the source of the rule (by default the
    section's)."""
    return RuleViolation(code, message, source=source or rules.source, field=field)


def units_on(ids: Iterable[int]) -> dict[int, OrgUnit]:
    return {u.pk: u for u in OrgUnit.objects.filter(pk__in=list(ids))}


def grassroots_of(
    unit: OrgUnit, day: dt.date, rules: EvaluationRules, *, ancestors: tuple[int, ...] = ()
) -> OrgUnit | None:
    """The nearest unit of a grassroots kind at or above `unit`, as the tree stood on `day`."""
    line = ancestors or ancestors_on(unit, day)
    by_id = units_on(line)
    for unit_id in reversed(line):
        found = by_id.get(unit_id)
        if found is not None and found.kind in rules.grassroots_kinds:
            return found
    return None


def parent_on(unit: OrgUnit, day: dt.date) -> OrgUnit | None:
    """The unit directly above `unit` as the tree stood on `day`."""
    line = ancestors_on(unit, day)
    if len(line) < 2:
        return None
    return OrgUnit.objects.filter(pk=line[-2]).first()


def member_decider(
    home: OrgUnit, framework: str, day: dt.date, rules: EvaluationRules
) -> OrgUnit | None:
    """Who decides the level of a member rated in `home` (the rule set's `deciders`)."""
    if rules.framework_deciders[framework] == DECIDER_GRASSROOTS:
        return grassroots_of(home, day, rules)
    return home if home.kind in rules.grassroots_kinds else parent_on(home, day)


def lines_on(unit_ids: Iterable[int], day: dt.date) -> dict[int, tuple[int, ...]]:
    """Unit -> ids of the root .. the unit as the tree stood on `day` (`ancestors_on` for many
    units: a query per 900 of them)."""
    ids = sorted(set(unit_ids))
    spans = load_spans(ids)
    out: dict[int, tuple[int, ...]] = {}
    for unit_id in ids:
        span = span_on(spans.get(unit_id, ()), day)
        if span is not None:
            out[unit_id] = span.ancestors
        else:  # no placement on that day (none recorded): the tree as it stands
            out[unit_id] = tuple(OrgUnit.objects.get(pk=unit_id).ancestor_ids())
    return out


def unit_kinds(unit_ids: Iterable[int], known: dict[int, str]) -> dict[int, str]:
    """`known` (unit -> kind) completed with the kinds of `unit_ids` it does not hold yet: a
    query per 900 units; the caller keeps `known` across calls."""
    missing = sorted(set(unit_ids) - known.keys())
    for i in range(0, len(missing), 900):  # SQLite's parameter limit
        known.update(OrgUnit.objects.filter(pk__in=missing[i : i + 900]).values_list("id", "kind"))
    return known


def member_deciders(
    home_ids: Iterable[int],
    framework: str,
    day: dt.date,
    rules: EvaluationRules,
    *,
    kinds: dict[int, str] | None = None,
) -> dict[int, int | None]:
    """Home -> the id of the unit that decides the level of a member rated there (None when
    none does): `member_decider` for many homes at once, a few queries per 900 homes.
    `kinds` (unit -> kind) is a cache the caller may keep across calls."""
    kinds = {} if kinds is None else kinds
    lines = lines_on(home_ids, day)
    unit_kinds({u for line in lines.values() for u in line} | set(lines), kinds)
    grassroots = rules.grassroots_kinds
    out: dict[int, int | None] = {}
    for home_id, line in lines.items():
        if rules.framework_deciders[framework] == DECIDER_GRASSROOTS:
            out[home_id] = next((u for u in reversed(line) if kinds.get(u) in grassroots), None)
        elif kinds.get(home_id) in grassroots:
            out[home_id] = home_id
        else:
            out[home_id] = line[-2] if len(line) >= 2 else None
    return out


def opening_periods(unit: OrgUnit, day: dt.date) -> Any:
    """The member periods a round of `unit` opened with reference date `day` lists: those in
    force on `day` in the subtree as it stood then."""
    return periods_as_of(day).filter(**{f"anc{depth_on(unit, day)}_id": unit.pk})


def opening_units(unit: OrgUnit, day: dt.date, rules: EvaluationRules) -> Any:
    """The units a round of `unit` with reference date `day` rates: the units below it,
    active on `day`, of a kind the rule set rates; in the order of their paths."""
    return (
        OrgUnit.objects.all()
        .active_on(day)
        .filter(path__gt=unit.path, path__lt=unit.path + PATH_END)
        .filter(kind__in=sorted(rules.unit_deciders))
        .order_by("path")
    )


def opening_counts(unit: OrgUnit, day: dt.date, rules: EvaluationRules) -> dict[str, int]:
    """How many subjects a round of `unit` with reference date `day` would list, as its
    opening counts them (`members` rated, the members not rated per reason, `units`): two
    aggregate queries, nothing read row by row. Every unit below `unit` has a unit above it,
    so each one `opening_units` gives is listed."""
    cutoff = rules.admitted_cutoff(day)
    recent = Q(exempt=False, member__admitted_on__gt=cutoff)
    found = (
        opening_periods(unit, day)
        .order_by()
        .aggregate(
            n_all=Count("id"),
            n_exempt=Count("id", filter=Q(exempt=True)),
            n_recent=Count("id", filter=recent),
        )
    )
    counts = {"members": 0, "units": 0} | {reason: 0 for reason in Exclusion.values}
    counts[Exclusion.EXEMPT] = int(found["n_exempt"] or 0)
    counts[Exclusion.RECENTLY_ADMITTED] = int(found["n_recent"] or 0)
    counts["members"] = (
        int(found["n_all"] or 0) - counts[Exclusion.EXEMPT] - counts[Exclusion.RECENTLY_ADMITTED]
    )
    counts["units"] = opening_units(unit, day, rules).count()
    return counts


def check_timetable(
    rules: EvaluationRules, reference: dt.date, d1: dt.date, d2: dt.date, d3: dt.date
) -> None:
    for name, day in (
        ("reference_date", reference),
        ("self_assessment_until", d1),
        ("proposals_until", d2),
        ("decisions_until", d3),
    ):
        check_plausible(day, field=name)
    if not d1 <= d2 <= d3:
        raise ServiceError(
            "evaluation.timetable_order",
            _(
                "The timetable runs self-assessment (%(d1)s), then the cells' proposals "
                "(%(d2)s), then the decisions (%(d3)s): each no earlier than the one before."
            )
            % {"d1": d1, "d2": d2, "d3": d3},
            field="proposals_until" if d2 < d1 else "decisions_until",
        )


# How many cells the preview works out the deciders of at a time.
HOME_CHUNK = 20_000


def check_opening(
    *,
    unit: OrgUnit,
    kind: str,
    year: int,
    reference_date: dt.date,
    self_assessment_until: dt.date,
    proposals_until: dt.date,
    decisions_until: dt.date,
) -> EvaluationRules:
    """The checks of opening a round before it writes (the kind, the timetable, the year,
    the opener), which its preview asks too; the rule set's evaluation rules."""
    rules = evaluation_rules()
    round_kind = rules.round_kind(kind)
    if round_kind is None:
        raise evaluation_violation(
            rules,
            "evaluation.round_kind_unknown",
            _("%(kind)s is not a kind of round of the rule set; known: %(known)s.")
            % {"kind": kind, "known": ", ".join(k.code for k in rules.round_kinds)},
            field="kind",
        )
    check_timetable(rules, reference_date, self_assessment_until, proposals_until, decisions_until)
    if reference_date.year != year:
        raise ServiceError(
            "evaluation.reference_outside_year",
            _("The reference date %(date)s is not in %(year)s, the year evaluated.")
            % {"date": reference_date, "year": year},
            field="reference_date",
        )
    if not unit.is_active_on(reference_date):
        raise ServiceError(
            "unit.not_active",
            _("%(unit)s is not active on %(date)s.") % {"unit": unit, "date": reference_date},
            field="unit",
        )
    line = ancestors_on(unit, reference_date)
    grassroots = grassroots_of(unit, reference_date, rules, ancestors=line)
    if grassroots is not None and grassroots.pk != unit.pk:
        raise evaluation_violation(
            rules,
            "evaluation.opener_below_decider",
            _(
                "%(unit)s stands below %(decider)s, which decides its members' levels: the "
                "round is opened by %(decider)s or a committee above it."
            )
            % {"unit": unit, "decider": grassroots},
            source=rules.deciders_source,
            field="unit",
        )
    return rules


def check_no_overlap(unit: OrgUnit, kind: str, year: int, *, lock: bool) -> None:
    """Refuse a round of the same kind and year over part of `unit`'s subtree."""
    rounds = Round.objects.select_for_update() if lock else Round.objects.all()
    overlapping = (
        rounds.filter(kind=kind, year=year)
        .filter(
            Q(unit__path__gte=unit.path, unit__path__lt=unit.path + PATH_END)
            | Q(unit__path__in=unit.ancestor_paths())
        )
        .select_related("unit")
        .first()
    )
    if overlapping is not None:
        values = {
            "unit": overlapping.unit,
            "kind": evaluation_rules().round_kind_label(kind),
            "year": year,
        }
        if overlapping.unit.path <= unit.path:  # opened at `unit` or above it: all of it
            message = _(
                "%(unit)s already runs the round “%(kind)s” of %(year)s over this whole subtree."
            )
        else:
            message = _(
                "%(unit)s already runs the round “%(kind)s” of %(year)s over part of this subtree."
            )
        raise ServiceError("evaluation.round_overlaps", message % values, field="unit")


def no_decider(rules: EvaluationRules, home_id: int) -> NoReturn:
    raise evaluation_violation(
        rules,
        "evaluation.no_decider",
        _("No unit above %(unit)s decides its members' levels.")
        % {"unit": OrgUnit.objects.get(pk=home_id)},
        source=rules.deciders_source,
        field="unit",
    )


def opening_preview(
    *,
    unit: OrgUnit,
    kind: str,
    year: int,
    reference_date: dt.date,
    self_assessment_until: dt.date,
    proposals_until: dt.date,
    decisions_until: dt.date,
) -> dict[str, int]:
    """What opening the round (`services.round_open`) would do with these answers, writing
    nothing: the same refusals, and the counts it would list (`opening_counts`, counted by
    the database) with `total` and `excluded` (those not rated, each with its reason). The
    deciding unit of every cell of the subtree is worked out, as the opening does, so a
    cell without one is refused here too. The opening page shows it before the round is
    opened; a round is not opened and rolled back for it."""
    rules = check_opening(
        unit=unit,
        kind=kind,
        year=year,
        reference_date=reference_date,
        self_assessment_until=self_assessment_until,
        proposals_until=proposals_until,
        decisions_until=decisions_until,
    )
    check_no_overlap(unit, kind, year, lock=False)
    day = reference_date
    homes = (
        opening_periods(unit, day).order_by("unit_id").values_list("unit_id", flat=True).distinct()
    )
    kinds: dict[int, str] = {}
    after = 0
    while True:
        chunk = list(homes.filter(unit_id__gt=after)[:HOME_CHUNK])
        if not chunk:
            break
        after = chunk[-1]
        deciders = member_deciders(chunk, Framework.MEMBER, day, rules, kinds=kinds)
        for home_id in chunk:
            if deciders[home_id] is None:
                no_decider(rules, home_id)
    counts = opening_counts(unit, day, rules)
    excluded = sum(counts[reason] for reason in Exclusion.values)
    return counts | {
        "total": counts["members"] + counts["units"] + excluded,
        "excluded": excluded,
    }


SCORE_STEP = Decimal("0.01")  # the scores' stored precision (two decimals)


def check_score(rules: EvaluationRules, score: Decimal, *, field: str = "score") -> Decimal:
    """A score on the framework's scale, 0 to the rule set's `score_max`."""
    try:
        value = Decimal(str(score))
    except (ArithmeticError, ValueError):
        value = Decimal("NaN")
    if not value.is_finite() or value < 0 or value > rules.score_max:
        raise evaluation_violation(
            rules,
            "evaluation.score_out_of_range",
            _("A score is between 0 and %(max)s; %(score)s is not.")
            % {"max": rules.score_max, "score": score},
            field=field,
        )
    rounded = value.quantize(SCORE_STEP)
    if rounded != value:
        # Kept with two decimals: rounding a longer one could lift it over a threshold
        # (89.999 stored as 90.00, "excellent"). As the forms and the API's scores refuse it.
        raise evaluation_violation(
            rules,
            "evaluation.score_decimals",
            _("A score has at most two decimals; %(score)s has more.") % {"score": score},
            field=field,
        )
    return rounded


def check_level(rules: EvaluationRules, level: str, *, field: str = "level") -> str:
    if not level:  # an empty cell: say it is missing, not that "" is no level
        raise evaluation_violation(
            rules,
            "evaluation.level_missing",
            _("Write the level; the levels are %(known)s.") % {"known": ", ".join(LEVEL_ORDER)},
            field=field,
        )
    if level not in LEVEL_ORDER:
        raise evaluation_violation(
            rules,
            "evaluation.level_unknown",
            _("%(level)s is not a level; the levels are %(known)s.")
            % {"level": level, "known": ", ".join(LEVEL_ORDER)},
            field=field,
        )
    return level


def check_scores(rules: EvaluationRules, framework: str, scores: dict[str, Any]) -> Decimal:
    """The scores of a self-assessment: one per criteria group of the framework, each from 0
    to the group's points; their total."""
    groups = rules.frameworks[framework]
    unknown = set(scores) - {g.code for g in groups.groups}
    if unknown:
        raise evaluation_violation(
            rules,
            "evaluation.group_unknown",
            _("%(groups)s: not criteria groups of this framework; its groups are %(known)s.")
            % {
                "groups": ", ".join(sorted(unknown)),
                "known": ", ".join(g.code for g in groups.groups),
            },
            source=groups.source,
            field="scores",
        )
    total = Decimal(0)
    for group in groups.groups:
        if group.code not in scores:
            raise evaluation_violation(
                rules,
                "evaluation.group_missing",
                _("Give the score of the criteria group %(group)s.")
                % {"group": group.display_label},
                source=groups.source,
                field="scores",
            )
        value = check_score(rules, scores[group.code], field="scores")
        if value > group.points:
            raise evaluation_violation(
                rules,
                "evaluation.group_over",
                _("The criteria group %(group)s has %(max)s points; %(score)s is more.")
                % {"group": group.display_label, "max": group.points, "score": value},
                source=groups.source,
                field="scores",
            )
        total += value
    return total


@dataclass(frozen=True)
class Cap:
    """A limit on a subject's level: a disqualifier of the framework, or the link between an
    organization and its members; with what it says and where the rule comes from."""

    code: str
    label: str
    cap: str
    source: str
    # Set by the subject's discipline records of the year, not ticked by hand.
    from_discipline: bool = False
    # Set by another record's fact of the year (`from_fact`: the confidence votes).
    from_fact: bool = False


def disqualifier_caps(rules: EvaluationRules, framework: str, codes: Iterable[str]) -> list[Cap]:
    """The caps of the disqualifiers `codes` (refusing one the framework does not list)."""
    caps = []
    for code in codes:
        found = rules.disqualifier(framework, code)
        if found is None:
            known = ", ".join(d.code for d in rules.disqualifiers[framework])
            raise evaluation_violation(
                rules,
                "evaluation.disqualifier_unknown",
                _("%(code)s is not a disqualifier of this framework; known: %(known)s.")
                % {"code": code, "known": known or "-"},
                source=rules.disqualifiers_source,
                field="disqualifiers",
            )
        caps.append(Cap(found.code, found.display_label, found.cap, found.source))
    return caps


def discipline_disqualifiers(rules: EvaluationRules, subject: Subject) -> list[Disqualifier]:
    """The disqualifiers of the subject's framework that its discipline records of the
    round's year set by themselves (the rule set's `from_discipline`: disciplined at all, or
    at reprimand or above for a violation in performing duties), from the inspections'
    `discipline_facts`. The deciding unit cannot untick them; it may still record an
    override reason (force majeure, self-remedied) as for any cap."""
    wanted = [d for d in rules.disqualifiers.get(subject.framework, ()) if d.from_discipline]
    if not wanted:
        return []
    year = subject.round.year
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    if subject.kind == SubjectKind.MEMBER:
        facts = discipline_facts(member=subject.member, start=start, end=end)
    else:
        facts = discipline_facts(unit=subject.unit, start=start, end=end)
    found = {
        "disciplined": facts.disciplined,
        "reprimand_or_above_duty": facts.reprimand_or_above_for_duty,
    }
    return [d for d in wanted if found[d.from_discipline]]


def fact_disqualifiers(rules: EvaluationRules, subject: Subject) -> list[Disqualifier]:
    """The disqualifiers of the subject's framework that another record's fact of the
    round's year sets by itself (the rule set's `from_fact`): "confidence_low", more than
    the confidence vote rules' share "low" in a valid vote held that year (the cadres'
    `confidence_cap`; a member's only). As with `discipline_disqualifiers`, the deciding
    unit cannot untick them and may still record an override reason."""
    wanted = [d for d in rules.disqualifiers.get(subject.framework, ()) if d.from_fact]
    if not wanted or subject.kind != SubjectKind.MEMBER or subject.member_id is None:
        return []
    found = {"confidence_low": confidence_cap(subject.member_id, subject.round.year) is not None}
    return [d for d in wanted if found[d.from_fact]]


def decision_caps(rules: EvaluationRules, subject: Subject, codes: Iterable[str]) -> list[Cap]:
    """The disqualifiers' caps on a decision: those ticked (`codes`) and those the subject's
    discipline records (marked `from_discipline`) or other records (the confidence votes,
    marked `from_fact`) of the year set by themselves, with the rule set's source, whether
    ticked or not."""
    caps = disqualifier_caps(rules, subject.framework, codes)
    ticked = {c.code for c in caps}
    caps += [
        Cap(d.code, d.display_label, d.cap, d.source, from_discipline=True)
        for d in discipline_disqualifiers(rules, subject)
        if d.code not in ticked
    ]
    ticked = {c.code for c in caps}
    return caps + [
        Cap(d.code, d.display_label, d.cap, d.source, from_fact=True)
        for d in fact_disqualifiers(rules, subject)
        if d.code not in ticked
    ]


def link_caps(rules: EvaluationRules, member_levels: list[str]) -> list[Cap]:
    """The caps the rule set's links put on an organization whose rated members stand at
    `member_levels` (decided, else proposed): more than a share "not completed"."""
    return link_caps_counted(rules, member_levels.count(Level.NOT_COMPLETED), len(member_levels))


def link_caps_counted(rules: EvaluationRules, failing: int, leveled: int) -> list[Cap]:
    """`link_caps` from the counts: `failing` "not completed" of `leveled` members with a
    level."""
    if not leveled:
        return []
    share = Fraction(failing, leveled)
    return [
        Cap(
            "members_not_completed",
            _("More than %(share)s of its members did not complete their duties")
            % {"share": f"{link.share}"},
            link.cap,
            rules.links_source,
        )
        for link in rules.link_caps
        if share > link.share
    ]


def member_levels_by_subtree(round_: Round) -> dict[str, tuple[int, int]]:
    """Unit path -> (members "not completed", members with a level) among the round's rated
    members homed in that unit's subtree, their level decided, else proposed: one aggregate
    query per home, rolled up to every unit above the homes by their paths (as many entries
    as units, however many members)."""
    members = with_state(
        Subject.objects.filter(round=round_, kind=SubjectKind.MEMBER, excluded="")
    ).annotate(level=Coalesce("decided_level", "proposed_level"))
    rows = (
        members.order_by()
        .values("home__path")
        .annotate(
            failing=Count("id", filter=Q(level=Level.NOT_COMPLETED)),
            leveled=Count("id", filter=Q(level__isnull=False)),
        )
        .values_list("home__path", "failing", "leveled")
    )
    step = OrgUnit.steplen
    out: dict[str, tuple[int, int]] = {}
    for path, failing, leveled in rows.iterator():
        for end in range(step, len(path) + 1, step):
            before = out.get(path[:end], (0, 0))
            out[path[:end]] = (before[0] + failing, before[1] + leveled)
    return out


def expected_level(rules: EvaluationRules, score: Decimal, caps: list[Cap]) -> str:
    """The level the score earns, lowered to the strictest cap."""
    rank = LEVEL_ORDER.index(rules.level_of(score))
    for cap in caps:
        rank = max(rank, LEVEL_ORDER.index(cap.cap))
    return LEVEL_ORDER[rank]


def check_level_stands(
    rules: EvaluationRules,
    *,
    level: str,
    score: Decimal,
    caps: list[Cap],
    override_reason: str,
    override_text: str,
) -> None:
    """Refuse a level that is not the one the score and the caps give, unless the deciding
    level records one of the rule set's reasons (force majeure, self-remedied) and its text."""
    if override_reason and override_reason not in {r.code for r in rules.override_reasons}:
        raise evaluation_violation(
            rules,
            "evaluation.reason_unknown",
            _("%(reason)s is not a reason the rule set allows; known: %(known)s.")
            % {
                "reason": override_reason,
                "known": ", ".join(r.code for r in rules.override_reasons),
            },
            source=rules.disqualifiers_source,
            field="override_reason",
        )
    expected = expected_level(rules, score, caps)
    if level == expected or (override_reason and override_text.strip()):
        return
    binding = [c for c in caps if LEVEL_ORDER.index(level) < LEVEL_ORDER.index(c.cap)]
    if binding:
        cap = binding[0]
        raise evaluation_violation(
            rules,
            "evaluation.level_above_cap",
            _(
                "%(what)s: the level can be at most %(cap)s whatever the score, unless the "
                "deciding level records a reason the rule set allows."
            )
            % {"what": cap.label, "cap": rules.level_label(cap.cap)},
            source=cap.source,
            field="level",
        )
    raise _contradicts_score(rules, level=level, score=score, expected=expected)


def _contradicts_score(
    rules: EvaluationRules, *, level: str, score: Decimal, expected: str
) -> RuleViolation:
    return evaluation_violation(
        rules,
        "evaluation.level_contradicts_score",
        _(
            "A score of %(score)s gives %(expected)s, not %(level)s; record the reason the "
            "rule set allows to rate otherwise."
        )
        % {
            "score": score,
            "expected": rules.level_label(expected),
            "level": rules.level_label(level),
        },
        field="level",
    )


def check_level_within_score(rules: EvaluationRules, *, level: str, score: Decimal) -> None:
    """Refuse a proposed level above the one the score earns. A cap can only lower a level,
    and the reasons to rate otherwise are the deciding level's to record (`check_level_stands`),
    so the cell's proposal may name a lower level than its score (a disqualifier it saw) but
    never a higher one."""
    expected = rules.level_of(score)
    if LEVEL_ORDER.index(level) < LEVEL_ORDER.index(expected):
        raise _contradicts_score(rules, level=level, score=score, expected=expected)


# The steps before a decision ----------------------------------------------------------------


def step_names(kind: str, steps: Iterable[str]) -> str:
    """The steps `steps` of a subject of `kind` as a sentence names them ("the
    self-assessment and the cell's proposal")."""
    names = {
        "self_assessment": _("the self-assessment"),
        "proposal": _("the cell's proposal") if kind == SubjectKind.MEMBER else _("the proposal"),
    }
    listed = [names.get(step, step) for step in steps]
    if len(listed) < 2:
        return "".join(listed)
    return _("%(list)s and %(last)s") % {"list": ", ".join(listed[:-1]), "last": listed[-1]}


def missing_steps(rules: EvaluationRules, subject: Subject) -> list[str]:
    """The steps the rule set puts before the subject's decision (`[evaluation.steps]`: for
    a member the self-assessment and the cell's proposal) that are not recorded for it, in
    their order; none for a member not rated (never decided)."""
    if subject.excluded:
        return []
    wanted = rules.steps_required.get(subject.kind, ())
    recorded = {
        "self_assessment": lambda: SelfAssessment.objects.filter(subject=subject).exists(),
        "proposal": lambda: Proposal.objects.filter(subject=subject).exists(),
    }
    return [step for step in wanted if not recorded[step]()]


def check_steps(rules: EvaluationRules, subject: Subject, who: str) -> list[str]:
    """The steps missing before `subject`'s decision (`who`: the subject as the message names
    it); refused (`evaluation.steps_missing`) when the rule set refuses a decision without
    them, else returned for the decision to be recorded marked with them."""
    missing = missing_steps(rules, subject)
    if missing and rules.steps_enforcement == ENFORCE_REFUSE:
        raise evaluation_violation(
            rules,
            "evaluation.steps_missing",
            ngettext(
                "%(subject)s has no record of %(steps)s: the level is decided after it.",
                "%(subject)s has no record of %(steps)s: the level is decided after them.",
                len(missing),
            )
            % {"subject": who, "steps": step_names(subject.kind, missing)},
            source=rules.steps_source,
            field="subject",
        )
    return missing


def round_subject(round_: Round, *, member: Any = None, unit: OrgUnit | None = None) -> Subject:
    """The subject of the round for a member or a unit, as the API and the import name it;
    refused (`evaluation.outside_round`) for one the round does not list: outside its
    subtree on the reference date."""
    subjects = Subject.objects.filter(round=round_).select_related("round", "home", "deciding_unit")
    found = (
        subjects.filter(member=member).first()
        if member is not None
        else subjects.filter(unit=unit).first()
    )
    if found is None:
        rules = evaluation_rules(ruleset_of(round_))
        raise evaluation_violation(
            rules,
            "evaluation.outside_round",
            _("%(who)s is not in the round of %(unit)s: outside its subtree on %(date)s.")
            % {
                "who": member if member is not None else unit,
                "unit": round_.unit,
                "date": round_.reference_date,
            },
            field="subject",
        )
    return found


def latest_decisions(subjects: QuerySet[Subject]) -> QuerySet[Decision]:
    """The latest decision of each of `subjects` (the ones that count)."""
    newest = Decision.objects.filter(subject=OuterRef("subject")).order_by("-id").values("id")[:1]
    return Decision.objects.filter(subject__in=subjects, id=Subquery(newest))


def with_state(subjects: QuerySet[Subject]) -> Any:
    """`subjects` annotated with their latest self-assessed score, proposed level and decided
    level (None where there is none) and whether they were self-assessed."""
    assessed = SelfAssessment.objects.filter(subject=OuterRef("pk")).order_by("-id")
    proposed = Proposal.objects.filter(subject=OuterRef("pk")).order_by("-id")
    decided = Decision.objects.filter(subject=OuterRef("pk")).order_by("-id")
    return subjects.annotate(
        assessed_score=Subquery(assessed.values("score")[:1]),
        proposed_level=Subquery(proposed.values("level")[:1]),
        decided_level=Subquery(decided.values("level")[:1]),
        decided_over_quota=Subquery(decided.values("over_quota")[:1]),
    )


# The states live in `choices` (the model reads them); named here too.
from cadrebook.evaluations.choices import STATE_AWAITING_DECISION as STATE_AWAITING_DECISION  # noqa: E402
from cadrebook.evaluations.choices import STATE_DECIDED as STATE_DECIDED  # noqa: E402
from cadrebook.evaluations.choices import STATE_EXCLUDED as STATE_EXCLUDED  # noqa: E402
from cadrebook.evaluations.choices import STATE_NO_PROPOSAL as STATE_NO_PROPOSAL  # noqa: E402
from cadrebook.evaluations.choices import STATE_NOT_ASSESSED as STATE_NOT_ASSESSED  # noqa: E402
from cadrebook.evaluations.choices import STATES as STATES  # noqa: E402


def subject_state(subject: Any) -> str:
    """Where an annotated subject (`with_state`) stands, worked out from its records: the
    definition of the stored `Subject.state`. A decision counts whatever came before it; a
    proposal without a self-assessment still awaits the decision (the cell may propose for a
    member who did not assess)."""
    if subject.excluded:
        return STATE_EXCLUDED
    if subject.decided_level:
        return STATE_DECIDED
    if subject.proposed_level:
        return STATE_AWAITING_DECISION
    if subject.assessed_score is None:
        return STATE_NOT_ASSESSED
    return STATE_NO_PROPOSAL


def computed_state_filters() -> dict[str, Q]:
    """State -> the filter of subjects annotated by `with_state` that stand there, worked out
    from their records (what `Subject.state` caches; the tests check one against the
    other)."""
    return {
        STATE_EXCLUDED: ~Q(excluded=""),
        STATE_DECIDED: Q(excluded="", decided_level__isnull=False),
        STATE_AWAITING_DECISION: Q(
            excluded="", decided_level__isnull=True, proposed_level__isnull=False
        ),
        STATE_NO_PROPOSAL: Q(
            excluded="",
            decided_level__isnull=True,
            proposed_level__isnull=True,
            assessed_score__isnull=False,
        ),
        STATE_NOT_ASSESSED: Q(
            excluded="",
            decided_level__isnull=True,
            proposed_level__isnull=True,
            assessed_score__isnull=True,
        ),
    }


def round_subjects(round_: Round, *, under: OrgUnit | None = None, state: str | None = None) -> Any:
    """The round's subjects (rated in `under`'s subtree when given), annotated with their
    latest steps (`with_state`), in the order of their unit and name; `state` keeps one
    worklist: `not_assessed`, `no_proposal`, `awaiting_decision`, `decided`, `excluded` (with
    the reason: never left out). The worklist filters on the stored state (the index of the
    round, state and home): the annotations are read for the rows shown only."""
    subjects = Subject.objects.filter(round=round_)
    if under is not None:
        subjects = subjects.filter(home__path__gte=under.path, home__path__lt=under.path + PATH_END)
    if state is not None:
        subjects = subjects.filter(state=state)
    subjects = with_state(subjects).select_related("member", "unit", "home", "deciding_unit")
    return subjects.order_by("home__path", "kind", "member__name_norm", "id")


def late_counts(round_: Round, *, under: OrgUnit | None = None) -> dict[str, int]:
    """How many self-assessments, proposals and decisions of the round (rated in `under`'s
    subtree) were recorded after their deadline (the rule set warned)."""
    subjects = Subject.objects.filter(round=round_)
    if under is not None:
        subjects = subjects.filter(home__path__gte=under.path, home__path__lt=under.path + PATH_END)
    ids = subjects.values("pk")
    return {
        "self_assessment": SelfAssessment.objects.filter(subject__in=ids, late=True).count(),
        "proposal": Proposal.objects.filter(subject__in=ids, late=True).count(),
        "decision": Decision.objects.filter(subject__in=ids, late=True).count(),
    }


def round_progress(round_: Round, *, under: OrgUnit | None = None) -> dict[str, int]:
    """How many subjects of the round (rated in `under`'s subtree) stand at each state, and
    in all: one query. The whole round reads its counts per state (`RoundStateCount`, five
    rows whatever its size); a subtree groups its subjects' stored states."""
    # In the order the page lists them.
    counts = dict.fromkeys(computed_state_filters(), 0)
    found: Iterable[tuple[str, int]]
    if under is None:
        found = RoundStateCount.objects.filter(round=round_).values_list("state", "n")
    else:
        found = (
            Subject.objects.filter(
                round=round_, home__path__gte=under.path, home__path__lt=under.path + PATH_END
            )
            .order_by()
            .values_list("state")
            .annotate(n=Count("id"))
        )
    for state, n in found:
        counts[state] = int(n)
    return {"total": sum(counts.values())} | counts


@dataclass(frozen=True)
class QuotaRow:
    """The quota of one deciding unit (a grassroots organization) and group of similar roles:
    how many are rated excellent and good, how many excellent the rule set allows, and by how
    many the excellent go over it (0 when within)."""

    unit: OrgUnit
    role_group: str
    excellent: int
    good: int
    allowed: int
    outstanding: bool

    @property
    def over(self) -> int:
        return max(self.excellent - self.allowed, 0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "unit": self.unit.code,
            "role_group": self.role_group,
            "excellent": self.excellent,
            "good": self.good,
            "allowed": self.allowed,
            "over": self.over,
        }


def quota_counts(
    round_: Round, deciding_unit: OrgUnit, role_group: str, *, leave_out: int | None = None
) -> tuple[int, int]:
    """(excellent, good) among the latest decisions of the round's subjects of that deciding
    unit and group of similar roles, `leave_out` (a subject being decided) left out."""
    subjects = Subject.objects.filter(
        round=round_, deciding_unit=deciding_unit, role_group=role_group, excluded=""
    )
    if leave_out is not None:
        subjects = subjects.exclude(pk=leave_out)
    counts = latest_decisions(subjects).aggregate(
        excellent=Count("id", filter=Q(level=Level.EXCELLENT)),
        good=Count("id", filter=Q(level=Level.GOOD)),
    )
    return int(counts["excellent"]), int(counts["good"])


def is_outstanding(round_: Round, unit: OrgUnit) -> bool:
    return OutstandingUnit.objects.filter(round=round_, unit=unit).exists()


def quota_status(round_: Round, *, under: OrgUnit | None = None) -> list[QuotaRow]:
    """The quota of every deciding unit (in `under`'s subtree when given) and group of similar
    roles of the round the quota applies to, from the latest decisions: what the decision
    screen shows as the committee works."""
    rules = evaluation_rules(ruleset_of(round_))
    subjects = Subject.objects.filter(
        round=round_, excluded="", framework__in=sorted(rules.quota_frameworks)
    )
    if under is not None:
        subjects = subjects.filter(
            deciding_unit__path__gte=under.path, deciding_unit__path__lt=under.path + PATH_END
        )
    rows = (
        latest_decisions(subjects)
        .values("subject__deciding_unit", "subject__role_group")
        .annotate(
            excellent=Count("id", filter=Q(level=Level.EXCELLENT)),
            good=Count("id", filter=Q(level=Level.GOOD)),
        )
        .order_by()
    )
    found = list(rows)
    units = units_on(r["subject__deciding_unit"] for r in found)
    marked = set(OutstandingUnit.objects.filter(round=round_).values_list("unit_id", flat=True))
    out = []
    for r in found:
        unit_id = r["subject__deciding_unit"]
        outstanding = unit_id in marked
        out.append(
            QuotaRow(
                unit=units[unit_id],
                role_group=r["subject__role_group"],
                excellent=r["excellent"],
                good=r["good"],
                allowed=rules.allowed_excellent(r["good"], outstanding=outstanding),
                outstanding=outstanding,
            )
        )
    return sorted(out, key=lambda q: (q.unit.path, q.role_group))


def ruleset_of(round_: Round) -> Ruleset:
    """The rule set a round is run under: the one in force when it opened (a later rule set
    does not change the rules of a round under way), or the one in force if that one is gone."""
    try:
        return load_ruleset(round_.ruleset)
    except LookupError:
        return current_ruleset()


def visible_rounds(user: Any, *, year: int | None = None) -> QuerySet[Round]:
    """The rounds opened by units in `user`'s scope (of `year` when given), newest first."""
    rounds: QuerySet[Round] = Round.objects.visible_to(user, VIEW).select_related("unit")
    if year is not None:
        rounds = rounds.filter(year=year)
    return rounds.order_by("-year", "unit__path", "kind", "-id")


# Ratings ----------------------------------------------------------------------------------


def legacy_level(subject_kind: str, label: str, rules: EvaluationRules | None = None) -> str | None:
    """The level the rule set maps a legacy label (TSVM, HTT, ... for units; the members'
    labels) to; None when the label is not one of them."""
    rules = rules or evaluation_rules()
    table = rules.legacy_units if subject_kind == SubjectKind.UNIT else rules.legacy_members
    found = table.get(label)
    return found.level if found else None


def rating_history(*, member: Any = None, unit: OrgUnit | None = None) -> list[dict[str, Any]]:
    """The ratings of a member or a unit, every year, newest first: level, original label,
    score, source, document; and how many years running it was rated excellent up to each
    year (a candidate for the honour when it reaches the rule set's `honour_years_running`)."""
    rules = evaluation_rules()
    ratings = (
        Rating.objects.filter(member=member)
        if member is not None
        else Rating.objects.filter(unit=unit)
    )
    rows = list(ratings.select_related("document", "rated_in").order_by("year"))
    out = []
    running = 0
    previous_year: int | None = None
    for rating in rows:
        if rating.level != Level.EXCELLENT:
            running = 0
        elif running and previous_year is not None and rating.year == previous_year + 1:
            running += 1
        else:
            running = 1  # the first, or after a year without a rating
        previous_year = rating.year
        out.append(
            {
                "rating": rating,
                "year": rating.year,
                "level": rating.level,
                "label": rating.label,
                "excellent_running": running,
                "honour_candidate": running >= rules.honour_years_running,
            }
        )
    return list(reversed(out))


def honour_candidate(*, member: Any = None, unit: OrgUnit | None = None, year: int) -> bool:
    """Whether the subject was rated excellent `honour_years_running` years running up to
    `year` (the honour of the level above)."""
    rules = evaluation_rules()
    first = year - rules.honour_years_running + 1
    ratings = Rating.objects.filter(year__gte=first, year__lte=year, level=Level.EXCELLENT)
    ratings = ratings.filter(member=member) if member is not None else ratings.filter(unit=unit)
    return ratings.count() == rules.honour_years_running


def model_records(unit: OrgUnit, year: int) -> dict[str, dict[str, int]]:
    """Per model kind of the rule set, how many units of `unit`'s subtree registered for the
    year and how many were recognized ("11/11 organizations registered")."""
    rules = evaluation_rules()
    rows = (
        ModelRecord.objects.filter(
            year=year, unit__path__gte=unit.path, unit__path__lt=unit.path + PATH_END
        )
        .values("kind", "step")
        .annotate(n=Count("id"))
        .order_by()
    )
    out = {k.code: {step: 0 for step in ModelStep.values} for k in rules.model_kinds}
    for row in rows:
        out.setdefault(row["kind"], {step: 0 for step in ModelStep.values})[row["step"]] = row["n"]
    return out
