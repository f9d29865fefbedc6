"""The shape of the statistics: empty figures, age brackets (from `core/ages.py`), and folding
grouped rows into them.

Both ways of computing statistics (the period table, and the aggregates rebuilt from it) group
member periods by the same dimensions and fold the grouped rows into figures here, so the two
cannot disagree on what a figure means.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from cadrebook.core.ages import age_brackets, latest_birth_date
from cadrebook.core.numbers import percent as percent  # the reports' shares
from cadrebook.core.rules import Ruleset
from cadrebook.members.choices import EducationLevel, TheoryLevel

MOVEMENTS = (
    "admitted",
    "recognized",
    "not_recognized",
    "transferred_in",
    "transferred_out",
    "exempted",
    "removed",
    "expelled",
    "deceased",
    "readmitted",
    # Members handed over with their unit when the tree is restructured (a dated move), and
    # the units moved: not transfers, so the transfer counts stay what members did.
    "restructured_in",
    "restructured_out",
    "units_restructured_in",
    "units_restructured_out",
)
# Scalar member figures whose year-over-year change is reported.
MEMBER_COUNTS = ("total", "probationary", "full", "exempt", "full_with_card", "full_without_card")
OTHER = "other"
UNKNOWN = "unknown"
NO_THEORY = "none"


def bracket_case(column: str, on: dt.date, rules: Ruleset) -> tuple[str, list[Any]]:
    """SQL CASE giving the age-bracket label of the birth date in `column` on `on`."""
    parts = [f"CASE WHEN {column} IS NULL THEN %s"]
    params: list[Any] = [OTHER]
    for b in age_brackets(rules):
        cond = f"{column} <= %s"
        params_b: list[Any] = [latest_birth_date(on, b.low)]
        if b.high is not None:
            cond += f" AND {column} > %s"
            params_b.append(latest_birth_date(on, b.high + 1))
        parts.append(f"WHEN {cond} THEN %s")
        params += [*params_b, b.label]
    parts.append("ELSE %s END")
    params.append(OTHER)
    return " ".join(parts), params


class BracketOf:
    """The age bracket of a birth date on a day, exactly as `bracket_case` gives it in SQL,
    for folding raw rows in Python (the bounds of each day are computed once)."""

    def __init__(self, rules: Ruleset) -> None:
        self.brackets = age_brackets(rules)
        self._bounds: dict[dt.date, list[tuple[str, dt.date, dt.date | None]]] = {}

    def __call__(self, birth: dt.date | None, on: dt.date) -> str:
        if birth is None:
            return OTHER
        bounds = self._bounds.get(on)
        if bounds is None:
            bounds = self._bounds[on] = [
                (
                    b.label,
                    latest_birth_date(on, b.low),
                    latest_birth_date(on, b.high + 1) if b.high is not None else None,
                )
                for b in self.brackets
            ]
        for label, upper, lower in bounds:
            if birth <= upper and (lower is None or birth > lower):
                return label
        return OTHER


def bracket_crossings(
    column: str, lo: dt.date, hi: dt.date, rules: Ruleset
) -> tuple[str, list[Any]]:
    """SQL condition on the birth date in `column`: the people whose age bracket on `hi`
    differs from theirs on `lo` (they reached a bracket's bound in between)."""
    bounds = sorted(
        {b.low for b in age_brackets(rules)}
        | {b.high + 1 for b in age_brackets(rules) if b.high is not None}
    )
    if not bounds or lo >= hi:
        return "1 = 0", []
    parts, params = [], []
    for years in bounds:
        parts.append(f"({column} > %s AND {column} <= %s)")
        params += [latest_birth_date(lo, years), latest_birth_date(hi, years)]
    return " OR ".join(parts), params


def empty_members(rules: Ruleset) -> dict[str, Any]:
    brackets = [b.label for b in age_brackets(rules)]
    return {
        "total": 0,
        "probationary": 0,
        "full": 0,
        "exempt": 0,
        "by_gender": {"male": 0, "female": 0},
        "by_age_bracket": dict.fromkeys(brackets, 0),
        "by_age_bracket_gender": {b: {"male": 0, "female": 0} for b in brackets},
        "by_ethnicity": {"majority": 0, "minorities": 0, "unknown": 0, "groups": {}},
        "by_education": {**dict.fromkeys(EducationLevel.values, 0), UNKNOWN: 0},
        "by_theory": {**{v or NO_THEORY: 0 for v in reversed(TheoryLevel.values)}},
        "full_with_card": 0,
        "full_without_card": 0,
    }


def empty_movements() -> dict[str, int]:
    return dict.fromkeys(MOVEMENTS, 0)


def empty_units() -> dict[str, Any]:
    return {"total": 0, "by_kind": {}, "cells_below_minimum": 0}


# One grouped row of member periods: status, exempt, gender, age bracket, ethnicity,
# education, theory level, has a card; and how many periods.
MemberRow = tuple[str, bool, str, str, str, str, str, bool, int]


def add_member_rows(members: dict[str, Any], rows: Iterable[Sequence[Any]], rules: Ruleset) -> None:
    """Fold grouped rows (see MemberRow) into `members` (from `empty_members`)."""
    majority = rules.value("statistics.majority_ethnicity")
    by_ethnicity = members["by_ethnicity"]
    for status, exempt, gender, bracket, ethnicity, education, theory, card, n in rows:
        members["total"] += n
        members[status] += n
        if exempt:
            members["exempt"] += n
        if status == "full":
            members["full_with_card" if card else "full_without_card"] += n
        _bump(members["by_gender"], gender or UNKNOWN, n)
        _bump(members["by_age_bracket"], bracket, n)
        pyramid = members["by_age_bracket_gender"].setdefault(bracket, {"male": 0, "female": 0})
        _bump(pyramid, gender or UNKNOWN, n)
        if not ethnicity:
            by_ethnicity["unknown"] += n
        else:
            by_ethnicity["majority" if ethnicity == majority else "minorities"] += n
            _bump(by_ethnicity["groups"], ethnicity, n)
        _bump(members["by_education"], education or UNKNOWN, n)
        _bump(members["by_theory"], theory or NO_THEORY, n)


def _bump(counts: dict[str, int], key: str, n: int) -> None:
    counts[key] = counts.get(key, 0) + n


def tidy_members(members: dict[str, Any]) -> dict[str, Any]:
    """Drop the "other" bracket when nobody is in it, and sort the ethnic groups by size."""
    if not members["by_age_bracket"].get(OTHER):
        members["by_age_bracket"].pop(OTHER, None)
        members["by_age_bracket_gender"].pop(OTHER, None)
    # Counts added and taken away again (changes between two dates) leave no "unknown" at 0.
    for by_gender in (members["by_gender"], *members["by_age_bracket_gender"].values()):
        if by_gender.get(UNKNOWN) == 0:
            del by_gender[UNKNOWN]
    groups = members["by_ethnicity"]["groups"]
    members["by_ethnicity"]["groups"] = dict(
        sorted(((k, v) for k, v in groups.items() if v), key=lambda kv: (-kv[1], kv[0]))
    )
    return members


def tidy_units(units: dict[str, Any], rules: Ruleset) -> dict[str, Any]:
    """Units by kind in the rule set's order of kinds."""
    order = {code: i for i, code in enumerate(rules.unit_kinds)}
    by_kind = units["by_kind"]
    units["by_kind"] = {
        k: by_kind[k] for k in sorted(by_kind, key=lambda k: (order.get(k, len(order)), k))
    }
    return units


def merge_counts(into: dict[str, Any], other: dict[str, Any]) -> None:
    """Add the counts of `other` into `into` (same nested shape; missing keys start at 0)."""
    for key, value in other.items():
        if isinstance(value, dict):
            merge_counts(into.setdefault(key, {}), value)
        else:
            into[key] = into.get(key, 0) + value


def change_percent(now: int, before: int) -> float | None:
    """Year-over-year change in %, two decimals; None when there was nothing before."""
    if not before:
        return None
    value = (Decimal(now - before) * 100 / Decimal(before)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return float(value)
