"""The dashboard: charts and their tables agree, scope, and local assets only."""

from __future__ import annotations

import datetime as dt
import json
import re
from types import SimpleNamespace
from typing import Any

import pytest

from cadrebook.accounts.services import role_grant
from cadrebook.evaluations.services import target_set
from cadrebook.reports.dashboard import dashboard_charts
from cadrebook.reports.selectors import (
    PeriodSource,
    membership_history,
    unit_statistics,
    unit_tree_sizes,
)

D = dt.date


@pytest.fixture
def scenario(tree: SimpleNamespace, make_member: Any, actor: Any) -> None:
    for n in range(5):
        make_member(tree.K1, D(1995, 1, 1), D(2024, 3, 1), gender="female" if n < 2 else "male")
    make_member(tree.GC, D(1960, 1, 1), D(2015, 1, 1), recognized=True, ethnicity="Tày")
    target_set(actor=actor, unit=tree.C1, year=2024, indicator="admissions", target=4)


def charts(tree: SimpleNamespace) -> dict[str, Any]:
    stats = unit_statistics(tree.P, D(2024, 1, 1), D(2024, 12, 31), source=PeriodSource())
    history = membership_history(tree.P, D(2024, 12, 31), 10, source=PeriodSource())
    sizes = unit_tree_sizes(tree.P, D(2024, 12, 31), source=PeriodSource())
    return {c.id: c for c in dashboard_charts(stats, history, sizes)}


def test_every_chart_draws_the_numbers_of_its_table(scenario: None, tree: SimpleNamespace) -> None:
    c = charts(tree)
    line = c["membership"]
    assert [s["data"] for s in line.option["series"]][0] == [row[1] for row in line.rows]
    assert line.rows[-1][1] == 6
    pyramid = c["pyramid"]
    men, women = (s["data"] for s in pyramid.option["series"])
    assert [-m for m in men] == [row[1] for row in pyramid.rows]  # men drawn to the left
    assert women == [row[2] for row in pyramid.rows]
    assert pyramid.rows[0] == ["18-30", 3, 2, 5]
    bars = c["admissions"]
    assert bars.rows == [["Unit C1", 5, 4], ["Unit C2", 0, None]]
    assert [s["data"] for s in bars.option["series"]] == [[5, 0], [4, None]]
    status = c["status"]
    assert [d["value"] for d in status.option["series"][0]["data"]] == [1, 5]
    assert c["ethnicity"].rows == [["Tày", 1], ["Not recorded", 5]]
    assert c["tree"].rows == [["Unit C1", 5], ["Unit C2", 1]]


@pytest.fixture
def viewer(tree: SimpleNamespace, actor: Any, django_user_model: Any, client: Any) -> Any:
    user = django_user_model.objects.create_user(username="viewer")
    role_grant(actor=actor, user=user, role="viewer", unit=tree.C1)
    client.force_login(user)
    return user


def test_the_dashboard_shows_the_users_scope(scenario: None, viewer: Any, client: Any) -> None:
    page = client.get("/reports/", {"year": "2024"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Unit C1" in html
    options = re.findall(
        r'<script id="([a-z]+)-option" type="application/json">(.*?)</script>', html
    )
    assert {name for name, _ in options} == {
        "membership",
        "pyramid",
        "admissions",
        "evaluation",
        "status",
        "ethnicity",
        "tree",
        "cadres",
    }  # fmt: skip (evaluation, cadres: contributed by their apps)
    status = json.loads(dict(options)["status"])
    assert [d["value"] for d in status["series"][0]["data"]] == [0, 5]
    # Only the app's own files: no CDN.
    for src in re.findall(r'(?:src|href)="([^"]+)"', html):
        assert not src.startswith(("http:", "https:", "//")), src
    assert "vendor/echarts/echarts.min.js" in html


def test_other_subtrees_answer_404(scenario: None, viewer: Any, client: Any) -> None:
    assert client.get("/reports/", {"unit": "C2"}).status_code == 404
    assert client.get("/reports/", {"unit": "P"}).status_code == 404
    assert client.get("/reports/", {"unit": "NOPE"}).status_code == 404
    assert client.get("/reports/", {"unit": "G1"}).status_code == 200


@pytest.mark.parametrize("year", ["99999", "1", "1899", "next year", str(dt.date.today().year + 1)])
def test_a_year_out_of_range_is_said_and_the_default_year_shown(
    viewer: Any, client: Any, year: str
) -> None:
    """Not silently replaced (issue 14): the page says the year was refused and which year it
    shows instead, as the member list says why it ignores a date."""
    page = client.get("/reports/", {"unit": "C1", "year": year})
    assert page.status_code == 200
    last = dt.date.today().year - 1
    assert page.context["year"] == last
    error = page.context["year_error"]
    assert year in error and str(last) in error
    assert 'data-testid="year-error"' in page.content.decode()


def test_a_year_in_range_or_none_shows_no_error(viewer: Any, client: Any) -> None:
    for params in ({}, {"year": ""}, {"year": "2024"}, {"year": str(dt.date.today().year)}):
        page = client.get("/reports/", {"unit": "C1", **params})
        assert page.status_code == 200 and page.context["year_error"] == "", params
        assert 'data-testid="year-error"' not in page.content.decode()


def test_the_dashboard_needs_a_login(client: Any) -> None:
    response = client.get("/reports/")
    assert response.status_code == 302 and "/login/" in response.url


def test_admissions_chart_keeps_the_largest_units_readable() -> None:
    from cadrebook.reports.dashboard import MAX_BARS, admissions_chart

    children = [
        {
            "unit": f"U{i:03}",
            "name": f"Unit {i}",
            "members": {"total": i},
            "movements": {"admitted": i % 7},
            "targets": [],
        }
        for i in range(MAX_BARS + 10)
    ]
    chart = admissions_chart({"children": children})
    assert len(chart.rows) == MAX_BARS
    assert chart.rows[0][0] == "Unit 10" and chart.rows[-1][0] == f"Unit {MAX_BARS + 9}"
    assert str(MAX_BARS + 10) in chart.title
