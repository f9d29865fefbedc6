"""The retirement calculator against Decree 135/2020's own table (appendix I): the age by the
year it is reached, the month-end retirement day, the working life left."""

from __future__ import annotations

import datetime as dt

import pytest

from cadrebook.cadres.retirement import (
    months_left,
    retirement_age_months,
    retirement_age_reached,
    retirement_date,
)
from cadrebook.cadres.rules import cadre_rules
from cadrebook.core.rules import load_ruleset

D = dt.date


def ym(years: int, months: int = 0) -> int:
    return years * 12 + months


@pytest.mark.parametrize(
    ("birth", "gender", "age", "retires"),
    [
        # Men: 60y3m in 2021. Born 1/1961: 60y3m falls in 4/2021, a 2021 date: retires at the
        # end of April 2021 (the decree's pension from 5/2021).
        (D(1961, 1, 15), "male", ym(60, 3), D(2021, 4, 30)),
        # Born 9/1961: 60y3m is 12/2021, still in 2021.
        (D(1961, 9, 15), "male", ym(60, 3), D(2021, 12, 31)),
        # Born 10/1961: 60y3m would be 1/2022, when the age is 60y6m: 4/2022 (pension 5/2022).
        (D(1961, 10, 15), "male", ym(60, 6), D(2022, 4, 30)),
        # Born 1/1962: 60y6m in 7/2022.
        (D(1962, 1, 10), "male", ym(60, 6), D(2022, 7, 31)),
        # Born 1/1963: 2023's 60y9m falls in 10/2023.
        (D(1963, 1, 20), "male", ym(60, 9), D(2023, 10, 31)),
        # Born 4/1963: 60y9m would be 1/2024, when the age is 61y: 4/2024.
        (D(1963, 4, 20), "male", ym(61), D(2024, 4, 30)),
        # From 2028 men retire at 62: born 4/1966, 62y in 4/2028 (61y9m would be 1/2028).
        (D(1966, 4, 1), "male", ym(62), D(2028, 4, 30)),
        # Women: 55y4m in 2021. Born 1/1966: 5/2021 (pension 6/2021).
        (D(1966, 1, 5), "female", ym(55, 4), D(2021, 5, 31)),
        # Born 9/1966: 55y4m would be 1/2022, when the age is 55y8m: 5/2022.
        (D(1966, 9, 5), "female", ym(55, 8), D(2022, 5, 31)),
        # From 2035 women retire at 60: born 1/1980, 60y in 1/2040.
        (D(1980, 1, 5), "female", ym(60), D(2040, 1, 31)),
        # Before 2021: 60 and 55.
        (D(1955, 3, 3), "male", ym(60), D(2015, 3, 31)),
        (D(1960, 5, 3), "female", ym(55), D(2015, 5, 31)),
    ],
)
def test_the_retirement_age_follows_the_decrees_schedule(birth, gender, age, retires):
    assert retirement_age_months(birth, gender) == age
    assert retirement_date(birth, gender) == retires


def test_the_age_is_reached_on_the_birthday_of_the_month_and_retirement_is_at_its_end():
    assert retirement_age_reached(D(1961, 10, 15), "male") == D(2022, 4, 15)
    # Born 1962-08-31: 2022's 60y6m would be 2023-02-28; 2023's 60y9m is 2023-05-31.
    assert retirement_age_reached(D(1962, 8, 31), "male") == D(2023, 5, 31)
    assert retirement_date(D(1962, 8, 31), "male") == D(2023, 5, 31)


@pytest.mark.parametrize("gender", ["male", "female"])
def test_nobody_born_later_retires_earlier(gender):
    days = [D(y, m, d) for y in range(1955, 1986) for m in range(1, 13) for d in (1, 28)]
    retires = [retirement_date(day, gender) for day in days]
    assert retires == sorted(retires)


def test_months_left_count_whole_months_to_the_retirement_day():
    # A woman born 1970-01-10 reaches 2027's 57y4m in May 2027: retires 2027-05-31.
    assert retirement_date(D(1970, 1, 10), "female") == D(2027, 5, 31)
    assert months_left(D(1970, 1, 10), "female", D(2022, 5, 31)) == 60
    assert months_left(D(1970, 1, 10), "female", D(2022, 6, 1)) == 59
    assert months_left(D(1970, 1, 10), "female", D(2027, 6, 1)) == 0
    assert months_left(D(1970, 1, 10), "female", D(2027, 8, 1)) < 0


def test_another_rule_sets_schedule_gives_other_ages():
    alt = cadre_rules(load_ruleset("test-alt"))
    # Before 2030: men 65, women 64; from 2030 men 66, women 64y6m.
    assert retirement_age_months(D(1960, 6, 1), "male", alt) == ym(65)
    assert retirement_age_months(D(1960, 6, 1), "female", alt) == ym(64)
    assert retirement_age_months(D(1966, 6, 1), "male", alt) == ym(66)
    assert retirement_age_months(D(1966, 6, 1), "female", alt) == ym(64, 6)
