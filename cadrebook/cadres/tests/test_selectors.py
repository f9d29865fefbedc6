"""The reads of cadre work: the holders of a unit's posts on a day, a person's history, the
due list of appointments (working days of the rule set's calendar), the holders reaching
retirement, each scoped: another commune's posts are invisible."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from cadrebook.accounts.services import role_grant
from cadrebook.cadres import selectors
from cadrebook.cadres.models import PostHolding
from cadrebook.cadres.retirement import months_left, retirement_date
from cadrebook.cadres.rules import cadre_rules
from cadrebook.cadres.services import holding_end, post_appoint, post_elect
from cadrebook.core.dates import add_months

# The competent level's decision to appoint outside planning, for the posts these tests need
# but whose planning they are not about.
OUTSIDE_PLANNING = "05-QĐ/TU (outside planning)"


D = dt.date


@pytest.fixture
def posts(
    organizer: Any, tree: SimpleNamespace, terms: SimpleNamespace, people: SimpleNamespace
) -> SimpleNamespace:
    """k1 elected secretary of K1 in 2025; k1b appointed inspection chair of C1 from
    2022-06-01 (ends 2027-06-01); `older` appointed deputy of G1's inspection committee from
    2025-03-01 (file received in 2021); gc secretary of GC (C2's subtree), acting."""
    secretary = post_elect(
        actor=organizer,
        member=people.k1,
        unit=tree.K1,
        position="secretary",
        term=terms.k1,
        started_on=D(2025, 1, 1),
        votes_for=3,
        votes_total=4,
    )
    chair = post_appoint(
        actor=organizer,
        member=people.k1b,
        unit=tree.C1,
        position="inspection_chair",
        started_on=D(2022, 6, 1),
        outside_planning_text=OUTSIDE_PLANNING,
    )
    deputy = post_appoint(
        actor=organizer,
        member=people.older,
        unit=tree.G1,
        position="inspection_deputy_chair",
        started_on=D(2025, 3, 1),
        file_received_on=D(2021, 1, 4),
        outside_planning_text=OUTSIDE_PLANNING,
    )
    acting = post_appoint(
        actor=organizer,
        member=people.gc,
        unit=tree.GC,
        position="secretary",
        started_on=D(2025, 1, 1),
        how="acting",
    )
    return SimpleNamespace(secretary=secretary, chair=chair, deputy=deputy, acting=acting)


def _user(name: str, role: str, unit: Any) -> Any:
    user = get_user_model().objects.create_user(username=name)
    role_grant(actor=None, user=user, role=role, unit=unit)
    return user


def test_the_holders_of_a_units_posts_on_a_day(
    organizer: Any, tree: SimpleNamespace, posts: SimpleNamespace
) -> None:
    assert list(selectors.holders_on(organizer, tree.K1, D(2025, 6, 1))) == [posts.secretary]
    assert list(selectors.holders_on(organizer, tree.K1, D(2024, 12, 31))) == []
    holding_end(
        actor=organizer, holding=posts.secretary, ended_on=D(2025, 6, 30), reason="resigned"
    )
    # The last day held is the end's day.
    assert list(selectors.holders_on(organizer, tree.K1, D(2025, 6, 30))) == [posts.secretary]
    assert list(selectors.holders_on(organizer, tree.K1, D(2025, 7, 1))) == []


def test_a_persons_history_keeps_the_ended_posts(
    organizer: Any,
    tree: SimpleNamespace,
    terms: SimpleNamespace,
    people: SimpleNamespace,
    posts: SimpleNamespace,
) -> None:
    holding_end(
        actor=organizer, holding=posts.secretary, ended_on=D(2025, 6, 30), reason="resigned"
    )
    later = post_elect(
        actor=organizer,
        member=people.k1,
        unit=tree.C1,
        position="committee_member",
        term=terms.c1,
        started_on=D(2025, 7, 1),
        votes_for=30,
        votes_total=40,
    )
    history = list(selectors.post_history(organizer, people.k1))
    assert history == [later, posts.secretary]
    assert history[1].end.reason == "resigned"
    assert selectors.holds_post(people.k1, D(2025, 7, 1))
    assert not selectors.holds_post(people.k1b, D(2022, 5, 31))


def test_another_communes_posts_are_invisible(
    tree: SimpleNamespace, people: SimpleNamespace, posts: SimpleNamespace
) -> None:
    c2 = _user("c2-viewer", "viewer", tree.C2)
    assert list(selectors.holders_on(c2, tree.K1, D(2025, 6, 1))) == []
    assert list(selectors.holders_on(c2, tree.GC, D(2025, 6, 1))) == [posts.acting]
    assert list(selectors.post_history(c2, people.k1)) == []
    assert selectors.appointments_due(c2, D(2027, 1, 14)) == []
    nobody = get_user_model().objects.create_user(username="nobody")
    assert list(selectors.holders_on(nobody, tree.GC, D(2025, 6, 1))) == []


def test_an_appointment_is_due_ninety_working_days_before_it_ends(
    organizer: Any, posts: SimpleNamespace
) -> None:
    # The chair's appointment ends 2027-06-01. Counting back 90 working days skips the
    # weekends and the rule set's 2027 holidays on the way (Tết 5 and 8-11 February, 16 and
    # 30 April, 3 May: 8 days), so the notice falls on Thursday 2027-01-14 (98 weekdays from
    # 15 January to 1 June, less 8 holidays: 90).
    assert selectors.appointments_due(organizer, D(2027, 1, 13)) == []
    (due,) = selectors.appointments_due(organizer, D(2027, 1, 14))
    assert due.holding == posts.chair
    assert (due.ends_on, due.notify_by, due.note) == (D(2027, 6, 1), D(2027, 1, 14), "")
    # Overdue, still listed; ended, gone.
    assert [d.holding for d in selectors.appointments_due(organizer, D(2027, 7, 1))] == [
        posts.chair
    ]
    holding_end(actor=organizer, holding=posts.chair, ended_on=D(2026, 6, 1), reason="retired")
    assert selectors.appointments_due(organizer, D(2027, 7, 1)) == []


def test_a_notice_through_a_year_without_listed_holidays_says_so(
    organizer: Any, posts: SimpleNamespace
) -> None:
    # The deputy's appointment ends 2030-03-01: 2029 and 2030's holidays are not listed.
    due = [d for d in selectors.appointments_due(organizer, D(2029, 12, 31))]
    assert [d.holding for d in due] == [posts.chair, posts.deputy]
    assert "2030" in due[1].note and "may come too early" in due[1].note


def test_the_holders_reaching_retirement_within_n_months(
    organizer: Any, tree: SimpleNamespace, people: SimpleNamespace, posts: SimpleNamespace
) -> None:
    # `older` retires 2027-05-31; the others (born 1980) in the 2040s.
    (row,) = selectors.retirements_due(organizer, D(2025, 6, 1), 24)
    assert (row.member, row.retires_on, row.months_left) == (people.older, D(2027, 5, 31), 23)
    assert row.holdings == (posts.deputy,)
    assert selectors.retirements_due(organizer, D(2025, 6, 1), 23) == []


def test_the_retirement_list_needs_the_personal_data_grant(
    tree: SimpleNamespace, posts: SimpleNamespace
) -> None:
    # A viewer of C1 sees who holds G1's posts but not the retirement day, which tells the
    # date of birth; a clerk of C1 (view_sensitive) sees it.
    viewer = _user("c1-viewer", "viewer", tree.C1)
    assert list(selectors.holders_on(viewer, tree.G1, D(2025, 6, 1))) == [posts.deputy]
    assert selectors.retirements_due(viewer, D(2025, 6, 1), 24) == []
    clerk = _user("c1-clerk", "clerk", tree.C1)
    assert [r.member for r in selectors.retirements_due(clerk, D(2025, 6, 1), 24)] == [
        posts.deputy.member
    ]


def test_the_latest_birth_retiring_by_a_day_matches_the_schedule() -> None:
    """The birth-date cutoff the due list's query uses is exact: born on it, a person
    retires by the limit; born a day later, after it (every 13th day over twelve years)."""
    schedule = cadre_rules().retirement
    one = dt.timedelta(days=1)
    limit = D(2020, 1, 1)
    while limit < D(2032, 1, 1):
        for gender in ("male", "female"):
            cutoff = selectors.latest_birth_retiring_by(gender, limit, schedule)
            assert cutoff is not None
            assert retirement_date(cutoff, gender, schedule) <= limit
            assert retirement_date(cutoff + one, gender, schedule) > limit
        limit += dt.timedelta(days=13)


def test_the_due_list_query_gives_what_the_retirement_computation_gives(
    organizer: Any, tree: SimpleNamespace, make_member: Any
) -> None:
    """Holders born on varied days around the limits, both genders: the list from the
    database is the one the pure computation (retirement.py) gives, holder by holder."""
    schedule = cadre_rules().retirement
    day, months = D(2025, 6, 1), 24
    limit = add_months(day, months)
    members = []
    for gender in ("male", "female"):
        cutoff = selectors.latest_birth_retiring_by(gender, limit, schedule)
        assert cutoff is not None
        for shift in (-400, -45, -31, -1, 0, 1, 2, 29, 31, 60, 365):
            birth = cutoff + dt.timedelta(days=shift)
            members.append(make_member(tree.K1, birth, D(2000, 1, 1), gender=gender))
    members.append(make_member(tree.K1, D(1962, 1, 31), D(2000, 1, 1), gender="male"))
    members.append(make_member(tree.K1, D(1969, 2, 28), D(2000, 1, 1), gender="female"))
    for m in members:
        PostHolding.objects.create(
            member=m,
            unit=tree.K1,
            position="committee_member",
            how="appointed",
            started_on=D(2024, 1, 1),
            ruleset="vn-2025",
        )
    for horizon in (0, 12, months, 36):
        found = selectors.retirements_due(organizer, day, horizon)
        end = add_months(day, horizon)
        expected = sorted(
            (
                (retirement_date(m.birth_date, m.gender, schedule), m.pk)
                for m in members
                if retirement_date(m.birth_date, m.gender, schedule) <= end
            ),
        )
        assert [(r.retires_on, r.member.pk) for r in found] == expected
        assert all(
            r.months_left == months_left(r.member.birth_date, r.member.gender, day, schedule)
            for r in found
        )


def test_the_due_list_reads_in_queries_that_do_not_grow_with_the_holders(
    organizer: Any, tree: SimpleNamespace, make_member: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def hold(birth: dt.date) -> None:
        m = make_member(tree.K1, birth, D(2010, 1, 1))
        PostHolding.objects.create(
            member=m,
            unit=tree.K1,
            position="committee_member",
            how="appointed",
            started_on=D(2024, 1, 1),
            ruleset="vn-2025",
        )

    hold(D(1964, 1, 1))  # due
    hold(D(1980, 1, 1))  # not
    with CaptureQueriesContext(connection) as few:
        assert len(selectors.retirements_due(organizer, D(2025, 6, 1), 24)) == 1
    for year in range(1975, 1985):
        hold(D(year, 6, 1))  # none of them due
    hold(D(1963, 5, 1))  # due
    with CaptureQueriesContext(connection) as more:
        assert len(selectors.retirements_due(organizer, D(2025, 6, 1), 24)) == 2
    # One read of the holdings (the scope's roles aside, cached or not), however many.
    for captured in (few, more):
        assert sum("cadres_postholding" in q["sql"] for q in captured.captured_queries) == 1
