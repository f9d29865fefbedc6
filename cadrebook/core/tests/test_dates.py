"""Whole-month arithmetic, as regulations count ages and probation."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cadrebook.core.dates import add_months, age_in_months, age_in_years, months_between

D = dt.date


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (D(2024, 3, 10), 12, D(2025, 3, 10)),
        (D(2024, 1, 31), 1, D(2024, 2, 29)),  # leap year: clamped to the 29th
        (D(2025, 1, 31), 1, D(2025, 2, 28)),
        (D(2024, 2, 29), 12, D(2025, 2, 28)),
        (D(2024, 12, 15), 1, D(2025, 1, 15)),  # across the year end
        (D(2025, 1, 15), -1, D(2024, 12, 15)),
        (D(2025, 3, 31), -1, D(2025, 2, 28)),
        (D(2025, 5, 5), 0, D(2025, 5, 5)),
    ],
)
def test_adding_months_keeps_the_day_or_clamps_to_the_months_last_day(day, months, expected):
    assert add_months(day, months) == expected


def test_a_month_is_complete_only_on_the_same_day_of_the_month():
    assert months_between(D(2024, 3, 10), D(2025, 3, 9)) == 11
    assert months_between(D(2024, 3, 10), D(2025, 3, 10)) == 12


def test_months_between_a_day_and_itself_is_zero():
    assert months_between(D(2025, 6, 1), D(2025, 6, 1)) == 0


def test_months_between_is_negative_when_the_end_is_earlier():
    assert months_between(D(2025, 3, 10), D(2024, 3, 10)) == -12


def test_the_last_day_of_a_short_month_completes_a_month_started_on_the_31st():
    assert months_between(D(2025, 1, 31), D(2025, 2, 28)) == 1
    assert months_between(D(2025, 1, 31), D(2025, 2, 27)) == 0


def test_months_between_and_add_months_agree():
    start = D(2000, 1, 31)
    for months in range(0, 40):
        end = add_months(start, months)
        assert months_between(start, end) == months


def test_age_is_seventeen_years_eleven_months_the_day_before_the_eighteenth_birthday():
    birth = D(2000, 5, 20)
    assert age_in_months(birth, D(2018, 5, 19)) == 17 * 12 + 11
    assert age_in_months(birth, D(2018, 5, 20)) == 18 * 12
    assert age_in_years(birth, D(2018, 5, 19)) == 17
    assert age_in_years(birth, D(2018, 5, 20)) == 18


@given(
    day=st.dates(min_value=D(1900, 1, 1), max_value=D(2100, 12, 31)),
    months=st.integers(min_value=-1200, max_value=1200),
)
def test_adding_months_agrees_with_the_calendar_for_every_day(day, months):
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    assert add_months(day, months) == D(year, month + 1, min(day.day, last))
