"""Age brackets of the rule set, and the birth dates that bound an age on a day.

The statistics count members by these brackets (`reports/figures.py`) and the member list
filters by them (`members/lists.py`); they live in core so that both read the same brackets
and count ages the same way.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cadrebook.core.dates import add_months, age_in_months
from cadrebook.core.rules import Ruleset

OPEN_ENDED = 150  # an upper bound at or above this many years is "and over"


@dataclass(frozen=True)
class Bracket:
    label: str
    low: int
    high: int | None  # None: no upper bound


def age_brackets(rules: Ruleset) -> list[Bracket]:
    """The rule set's age brackets, labelled "18-30" and, for the open last one, "61+"."""
    result = []
    for low, high in rules.value("statistics.age_brackets"):
        if high >= OPEN_ENDED:
            result.append(Bracket(f"{low}+", int(low), None))
        else:
            result.append(Bracket(f"{low}-{high}", int(low), int(high)))
    return result


def latest_birth_date(on: dt.date, years: int) -> dt.date:
    """The latest date of birth of someone at least `years` old on `on`, ages counted in
    whole months as regulations count them (29 February birthdays included)."""
    day = add_months(on, -12 * years)
    while age_in_months(day + dt.timedelta(days=1), on) >= 12 * years:
        day += dt.timedelta(days=1)
    while age_in_months(day, on) < 12 * years:
        day -= dt.timedelta(days=1)
    return day
