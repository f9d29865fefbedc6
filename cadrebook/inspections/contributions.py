"""What the inspections app contributes to the statistics, the dashboard and the report
document, through the registry of `core/contributions.py` (registered in `apps.py`):

- the figure "inspection" (the inspections and supervisions of the subtree's bodies in the
  period, by kind, their distinct subjects, the violations found, and the inspections
  received from higher levels: `figures.py`), its table, the dashboard's chart and the
  report's sentence of the seeds: "Completed 9 thematic inspections and supervisions of 35
  party organizations and 13 individuals; 1 surprise inspection; received 5 inspection teams
  from higher levels.";
- the figure "discipline" (the disciplines of the subtree's subjects in the period by form,
  for members and for organizations; statistical form 9's figures; the appeals and their
  outcomes), its tables and its sentence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cadrebook.core.contributions import (
    Chart,
    FigureContribution,
    FigureScope,
    PanelContribution,
    ReportSection,
    Stats,
    Table,
)
from cadrebook.inspections.choices import AppealOutcome, SubjectStatus
from cadrebook.inspections.discipline_rules import discipline_rules
from cadrebook.inspections.figures import (
    DISCIPLINE,
    INSPECTION,
    MEMBERS,
    STATED_TOGETHER,
    UNITS,
    discipline_figures,
    group_key,
    inspection_figures,
)
from cadrebook.inspections.permissions import VIEW_INSPECTIONS
from cadrebook.inspections.rules import inspection_rules

PANEL = "inspection_discipline"


def _load_nothing(parent: Any, first_year: int, last_year: int, children: bool) -> None:
    return None  # counted per period in the compute: a few grouped queries


def _inspection(scope: FigureScope, _loaded: Any) -> dict[int, dict[str, Any]]:
    return inspection_figures(scope.units, scope.date_from, scope.date_to, scope.rules)


def _discipline(scope: FigureScope, _loaded: Any) -> dict[int, dict[str, Any]]:
    return discipline_figures(scope.units, scope.date_from, scope.date_to, scope.rules)


# The sentence -------------------------------------------------------------------------------

# How the sentence counts the inspections of each group of kinds: a thematic inspection and a
# thematic supervision are stated together, as the provincial reports state them ("9 thematic
# inspections and supervisions"). A kind the rule set adds later is counted as "n inspections
# (kind)" until it has its words here.
Phrase = Callable[[int], str]
THEMATIC, REGULAR = STATED_TOGETHER
GROUPS: list[tuple[tuple[str, ...], Phrase]] = [
    (
        THEMATIC,
        lambda n: ngettext(
            "%(n)d thematic inspection or supervision",
            "%(n)d thematic inspections and supervisions",
            n,
        ),
    ),
    (
        REGULAR,
        lambda n: ngettext(
            "%(n)d regular inspection or supervision",
            "%(n)d regular inspections and supervisions",
            n,
        ),
    ),
    (
        ("signs_of_violation",),
        lambda n: ngettext(
            "%(n)d inspection on signs of violation",
            "%(n)d inspections on signs of violation",
            n,
        ),
    ),
    (
        ("surprise",),
        lambda n: ngettext("%(n)d surprise inspection", "%(n)d surprise inspections", n),
    ),
    (
        ("complaint",),
        lambda n: ngettext("%(n)d complaint handled", "%(n)d complaints handled", n),
    ),
    (
        ("denunciation",),
        lambda n: ngettext("%(n)d denunciation handled", "%(n)d denunciations handled", n),
    ),
    (
        ("finances",),
        lambda n: ngettext(
            "%(n)d inspection of party finances", "%(n)d inspections of party finances", n
        ),
    ),
]


def _other_kind(n: int) -> str:
    return ngettext("%(n)d inspection (%(kind)s)", "%(n)d inspections (%(kind)s)", n)


def _listed(phrases: list[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return _("%(list)s and %(last)s") % {"list": ", ".join(phrases[:-1]), "last": phrases[-1]}


def _subjects(units: int, members: int) -> str:
    """ "35 party organizations and 13 individuals"; empty when none."""
    parts = []
    if units:
        parts.append(
            ngettext("%(n)d party organization", "%(n)d party organizations", units) % {"n": units}
        )
    if members:
        parts.append(ngettext("%(n)d individual", "%(n)d individuals", members) % {"n": members})
    return _listed(parts) if parts else ""


def _clauses(figure: dict[str, Any]) -> list[str]:
    """One clause per group of kinds with inspections, the most first (ties in the order of
    the groups): "9 thematic inspections and supervisions of 35 party organizations and 13
    individuals", "1 surprise inspection". A group's subjects are its distinct subjects (a
    subject of both a thematic inspection and a thematic supervision is one subject:
    `completed_subjects_by_group`)."""
    # Completed: those concluded in the period. A figure stored before it was counted (an
    # issued report of earlier) says what it said then: those decided.
    by_group: dict[str, dict[str, int | None]] = {}
    if "completed_by_kind" in figure:
        by_kind: dict[str, int] = figure.get("completed_by_kind") or {}
        subjects: dict[str, dict[str, int]] = figure.get("completed_subjects_by_kind") or {}
        # Absent from a figure stored before the groups were counted: then added up.
        if "completed_subjects_by_group" in figure:
            by_group = figure["completed_subjects_by_group"] or {}
            grouped_known = True
        else:
            grouped_known = False
    else:
        by_kind = figure.get("by_kind") or {}
        subjects = figure.get("subjects_by_kind") or {}
        grouped_known = False
    grouped = list(GROUPS)
    known = {k for kinds, _phrase in GROUPS for k in kinds}
    grouped += [((k,), _other_kind) for k in sorted(by_kind) if k not in known]
    rules = inspection_rules()
    found = []
    for order, (kinds, phrase) in enumerate(grouped):
        n = sum(by_kind.get(k, 0) for k in kinds)
        if not n:
            continue
        # A count withheld for the reader (None, `inspection_mask`) is not stated.
        if len(kinds) > 1 and grouped_known:
            group = by_group.get(group_key(kinds)) or {}
            units = group.get(UNITS) or 0
            members = group.get(MEMBERS) or 0
        else:
            units = sum(subjects.get(k, {}).get(UNITS) or 0 for k in kinds)
            members = sum(subjects.get(k, {}).get(MEMBERS) or 0 for k in kinds)
        text = phrase(n) % {"n": n, "kind": rules.kind_label(kinds[0])}
        of = _subjects(units, members)
        if of:
            text = _("%(inspections)s of %(subjects)s") % {"inspections": text, "subjects": of}
        found.append((-n, order, text))
    return [text for _n, _order, text in sorted(found)]


def _joined(clauses: list[str]) -> str:
    """Clauses joined as the reports join them: "a; b; c"."""
    text = clauses[0]
    for clause in clauses[1:]:
        text = _("%(first)s; %(next)s") % {"first": text, "next": clause}
    return text


def inspection_sentences(stats: Stats) -> list[str]:
    """The seeds' sentence: "Completed 9 thematic inspections and supervisions of 35 party
    organizations and 13 individuals; 1 surprise inspection; received 5 inspection teams from
    higher levels."; none when nothing was inspected or received."""
    figure = stats.get(INSPECTION)
    if not figure:
        return []
    clauses = _clauses(figure)
    received = figure.get("received_from_higher_levels", 0)
    teams = (
        ngettext("%(n)d inspection team", "%(n)d inspection teams", received) % {"n": received}
        if received
        else ""
    )
    if clauses and teams:
        return [
            _("Completed %(inspections)s; received %(teams)s from higher levels.")
            % {"inspections": _joined(clauses), "teams": teams}
        ]
    if clauses:
        return [_("Completed %(inspections)s.") % {"inspections": _joined(clauses)}]
    if teams:
        return [_("Received %(teams)s from higher levels.") % {"teams": teams}]
    return []


def _forms_phrase(forms: dict[str, int]) -> str:
    """ "Reprimand: 2, Warning: 1", the forms with a count, lightest first."""
    rules = discipline_rules()
    return ", ".join(
        _("%(form)s: %(n)d") % {"n": n, "form": rules.form_label(form)}
        for form, n in forms.items()
        if n
    )


def discipline_sentences(stats: Stats) -> list[str]:
    """ "Disciplined 3 members (Reprimand: 2, Warning: 1) and 1 party organization
    (Reprimand: 1)."; none when no discipline was decided (annulled ones are not counted)."""
    figure = stats.get(DISCIPLINE)
    if not figure or not (figure["members"] or figure["units"]):
        return []
    parts = []
    # The distinct members and organizations (a member disciplined twice is one member); a
    # figure stored before they were counted gives the decisions.
    distinct = {
        MEMBERS: figure.get("members_disciplined", figure[MEMBERS]),
        UNITS: figure.get("units_disciplined", figure[UNITS]),
    }
    for part, phrase in (
        (MEMBERS, lambda n: ngettext("%(n)d member", "%(n)d members", n)),
        (UNITS, lambda n: ngettext("%(n)d party organization", "%(n)d party organizations", n)),
    ):
        n = distinct[part]
        if n:
            parts.append(
                _("%(subjects)s (%(forms)s)")
                % {
                    "subjects": phrase(n) % {"n": n},
                    "forms": _forms_phrase(figure["by_form"][part]),
                }
            )
    return [_("Disciplined %(list)s.") % {"list": _listed(parts)}]


# The tables ---------------------------------------------------------------------------------


def _kinds_of(figure: dict[str, Any]) -> list[str]:
    rules = inspection_rules()
    order = [k.code for k in rules.kinds]
    found = set(figure.get("by_kind") or {}) | set(figure.get("subjects_by_kind") or {})
    return order + sorted(found - set(order))


def inspection_tables(stats: Stats) -> list[Table]:
    """The inspections and supervisions by kind with their distinct subjects, the totals, the
    violations found and those received from higher levels; none when there is nothing."""
    figure = stats.get(INSPECTION)
    if not figure or not (figure["inspections"] or figure["received_from_higher_levels"]):
        return []
    rules = inspection_rules()
    table = Table(
        _("Inspections and supervisions"),
        [_("Kind"), _("Inspections"), _("Organizations inspected"), _("Individuals inspected")],
    )
    subjects = figure.get("subjects_by_kind") or {}
    for kind in _kinds_of(figure):
        n = figure["by_kind"].get(kind, 0)
        if not n:
            continue
        s = subjects.get(kind, {})
        table.rows.append([rules.kind_label(kind), n, s.get(UNITS, 0), s.get(MEMBERS, 0)])
    table.rows.append(
        [
            _("Total (distinct subjects)"),
            figure["inspections"],
            figure["units_inspected"],
            figure["members_inspected"],
        ]
    )
    found = figure.get("violations_found") or {}
    table.rows.append([_("Violations found"), None, found.get(UNITS, 0), found.get(MEMBERS, 0)])
    table.rows.append(
        [_("Received from higher levels"), figure["received_from_higher_levels"], None, None]
    )
    return [table]


def discipline_tables(stats: Stats) -> list[Table]:
    """Statistical form 9's figures: the disciplines by form, of members (full and
    probationary) and of organizations; and the appeals by outcome; none when there is
    nothing."""
    figure = stats.get(DISCIPLINE)
    if not figure:
        return []
    appeals = figure.get("appeals") or {}
    decided = appeals.get("decided") or {}
    tables = []
    if figure["members"] or figure["units"]:
        rules = discipline_rules()
        forms = list(dict.fromkeys([*figure["by_form"][MEMBERS], *figure["by_form"][UNITS]]))
        standing = figure.get("members_by_standing") or {}
        table = Table(
            _("Disciplines by form"),
            [
                _("Form"),
                _("Members"),
                _("of them full members"),
                _("of them probationary members"),
                _("Organizations"),
            ],
        )
        for form in forms:
            table.rows.append(
                [
                    rules.form_label(form),
                    figure["by_form"][MEMBERS].get(form, 0),
                    standing.get(SubjectStatus.FULL, {}).get(form, 0),
                    standing.get(SubjectStatus.PROBATIONARY, {}).get(form, 0),
                    figure["by_form"][UNITS].get(form, 0),
                ]
            )
        table.rows.append([_("Total"), figure["members"], None, None, figure["units"]])
        tables.append(table)
    if appeals.get("lodged") or any(decided.values()):
        table = Table(_("Appeals against disciplines"), [_("Appeals"), _("Count")])
        table.rows.append([_("Lodged"), appeals.get("lodged", 0)])
        for outcome in AppealOutcome:
            if outcome.value in decided:
                table.rows.append(
                    [
                        _("Decided: %(outcome)s") % {"outcome": outcome.label},
                        decided[outcome.value],
                    ]
                )
        tables.append(table)
    return tables


# The dashboard ------------------------------------------------------------------------------


def inspection_chart(stats: Stats) -> Chart:
    """The inspections and supervisions by kind and the disciplines by form (members and
    organizations), as bars on one axis of categories; the table gives the same numbers."""
    i_rules, d_rules = inspection_rules(), discipline_rules()
    inspection = stats.get(INSPECTION) or {"by_kind": {}}
    discipline = stats.get(DISCIPLINE) or {"by_form": {MEMBERS: {}, UNITS: {}}}
    kinds = [k for k in _kinds_of(inspection) if k in inspection["by_kind"]]
    forms = list(dict.fromkeys([*discipline["by_form"][MEMBERS], *discipline["by_form"][UNITS]]))
    labels = [i_rules.kind_label(k) for k in kinds] + [d_rules.form_label(f) for f in forms]
    blank: list[int | None] = [None] * len(forms)
    inspections = [inspection["by_kind"].get(k, 0) for k in kinds] + blank
    members: list[int | None] = [None] * len(kinds)
    members += [discipline["by_form"][MEMBERS].get(f, 0) for f in forms]
    units: list[int | None] = [None] * len(kinds)
    units += [discipline["by_form"][UNITS].get(f, 0) for f in forms]
    option = {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "value", "minInterval": 1},
        "yAxis": {"type": "category", "data": labels, "inverse": True},
        "series": [
            {"name": _("Inspections and supervisions"), "type": "bar", "data": inspections},
            {"name": _("Members disciplined"), "type": "bar", "stack": "d", "data": members},
            {"name": _("Organizations disciplined"), "type": "bar", "stack": "d", "data": units},
        ],
    }
    rows = [[label, inspections[i], members[i], units[i]] for i, label in enumerate(labels)]
    return Chart(
        PANEL,
        _("Inspections by kind and disciplines by form"),
        option,
        [
            _("Kind or form"),
            _("Inspections and supervisions"),
            _("Members disciplined"),
            _("Organizations disciplined"),
        ],
        rows,
    )


# Small counts -------------------------------------------------------------------------------

Cell = tuple[str, ...]


def _get(figure: dict[str, Any], cell: Cell) -> Any:
    value: Any = figure
    for key in cell:
        value = value[key]
    return value


def _put(figure: dict[str, Any], cell: Cell, value: Any) -> None:
    target = _get(figure, cell[:-1])
    target[cell[-1]] = value


def _withhold_small(
    figure: dict[str, Any], cells: list[Cell], sums: list[list[Cell]], small: int
) -> dict[str, Any]:
    """The counts of 1 to `small` - 1 among `cells` withheld (null), and as many more of
    `cells` as it takes that no relation in `sums` (counts that add up to another, or to
    a known total) has exactly one withheld term: it would be the others' difference. As
    `reports/privacy.py` coarsens the members' sensitive breakdowns."""
    values = {c: _get(figure, c) for c in cells}
    hidden = {c for c, n in values.items() if 0 < n < small}
    changed = True
    while changed:
        changed = False
        for terms in sums:
            shown = [t for t in terms if t not in hidden]
            if len(terms) - len(shown) == 1 and shown:
                hidden.add(min(shown, key=lambda t: (values[t], t)))
                changed = True
    for cell in hidden:
        _put(figure, cell, None)
    return figure


def discipline_mask(figure: dict[str, Any] | None, small: int) -> dict[str, Any] | None:
    """The discipline figure for a reader who may not read discipline files: the counts of
    members that could single out a disciplined person withheld (`_withhold_small`); the
    breakdowns mixing members and organizations (kinds of violation, duty-related) withheld
    as a whole. The organizations' counts stay: an organization is not a person."""
    if figure is None:
        return None
    forms = list(figure["by_form"][MEMBERS])
    standing = figure.get("members_by_standing") or {}
    cells: list[Cell] = [(MEMBERS,)]
    if "members_disciplined" in figure:  # not in a figure stored before it was counted
        cells.append(("members_disciplined",))
    cells += [("by_form", MEMBERS, f) for f in forms]
    cells += [("members_by_standing", s, f) for s, row in standing.items() for f in row]
    cells += [("appeals", "lodged")] + [
        ("appeals", "decided", o) for o in figure["appeals"]["decided"]
    ]
    sums: list[list[Cell]] = [[(MEMBERS,)] + [("by_form", MEMBERS, f) for f in forms]]
    for f in forms:
        sums.append(
            [("by_form", MEMBERS, f)]
            + [("members_by_standing", s, f) for s, row in standing.items() if f in row]
        )
    figure = _withhold_small(figure, cells, sums, small)
    figure["by_violation_kind"] = None
    figure["duty_related"] = None
    return figure


def inspection_mask(figure: dict[str, Any] | None, small: int) -> dict[str, Any] | None:
    """The inspection figure for a reader who may not read inspection files: the numbers of
    individuals inspected, and of those found in violation, withheld when small (distinct
    counts: none adds up to another)."""
    if figure is None:
        return None
    cells: list[Cell] = [("members_inspected",), ("violations_found", MEMBERS)]
    for key in ("subjects_by_kind", "completed_subjects_by_kind", "completed_subjects_by_group"):
        cells += [(key, k, MEMBERS) for k in figure.get(key) or {}]
    return _withhold_small(figure, cells, [], small)


INSPECTION_FIGURE = FigureContribution(
    key=INSPECTION,
    load=_load_nothing,
    compute=_inspection,
    read_action=VIEW_INSPECTIONS,
    mask_small=inspection_mask,
)
DISCIPLINE_FIGURE = FigureContribution(
    key=DISCIPLINE,
    load=_load_nothing,
    compute=_discipline,
    read_action=VIEW_INSPECTIONS,
    mask_small=discipline_mask,
)
# After the evaluation (70), before the subordinate units (90).
INSPECTION_SECTION = ReportSection(
    id=INSPECTION, order=75, tables=inspection_tables, sentences=inspection_sentences
)
DISCIPLINE_SECTION = ReportSection(
    id=DISCIPLINE, order=76, tables=discipline_tables, sentences=discipline_sentences
)
# After the ratings (35), before the members by status (40).
INSPECTION_PANEL = PanelContribution(
    PANEL, 38, lambda stats, history, tree: inspection_chart(stats)
)
