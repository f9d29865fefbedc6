"""What the statistics may tell a role that sees personal data masked.

A viewer who sees a member's date of birth and ethnicity masked must not read them back from
the figures: from a cell's age brackets on two close dates (the day someone changes bracket
is their birthday), from an ethnic group of one, or from a parent's figures minus those of
its other subordinate units. So for such a role the breakdowns derived from sensitive fields
(`SENSITIVE_BREAKDOWNS`: age brackets, the age pyramid, ethnicity) are

- given only for the rule set's standard report dates (`statistics.snapshot_dates`, e.g.
  30 June and 31 December);
- given only for a subtree of at least `CADREBOOK_STATS_MIN_MEMBERS` members, and only when
  no choice of units below it that are that large themselves leaves out fewer members than
  that (else the subtree's figures minus theirs would be the figures of the few left out:
  a commune of 24 members whose cells hold 22 and 2 gives nothing away by age or ethnicity);
- given with each count from 1 to `CADREBOOK_STATS_SMALL_COUNT` - 1 shown as "< 5", ethnic
  groups that small folded into "other", and as many further counts hidden as it takes that
  no sum the reader knows (the total, the totals by gender, a bracket's men and women) has
  exactly one hidden term, which would be that sum less the shown ones. A further count
  under the threshold (a zero) also reads "< 5"; a larger one is withheld (null). This
  stops subtraction, not every bound a patient reader could derive from several sums;
- never given per subordinate unit (`children`): each unit's own statistics apply the rule.

Every output applies `mask_statistics` to the figures it is about to show: the API, the
dashboard, the composed and issued reports (page, PDF, XLSX, CSV) and `report stats --user`.
A role that may read the sensitive fields of the unit sees the figures unchanged.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count

from cadrebook.core import contributions
from cadrebook.core.permissions import VIEW_SENSITIVE
from cadrebook.core.rules import Ruleset, current_ruleset
from cadrebook.core.scoping import scope_for
from cadrebook.orgs.models import OrgUnit

SENSITIVE_BREAKDOWNS = ("by_age_bracket", "by_age_bracket_gender", "by_ethnicity")
OTHER_GROUPS = "other"

# Why a part's sensitive breakdowns are withheld (the `privacy.withheld` value).
NOT_A_REPORT_DATE = "not_a_report_date"
TOO_FEW_MEMBERS = "too_few_members"
SMALL_REMAINDER = "small_remainder"
BY_SUBORDINATE_UNIT = "by_subordinate_unit"


@dataclass(frozen=True)
class Disclosure:
    """The thresholds in force: standard dates ("MM-DD"), minimum subtree, smallest count."""

    report_dates: frozenset[str]
    min_members: int
    small: int

    @classmethod
    def current(cls, rules: Ruleset | None = None) -> Disclosure:
        rules = rules or current_ruleset()
        return cls(
            frozenset(rules.value("statistics.snapshot_dates")),
            int(settings.CADREBOOK_STATS_MIN_MEMBERS),
            int(settings.CADREBOOK_STATS_SMALL_COUNT),
        )

    def is_report_date(self, day: str | dt.date) -> bool:
        day = dt.date.fromisoformat(day) if isinstance(day, str) else day
        return f"{day:%m-%d}" in self.report_dates

    @property
    def small_label(self) -> str:
        return f"< {self.small}"


def sees_sensitive(user: Any, path: str) -> bool:
    """Whether `user` may read the sensitive fields of every member under `path`; None is
    the system (the command line without --user), which reads everything."""
    return user is None or scope_for(user, VIEW_SENSITIVE).covers_path(path)


def mask_statistics(stats: dict[str, Any], user: Any) -> dict[str, Any]:
    """`stats` (from `unit_statistics`, or an issued report's figures) as `user` may see
    them: unchanged for a role that reads the unit's sensitive fields, else a copy with the
    sensitive breakdowns withheld or coarsened (module docstring)."""
    unit = OrgUnit.objects.filter(code=stats["unit"]).only("id", "path", "depth").first()
    if unit is None:
        return stats
    sensitive = not sees_sensitive(user, unit.path)
    confidential = [
        f
        for f in contributions.figures()
        if f.read_action and user is not None and f.key in stats
        if not scope_for(user, f.read_action).covers_path(unit.path)
    ]
    if not sensitive and not confidential:
        return stats
    rule = Disclosure.current()
    out = copy.deepcopy(stats)
    if sensitive:
        _mask_part(out["members"], unit, out["as_of"], rule)
        if "previous" in out:
            _mask_part(out["previous"]["members"], unit, out["previous"]["as_of"], rule)
        for child in out.get("children", []):
            _withhold(child["members"], BY_SUBORDINATE_UNIT)
    if confidential:
        _mask_confidential(out, stats, unit, rule, confidential)
    return out


def _mask_confidential(
    out: dict[str, Any],
    stats: dict[str, Any],
    unit: OrgUnit,
    rule: Disclosure,
    figures: list[contributions.FigureContribution],
) -> None:
    """The confidential figures (disciplines, inspections: who was disciplined or inspected)
    as a reader without their reading action may see them, by the rules of the sensitive
    breakdowns: withheld for a subtree of fewer than `min_members` members or one whose
    larger units below leave out a few (the few's figures by subtraction), and per
    subordinate unit; else with the counts that could single out a person withheld."""
    parts = [(out, stats)]
    if "previous" in out:
        parts.append((out["previous"], stats["previous"]))
    for part, original in parts:
        # Both asked whatever the total, so the number of queries does not depend on it.
        rest = small_rest(unit, dt.date.fromisoformat(original["as_of"]), rule.min_members)
        small = original["members"]["total"] < rule.min_members or rest
        for figure in figures:
            if figure.key not in part:
                continue
            if small or figure.mask_small is None:
                part[figure.key] = None
            else:
                part[figure.key] = figure.mask_small(part[figure.key], rule.small)
    for child in out.get("children", []):
        for figure in figures:
            if figure.key in child:
                child[figure.key] = None


def _withhold(members: dict[str, Any], reason: str) -> None:
    for key in SENSITIVE_BREAKDOWNS:
        members[key] = None
    members["privacy"] = {"withheld": reason}


def _mask_part(members: dict[str, Any], unit: OrgUnit, as_of: str, rule: Disclosure) -> None:
    """Withhold or coarsen the sensitive breakdowns of one part (members on one date)."""
    if not rule.is_report_date(as_of):
        _withhold(members, NOT_A_REPORT_DATE)
    elif members["total"] < rule.min_members:
        _withhold(members, TOO_FEW_MEMBERS)
    elif small_rest(unit, dt.date.fromisoformat(as_of), rule.min_members):
        _withhold(members, SMALL_REMAINDER)
    else:
        _suppress_small_counts(members, rule)
        members["privacy"] = {"withheld": None, "small_counts_below": rule.small}


def small_rest(unit: OrgUnit, day: dt.date, minimum: int) -> bool:
    """Whether some units below `unit`, each with at least `minimum` members on `day` (so
    each with its own figures given), leave out between 1 and `minimum` - 1 of `unit`'s
    members: `unit`'s figures minus theirs would be the figures of those few.

    The tree of `day` is the one the member periods carry (their ancestor columns), so a
    unit moved since is counted where it was. Each subtree's possible "left out" counts are
    combined bottom-up; counts of `minimum` or more are all alike (`minimum` stands for
    them), so each set has at most `minimum` + 1 elements."""
    from cadrebook.members.selectors import periods_as_of

    deepest = int(settings.MAX_TREE_DEPTH)
    columns = [f"anc{d}_id" for d in range(unit.depth + 1, deepest + 1)]
    rows = (
        periods_as_of(day)
        .filter(**{f"anc{unit.depth}_id": unit.pk})
        .values(*columns)
        .annotate(n=Count("id"))
    )
    # The tree below `unit` on `day`: node = the chain of unit ids from below `unit` down.
    direct: dict[tuple[int, ...], int] = defaultdict(int)
    below: dict[tuple[int, ...], set[tuple[int, ...]]] = defaultdict(set)
    total: dict[tuple[int, ...], int] = defaultdict(int)
    for row in rows:
        chain = tuple(row[c] for c in columns if row[c] is not None)
        direct[chain] += row["n"]
        for k in range(len(chain) + 1):
            total[chain[:k]] += row["n"]
            if k:
                below[chain[: k - 1]].add(chain[:k])

    def left_out(node: tuple[int, ...]) -> set[int]:
        """The numbers of the node's members that a choice of units with their own figures
        inside it can leave out (`minimum` for any number that large)."""
        options = {min(direct[node], minimum)}
        for child in below[node]:
            child_options = left_out(child)
            if total[child] >= minimum:
                child_options = child_options | {0}  # the child's own figures cover it
            options = {min(a + b, minimum) for a in options for b in child_options}
        return options

    # Leaving out everybody (choosing nothing) is the subtree's own size, checked apart.
    return any(0 < n < minimum for n in left_out(()) - {total[()]})


def _suppress_small_counts(members: dict[str, Any], rule: Disclosure) -> None:
    """Counts under the threshold become "< 5"; then, as long as some sum the reader knows
    (or can read) has exactly one hidden count among its terms, the smallest shown term of
    that sum is withheld too (null), so no hidden count is a difference of shown ones."""
    brackets: dict[str, Any] = members["by_age_bracket"]
    pyramid: dict[str, dict[str, Any]] = members["by_age_bracket_gender"]
    ethnicity: dict[str, Any] = members["by_ethnicity"]
    ethnicity["groups"] = _fold_small_groups(ethnicity["groups"], rule.small)

    # Every count that may be hidden, by a path into the figures.
    cells: dict[tuple[str, ...], int] = {}
    for b, n in brackets.items():
        cells[("by_age_bracket", b)] = n
        for g, k in pyramid.get(b, {}).items():
            cells[("by_age_bracket_gender", b, g)] = k
    for key in ("majority", "minorities", "unknown"):
        cells[("by_ethnicity", key)] = ethnicity[key]
    for group, n in ethnicity["groups"].items():
        cells[("by_ethnicity", "groups", group)] = n

    # Sets of counts with a sum the reader knows: the total, the totals by gender (public),
    # or another count of the set.
    genders = sorted({g for row in pyramid.values() for g in row})
    sums: list[list[tuple[str, ...]]] = [[("by_age_bracket", b) for b in brackets]]
    for b in brackets:
        row = [("by_age_bracket_gender", b, g) for g in pyramid.get(b, {})]
        sums.append([*row, ("by_age_bracket", b)])
    for g in genders:
        sums.append([("by_age_bracket_gender", b, g) for b in brackets if g in pyramid.get(b, {})])
    sums.append([("by_ethnicity", k) for k in ("majority", "minorities", "unknown")])
    # The groups (the majority's among them) add up to majority + minorities.
    groups = [("by_ethnicity", "groups", g) for g in ethnicity["groups"]]
    sums.append([*groups, ("by_ethnicity", "majority"), ("by_ethnicity", "minorities")])
    majority = current_ruleset().value("statistics.majority_ethnicity")
    if majority in ethnicity["groups"]:
        sums.append([("by_ethnicity", "groups", majority), ("by_ethnicity", "majority")])

    # Zeros stay: "nobody" tells nothing about anybody. A count of 1 to 4 is hidden.
    hidden = {cell for cell, n in cells.items() if 0 < n < rule.small}
    changed = True
    while changed:
        changed = False
        for terms in sums:
            terms = [t for t in terms if t in cells]
            shown = [t for t in terms if t not in hidden]
            if len(terms) - len(shown) == 1 and shown:
                hidden.add(min(shown, key=lambda t: (cells[t], t)))
                changed = True

    for cell in hidden:
        # A hidden count under the threshold (a zero hidden to protect another among them)
        # reads "< 5"; a larger one is withheld (null).
        value: Any = rule.small_label if cells[cell] < rule.small else None
        _set(members, cell, value)


def _fold_small_groups(groups: dict[str, int], small: int) -> dict[str, int]:
    """Ethnic groups with fewer members than `small` are counted together as "other": the
    name of a group of one or two says too much about who they are."""
    out: dict[str, int] = {}
    other = 0
    for group, n in groups.items():
        if n < small:
            other += n
        else:
            out[group] = n
    if other:
        out[OTHER_GROUPS] = out.get(OTHER_GROUPS, 0) + other
    return out


def _set(members: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    target = members
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
