"""The `cadres` figure where users read it: the statistics API and `cadrebook report stats`
(the contract's keys), the report document (its tables and sentences, in English and
Vietnamese), the dashboard's chart; masked for a reader without `view_sensitive` as the
statistics' privacy masks the members' age and ethnicity."""

from __future__ import annotations

import io
import json
from types import SimpleNamespace
from typing import Any

from django.core.management import call_command

from cadrebook.cadres.contributions import (
    CADRES_FIGURE,
    CADRES_PANEL,
    CADRES_SECTION,
    cadres_chart,
    cadres_mask,
    cadres_sentences,
)
from cadrebook.cadres.figures import CADRES
from cadrebook.cadres.tests.test_figures import world  # noqa: F401  (the fixture)
from cadrebook.core import contributions
from cadrebook.reports import document
from cadrebook.reports.selectors import PeriodSource, unit_statistics

QUERY = {"unit": "C1", "from": "2025-01-01", "to": "2025-12-31"}
# The contract: holders by position level, age bracket, gender, ethnicity; planning
# structure against targets, for the period's end.
CONTRACT = ("by_level", "by_age_bracket", "by_gender", "by_ethnicity", "planning")


def test_the_figure_the_section_and_the_panel_are_registered() -> None:
    assert CADRES_FIGURE in contributions.figures()
    assert CADRES_SECTION in contributions.report_sections()
    assert CADRES_PANEL in contributions.panels()


def test_the_statistics_api_answers_the_cadres_section(
    world: Any,  # noqa: F811
    token_clients: Any,
    tree: SimpleNamespace,
) -> None:
    clients = token_clients([("org-p", "organizer", tree.P)])
    response = clients["org-p"].get("/api/v1/reports/stats", QUERY)
    assert response.status_code == 200, response.content
    figure = response.json()[CADRES]
    for key in CONTRACT:
        assert figure[key] is not None, key
    assert figure["posts"] == 3 and figure["by_gender"]["female"] == 1
    assert figure["by_ethnicity"]["minorities"] == 1
    assert figure["planning"]["shares"]["women"]["target_percent"] == 25.0
    assert figure["planning"]["shares"]["women"]["short"] is False
    children = {c["unit"]: c[CADRES] for c in response.json()["children"]}
    assert children["G1"]["posts"] == 1


def test_a_viewer_gets_no_age_nor_ethnicity(
    world: Any,  # noqa: F811
    token_clients: Any,
    tree: SimpleNamespace,
    settings: Any,
) -> None:
    clients = token_clients([("viewer-p", "viewer", tree.P)])
    # A small subtree (fewer members than the statistics' minimum): withheld as a whole, and
    # per subordinate unit, as the confidential figures are.
    small = clients["viewer-p"].get("/api/v1/reports/stats", QUERY).json()
    assert small[CADRES] is None
    assert all(c[CADRES] is None for c in small["children"])
    # A subtree large enough: the posts and genders stay, age and ethnicity are withheld.
    settings.CADREBOOK_STATS_MIN_MEMBERS = 1
    masked = clients["viewer-p"].get("/api/v1/reports/stats", QUERY).json()[CADRES]
    assert masked["posts"] == 3 and masked["by_gender"]["female"] == 1
    assert masked["by_age_bracket"] is None and masked["by_ethnicity"] is None
    planning = masked["planning"]
    assert planning["by_age_bracket"] is None
    assert planning["shares"]["young"]["count"] is None
    assert planning["shares"]["ethnic_minority"]["percent"] is None
    assert planning["shares"]["women"]["count"] == 2
    assert "age_brackets" not in planning["shortfalls"]
    assert all(s["by_age_bracket"] is None for s in planning["by_level"].values())
    # Nothing of it in the sentences either.
    stats = unit_statistics(tree.C1, *_period(), source=PeriodSource())
    stats[CADRES] = masked
    assert not any("ethnic" in s for s in cadres_sentences(stats))


def _period() -> tuple[Any, Any]:
    import datetime as dt

    return dt.date(2025, 1, 1), dt.date(2025, 12, 31)


def test_the_mask_leaves_an_absent_figure_absent() -> None:
    assert cadres_mask(None, 5) is None


def test_report_stats_prints_it(world: Any) -> None:  # noqa: F811
    out = io.StringIO()
    args = ["stats", "--unit", "C1", "--from", "2025-01-01", "--to", "2025-12-31"]
    call_command("report", *args, stdout=out, stderr=io.StringIO())
    figure = json.loads(out.getvalue())[CADRES]
    assert figure["posts"] == 3 and figure["planning"]["people"] == 2
    csv_out = io.StringIO()
    call_command("report", *args, "--format", "csv", stdout=csv_out, stderr=io.StringIO())
    assert "cadres,by_position.secretary,2" in csv_out.getvalue()


def test_the_report_document_carries_the_section(
    world: Any,  # noqa: F811
    tree: SimpleNamespace,
) -> None:
    stats = unit_statistics(tree.C1, *_period(), source=PeriodSource())
    sentences = cadres_sentences(stats)
    assert sentences[0].startswith("3 committee posts held on 12/31/2025 by 3 people: 1 woman")
    assert "1 from an ethnic minority (33.33%)" in sentences[0]
    assert sentences[1].startswith("Planning: 2 people for 2 posts; Women 100.00% against")
    assert "1 confidence vote on 2 people" in sentences[2]
    text = document.narrative(stats, "en")
    assert "3 committee posts held on" in text
    titles = [t.title for t in document.tables(stats, "en")]
    assert "Committee posts by position" in titles and "Planning structure" in titles
    for language in ("vi", "km"):
        assert document.narrative(stats, language)
        tables = document.tables(stats, language)
        # The positions in the rule set's words of the language.
        cells = [str(c) for t in tables for row in t.rows for c in row]
        if language == "vi":
            assert "Bí thư" in cells


def test_the_compose_page_shows_it_in_english_and_vietnamese(
    world: Any,  # noqa: F811
    organizer: Any,
    client: Any,
) -> None:
    client.force_login(organizer)
    english = client.get("/reports/compose/", {"unit": "C1", "year": "2025", "language": "en"})
    assert english.status_code == 200
    page = english.content.decode()
    assert "Committee posts by position" in page and "3 committee posts held on" in page
    vietnamese = client.get("/reports/compose/", {"unit": "C1", "year": "2025", "language": "vi"})
    assert vietnamese.status_code == 200
    assert "Phó Bí thư" in vietnamese.content.decode()


def test_the_dashboard_chart(world: Any, tree: SimpleNamespace) -> None:  # noqa: F811
    stats = unit_statistics(tree.C1, *_period(), source=PeriodSource())
    chart = cadres_chart(stats)
    assert chart.id == "cadres"
    assert [row[1:] for row in chart.rows] == [[2, 2, 2], [1, 1, 0]]
    assert chart.option["series"][0]["data"] == [2, 1]
    empty = cadres_chart({})
    assert empty.rows == []
