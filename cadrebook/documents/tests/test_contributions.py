"""The statistics carry a "documents" figure, `{"by_type": {...}}`: what the units of each
subtree issued in the period, drafts aside, through the registry of core/contributions.py."""

from __future__ import annotations

import datetime as dt
import io
import json
from types import SimpleNamespace
from typing import Any

from django.core.management import call_command
from django.utils import translation

from cadrebook.core import contributions
from cadrebook.documents.contributions import DOCUMENT_FIGURE
from cadrebook.reports import document
from cadrebook.reports.selectors import PeriodSource, unit_statistics

D = dt.date


def test_the_figure_is_registered_by_its_app() -> None:
    assert DOCUMENT_FIGURE in contributions.figures()


def test_documents_by_type_of_a_subtree_and_its_children_in_the_period(
    tree: SimpleNamespace, terms: SimpleNamespace, register: Any, token_clients: Any
) -> None:
    for _ in range(3):
        register("regulation", issuer=tree.C1, term=terms.c1, date=D(2024, 5, 1))
    register("plan", issuer=tree.C1, term=terms.c1, date=D(2024, 6, 1))
    register("plan", issuer=tree.C1, term=terms.c1, date=D(2024, 6, 2), status="draft")
    register("plan", term=terms.old, date=D(2024, 7, 1))  # the province itself
    register("plan", term=terms.old, date=D(2023, 7, 1))  # the year before
    stats = unit_statistics(tree.P, D(2024, 1, 1), D(2024, 12, 31), source=PeriodSource())
    assert stats["documents"] == {"by_type": {"plan": 2, "regulation": 3}}
    assert stats["previous"]["documents"] == {"by_type": {"plan": 1}}
    children = {c["unit"]: c["documents"]["by_type"] for c in stats["children"]}
    assert children == {"C1": {"plan": 1, "regulation": 3}, "C2": {}}
    assert "documents,by_type.regulation,3" in document.stats_csv(stats)

    client = token_clients([("viewer", "viewer", tree.P)])["viewer"]
    answer = client.get(
        "/api/v1/reports/stats", {"unit": "P", "from": "2024-01-01", "to": "2024-12-31"}
    )
    assert answer.status_code == 200
    assert answer.json()["documents"] == {"by_type": {"plan": 2, "regulation": 3}}
    assert answer.json()["children"][0]["documents"]["by_type"]["regulation"] == 3


def test_the_command_lines_json_carries_the_figure(
    tree: SimpleNamespace, terms: SimpleNamespace, register: Any
) -> None:
    register("notice", date=D(2026, 2, 1))
    out = io.StringIO()
    call_command(
        "report", "stats", "--unit", "P", "--from", "2026-01-01", "--to", "2026-12-31", stdout=out
    )
    assert json.loads(out.getvalue())["documents"] == {"by_type": {"notice": 1}}


def test_the_report_states_the_documents_issued_by_type_most_first(
    tree: SimpleNamespace, terms: SimpleNamespace, register: Any
) -> None:
    from cadrebook.documents.contributions import DOCUMENT_SECTION

    assert DOCUMENT_SECTION in contributions.report_sections()
    for _ in range(3):
        register("regulation", issuer=tree.C1, term=terms.c1, date=D(2024, 5, 1))
    register("plan", term=terms.old, date=D(2024, 7, 1))
    register("plan", term=terms.old, date=D(2024, 7, 2))
    register("guideline", term=terms.old, date=D(2024, 8, 1))
    register("notice", term=terms.old, date=D(2024, 8, 2), status="draft")  # not issued
    stats = unit_statistics(tree.P, D(2024, 1, 1), D(2024, 12, 31), source=PeriodSource())
    text = document.narrative(stats, "en")
    assert "Documents issued: 3 regulations, 2 plans and 1 guideline." in text
    assert "notice" not in text


def test_the_sentence_orders_ties_by_the_rule_set_and_leaves_out_what_was_not_issued() -> None:
    from cadrebook.documents.contributions import document_sentences

    def said(by_type: dict[str, int]) -> list[str]:
        with translation.override("en"):
            return document_sentences({"documents": {"by_type": by_type}})

    # resolution comes before plan in the rule set's list of types.
    assert said({"plan": 2, "resolution": 2, "notice": 0}) == [
        "Documents issued: 2 resolutions and 2 plans."
    ]
    assert said({"minutes": 1}) == ["Documents issued: 1 set of minutes."]
    assert said({"statute": 4, "project": 1}) == [
        "Documents issued: 4 documents (statute) and 1 project."
    ]
    assert said({"plan": 1_234}) == ["Documents issued: 1,234 plans."]
    assert said({}) == [] and said({"plan": 0}) == []
