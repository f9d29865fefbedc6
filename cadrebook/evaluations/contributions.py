"""What the evaluations app contributes to the statistics, the dashboard and the report
document, through the registry of `core/contributions.py` (registered in `apps.py`):

- the figure "targets" (for each target of the period's years, the actual count over the
  whole year and the achievement, e.g. 830 admissions against a target of 820, 101.22%), its
  table in the report and its sentences in the narrative;
- the figure "evaluation" (the ratings of the year of the period's end: `members` and
  `units`, each a count per level plus `not_rated`, the units by kind, the shares of those
  rated, and `quota` per grassroots organization: `figures.py`), its tables, its sentences
  (with the change from the year before, read from the statistics' `previous`), and the
  dashboard's chart of the levels.

The reports app never names them itself; a new app contributes its figures the same way.
"""

from __future__ import annotations

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
from cadrebook.core.numbers import num, pct, percent
from cadrebook.evaluations.choices import LEVEL_ORDER, Level
from cadrebook.evaluations.figures import NOT_RATED, rated, scope_figures, shares
from cadrebook.evaluations.models import Target
from cadrebook.evaluations.rules import evaluation_rules
from cadrebook.evaluations.selectors import statistics_targets

FIGURE = "targets"


def indicator_label(code: str) -> str:
    """An indicator of the rule set as a sentence names it ("admissions")."""
    return {"admissions": _("admissions"), "recognitions": _("recognitions")}.get(code, code)


def target_figures(scope: FigureScope, targets: list[Target]) -> dict[int, list[dict[str, Any]]]:
    """Targets of the scope's units for the years of the period, with the actual of each
    indicator over the whole year; `targets` are those `statistics_targets` read."""
    indicators: dict[str, str] = scope.rules.section("targets").get("indicators", {})
    years = range(scope.date_from.year, scope.date_to.year + 1)
    result: dict[int, list[dict[str, Any]]] = {u.pk: [] for u in scope.units}
    for target in targets:
        if target.unit_id not in result or target.year not in years:
            continue  # a child that does not exist on the date, or another year
        counts = scope.year_movements(target.unit_id, target.year)
        movement = scope.movement_of(indicators.get(target.indicator, target.indicator))
        actual = counts.get(movement, 0)
        result[target.unit_id].append(
            {
                "indicator": target.indicator,
                "year": target.year,
                "target": target.target,
                "actual": actual,
                "achievement_pct": percent(actual, target.target),
            }
        )
    return result


def target_sentences(stats: Stats) -> list[str]:
    """One sentence per target, in the active language."""
    return [
        _("%(year)s: %(actual)s %(indicator)s against a target of %(target)s, %(pct)s%%.")
        % {
            "year": t["year"],
            "actual": num(t["actual"]),
            "indicator": indicator_label(t["indicator"]),
            "target": num(t["target"]),
            "pct": pct(t["achievement_pct"]),
        }
        for t in stats.get(FIGURE, [])
    ]


def target_tables(stats: Stats) -> list[Table]:
    """The table of the targets, when there are any."""
    if not stats.get(FIGURE):
        return []
    table = Table(
        _("Targets"), [_("Year"), _("Indicator"), _("Target"), _("Actual"), _("Achievement %")]
    )
    for t in stats[FIGURE]:
        table.rows.append(
            [
                t["year"],
                indicator_label(t["indicator"]),
                t["target"],
                t["actual"],
                t["achievement_pct"],
            ]
        )
    return [table]


def _load(parent: Any, first_year: int, last_year: int, children: bool) -> list[Target]:
    return statistics_targets(parent, first_year, last_year, children)


def _csv_key(item: dict[str, Any]) -> str:
    return f"{item['year']}.{item['indicator']}"


TARGET_FIGURE = FigureContribution(key=FIGURE, load=_load, compute=target_figures, csv_key=_csv_key)
# After the member figures of the reports (order 10), before the subordinate units (90).
TARGET_SECTION = ReportSection(
    id=FIGURE, order=50, tables=target_tables, sentences=target_sentences
)


# The evaluation --------------------------------------------------------------------------

EVALUATION = "evaluation"


def evaluation_figures(scope: FigureScope, _loaded: Any) -> dict[int, dict[str, Any]]:
    """Unit id -> the `evaluation` section of the year of the scope's period end (the year
    before's statistics ask again with their own period): those not rated are the members
    and units the statistics themselves count (on their `as_of`, 31 December for a year's
    statistics) less those rated."""
    counted = scope.counted_on(scope.as_of)
    year = scope.date_to.year
    return scope_figures(scope.parent, scope.units, year, counted, scope.rules)


def _load_nothing(parent: Any, first_year: int, last_year: int, children: bool) -> None:
    return None  # read per period in `evaluation_figures`: a few rows of the tally


def level_label(level: str) -> str:
    """A level as the rule set in force names it in the active language, or "not rated", as
    the tables and the chart name it."""
    if level == NOT_RATED:
        return _("Not rated")
    return evaluation_rules().level_label(level)


def _evaluation(stats: Stats) -> dict[str, Any] | None:
    figure = stats.get(EVALUATION)
    return figure if figure and (rated(figure["members"]) or rated(figure["units"])) else None


# How a sentence counts those rated at each level (the share of those rated follows).
RATED_AT: dict[str, Any] = {
    Level.EXCELLENT: lambda: _("%(count)s excellent (%(pct)s%%)"),
    Level.GOOD: lambda: _("%(count)s good (%(pct)s%%)"),
    Level.COMPLETED: lambda: _("%(count)s completed (%(pct)s%%)"),
    Level.NOT_COMPLETED: lambda: _("%(count)s not completed (%(pct)s%%)"),
}


def _listed(phrases: list[str]) -> str:
    if len(phrases) == 1:
        return phrases[0]
    return _("%(list)s and %(last)s") % {"list": ", ".join(phrases[:-1]), "last": phrases[-1]}


def _by_level(counts: dict[str, int]) -> str:
    share = shares(counts)
    return _listed(
        [
            RATED_AT[level]() % {"count": num(counts[level]), "pct": pct(share[level])}
            for level in LEVEL_ORDER
            if counts[level]
        ]
    )


def _excellent_change(now: dict[str, Any], before: dict[str, Any] | None, part: str) -> str:
    """ "26.67% of the organizations rated were rated excellent (20.00% in 2024)." """
    share = shares(now[part])[Level.EXCELLENT]
    earlier = shares(before[part])[Level.EXCELLENT] if before else None
    if part == "units":
        if earlier is None:
            text = _("%(pct)s%% of the organizations rated were rated excellent.")
        else:
            text = _(
                "%(pct)s%% of the organizations rated were rated excellent (%(before)s%% in "
                "%(year)s)."
            )
    elif earlier is None:
        text = _("%(pct)s%% of the members rated were rated excellent.")
    else:
        text = _("%(pct)s%% of the members rated were rated excellent (%(before)s%% in %(year)s).")
    return text % {
        "pct": pct(share),
        "before": pct(earlier),
        "year": before["year"] if before else "",
    }


def evaluation_sentences(stats: Stats) -> list[str]:
    """The report's sentences on the year's ratings: members and organizations rated by
    level with the share of each, those not rated, and the share rated excellent against
    the year before; none when nothing was rated."""
    now = _evaluation(stats)
    if now is None:
        return []
    before = _evaluation(stats.get("previous") or {})
    sentences = []
    members = now["members"]
    if rated(members):
        sentences.append(
            ngettext(
                "In %(year)s %(count)s member was rated: %(list)s.",
                "In %(year)s %(count)s members were rated: %(list)s.",
                rated(members),
            )
            % {"year": now["year"], "count": num(rated(members)), "list": _by_level(members)}
        )
        if members[NOT_RATED]:
            sentences.append(
                ngettext(
                    "%(count)s member was not rated.",
                    "%(count)s members were not rated.",
                    members[NOT_RATED],
                )
                % {"count": num(members[NOT_RATED])}
            )
        sentences.append(_excellent_change(now, before, "members"))
    units = now["units"]
    if rated(units):
        sentences.append(
            ngettext(
                "%(count)s party organization was rated: %(list)s.",
                "%(count)s party organizations were rated: %(list)s.",
                rated(units),
            )
            % {"count": num(rated(units)), "list": _by_level(units)}
        )
        sentences.append(_excellent_change(now, before, "units"))
    return sentences


def evaluation_tables(stats: Stats) -> list[Table]:
    """The ratings by level (members and organizations, counts and shares of those rated),
    and the organizations over the quota of excellent, when anything was rated."""
    now = _evaluation(stats)
    if now is None:
        return []
    members, units = now["members"], now["units"]
    m_share, u_share = shares(members), shares(units)
    table = Table(
        _("Ratings of %(year)s") % {"year": now["year"]},
        [
            _("Level"),
            _("Members"),
            # xgettext:no-python-format
            _("% of members rated"),
            _("Organizations"),
            # xgettext:no-python-format
            _("% rated"),
        ],
    )
    for level in LEVEL_ORDER:
        table.rows.append(
            [level_label(level), members[level], m_share[level], units[level], u_share[level]]
        )
    table.rows.append([level_label(NOT_RATED), members[NOT_RATED], None, units[NOT_RATED], None])
    tables = [table]
    over = [q for q in now["quota"] if q["over"]]
    if over:
        quota = Table(
            _("Over the quota of excellent in %(year)s") % {"year": now["year"]},
            [_("Organization"), _("Group"), _("Excellent"), _("Good"), _("Allowed"), _("Over")],
        )
        for q in over:
            quota.rows.append(
                [q["unit"], q["role_group"], q["excellent"], q["good"], q["allowed"], q["over"]]
            )
        tables.append(quota)
    return tables


def evaluation_chart(stats: Stats) -> Chart:
    """The levels of the year's members and organizations, each a bar of 100 % (those
    counted, not rated included), so millions of members and thousands of organizations read
    on one scale; the table gives the counts."""
    figure = stats.get(EVALUATION) or {"year": "", "members": {}, "units": {}}
    members, units = figure["members"], figure["units"]
    keys = [*LEVEL_ORDER, NOT_RATED]
    m_total = sum(members.get(k, 0) for k in keys)
    u_total = sum(units.get(k, 0) for k in keys)
    option = {
        "animation": False,
        "tooltip": {"trigger": "axis"},
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 20, "top": 40, "bottom": 40, "containLabel": True},
        "xAxis": {"type": "value", "max": 100},
        "yAxis": {"type": "category", "data": [_("Members"), _("Organizations")]},
        "series": [
            {
                "name": level_label(k),
                "type": "bar",
                "stack": "levels",
                "data": [percent(members.get(k, 0), m_total), percent(units.get(k, 0), u_total)],
            }
            for k in keys
        ],
    }
    rows = [
        [
            level_label(k),
            members.get(k, 0),
            percent(members.get(k, 0), m_total),
            units.get(k, 0),
            percent(units.get(k, 0), u_total),
        ]
        for k in keys
    ]
    return Chart(
        EVALUATION,
        _("Ratings of %(year)s by level") % {"year": figure["year"]},
        option,
        [
            _("Level"),
            _("Members"),
            # xgettext:no-python-format
            _("% of members"),
            _("Organizations"),
            # xgettext:no-python-format
            _("% of organizations"),
        ],
        rows,
    )


EVALUATION_FIGURE = FigureContribution(
    key=EVALUATION, load=_load_nothing, compute=evaluation_figures
)
# After the documents (60), before the subordinate units (90).
EVALUATION_SECTION = ReportSection(
    id=EVALUATION, order=70, tables=evaluation_tables, sentences=evaluation_sentences
)
# After the admissions (30), before the members by status (40).
EVALUATION_PANEL = PanelContribution(
    EVALUATION, 35, lambda stats, history, tree: evaluation_chart(stats)
)
