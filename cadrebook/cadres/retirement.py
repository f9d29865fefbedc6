"""The retirement age and the working life left, by the rule set's schedule
(`[cadres.retirement]`, Decree 135/2020): pure functions of a birth date, a gender and a day,
no database.

The schedule gives the age by the year it is reached (men 60y3m in 2021 rising by 3 months a
year to 62y, women 55y4m rising by 4 months to 60y). A person reaches retirement in the first
year Y in which birth + age(Y) falls: a man born in October 1961 would reach 60y3m in January
2022, when the age is already 60y6m, so he retires at 60y6m in April 2022 (the decree's
appendix I). Retirement is at the end of the month the age is reached (the pension starts
the next month); the working life left on a day is counted in whole months up to it.

The appointment's check (`services`), the due list of retirements (`selectors`) and, in the
next pass, the planning's age flags and rotation's working life read these.
"""

from __future__ import annotations

import calendar
import datetime as dt

from cadrebook.cadres.rules import CadreRules, RetirementSchedule, cadre_rules
from cadrebook.core.dates import add_months, months_between


def _schedule(rules: CadreRules | RetirementSchedule | None) -> RetirementSchedule:
    if isinstance(rules, RetirementSchedule):
        return rules
    return (rules or cadre_rules()).retirement


def retirement_age_months(
    birth: dt.date, gender: str, rules: CadreRules | RetirementSchedule | None = None
) -> int:
    """The retirement age, in months, that applies to a person born on `birth`."""
    schedule = _schedule(rules)
    year = birth.year
    # The year reached by birth + age(Y) never runs ahead of Y by more than the schedule's
    # yearly step, so the first Y it does not pass exists and is found within a century.
    while add_months(birth, schedule.age_months(gender, year)).year > year:
        year += 1
    return schedule.age_months(gender, year)


def retirement_age_reached(
    birth: dt.date, gender: str, rules: CadreRules | RetirementSchedule | None = None
) -> dt.date:
    """The day a person born on `birth` reaches their retirement age."""
    return add_months(birth, retirement_age_months(birth, gender, rules))


def retirement_date(
    birth: dt.date, gender: str, rules: CadreRules | RetirementSchedule | None = None
) -> dt.date:
    """The day a person retires: the last day of the month the retirement age is reached."""
    reached = retirement_age_reached(birth, gender, rules)
    return reached.replace(day=calendar.monthrange(reached.year, reached.month)[1])


def months_left(
    birth: dt.date,
    gender: str,
    on: dt.date,
    rules: CadreRules | RetirementSchedule | None = None,
) -> int:
    """Whole months of working life left on `on` (0 or less once retired)."""
    return months_between(on, retirement_date(birth, gender, rules))
