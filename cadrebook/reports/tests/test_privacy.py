"""Statistics for a role that sees personal data masked: nothing masked may be inferred, the
same rule in the API, the dashboard, the report documents and `report stats --user`."""

from __future__ import annotations

import datetime as dt
import io
import json
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from cadrebook.accounts.roles import Role
from cadrebook.accounts.services import role_grant
from cadrebook.reports import document
from cadrebook.reports.privacy import mask_statistics, small_rest
from cadrebook.reports.selectors import unit_statistics

D = dt.date
STATS = "/api/v1/reports/stats"
# The member whose birthday and ethnicity the viewer tries to learn: turns 31 (from the
# 18-30 bracket to 31-40) on 2025-03-15.
BIRTHDAY = D(1994, 3, 15)


@pytest.fixture
def world(tree: SimpleNamespace, make_member: Any, token_clients: Any) -> SimpleNamespace:
    """K1 holds 22 members, K2 two (one of them Hmong, the target), GC one; a viewer and a
    clerk of the province."""
    for n in range(22):
        make_member(
            tree.K1,
            D(1998, 6, 1) if n == 0 else D(1960 + n, 6, 1),
            D(2020, 1, 10) if n == 0 else D(2010, 1, 10),
            recognized=True,
            gender="female" if n % 3 else "male",
            ethnicity="Kinh" if n % 4 else "Tày",
        )
    target = make_member(
        tree.K2, BIRTHDAY, D(2015, 1, 10), recognized=True, full_name="Mùa A Dế", ethnicity="Hmong"
    )
    make_member(tree.K2, D(1980, 1, 1), D(2015, 1, 10), recognized=True, ethnicity="Kinh")
    make_member(tree.GC, D(1985, 1, 1), D(2015, 1, 10), recognized=True, ethnicity="Kinh")
    clients = token_clients([("viewer", Role.VIEWER, tree.P), ("clerk-p", Role.CLERK, tree.P)])
    return SimpleNamespace(tree=tree, target=target, api=clients)


def stats(client: Client, unit: str, as_of: str, year: int = 2025) -> dict[str, Any]:
    query = {"unit": unit, "from": f"{year}-01-01", "to": f"{year}-12-31", "as_of": as_of}
    response = client.get(STATS, query)
    assert response.status_code == 200, response.content
    return response.json()


def test_a_viewer_comparing_two_dates_cannot_recover_a_birth_date(world: SimpleNamespace) -> None:
    before, on = "2025-03-14", "2025-03-15"
    # The attack the issue describes works on the unmasked figures (a clerk's): the bracket
    # counts move by one between the day before the birthday and the birthday.
    clerk = [stats(world.api["clerk-p"], "C1", day)["members"] for day in (before, on)]
    assert clerk[0]["by_age_bracket"] != clerk[1]["by_age_bracket"]
    for unit in ("P", "C1", "G1", "K2"):
        for day in (before, on):
            members = stats(world.api["viewer"], unit, day)["members"]
            assert members["by_age_bracket"] is None
            assert members["by_age_bracket_gender"] is None
            assert members["by_ethnicity"] is None
            assert members["privacy"] == {"withheld": "not_a_report_date"}
            assert members["total"] > 0  # what is not sensitive stays


def test_a_small_cell_does_not_tell_a_viewer_its_members_ethnicity_or_age(
    world: SimpleNamespace,
) -> None:
    viewer = world.api["viewer"]
    cell = stats(viewer, "K2", "2025-12-31")["members"]
    assert cell["by_ethnicity"] is None and cell["privacy"] == {"withheld": "too_few_members"}
    # G1 (24 members) less K1 (22, large enough for its own figures) would be K2's two.
    for unit in ("G1", "C1"):
        members = stats(viewer, unit, "2025-12-31")["members"]
        assert members["by_ethnicity"] is None, unit
        assert members["privacy"] == {"withheld": "small_remainder"}, unit
    assert stats(world.api["clerk-p"], "G1", "2025-12-31")["members"]["by_ethnicity"]["groups"] == {
        "Kinh": 17,
        "Tày": 6,
        "Hmong": 1,
    }


def test_on_a_report_date_a_large_enough_subtree_shows_its_breakdowns_with_small_counts_hidden(
    world: SimpleNamespace,
) -> None:
    figures = stats(world.api["viewer"], "K1", "2025-12-31")
    members = figures["members"]
    assert members["privacy"] == {"withheld": None, "small_counts_below": 5}
    assert members["by_ethnicity"]["majority"] == 16 and members["by_ethnicity"]["groups"] == {
        "Kinh": 16,
        "Tày": 6,
    }
    assert members["by_ethnicity"]["minorities"] == 6
    brackets = members["by_age_bracket"]
    assert all(n in ("< 5", None, 0) or n >= 5 for n in brackets.values())
    assert "< 5" in brackets.values()
    # No hidden count is the difference of shown ones: each sum the reader knows has no
    # hidden term, or at least two.
    shown = [n for n in brackets.values() if isinstance(n, int)]
    assert len(brackets) - len(shown) != 1
    pyramid = members["by_age_bracket_gender"]
    for bracket, row in pyramid.items():
        assert sum(not isinstance(n, int) for n in [*row.values(), brackets[bracket]]) != 1
    for gender in ("male", "female"):
        column = [row[gender] for row in pyramid.values() if gender in row]
        assert sum(not isinstance(n, int) for n in column) != 1
    # The previous year (2024-12-31, also a report date) follows the same rule.
    assert figures["previous"]["members"]["privacy"]["withheld"] is None
    # Per subordinate unit, never: each unit's own statistics apply the rule.
    child = stats(world.api["viewer"], "G1", "2025-12-31")["children"][0]
    assert child["members"]["by_ethnicity"] is None
    assert child["members"]["privacy"] == {"withheld": "by_subordinate_unit"}


def test_ethnic_groups_smaller_than_the_threshold_are_folded_together(
    world: SimpleNamespace, make_member: Any, settings: Any
) -> None:
    settings.CADREBOOK_STATS_MIN_MEMBERS = 10
    settings.CADREBOOK_STATS_SMALL_COUNT = 3
    for ethnicity in ("Dao", "Nùng"):
        make_member(world.tree.K1, D(1990, 1, 1), D(2015, 1, 10), ethnicity=ethnicity)
    groups = stats(world.api["viewer"], "K1", "2025-12-31")["members"]["by_ethnicity"]["groups"]
    assert "Dao" not in groups and "Nùng" not in groups
    assert groups["other"] == "< 3"


def test_a_small_rest_is_found_at_any_depth(world: SimpleNamespace) -> None:
    tree = world.tree
    day = D(2025, 12, 31)
    # P (25) less K1 (22) leaves three: K2's two and GC's one.
    assert small_rest(tree.P, day, 20)
    assert small_rest(tree.G1, day, 20)
    assert small_rest(tree.P, day, 3)  # C1 (24) leaves out GC's one
    assert not small_rest(tree.K1, day, 20)
    assert not small_rest(tree.C2, day, 20)  # nothing below it large enough


def test_a_role_that_reads_sensitive_fields_sees_the_figures_unchanged(
    world: SimpleNamespace,
) -> None:
    clerk = get_user_model().objects.get(username="clerk-p")
    figures = unit_statistics(world.tree.C1, D(2025, 1, 1), D(2025, 12, 31), D(2025, 3, 14))
    # Inspections and disciplines are another rule's (`view_inspections`, which the clerk
    # lacks: inspections/tests/test_figures_privacy.py); everything else is unchanged.
    assert _open(mask_statistics(figures, clerk)) == _open(figures)
    assert mask_statistics(figures, None) == figures  # the system


def _open(stats: dict[str, Any]) -> dict[str, Any]:
    """`stats` without the confidential figures (inspection, discipline) at any level."""
    hidden = ("inspection", "discipline")
    out = {k: v for k, v in stats.items() if k not in hidden}
    if "previous" in out:
        out["previous"] = {k: v for k, v in out["previous"].items() if k not in hidden}
    out["children"] = [
        {k: v for k, v in c.items() if k not in hidden} for c in out.get("children", [])
    ]
    return out


def test_the_dashboard_and_the_documents_apply_the_same_rule(world: SimpleNamespace) -> None:
    viewer = get_user_model().objects.get(username="viewer")
    browser = Client()
    browser.force_login(viewer)
    page = browser.get("/reports/", {"unit": "G1", "year": "2025"}).content.decode()
    assert "Hmong" not in page and "not given for this date or this size of unit" in page
    figures = unit_statistics(world.tree.G1, D(2025, 1, 1), D(2025, 12, 31))
    masked = mask_statistics(figures, viewer)
    assert "Hmong" not in document.stats_csv(masked)
    tables = document.tables(masked, "en")
    assert not any("Hmong" in str(cell) for t in tables for row in t.rows for cell in row)
    assert "ethnic minorities" not in document.narrative(masked, "en")
    assert "Hmong" in document.stats_csv(figures)  # and the unmasked figures do tell


def test_report_stats_with_a_user_gives_that_users_figures(world: SimpleNamespace) -> None:
    args = ["stats", "--unit", "G1", "--from", "2025-01-01", "--to", "2025-12-31"]
    out = io.StringIO()
    call_command("report", *args, "--user", "viewer", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["members"]["by_ethnicity"] is None
    out = io.StringIO()
    call_command("report", *args, stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["members"]["by_ethnicity"]["groups"]["Hmong"] == 1


def test_an_issued_report_is_shown_to_a_viewer_masked(world: SimpleNamespace) -> None:
    from cadrebook.reports.services import report_issue

    organizer = get_user_model().objects.create_user(username="organizer")
    role_grant(actor=None, user=organizer, role=Role.ORGANIZER, unit=world.tree.P)
    report = report_issue(
        actor=organizer,
        unit=world.tree.G1,
        date_from=D(2025, 1, 1),
        date_to=D(2025, 12, 31),
        as_of=D(2025, 12, 31),
        language="en",
        narrative="Report.",
        title="G1 2025",
    )
    assert report.figures["members"]["by_ethnicity"]["groups"]["Hmong"] == 1  # stored whole
    browser = Client()
    browser.force_login(get_user_model().objects.get(username="viewer"))
    assert "Hmong" not in browser.get(f"/reports/issued/{report.pk}/").content.decode()
    browser.force_login(organizer)
    assert "Hmong" in browser.get(f"/reports/issued/{report.pk}/").content.decode()
