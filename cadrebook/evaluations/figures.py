"""The evaluation's figures: counts and shares by level of the ratings of a year for a
subtree (members, and organizations by kind), those not rated, the quota per grassroots
organization, the change from the year before, and statistical form 7's figures.

The rated counts come from the tally (`tally.py`: a dozen rows for the whole country, however
many ratings), the levels as the ratings hold them (a legacy label counted by the level the
rule set's table maps it to when it was recorded). Those not rated are the members (and the
organizations of the rated kinds) the statistics count in the subtree on 31 December of the
year, less those rated: the statistics' own figures (`core.contributions`: the aggregates
when they are current), so the denominator of a share is the dashboard's member count.
`selectors.py` re-exports `level_counts`, `rating_quota` and `statistics_evaluation`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from cadrebook.core.contributions import Counted, statistics_counts
from cadrebook.core.numbers import percent
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.core.scoping import PATH_END
from cadrebook.evaluations.choices import LEVEL_ORDER, Level
from cadrebook.evaluations.models import OutstandingUnit, RatingTally
from cadrebook.evaluations.rules import EvaluationRules, evaluation_rules
from cadrebook.evaluations.tally import MEMBER_KEY, QUOTA_KEY, UNIT_KEY
from cadrebook.members.selectors import periods_as_of
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import depth_on

NOT_RATED = "not_rated"
MEMBERS = "members"
UNITS = "units"

Counts = dict[str, int]
# unit id -> tally key -> level -> count
Tallies = dict[int, dict[str, dict[str, int]]]


def empty_counts() -> Counts:
    """A count per level, and those not rated."""
    return {level: 0 for level in LEVEL_ORDER} | {NOT_RATED: 0}


def rated(counts: Counts) -> int:
    """How many were rated (at any level)."""
    return sum(counts.get(level, 0) for level in LEVEL_ORDER)


def shares(counts: Counts) -> dict[str, float | None]:
    """Each level's share of those rated, in % (None when none was rated): "x % of
    organizations rated excellent"."""
    whole = rated(counts)
    return {level: percent(counts.get(level, 0), whole) for level in LEVEL_ORDER}


def read_tallies(unit_ids: Iterable[int], year: int) -> Tallies:
    """The tally rows of `unit_ids` for `year` (one indexed read)."""
    out: Tallies = {}
    rows = RatingTally.objects.filter(year=year, unit_id__in=list(unit_ids)).values_list(
        "unit_id", "key", "level", "n"
    )
    for unit_id, key, level, n in rows:
        if not key.startswith(QUOTA_KEY):
            out.setdefault(unit_id, {}).setdefault(key, {})[level] = n
    return out


def rated_kinds(rules: EvaluationRules) -> list[str]:
    """The kinds of unit the rule set rates (its `deciders.units`), in its order."""
    return list(rules.unit_deciders)


def fold(
    tally: dict[str, dict[str, int]], counted: Counted | None, rules: EvaluationRules
) -> dict[str, Any]:
    """The level counts of one subtree from its tally rows, with those not rated (the
    statistics' `counted` less those rated; 0 when there is no count): `members`, `units`
    (every rated kind) and `units_by_kind`."""
    members = empty_counts()
    for level, n in tally.get(MEMBER_KEY, {}).items():
        members[level] += n
    by_kind = {kind: empty_counts() for kind in rated_kinds(rules)}
    for key, levels in tally.items():
        if key.startswith(UNIT_KEY):
            of_kind = by_kind.setdefault(key.removeprefix(UNIT_KEY), empty_counts())
            for level, n in levels.items():
                of_kind[level] += n
    if counted is not None:
        members[NOT_RATED] = max(counted.members - rated(members), 0)
        for kind, counts in by_kind.items():
            if kind in rules.unit_deciders:
                counts[NOT_RATED] = max(counted.units_by_kind.get(kind, 0) - rated(counts), 0)
    units = empty_counts()
    for counts in by_kind.values():
        for key, n in counts.items():
            units[key] += n
    return {MEMBERS: members, UNITS: units, "units_by_kind": by_kind}


def _counted_fallback(unit: OrgUnit, day: dt.date, rules: EvaluationRules) -> Counted:
    """Without the reports app (no statistics to read): the members and rated units of the
    subtree on `day` counted from the periods and the tree."""
    depth = depth_on(unit, day)
    members = (
        periods_as_of(day)
        .filter(**{f"anc{depth}_id": unit.pk})
        .values("member_id")
        .distinct()
        .count()
    )
    kinds: dict[str, int] = {}
    units = (
        OrgUnit.objects.all()
        .active_on(day)
        .filter(path__gte=unit.path, path__lt=unit.path + PATH_END)
        .filter(kind__in=rated_kinds(rules))
        .values_list("kind", flat=True)
    )
    for kind in units:
        kinds[kind] = kinds.get(kind, 0) + 1
    return Counted(members=members, units_by_kind=kinds)


def counted_on(unit: OrgUnit, day: dt.date, rules: EvaluationRules) -> Counted:
    """The members and units of `unit`'s subtree on `day`, as its statistics count them."""
    counts = statistics_counts()
    if counts is None:
        return _counted_fallback(unit, day, rules)
    return counts.counted_on(unit, day)


def year_end(year: int) -> dt.date:
    """The day a year's ratings are counted against: its 31 December."""
    return dt.date(year, 12, 31)


def level_counts(
    unit: OrgUnit, year: int, *, on: dt.date | None = None
) -> dict[str, dict[str, int]]:
    """Counts per level of the ratings of `year` in `unit`'s subtree (as the tree stood on
    each rating's reference date), for members and for units, plus `not_rated`: the members
    of the subtree on `on` (default 31 December of the year) as the statistics count them,
    less those rated; the units of the rated kinds likewise."""
    rules = evaluation_rules()
    folded = fold(
        read_tallies([unit.pk], year).get(unit.pk, {}),
        counted_on(unit, on or year_end(year), rules),
        rules,
    )
    return {MEMBERS: folded[MEMBERS], UNITS: folded[UNITS]}


def _quota_rows(
    parent: OrgUnit, year: int, rules: EvaluationRules
) -> list[tuple[OrgUnit, dict[str, Any]]]:
    """(grassroots organization, quota row) for every quota unit in `parent`'s subtree
    (itself included), from the tally: by path and group of similar roles."""
    rows = (
        RatingTally.objects.filter(
            year=year,
            key__startswith=QUOTA_KEY,
            unit__path__gte=parent.path,
            unit__path__lt=parent.path + PATH_END,
        )
        .values_list("unit_id", "key", "level", "n")
        .order_by()
    )
    found: dict[tuple[int, str], dict[str, int]] = {}
    for unit_id, key, level, n in rows:
        counts = found.setdefault((unit_id, key.removeprefix(QUOTA_KEY)), {})
        counts[level] = counts.get(level, 0) + n
    if not found:
        return []
    ids = {unit_id for unit_id, _group in found}
    units = {u.pk: u for u in OrgUnit.objects.filter(pk__in=ids).only("id", "code", "path")}
    marked = set(
        OutstandingUnit.objects.filter(round__year=year, unit_id__in=ids).values_list(
            "unit_id", flat=True
        )
    )
    out = []
    for (unit_id, group), counts in found.items():
        excellent, good = counts.get(Level.EXCELLENT, 0), counts.get(Level.GOOD, 0)
        if not excellent and not good:
            continue  # rewritten since to other levels
        allowed = rules.allowed_excellent(good, outstanding=unit_id in marked)
        row = {
            "unit": units[unit_id].code,
            "role_group": group,
            "excellent": excellent,
            "good": good,
            "allowed": allowed,
            "over": max(excellent - allowed, 0),
        }
        out.append((units[unit_id], row))
    out.sort(key=lambda pair: (pair[0].path, pair[1]["role_group"]))
    return out


def rating_quota(unit: OrgUnit, year: int) -> list[dict[str, Any]]:
    """The quota per grassroots organization (deciding unit) in `unit`'s subtree and group of
    similar roles, from the ratings of `year` (the statistics' `quota`): excellent, good,
    allowed, over. An organization marked outstanding in the year's round has the larger
    share of the rule set."""
    return [row for _unit, row in _quota_rows(unit, year, evaluation_rules())]


def quota_by_unit(
    parent: OrgUnit, units: list[OrgUnit], year: int, rules: EvaluationRules
) -> dict[int, list[dict[str, Any]]]:
    """The quota rows of `parent`'s subtree, and of each of `units` below it (its children):
    one read, each row given to the child whose path it lies under."""
    out: dict[int, list[dict[str, Any]]] = {u.pk: [] for u in units}
    children = {u.path: u.pk for u in units if u.pk != parent.pk}
    widths = sorted({len(path) for path in children})
    for unit, row in _quota_rows(parent, year, rules):
        out.setdefault(parent.pk, []).append(row)
        for width in widths:
            child = children.get(unit.path[:width])
            if child is not None:
                out[child].append(row)
                break
    return out


def section(folded: dict[str, Any], year: int, quota: list[dict[str, Any]]) -> dict[str, Any]:
    """The statistics' `evaluation` section of one subtree (JSON-ready)."""
    return {
        "year": year,
        MEMBERS: folded[MEMBERS],
        UNITS: folded[UNITS],
        "units_by_kind": folded["units_by_kind"],
        "shares": {MEMBERS: shares(folded[MEMBERS]), UNITS: shares(folded[UNITS])},
        "quota": quota,
    }


def statistics_evaluation(unit: OrgUnit, year: int) -> dict[str, Any]:
    """The statistics' `evaluation` section of `unit` for `year`: `members` and `units`, each
    a count per level plus `not_rated`; the units by kind, the shares of those rated, and
    `quota` per grassroots organization."""
    rules = evaluation_rules()
    folded = fold(
        read_tallies([unit.pk], year).get(unit.pk, {}),
        counted_on(unit, year_end(year), rules),
        rules,
    )
    return section(folded, year, rating_quota(unit, year))


def scope_figures(
    parent: OrgUnit, units: list[OrgUnit], year: int, counted: dict[int, Counted], ruleset: Ruleset
) -> dict[int, dict[str, Any]]:
    """The `evaluation` section of each of `units` (the parent, then its children), with
    the counts of the statistics `counted`: one read of the tally, one of the quota."""
    rules = evaluation_rules(ruleset)
    tallies = read_tallies([u.pk for u in units], year)
    quota = quota_by_unit(parent, units, year, rules)
    return {
        u.pk: section(fold(tallies.get(u.pk, {}), counted.get(u.pk), rules), year, quota[u.pk])
        for u in units
    }


def level_change(unit: OrgUnit, year: int) -> dict[str, dict[str, dict[str, int]]]:
    """The counts of `year` against the year before, for members and units: per level, the
    count, the previous year's and the difference."""
    now, before = level_counts(unit, year), level_counts(unit, year - 1)
    return {
        part: {
            level: {
                "count": now[part][level],
                "previous": before[part][level],
                "change": now[part][level] - before[part][level],
            }
            for level in (*LEVEL_ORDER, NOT_RATED)
        }
        for part in (MEMBERS, UNITS)
    }


def _form_row(counts: Counts) -> dict[str, Any]:
    total = rated(counts) + counts[NOT_RATED]
    return {
        "total": total,
        "rated": rated(counts),
        **counts,
        "shares": shares(counts),
    }


def form7_figures(unit: OrgUnit, year: int) -> dict[str, Any]:
    """The figures of statistical form 7 (quality ratings) for `unit`'s subtree and `year`:
    members, grassroots organizations (the rule set's grassroots kinds), cells under them
    (the other rated kinds that hold members) and the rated organizations above the
    grassroots; each with its total (those counted on 31 December), those rated, the count
    and share of each level and those not rated. The layout of the form is issue 22's."""
    rules = evaluation_rules()
    holding = set(current_ruleset().member_holding_kinds())
    folded = fold(
        read_tallies([unit.pk], year).get(unit.pk, {}),
        counted_on(unit, year_end(year), rules),
        rules,
    )

    def group(kinds: list[str]) -> Counts:
        out = empty_counts()
        for kind in kinds:
            for key, n in folded["units_by_kind"].get(kind, {}).items():
                out[key] += n
        return out

    kinds = list(folded["units_by_kind"])
    grassroots = [k for k in kinds if k in rules.grassroots_kinds]
    cells = [k for k in kinds if k in holding and k not in rules.grassroots_kinds]
    above = [k for k in kinds if k not in grassroots and k not in cells]
    return {
        "year": year,
        "unit": unit.code,
        MEMBERS: _form_row(folded[MEMBERS]),
        "grassroots": _form_row(group(grassroots)),
        "cells": _form_row(group(cells)),
        "above_grassroots": _form_row(group(above)),
        "kinds": {"grassroots": grassroots, "cells": cells, "above_grassroots": above},
    }
