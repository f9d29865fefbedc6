"""The figures of inspection and discipline for the statistics (`contributions.py` puts them
in the statistics, the dashboard and the report), for any subtree and period, for a unit and
each of its subordinate units as the statistics ask:

- `inspection`: the inspections and supervisions decided (`decided_on` in the period) by
  bodies inside the subtree (`inspections`, `by_kind`); their distinct subjects
  (`units_inspected`, `members_inspected`, and `subjects_by_kind`: the distinct subjects of
  each kind's inspections, which the report's sentence states); the distinct subjects on whom
  a violation was found (`violations_found`); and the inspections decided in the period by
  bodies above the subtree's top unit on subjects inside it
  (`received_from_higher_levels`: counted once however many of its subjects are inside).
  Those completed are the ones concluded in the period (`concluded_on`, whenever decided):
  `completed`, `completed_by_kind` and their distinct subjects `completed_subjects_by_kind`,
  and over the kinds the sentence states together `completed_subjects_by_group`, which the
  report's sentence ("Completed 9 thematic inspections and supervisions of 35 party
  organizations ...") states: a subject of two kinds of one group counted once.
- `discipline`: the disciplines decided in the period on subjects inside the subtree (by the
  subject's path when decided, whoever decided), by form for members and for organizations
  (`by_form`: `members`, `organizations`, and `units`, the same as `organizations`, the name
  it was first published under, kept as an alias), members by their standing at the decision (`members_by_standing`, statistical
  form 9 counts members; DOMAIN.md names the form "9: discipline" and no more), by kind of
  violation, those related to duties, and the appeals of the subtree's subjects (lodged in the
  period; decided in the period, by outcome). `members` and `units` count the decisions;
  `members_disciplined` and `units_disciplined` the distinct subjects, which the report's
  sentence ("Disciplined 3 members") states. An annulled discipline is not counted; one
  changed on appeal is counted by the discipline that replaced it (a new record with the new
  form, dated from the appeal's decision), not twice.

Every count is one grouped query over an indexed path range and date range (the paths copied
on the records when written, so no join of the tree): sums by the group's path prefix where a
count adds up (inspections, disciplines, appeals), and one query per depth of the scope's
units where distinct subjects are counted (a subject inspected in two children's subtrees is
one subject of their parent). The number of queries does not grow with the number of units.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db.models import Count, Q
from django.db.models.functions import Substr

from cadrebook.core.rules import Ruleset
from cadrebook.core.scoping import subtree_q
from cadrebook.inspections.choices import AppealOutcome, DisciplineStatus, SubjectKind
from cadrebook.inspections.discipline_rules import discipline_rules
from cadrebook.inspections.models import Appeal, Discipline, Inspection, InspectionSubject
from cadrebook.inspections.rules import inspection_rules

INSPECTION = "inspection"
DISCIPLINE = "discipline"
UNITS = "units"
MEMBERS = "members"
ORGANIZATIONS = "organizations"

# The kinds the report's sentence states together ("9 thematic inspections and supervisions
# of 35 party organizations"): their completed ones' distinct subjects are counted over the
# group (`completed_subjects_by_group`, keyed by `group_key`), so that an organization both
# inspected and supervised is one organization of the sentence, not two.
STATED_TOGETHER: tuple[tuple[str, ...], ...] = (
    ("thematic", "supervision_thematic"),
    ("regular", "supervision_regular"),
)


def group_key(kinds: Sequence[str]) -> str:
    """The key of a group of kinds in `completed_subjects_by_group`: "thematic+..."."""
    return "+".join(kinds)


# The disciplines counted: in force (lapsed ones included: a lapse ends the effects, not the
# decision). Annulled ones are not; changed ones are replaced by the discipline of the new form.
COUNTED_STATUSES = (DisciplineStatus.IN_FORCE,)


def _ancestors(path: str, steplen: int) -> list[str]:
    """The paths of the units strictly above the unit at `path`."""
    return [path[:i] for i in range(steplen, len(path), steplen)]


def _by_depth(units: Iterable[Any]) -> dict[int, list[Any]]:
    result: dict[int, list[Any]] = defaultdict(list)
    for u in units:
        result[len(u.path)].append(u)
    return result


def _owner(prefix: str, units: Sequence[Any]) -> list[Any]:
    """The units of the scope whose subtree holds `prefix`."""
    return [u for u in units if prefix.startswith(u.path)]


# Inspection ---------------------------------------------------------------------------------


def _empty_inspection(kinds: Iterable[str]) -> dict[str, Any]:
    return {
        "inspections": 0,
        "by_kind": {k: 0 for k in kinds},
        "supervisions": 0,
        "units_inspected": 0,
        "members_inspected": 0,
        "subjects_by_kind": {},
        "violations_found": {UNITS: 0, MEMBERS: 0},
        "received_from_higher_levels": 0,
        "completed": 0,
        "completed_by_kind": {},
        "completed_subjects_by_kind": {},
        "completed_subjects_by_group": {},
    }


def inspection_figures(
    units: Sequence[Any], date_from: dt.date, date_to: dt.date, ruleset: Ruleset | None = None
) -> dict[int, dict[str, Any]]:
    """Unit id -> the `inspection` figure of its subtree over `date_from`..`date_to` (see the
    module's docstring)."""
    rules = inspection_rules(ruleset)
    result = {u.pk: _empty_inspection(k.code for k in rules.kinds) for u in units}
    if not units:
        return result
    supervision = {k.code for k in rules.kinds if k.supervision}
    paths = {u.path for u in units}
    period = Q(decided_on__gte=date_from, decided_on__lte=date_to)
    # Completed: concluded in the period (whenever decided).
    done = Q(concluded_on__gte=date_from, concluded_on__lte=date_to)
    deepest = max(len(p) for p in paths)

    # Inspections by bodies inside each subtree, by kind: counts add up by prefix.
    rows = (
        Inspection.objects.filter(period | done, subtree_q("path", paths))
        .annotate(prefix=Substr("path", 1, deepest))
        .values("prefix", "kind")
        .annotate(n=Count("id", filter=period), completed=Count("id", filter=done))
        .order_by()
    )
    for row in rows:
        for u in _owner(row["prefix"], units):
            figure = result[u.pk]
            kind = row["kind"]
            if row["n"]:
                figure["inspections"] += row["n"]
                figure["by_kind"][kind] = figure["by_kind"].get(kind, 0) + row["n"]
                if kind in supervision:
                    figure["supervisions"] += row["n"]
            if row["completed"]:
                figure["completed"] += row["completed"]
                completed = figure["completed_by_kind"]
                completed[kind] = completed.get(kind, 0) + row["completed"]

    steplen = _steplen(units)
    for length, level in _by_depth(units).items():
        level_paths = {u.path for u in level}
        # Distinct subjects of those inspections: grouped by the prefix at this depth, each
        # group is exactly one unit's subtree, so its distinct counts are the unit's.
        subjects = (
            InspectionSubject.objects.filter(period | done, subtree_q("path", level_paths))
            .annotate(prefix=Substr("path", 1, length))
            .order_by()
        )
        violation = Q(violation_found=True) & period
        # The completed ones' distinct subjects over each group of kinds stated together, in
        # the same query (a column each).
        together: dict[str, Any] = {}
        for i, kinds in enumerate(STATED_TOGETHER):
            of_group = done & Q(kind__in=kinds)
            together[f"units_group_{i}"] = Count("unit", filter=of_group, distinct=True)
            together[f"members_group_{i}"] = Count("member", filter=of_group, distinct=True)
        for row in subjects.values("prefix").annotate(
            units=Count("unit", filter=period, distinct=True),
            members=Count("member", filter=period, distinct=True),
            units_violating=Count("unit", filter=violation, distinct=True),
            members_violating=Count("member", filter=violation, distinct=True),
            **together,
        ):
            for u in _owner(row["prefix"], level):
                figure = result[u.pk]
                figure["units_inspected"] = row["units"]
                figure["members_inspected"] = row["members"]
                figure["violations_found"] = {
                    UNITS: row["units_violating"],
                    MEMBERS: row["members_violating"],
                }
                for i, kinds in enumerate(STATED_TOGETHER):
                    units_done, members_done = row[f"units_group_{i}"], row[f"members_group_{i}"]
                    if units_done or members_done:
                        figure["completed_subjects_by_group"][group_key(kinds)] = {
                            UNITS: units_done,
                            MEMBERS: members_done,
                        }
        for row in subjects.values("prefix", "kind").annotate(
            units=Count("unit", filter=period, distinct=True),
            members=Count("member", filter=period, distinct=True),
            units_done=Count("unit", filter=done, distinct=True),
            members_done=Count("member", filter=done, distinct=True),
        ):
            for u in _owner(row["prefix"], level):
                kind = row["kind"]
                if row["units"] or row["members"]:
                    result[u.pk]["subjects_by_kind"][kind] = {
                        UNITS: row["units"],
                        MEMBERS: row["members"],
                    }
                if row["units_done"] or row["members_done"]:
                    result[u.pk]["completed_subjects_by_kind"][kind] = {
                        UNITS: row["units_done"],
                        MEMBERS: row["members_done"],
                    }

        # Received from higher levels: inspections by a body strictly above the unit on a
        # subject inside its subtree. The bodies above the units of one depth are few (their
        # ancestors), so the query reads the body index for those paths only; an inspection
        # has one body, so distinct inspections add up over the bodies.
        above = {a for p in level_paths for a in _ancestors(p, steplen)}
        if not above:
            continue
        received = (
            InspectionSubject.objects.filter(
                period, subtree_q("subject_path", level_paths), path__in=above
            )
            .annotate(prefix=Substr("subject_path", 1, length))
            .values("prefix", "path")
            .annotate(n=Count("inspection", distinct=True))
            .order_by()
        )
        for row in received:
            for u in _owner(row["prefix"], level):
                if u.path.startswith(row["path"]) and u.path != row["path"]:
                    result[u.pk]["received_from_higher_levels"] += row["n"]
    for figure in result.values():
        for key in (
            "subjects_by_kind",
            "completed_by_kind",
            "completed_subjects_by_kind",
            "completed_subjects_by_group",
        ):
            figure[key] = dict(sorted(figure[key].items()))
    return result


def _steplen(units: Sequence[Any]) -> int:
    return int(type(units[0]).steplen)


# Discipline ---------------------------------------------------------------------------------


def _empty_discipline(member_forms: Sequence[str], unit_forms: Sequence[str]) -> dict[str, Any]:
    return {
        "by_form": {
            MEMBERS: {f: 0 for f in member_forms},
            UNITS: {f: 0 for f in unit_forms},
        },
        "members": 0,
        "units": 0,
        "members_disciplined": 0,
        "units_disciplined": 0,
        "members_by_standing": {},
        "by_violation_kind": {},
        "duty_related": 0,
        "appeals": {"lodged": 0, "decided": {o: 0 for o in _decided_outcomes()}},
    }


def _decided_outcomes() -> list[str]:
    return [o.value for o in AppealOutcome if o != AppealOutcome.PENDING]


def discipline_figures(
    units: Sequence[Any], date_from: dt.date, date_to: dt.date, ruleset: Ruleset | None = None
) -> dict[int, dict[str, Any]]:
    """Unit id -> the `discipline` figure of its subtree over `date_from`..`date_to` (see
    the module's docstring): one grouped query for the disciplines, one for the appeals."""
    rules = discipline_rules(ruleset)
    severity = rules.severity
    member_forms = [
        f for f in severity if f in rules.forms_full_member or f in rules.forms_probationary_member
    ]
    unit_forms = [f for f in severity if f in rules.forms_unit]
    result = {u.pk: _empty_discipline(member_forms, unit_forms) for u in units}
    if not units:
        return result
    paths = {u.path for u in units}
    deepest = max(len(p) for p in paths)
    rows = (
        Discipline.objects.filter(
            subtree_q("subject_path", paths),
            decided_on__gte=date_from,
            decided_on__lte=date_to,
            status__in=COUNTED_STATUSES,
        )
        .annotate(prefix=Substr("subject_path", 1, deepest))
        # By subject too, so that the distinct members and organizations disciplined are
        # counted from the same rows (a period's disciplines are few: one row each at most).
        .values(
            "prefix", "subject_kind", "form", "subject_status", "violation_kind", "member", "unit"
        )
        .annotate(n=Count("id"), duty=Count("id", filter=Q(duty_related=True)))
        .order_by()
    )
    subjects: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for row in rows:
        part = MEMBERS if row["subject_kind"] == SubjectKind.MEMBER else UNITS
        subject = (part, row["member"] if part == MEMBERS else row["unit"])
        for u in _owner(row["prefix"], units):
            subjects[u.pk].add(subject)
            figure = result[u.pk]
            forms = figure["by_form"][part]
            forms[row["form"]] = forms.get(row["form"], 0) + row["n"]
            figure[part] += row["n"]
            figure["duty_related"] += row["duty"]
            if part == MEMBERS and row["subject_status"]:
                standing = figure["members_by_standing"].setdefault(row["subject_status"], {})
                standing[row["form"]] = standing.get(row["form"], 0) + row["n"]
            kind = row["violation_kind"] or "unspecified"
            figure["by_violation_kind"][kind] = figure["by_violation_kind"].get(kind, 0) + row["n"]

    for pk, seen in subjects.items():
        result[pk]["members_disciplined"] = sum(1 for part, _id in seen if part == MEMBERS)
        result[pk]["units_disciplined"] = sum(1 for part, _id in seen if part == UNITS)

    lodged = Q(lodged_on__gte=date_from, lodged_on__lte=date_to)
    decided = Q(decided_on__gte=date_from, decided_on__lte=date_to) & ~Q(
        outcome=AppealOutcome.PENDING
    )
    appeals = (
        Appeal.objects.filter(subtree_q("subject_path", paths))
        .filter(lodged | decided)
        .annotate(prefix=Substr("subject_path", 1, deepest))
        .values("prefix", "outcome")
        .annotate(lodged=Count("id", filter=lodged), decided=Count("id", filter=decided))
        .order_by()
    )
    for row in appeals:
        for u in _owner(row["prefix"], units):
            figure = result[u.pk]["appeals"]
            figure["lodged"] += row["lodged"]
            if row["decided"]:
                figure["decided"][row["outcome"]] = (
                    figure["decided"].get(row["outcome"], 0) + row["decided"]
                )
    for figure in result.values():
        # The contract names the organizations' part `organizations`; `units` is the name
        # it was first published under, kept as an alias (the same counts).
        figure["by_form"][ORGANIZATIONS] = dict(figure["by_form"][UNITS])
        figure["members_by_standing"] = dict(sorted(figure["members_by_standing"].items()))
        figure["by_violation_kind"] = dict(sorted(figure["by_violation_kind"].items()))
    return result
