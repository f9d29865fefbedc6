"""The unit page at national scale: counts that would read a whole subtree stop at a cap and
say "more than N", the tree's rows of large subtrees show the statistics' figures with their
date, and the member list pages by keyset (`members/unit_panels.py`)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.members import selectors, unit_panels
from cadrebook.reports.aggregates import rebuild_statistics

pytestmark = pytest.mark.django_db


@pytest.fixture
def organizer(tree: Any, client: Any) -> Any:
    user = get_user_model().objects.create_user(username="organizer")
    role_grant(actor=None, user=user, role=Role.ORGANIZER, unit=tree.P)
    client.force_login(user)
    return client


def _names(page: str) -> list[str]:
    table = page.split('data-testid="member-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'/members/\d+/">([^<]+)</a>', table)


def test_a_count_over_the_cap_says_more_than_the_cap(tree, make_member, organizer, monkeypatch):
    for _ in range(4):  # full members without a card, due for one
        make_member(tree.K1, dt.date(1990, 1, 1), admitted_on=dt.date(2020, 1, 1), recognized=True)
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    response = organizer.get(reverse("orgs:detail", args=["P"]))
    cards = response.context["due"]["cards"]
    assert (cards.count, cards.capped, len(cards.items)) == (3, True, 4)
    page = response.content.decode()
    due = page.split('data-testid="due-cards"', 1)[1].split("</h3>", 1)[0]
    assert "more than 3" in due
    monkeypatch.setattr(selectors, "COUNT_CAP", 4)  # exactly at the cap: the exact count
    cards = organizer.get(reverse("orgs:detail", args=["P"])).context["due"]["cards"]
    assert (cards.count, cards.capped) == (4, False)


def test_the_member_list_pages_by_keyset_and_caps_its_count(
    tree, make_member, organizer, monkeypatch
):
    names = [f"Trần Văn {c}" for c in "ABCDE"]
    for name in reversed(names):
        make_member(tree.K1, dt.date(1990, 1, 1), admitted_on=dt.date(2020, 1, 1), full_name=name)
    monkeypatch.setattr(unit_panels, "PANEL_PAGE", 2)
    monkeypatch.setattr(selectors, "COUNT_CAP", 3)
    url = reverse("orgs:detail", args=["P"])
    seen, after = [], ""
    for _ in range(3):
        response = organizer.get(url, {"after": after} if after else {})
        page = response.content.decode()
        seen += _names(page)
        assert "more than 3 people" in page
        after = response.context["page"].next_cursor or ""
        if not after:
            break
    assert seen == names  # every member once, in name order, across three pages
    assert 'data-testid="next-page"' not in page and 'data-testid="first-page"' in page
    monkeypatch.setattr(selectors, "COUNT_CAP", 1000)
    assert "5 people" in organizer.get(url).content.decode()


def test_large_subtrees_show_the_statistics_count_with_its_date(
    tree, make_member, organizer, monkeypatch
):
    for unit in (tree.K1, tree.K1, tree.GC):
        make_member(unit, dt.date(1990, 1, 1), admitted_on=dt.date(2020, 1, 1), recognized=True)
    today = dt.date.today()
    rebuild_statistics(today=today)
    url = reverse("orgs:detail", args=["P"])
    # Small subtrees: live counts, and a member added since the rebuild is counted.
    make_member(tree.K1, dt.date(1990, 1, 1), admitted_on=dt.date(2021, 1, 1))
    rows = {r["unit"].code: r for r in organizer.get(url).context["children"]}
    assert (rows["C1"]["members"], rows["C2"]["members"]) == (3, 1)
    assert "members_on" not in rows["C1"]
    # Larger than the live limit: the rebuild's figures, on the day it counted, and the page
    # says so (the member added since is not in them).
    monkeypatch.setattr(unit_panels, "LIVE_COUNT_LIMIT", 1)
    response = organizer.get(url)
    rows = {r["unit"].code: r for r in response.context["children"]}
    assert (rows["C1"]["members"], rows["C2"]["members"]) == (2, 1)
    stored_on = rows["C1"]["members_on"]
    assert stored_on <= today and rows["C1"]["members_built"] is not None
    page = response.content.decode()
    assert page.count('data-testid="stored-count"') == 2
    assert "at the last statistics rebuild" in page


def test_cells_below_the_minimum_read_in_batches_say_at_least_when_stopped(tree, monkeypatch):
    # K1, K2 and GC hold no full members: all three are below the minimum.
    today = dt.date.today()
    assert [i["unit"].code for i in selectors.due_lists(tree.P, today)["cells"].items] == [
        "K1",
        "K2",
        "GC",
    ]
    monkeypatch.setattr(selectors, "CELL_BATCH", 1)
    monkeypatch.setattr(selectors, "CELL_SCAN", 2)
    cells = selectors.due_lists(tree.P, today)["cells"]
    assert (len(cells.items), cells.count, cells.at_least) == (2, 2, True)
    monkeypatch.setattr(selectors, "CELL_SCAN", 5000)
    monkeypatch.setattr(selectors, "DUE_LIMIT", 1)
    cells = selectors.due_lists(tree.P, today)["cells"]
    assert (len(cells.items), cells.count, cells.capped) == (1, 1, True)
