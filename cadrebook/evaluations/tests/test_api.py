"""The targets API: a unit's targets and its children's, each with what was achieved, in the
caller's scope only."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from cadrebook.evaluations.services import target_set

D = dt.date


def test_a_units_targets_and_its_childrens_with_the_achieved_count(
    tree: SimpleNamespace, make_member: Any, actor: Any, token_clients: Any
) -> None:
    for _ in range(3):
        make_member(tree.K1, D(1995, 1, 1), D(2024, 3, 1))
    target_set(actor=actor, unit=tree.C1, year=2024, indicator="admissions", target=4)
    target_set(actor=actor, unit=tree.G1, year=2024, indicator="admissions", target=2)
    target_set(actor=actor, unit=tree.K1, year=2024, indicator="admissions", target=3)  # below G1
    target_set(actor=actor, unit=tree.C1, year=2025, indicator="admissions", target=5)
    client = token_clients([("c1", "viewer", tree.C1)])["c1"]
    answer = client.get("/api/v1/targets", {"unit": "C1", "year": 2024})
    assert answer.status_code == 200
    assert answer.json() == [
        {
            "unit": "C1",
            "indicator": "admissions",
            "year": 2024,
            "target": 4,
            "actual": 3,
            "achievement_pct": 75.0,
        },
        {
            "unit": "G1",
            "indicator": "admissions",
            "year": 2024,
            "target": 2,
            "actual": 3,
            "achievement_pct": 150.0,
        },
    ]
    every_year = client.get("/api/v1/targets", {"unit": "C1"}).json()
    assert [(t["unit"], t["year"]) for t in every_year] == [
        ("C1", 2025),
        ("C1", 2024),
        ("G1", 2024),
    ]


def test_a_unit_outside_the_scope_answers_as_a_missing_one(
    tree: SimpleNamespace, actor: Any, token_clients: Any
) -> None:
    target_set(actor=actor, unit=tree.C2, year=2024, indicator="admissions", target=9)
    client = token_clients([("c1", "clerk", tree.C1)])["c1"]
    outside = client.get("/api/v1/targets", {"unit": "C2"})
    missing = client.get("/api/v1/targets", {"unit": "NOPE"})
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()
    assert "9" not in outside.content.decode()


def test_a_year_out_of_range_is_refused_on_its_field(
    tree: SimpleNamespace, token_clients: Any
) -> None:
    client = token_clients([("c1", "clerk", tree.C1)])["c1"]
    answer = client.get("/api/v1/targets", {"unit": "C1", "year": 20245})
    assert answer.status_code == 422
    assert "year" in answer.content.decode()


def test_the_counts_are_read_once_a_year_not_once_a_unit(
    tree: SimpleNamespace, actor: Any, token_clients: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = token_clients([("p", "viewer", tree.P)])["p"]
    target_set(actor=actor, unit=tree.P, year=2024, indicator="admissions", target=9)
    target_set(actor=actor, unit=tree.C1, year=2024, indicator="admissions", target=4)

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get("/api/v1/targets", {"unit": "P"}).status_code == 200
        return len(seen)

    queries()  # the first request of a token also notes its use
    one_child = queries()
    target_set(actor=actor, unit=tree.C2, year=2024, indicator="recognitions", target=3)
    assert queries() == one_child
