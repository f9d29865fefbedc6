"""What the targets contribute to the statistics and the report document, through the
registry of `core/contributions.py` (registered in `apps.py`): the figure "targets" (for each
target of the period's years, the actual count over the whole year and the achievement, e.g.
830 admissions against a target of 820, 101.22%), its table in the report and its sentences
in the narrative. The reports app never names targets itself; a new app contributes its
figures the same way.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from cadrebook.core.contributions import (
    FigureContribution,
    FigureScope,
    ReportSection,
    Stats,
    Table,
)
from cadrebook.core.numbers import num, pct, percent
from cadrebook.evaluations.models import Target
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
