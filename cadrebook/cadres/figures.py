"""The figure `cadres` of the statistics (`contributions.py` puts it in the statistics, the
dashboard and the report), for any subtree and period, for a unit and each of its subordinate
units as the statistics ask. The posts are counted by their unit as it stands now
(`unit__path`, as the app scopes them).

On the period's end (`as_of`, the statistics' day):

- `posts`, `people`: the holdings running that day (begun, not ended before it) of units
  inside the subtree, and the distinct people holding them;
- `by_position`: the posts by position (the rule set's `[cadres] positions`);
- `by_level`: by the level of the post's unit (`[cadres] kind_levels`: province 4, commune
  3, grassroots 2, cell 1), `posts` and distinct `people` (a person holding posts at two
  levels counts at each);
- `by_gender`, `by_age_bracket` (the statistics' brackets, `core/ages.py`, ages in whole
  months as the members' figures count them; `unknown` without a date of birth),
  `by_ethnicity` (`majority`, `minorities` as `[statistics] majority_ethnicity` defines
  them, `unknown`), `by_education`, `by_theory` (the member's record as it is): each person
  once in the subtree, whatever posts they hold;
- `planning`: the people in planning that day for posts of units inside the subtree, each
  once (`people`; `entries`, and `lists`: the posts planned for, a unit's position each),
  by the planning's age brackets (`[planning] age_brackets`, whole years), and the shares
  of women, the young and ethnic minorities against the rule set's targets, shortfalls
  marked (`planning_selectors.structure_from_counts`, the structure report's rule); the
  same per level (`by_level`).

In the period (`date_from`..`date_to`):

- `started`: the holdings begun, by how (elected, appointed, acting, seconded);
- `ended`: the holdings ended (the end's day), by reason;
- `rotations_started`: the rotation stints planned to start, of plans decided by units
  inside the subtree (the rotation's scope);
- `confidence`: the confidence votes held by bodies inside the subtree (`sessions`), the
  people voted on (`results`) and their outcomes by the rule set's shares (`dismissal`,
  `out_of_planning`, `none`).

The counts that add up (posts by position, the period's counts) are one grouped query each
over the scope's units, summed by the path prefix of the deepest unit; the distinct people
are one grouped query per depth of the scope's units (a person under two children is one
person of their parent). Every grouping is by the person's attributes (a person has one of
each), so the distinct counts of the groups add up. The number of queries does not grow
with the number of units or of records.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, Concat, Substr

from cadrebook.cadres.choices import EndReason, HoldingHow
from cadrebook.cadres.models import (
    ConfidenceResult,
    ConfidenceSession,
    PlanningEntry,
    PlanningRemoval,
    PostEnd,
    PostHolding,
    RotationStint,
)
from cadrebook.cadres.planning_rules import PlanningRules, confidence_rules, planning_rules
from cadrebook.cadres.planning_selectors import (
    DISMISSAL,
    OUT_OF_PLANNING,
    Structure,
    structure_from_counts,
)
from cadrebook.cadres.rules import CadreRules, cadre_rules
from cadrebook.core.ages import OPEN_ENDED, age_brackets, latest_birth_date
from cadrebook.core.numbers import percent
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.core.scoping import subtree_q
from cadrebook.members.choices import EducationLevel, Gender, TheoryLevel

CADRES = "cadres"
UNKNOWN = "unknown"
NO_THEORY = "none"
NONE = "none"
MAJORITY = "majority"
MINORITIES = "minorities"


def _owner(prefix: str, units: Sequence[Any]) -> list[Any]:
    """The units of the scope whose subtree holds `prefix`."""
    return [u for u in units if prefix.startswith(u.path)]


def _by_depth(units: Iterable[Any]) -> dict[int, list[Any]]:
    result: dict[int, list[Any]] = defaultdict(list)
    for u in units:
        result[len(u.path)].append(u)
    return result


def _bump(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


# The rows counted on a day -----------------------------------------------------------------
# As `PostHoldingQuerySet.held_on` and `PlanningEntryQuerySet.in_on` select them, written as
# "no end (removal) before the day" (NOT EXISTS): PostgreSQL estimates the outer join's
# "no end, or an end after the day" at a handful of rows and joins the members by a nested
# loop of index scans, one per holding (0.5 s of the country's 0.85 s in bench/cadres_figures.py).


def _held_on(day: dt.date) -> QuerySet[PostHolding]:
    ended = PostEnd.objects.filter(holding=OuterRef("pk"), ended_on__lt=day)
    # A holding voided by a correction never ran (`valid()`).
    return PostHolding.objects.valid().filter(started_on__lte=day).filter(~Exists(ended))


def _planned_on(day: dt.date) -> QuerySet[PlanningEntry]:
    removed = PlanningRemoval.objects.filter(entry=OuterRef("pk"), removed_on__lte=day)
    return PlanningEntry.objects.filter(added_on__lte=day).filter(~Exists(removed))


# The groupings in SQL -----------------------------------------------------------------------


def _level_case(rules: CadreRules, kind_field: str) -> Case:
    """The level of the unit kind in `kind_field` (`[cadres] kind_levels`; 0 for a kind
    the rule set leaves out)."""
    by_level: dict[int, list[str]] = defaultdict(list)
    for kind, level in rules.kind_levels.items():
        by_level[level].append(kind)
    return Case(
        *(When(**{f"{kind_field}__in": kinds}, then=Value(lv)) for lv, kinds in by_level.items()),
        default=Value(0),
        output_field=IntegerField(),
    )


def _age_bracket_case(field: str, on: dt.date, rules: Ruleset) -> Case:
    """The statistics' age bracket (`core/ages.py`) of the birth date in `field` on `on`,
    as the members' figures count it; `unknown` without a date of birth."""
    whens = [When(**{f"{field}__isnull": True}, then=Value(UNKNOWN))]
    for b in age_brackets(rules):
        cond = Q(**{f"{field}__lte": latest_birth_date(on, b.low)})
        if b.high is not None:
            cond &= Q(**{f"{field}__gt": latest_birth_date(on, b.high + 1)})
        whens.append(When(cond, then=Value(b.label)))
    return Case(*whens, default=Value(UNKNOWN), output_field=CharField())


def born_by(day: dt.date, years: int) -> dt.date:
    """The latest date of birth of someone `years` old or more on `day`, in whole years as
    the planning's structure counts them (`planning_selectors._age`)."""
    year = day.year - years
    return dt.date(year, day.month, min(day.day, calendar.monthrange(year, day.month)[1]))


def bracket_labels(r: PlanningRules) -> list[str]:
    """The planning's age brackets as labels: "0-44", "55+" for the open last one."""
    return [f"{lo}+" if hi >= OPEN_ENDED else f"{lo}-{hi}" for lo, hi in r.age_brackets]


def _planning_bracket_case(field: str, on: dt.date, r: PlanningRules) -> Case:
    """The index of the planning's age bracket of the birth date in `field` on `on`; -1 in
    none (no date of birth, or an age outside every bracket)."""
    whens = []
    for i, (lo, hi) in enumerate(r.age_brackets):
        cond = Q(**{f"{field}__lte": born_by(on, lo)})
        if hi < OPEN_ENDED:
            cond &= Q(**{f"{field}__gt": born_by(on, hi + 1)})
        whens.append(When(cond, then=Value(i)))
    return Case(*whens, default=Value(-1), output_field=IntegerField())


def _young_case(field: str, on: dt.date, r: PlanningRules) -> Case:
    return Case(
        When(**{f"{field}__gt": born_by(on, r.young_max_age + 1)}, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def _ethnicity_case(field: str, majority: str) -> Case:
    """`majority`, `minorities`, or `unknown` (no ethnicity recorded: not a minority)."""
    return Case(
        When(**{field: ""}, then=Value(UNKNOWN)),
        When(**{f"{field}__isnull": True}, then=Value(UNKNOWN)),
        When(**{field: majority}, then=Value(MAJORITY)),
        default=Value(MINORITIES),
        output_field=CharField(),
    )


# The empty figure ---------------------------------------------------------------------------


def empty_planning(r: PlanningRules) -> dict[str, Any]:
    empty = structure_from_counts("", 0, 0, (0,) * len(r.age_brackets), 0, 0, rules=r)
    return {**structure_dict(empty, r), "entries": 0, "lists": 0, "by_level": {}}


def empty_figure(rules: Ruleset, cadres: CadreRules, prules: PlanningRules) -> dict[str, Any]:
    return {
        "posts": 0,
        "people": 0,
        "by_position": {p.code: 0 for p in cadres.positions},
        "by_level": {},
        "by_gender": {g: 0 for g in Gender.values},
        "by_age_bracket": {**{b.label: 0 for b in age_brackets(rules)}, UNKNOWN: 0},
        "by_ethnicity": {MAJORITY: 0, MINORITIES: 0, UNKNOWN: 0},
        "by_education": {**dict.fromkeys(EducationLevel.values, 0), UNKNOWN: 0},
        "by_theory": {v or NO_THEORY: 0 for v in reversed(TheoryLevel.values)},
        "planning": empty_planning(prules),
        "started": {h: 0 for h in HoldingHow.values},
        "ended": {r: 0 for r in EndReason.values},
        "rotations_started": 0,
        "confidence": {
            "sessions": 0,
            "results": 0,
            "by_outcome": {DISMISSAL: 0, OUT_OF_PLANNING: 0, NONE: 0},
        },
    }


def structure_dict(s: Structure, r: PlanningRules) -> dict[str, Any]:
    """A planning structure as JSON: the people, the brackets by label (None: masked), each
    target's count, share and target in % (None: none set) and whether it falls short, and
    the shortfalls."""
    labels = bracket_labels(r)
    return {
        "people": s.people,
        "by_age_bracket": None
        if s.brackets is None
        else dict(zip(labels, s.brackets, strict=True)),
        "shares": {
            share.code: {
                "count": share.count,
                "percent": None if share.count is None else percent(share.count, s.people),
                "target_percent": None
                if share.target is None
                else percent(share.target.numerator, share.target.denominator),
                "short": share.short,
            }
            for share in s.shares
        },
        "shortfalls": list(s.shortfalls),
    }


# The figure ---------------------------------------------------------------------------------


def cadre_figures(
    units: Sequence[Any],
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date | None = None,
    ruleset: Ruleset | None = None,
) -> dict[int, dict[str, Any]]:
    """Unit id -> the `cadres` figure of its subtree: on `as_of` (default `date_to`) and over
    `date_from`..`date_to` (see the module's docstring)."""
    rules = ruleset or current_ruleset()
    as_of = as_of or date_to
    cadres, prules = cadre_rules(rules), planning_rules(rules)
    result = {u.pk: empty_figure(rules, cadres, prules) for u in units}
    if not units:
        return result
    paths = {u.path for u in units}
    deepest = max(len(p) for p in paths)
    _posts_by_position(result, units, paths, deepest, as_of)
    _period(result, units, paths, deepest, date_from, date_to)
    planning: dict[int, dict[Any, Any]] = {u.pk: {} for u in units}
    for length, level in _by_depth(units).items():
        _posts_by_level(result, level, length, as_of, cadres)
        _people(result, level, length, as_of, rules, prules)
        _planning(planning, level, length, as_of, cadres, prules)
    for u in units:
        result[u.pk]["planning"] = _planning_figure(planning[u.pk], prules)
    return result


def _posts_by_position(
    result: dict[int, dict[str, Any]],
    units: Sequence[Any],
    paths: set[str],
    deepest: int,
    as_of: dt.date,
) -> None:
    rows = (
        _held_on(as_of)
        .filter(subtree_q("unit__path", paths))
        .annotate(prefix=Substr("unit__path", 1, deepest))
        .values("prefix", "position")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        for u in _owner(row["prefix"], units):
            figure = result[u.pk]
            figure["posts"] += row["n"]
            _bump(figure["by_position"], row["position"], row["n"])


def _posts_by_level(
    result: dict[int, dict[str, Any]],
    level: Sequence[Any],
    length: int,
    as_of: dt.date,
    cadres: CadreRules,
) -> None:
    rows = (
        _held_on(as_of)
        .filter(subtree_q("unit__path", {u.path for u in level}))
        .annotate(prefix=Substr("unit__path", 1, length), level=_level_case(cadres, "unit__kind"))
        .values("prefix", "level")
        .annotate(posts=Count("id"), people=Count("member", distinct=True))
        .order_by()
    )
    for row in rows:
        for u in _owner(row["prefix"], level):
            by_level = result[u.pk]["by_level"]
            by_level[str(row["level"])] = {"posts": row["posts"], "people": row["people"]}
    for u in level:
        by_level = result[u.pk]["by_level"]
        result[u.pk]["by_level"] = dict(sorted(by_level.items(), key=lambda kv: -int(kv[0])))


def _people(
    result: dict[int, dict[str, Any]],
    level: Sequence[Any],
    length: int,
    as_of: dt.date,
    rules: Ruleset,
    prules: PlanningRules,
) -> None:
    rows = (
        _held_on(as_of)
        .filter(subtree_q("unit__path", {u.path for u in level}))
        .annotate(
            prefix=Substr("unit__path", 1, length),
            bracket=_age_bracket_case("member__birth_date", as_of, rules),
            ethnic=_ethnicity_case("member__ethnicity", prules.majority_ethnicity),
        )
        .values(
            "prefix",
            "member__gender",
            "bracket",
            "ethnic",
            "member__education_level",
            "member__theory_level",
        )
        .annotate(n=Count("member", distinct=True))
        .order_by()
    )
    for row in rows:
        n = row["n"]
        for u in _owner(row["prefix"], level):
            figure = result[u.pk]
            figure["people"] += n
            _bump(figure["by_gender"], row["member__gender"], n)
            _bump(figure["by_age_bracket"], row["bracket"], n)
            _bump(figure["by_ethnicity"], row["ethnic"], n)
            _bump(figure["by_education"], row["member__education_level"] or UNKNOWN, n)
            _bump(figure["by_theory"], row["member__theory_level"] or NO_THEORY, n)


def _planning(
    planning: dict[int, dict[Any, Any]],
    level: Sequence[Any],
    length: int,
    as_of: dt.date,
    cadres: CadreRules,
    prules: PlanningRules,
) -> None:
    """The counts of the planning on `as_of` of each unit of `level` (one depth): the whole
    (`None`) and per level of the posts, by gender, bracket, young and minority."""
    base = (
        _planned_on(as_of)
        .filter(subtree_q("unit__path", {u.path for u in level}))
        .annotate(prefix=Substr("unit__path", 1, length))
        .order_by()
    )
    for row in base.values("prefix").annotate(
        entries=Count("id"),
        lists=Count(Concat(Cast("unit_id", CharField()), Value(":"), F("position")), distinct=True),
    ):
        for u in _owner(row["prefix"], level):
            planning[u.pk]["entries"] = row["entries"]
            planning[u.pk]["lists"] = row["lists"]
    people = base.annotate(
        bracket=_planning_bracket_case("member__birth_date", as_of, prules),
        young=_young_case("member__birth_date", as_of, prules),
        ethnic=_ethnicity_case("member__ethnicity", prules.majority_ethnicity),
    )
    groups = ("member__gender", "bracket", "young", "ethnic")
    for by_level in (False, True):
        rows = people.annotate(level=_level_case(cadres, "unit__kind")) if by_level else people
        keys = ("prefix", "level", *groups) if by_level else ("prefix", *groups)
        for row in rows.values(*keys).annotate(n=Count("member", distinct=True)):
            for u in _owner(row["prefix"], level):
                key = str(row["level"]) if by_level else None
                counts = planning[u.pk].setdefault(
                    key,
                    {"people": 0, "women": 0, "young": 0, "minority": 0, "brackets": {}},
                )
                n = row["n"]
                counts["people"] += n
                counts["women"] += n if row["member__gender"] == Gender.FEMALE else 0
                counts["young"] += n if row["young"] else 0
                counts["minority"] += n if row["ethnic"] == MINORITIES else 0
                if row["bracket"] >= 0:
                    _bump(counts["brackets"], row["bracket"], n)


def _structure(counts: dict[str, Any] | None, r: PlanningRules) -> dict[str, Any]:
    c = counts or {"people": 0, "women": 0, "young": 0, "minority": 0, "brackets": {}}
    brackets = tuple(c["brackets"].get(i, 0) for i in range(len(r.age_brackets)))
    s = structure_from_counts(
        "", c["people"], c["women"], brackets, c["young"], c["minority"], rules=r
    )
    return structure_dict(s, r)


def _planning_figure(counts: dict[Any, Any], r: PlanningRules) -> dict[str, Any]:
    figure = _structure(counts.get(None), r)
    figure["entries"] = counts.get("entries", 0)
    figure["lists"] = counts.get("lists", 0)
    levels = sorted(
        (k for k in counts if isinstance(k, str) and k.isdigit()), key=lambda k: -int(k)
    )
    figure["by_level"] = {k: _structure(counts[k], r) for k in levels}
    return figure


def _period(
    result: dict[int, dict[str, Any]],
    units: Sequence[Any],
    paths: set[str],
    deepest: int,
    date_from: dt.date,
    date_to: dt.date,
) -> None:
    """The period's counts: they add up, so one query each for every unit of the scope."""
    started = (
        PostHolding.objects.valid()
        .filter(subtree_q("unit__path", paths), started_on__gte=date_from, started_on__lte=date_to)
        .annotate(prefix=Substr("unit__path", 1, deepest))
        .values("prefix", "how")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in started:
        for u in _owner(row["prefix"], units):
            _bump(result[u.pk]["started"], row["how"], row["n"])
    ended = (
        PostEnd.objects.filter(
            subtree_q("holding__unit__path", paths),
            ended_on__gte=date_from,
            ended_on__lte=date_to,
            # Neither the end of a holding voided as recorded in error, nor an end undone
            # by a restoration (a removal from post annulled on appeal).
            holding__correction__isnull=True,
            restoration__isnull=True,
        )
        .annotate(prefix=Substr("holding__unit__path", 1, deepest))
        .values("prefix", "reason")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in ended:
        for u in _owner(row["prefix"], units):
            _bump(result[u.pk]["ended"], row["reason"], row["n"])
    stints = (
        RotationStint.objects.filter(
            subtree_q("plan__unit__path", paths),
            planned_start__gte=date_from,
            planned_start__lte=date_to,
        )
        .annotate(prefix=Substr("plan__unit__path", 1, deepest))
        .values("prefix")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in stints:
        for u in _owner(row["prefix"], units):
            result[u.pk]["rotations_started"] += row["n"]
    sessions = (
        ConfidenceSession.objects.filter(
            subtree_q("unit__path", paths), held_on__gte=date_from, held_on__lte=date_to
        )
        .annotate(prefix=Substr("unit__path", 1, deepest))
        .values("prefix")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in sessions:
        for u in _owner(row["prefix"], units):
            result[u.pk]["confidence"]["sessions"] += row["n"]
    # The outcome by the rule set's shares of "low" among those present (as
    # `planning_selectors.confidence_outcome`): low / present >= dismissal; > out of planning.
    conf = confidence_rules()
    dismissal, out = conf.low_dismissal, conf.low_out_of_planning
    results = (
        ConfidenceResult.objects.filter(
            subtree_q("session__unit__path", paths),
            session__held_on__gte=date_from,
            session__held_on__lte=date_to,
        )
        .annotate(
            prefix=Substr("session__unit__path", 1, deepest),
            low_d=F("low") * dismissal.denominator,
            present_d=F("session__present") * dismissal.numerator,
            low_o=F("low") * out.denominator,
            present_o=F("session__present") * out.numerator,
        )
        .annotate(
            outcome=Case(
                When(Q(session__present__gt=0, low_d__gte=F("present_d")), then=Value(DISMISSAL)),
                When(
                    Q(session__present__gt=0, low_o__gt=F("present_o")),
                    then=Value(OUT_OF_PLANNING),
                ),
                default=Value(NONE),
                output_field=CharField(),
            )
        )
        .values("prefix", "outcome")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in results:
        for u in _owner(row["prefix"], units):
            confidence = result[u.pk]["confidence"]
            confidence["results"] += row["n"]
            _bump(confidence["by_outcome"], row["outcome"], row["n"])
