"""The rule set's `[cadres]` section, read once per rule set into typed rules and checked as
it is read: the positions of a committee (their order and whether they need a full member),
the seats each unit kind has (which positions, at most how many holders, from how many full
members), an appointment's length and its notice in working days, the working life a first
or higher appointment needs, the election's share, the order of the unit kinds' levels and
the retirement schedule (`retirement.py` computes with it). A rule set that breaks one is
refused with the key at fault (`ImproperlyConfigured`), never half-applied.

The terms of a committee are the register's (`documents.Term`; their length is
`[organization] term_years`). The planning, rotation and confidence votes of the second
pass read `[planning]`, `[confidence_vote]` and `rotation_*` here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from cadrebook.core.errors import RuleViolation
from cadrebook.core.rules import Labelled, Ruleset, current_ruleset, label_names

SECTION = "cadres"
GENDERS = ("male", "female")
_AGE = re.compile(r"^(\d+)y(?:(\d+)m)?$")


@dataclass(frozen=True)
class Position(Labelled):
    """A position of a committee; `level` orders the positions of one unit."""

    code: str
    label: str
    level: int
    requires_full_member: bool
    source: str
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Seats:
    """The seats of `positions` on units of `unit_kinds`: at most `max` holders of them
    together on a day (None: no limit), only when the unit has at least `min_full_members`
    full members that day (None: no minimum)."""

    positions: frozenset[str]
    unit_kinds: frozenset[str]
    max: int | None
    min_full_members: int | None
    source: str


@dataclass(frozen=True)
class RetirementSchedule:
    """The retirement age in months by the year it is reached (`by_year`), the age before the
    first year listed (`before`), per gender; after the last year listed, the last."""

    before: Mapping[str, int]
    by_year: Mapping[int, Mapping[str, int]]
    source: str

    def age_months(self, gender: str, year: int) -> int:
        if not self.by_year or year < min(self.by_year):
            return self.before[gender]
        listed = max(y for y in self.by_year if y <= year)
        return self.by_year[listed][gender]


@dataclass(frozen=True)
class CadreRules:
    """The cadre rules of one rule set (see the module's docstring)."""

    ruleset_id: str
    source: str
    positions: tuple[Position, ...]
    seats: tuple[Seats, ...]
    term_years: int
    appointment_months: int
    appointment_source: str
    notice_working_days: int
    notice_source: str
    min_months_before_retirement: int
    min_months_source: str
    election_share: Fraction
    election_source: str
    kind_levels: Mapping[str, int]
    kind_levels_source: str
    retirement: RetirementSchedule

    def position(self, code: str) -> Position | None:
        return next((p for p in self.positions if p.code == code), None)

    def position_label(self, code: str) -> str:
        """The label to show a person in the active language; the code of a position the rule
        set lacks (a record of an older rule set)."""
        found = self.position(code)
        return found.display_label if found is not None else code

    def seats_for(self, position: str, unit_kind: str) -> tuple[Seats, ...]:
        """The seat rules that cover `position` on a unit of `unit_kind` (none: no such post)."""
        return tuple(s for s in self.seats if position in s.positions and unit_kind in s.unit_kinds)

    def rank(self, position: str, unit_kind: str) -> tuple[int, int]:
        """How high a post stands: its unit kind's level first, then the position's."""
        found = self.position(position)
        return (self.kind_levels.get(unit_kind, 0), found.level if found else 0)

    def violation(self, code: str, message: str, *, source: str = "", **kw: Any) -> RuleViolation:
        """A refusal by one of these rules, naming its source (the section's by default)."""
        return RuleViolation(code, message, source=source or self.source, **kw)


def _fail(ruleset: Ruleset, key: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"rule set {ruleset.id} [cadres] {key}: {problem}")


def _count(ruleset: Ruleset, key: str, value: Any, *, minimum: int = 0) -> int:
    """A whole number >= `minimum`, or the name of another rule holding one."""
    if isinstance(value, str):
        try:
            value = ruleset.value(value)
        except KeyError:
            raise _fail(ruleset, key, f"names no rule: {value!r}") from None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _fail(ruleset, key, f"{value!r} is not a whole number >= {minimum}")
    return value


def _age(ruleset: Ruleset, key: str, text: Any) -> int:
    found = _AGE.match(str(text))
    if found is None:
        raise _fail(ruleset, key, f"{text!r} is not an age such as 60y3m")
    months = int(found.group(2) or 0)
    if months > 11:
        raise _fail(ruleset, key, f"{text!r}: months run from 0 to 11")
    return int(found.group(1)) * 12 + months


def _ages(ruleset: Ruleset, key: str, raw: Mapping[str, Any]) -> dict[str, int]:
    return {g: _age(ruleset, f"{key}.{g}", raw[g]) for g in GENDERS}


def _retirement(ruleset: Ruleset, data: Mapping[str, Any]) -> RetirementSchedule:
    before = _ages(ruleset, "retirement.before", data["before"])
    by_year: dict[int, dict[str, int]] = {}
    for i, row in enumerate(data["schedule"]):
        year = _count(ruleset, f"retirement.schedule[{i}].year", row["year"], minimum=1900)
        if year in by_year:
            raise _fail(ruleset, f"retirement.schedule[{i}].year", f"{year} listed twice")
        by_year[year] = _ages(ruleset, f"retirement.schedule[{i}]", row)
    years = sorted(by_year)
    for gender in GENDERS:
        ages = [before[gender]] + [by_year[y][gender] for y in years]
        if ages != sorted(ages):
            # A falling age would let a person reach retirement twice (or never).
            raise _fail(ruleset, "retirement.schedule", f"the {gender} age may not fall")
    return RetirementSchedule(before, by_year, str(data["source"]))


def parse(ruleset: Ruleset) -> CadreRules:
    """Read and check the `[cadres]` section of `ruleset`."""
    try:
        data = ruleset.section(SECTION)
    except KeyError:
        raise ImproperlyConfigured(f"rule set {ruleset.id} has no [cadres] section") from None
    try:
        source = str(data["source"])
        positions = tuple(
            Position(
                str(p["code"]),
                str(p["label"]),
                _count(ruleset, f"positions[{i}].level", p["level"]),
                bool(p["requires_full_member"]),
                str(p.get("source") or source),
                label_names(p),
            )
            for i, p in enumerate(data["positions"])
        )
        codes = [p.code for p in positions]
        if not codes:
            raise _fail(ruleset, "positions", "must list at least one position")
        twice = sorted({c for c in codes if codes.count(c) > 1})
        if twice:
            raise _fail(ruleset, "positions", f"{', '.join(twice)} listed twice")
        seats = []
        for i, s in enumerate(data["seats"]):
            named = frozenset(str(p) for p in s["positions"])
            kinds = frozenset(str(k) for k in s["unit_kinds"])
            if not named or not named <= set(codes):
                raise _fail(
                    ruleset, f"seats[{i}].positions", f"unknown {sorted(named - set(codes))}"
                )
            if not kinds or not kinds <= set(ruleset.unit_kinds):
                raise _fail(
                    ruleset,
                    f"seats[{i}].unit_kinds",
                    f"unknown unit kinds {sorted(kinds - set(ruleset.unit_kinds))}",
                )
            top = s.get("max")
            least = s.get("min_full_members")
            seats.append(
                Seats(
                    named,
                    kinds,
                    None if top is None else _count(ruleset, f"seats[{i}].max", top, minimum=1),
                    None
                    if least is None
                    else _count(ruleset, f"seats[{i}].min_full_members", least),
                    str(s.get("source") or source),
                )
            )
        kind_levels = {
            str(k): _count(ruleset, f"kind_levels.{k}", v) for k, v in data["kind_levels"].items()
        }
        unknown = sorted(set(kind_levels) - set(ruleset.unit_kinds))
        if unknown:
            raise _fail(ruleset, "kind_levels", f"unknown unit kinds {unknown}")
        share = Fraction(str(data["election_share"]))
        if not 0 < share < 1:
            raise _fail(ruleset, "election_share", f"{share} is not a share between 0 and 1")
        return CadreRules(
            ruleset_id=ruleset.id,
            source=source,
            positions=positions,
            seats=tuple(seats),
            term_years=ruleset.int("organization.term_years"),
            appointment_months=_count(
                ruleset, "appointment_months", data["appointment_months"], minimum=1
            ),
            appointment_source=str(data.get("appointment_source") or source),
            notice_working_days=_count(ruleset, "notice_working_days", data["notice_working_days"]),
            notice_source=str(data.get("notice_source") or source),
            min_months_before_retirement=_count(
                ruleset, "min_months_before_retirement", data["min_months_before_retirement"]
            ),
            min_months_source=str(data.get("min_months_source") or source),
            election_share=share,
            election_source=str(data.get("election_source") or source),
            kind_levels=kind_levels,
            kind_levels_source=str(data.get("kind_levels_source") or source),
            retirement=_retirement(ruleset, data["retirement"]),
        )
    except KeyError as exc:
        raise _fail(ruleset, str(exc.args[0]), "missing") from None
    except (TypeError, ValueError, IndexError, AttributeError, ZeroDivisionError) as exc:
        raise _fail(ruleset, "(structure)", str(exc)) from None


# One object per loaded rule set (core.rules.load_ruleset caches them): the parsed rules are
# kept beside it (a Ruleset holds a dict, so it cannot be a cache key).
_PARSED: dict[int, tuple[Ruleset, CadreRules]] = {}


def cadre_rules(ruleset: Ruleset | None = None) -> CadreRules:
    """The cadre rules of `ruleset` (default: the rule set in force), read once."""
    rs = ruleset or current_ruleset()
    kept = _PARSED.get(id(rs))
    if kept is None or kept[0] is not rs:
        kept = (rs, parse(rs))
        _PARSED[id(rs)] = kept
    return kept[1]
