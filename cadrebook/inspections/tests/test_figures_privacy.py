"""The inspection and discipline figures follow the statistics' privacy: a reader without
`view_inspections` on the unit (an organizer) cannot single out a disciplined or inspected
person from a small subtree's report; the inspection committee reads them unchanged."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from cadrebook.inspections.contributions import discipline_mask
from cadrebook.inspections.services import discipline_decide

D = dt.date


def test_a_small_subtrees_discipline_figures_are_withheld_from_an_organizer(
    inspector: Any, tree: SimpleNamespace, people: SimpleNamespace, token_clients: Any
) -> None:
    discipline_decide(
        actor=inspector,
        subject_kind="member",
        member=people.k1,
        form="warning",
        body=tree.C1,
        body_kind="inspection_committee",
        decided_on=D(2025, 3, 3),
        violation="Vi phạm",
        violation_on=D(2024, 11, 1),
        votes={"warning": 5},
        voters_total=7,
    )
    clients = token_clients(
        [("organizer", "organizer", tree.C1), ("c1_inspector", "inspector", tree.C1)]
    )
    query = {"unit": "K1", "from": "2025-01-01", "to": "2025-12-31"}

    def stats(persona: str) -> dict[str, Any]:
        response = clients[persona].get("/api/v1/reports/stats", query)
        assert response.status_code == 200, response.content
        return response.json()

    assert stats("c1_inspector")["discipline"]["by_form"]["members"]["warning"] == 1
    # Organizations by form under the contract's name, and under `units` as before.
    forms = stats("c1_inspector")["discipline"]["by_form"]
    assert forms["organizations"] == forms["units"] and "dissolution" in forms["organizations"]
    masked = stats("organizer")
    assert masked["discipline"] is None and masked["inspection"] is None
    # The commune's breakdown by subordinate unit does not give them away either.
    commune = clients["organizer"].get("/api/v1/reports/stats", {**query, "unit": "C1"}).json()
    assert commune["discipline"] is None
    assert all(child["discipline"] is None for child in commune["children"])


def test_in_a_large_subtree_small_counts_are_withheld_so_that_no_sum_gives_them_away() -> None:
    figure = {
        "by_form": {"members": {"reprimand": 0, "warning": 6, "expulsion": 1}, "units": {}},
        "members": 7,
        "units": 0,
        "members_by_standing": {"full": {"warning": 6, "expulsion": 1}},
        "by_violation_kind": {"unspecified": 7},
        "duty_related": 2,
        "appeals": {"lodged": 1, "decided": {"upheld": 0}},
    }
    masked = discipline_mask(figure, 5)
    assert masked is not None
    forms = masked["by_form"]["members"]
    assert forms["expulsion"] is None and masked["members_by_standing"]["full"]["expulsion"] is None
    # 7 = warning + expulsion: one of the others is withheld too.
    assert masked["members"] is None or forms["warning"] is None or forms["reprimand"] is None
    assert masked["appeals"]["lodged"] is None
    assert masked["by_violation_kind"] is None and masked["duty_related"] is None
