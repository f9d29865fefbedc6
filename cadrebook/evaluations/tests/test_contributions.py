"""The targets reach the statistics, the dashboard and the report only through the registry
of `core/contributions.py`; reports names no target, and a figure any app registers shows up
in the statistics, the CSV and the document without a change to reports."""

from __future__ import annotations

import ast
import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.core import contributions
from cadrebook.core.contributions import FigureContribution, ReportSection, Table
from cadrebook.evaluations.contributions import TARGET_FIGURE, TARGET_SECTION
from cadrebook.evaluations.services import target_set
from cadrebook.reports import document
from cadrebook.reports.selectors import PeriodSource, unit_statistics

D = dt.date
REPORTS = Path(__file__).resolve().parents[2] / "reports"


def test_the_targets_are_registered_by_their_app() -> None:
    assert TARGET_FIGURE in contributions.figures()
    assert TARGET_SECTION in contributions.report_sections()
    assert [p.id for p in contributions.panels()][:1] == ["membership"]


def test_reports_code_does_not_reach_into_the_targets() -> None:
    """Outside its API schema (which takes the target's shape from evaluations/api.py),
    reports imports nothing of evaluations: the figure comes through the registry."""
    for path in REPORTS.rglob("*.py"):
        if "tests" in path.parts or path.name == "api.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert not node.module.startswith("cadrebook.evaluations"), path


def test_the_statistics_carry_the_target_against_its_count(
    tree: SimpleNamespace, make_member: Any, actor: Any
) -> None:
    for _ in range(3):
        make_member(tree.K1, D(1995, 1, 1), D(2024, 3, 1))
    target_set(actor=actor, unit=tree.C1, year=2024, indicator="admissions", target=2)
    stats = unit_statistics(tree.C1, D(2024, 1, 1), D(2024, 12, 31), source=PeriodSource())
    want = {"indicator": "admissions", "year": 2024, "target": 2, "actual": 3}
    assert stats["targets"] == [{**want, "achievement_pct": 150.0}]
    assert "3 admissions against a target of 2, 150.00%" in document.narrative(stats, "en")


@pytest.fixture
def extra_figure() -> Any:
    """A figure and a section an imagined app contributes, removed afterwards."""
    figure = FigureContribution(
        key="inspections",
        load=lambda parent, first, last, children: None,
        compute=lambda scope, loaded: {u.pk: [{"code": u.code, "n": 7}] for u in scope.units},
        csv_key=lambda item: item["code"],
    )
    section = ReportSection(
        "inspections",
        60,
        tables=lambda stats: [Table("Inspections", ["Unit", "n"], [["x", 7]])],
        sentences=lambda stats: ["Seven inspections."],
    )
    contributions.register_figure(figure)
    contributions.register_report_section(section)
    yield
    contributions._figures.pop("inspections")
    contributions._sections.pop("inspections")


def test_a_contributed_figure_reaches_every_output(
    tree: SimpleNamespace, extra_figure: Any
) -> None:
    stats = unit_statistics(tree.C1, D(2024, 1, 1), D(2024, 12, 31), source=PeriodSource())
    assert stats["inspections"] == [{"code": "C1", "n": 7}]
    assert stats["previous"]["inspections"] == [{"code": "C1", "n": 7}]
    assert stats["children"][0]["inspections"] == [{"code": "G1", "n": 7}]
    assert "inspections,C1.n,7" in document.stats_csv(stats)
    assert "Inspections" in [t.title for t in document.tables(stats, "en")]
    assert "Seven inspections." in document.narrative(stats, "en")
