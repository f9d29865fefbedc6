"""The versioned rule set: every number and list that regulations may change.

Rule sets are TOML files in `cadrebook/core/rulesets/`; the one in force is named by the
`RULESET` setting (CADREBOOK_RULESET). Services call `current_ruleset()` and never hold a
regulation's number as a literal.
"""

from __future__ import annotations

import builtins
import datetime as dt
import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from cadrebook.core.errors import RuleViolation

RULESET_DIR = Path(__file__).resolve().parent / "rulesets"


def rule_label(entry: Mapping[str, Any], language: str | None = None) -> str:
    """The label of a rule set entry (a unit kind, a level, a criteria group, ...) in
    `language` (by default the active one): the entry's key of that language (`vi = "..."`,
    `km = "..."`) when the rule set gives it, else its `label` (English). The codes beside
    the labels are the API's and never translated."""
    lang = (language or translation.get_language() or "").split("-")[0]
    text = entry.get(lang) if lang else None
    return str(text) if text else str(entry.get("label", ""))


def label_names(entry: Mapping[str, Any]) -> dict[str, str]:
    """The labels an entry gives in the site's languages (`vi`, `km`), for a parsed rule to
    keep beside its English `label`."""
    return {code: str(entry[code]) for code, _name in settings.LANGUAGES if entry.get(code)}


class Labelled:
    """A parsed rule set entry: its English `label` and its labels in other languages
    (`names`, from `label_names`); `display_label` is the one to show a person."""

    label: str
    names: Mapping[str, str]

    @property
    def display_label(self) -> str:
        return rule_label({**self.names, "label": self.label})


@dataclass(frozen=True)
class UnitKind(Labelled):
    """A kind of org unit, the kinds allowed above it, and whether members belong to it."""

    code: str
    label: str
    parents: tuple[str, ...]
    holds_members: bool
    source: str
    top: bool = False  # may stand at the top of the tree
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Deadline:
    """A date counted in working days, and the years on the way whose public holidays the
    rule set does not list (the count skipped only weekends there, so the date may be early).
    """

    date: dt.date
    unknown_years: tuple[builtins.int, ...] = ()

    @property
    def note(self) -> str:
        """What to show next to the date when the holidays of a year on the way are unknown."""
        if not self.unknown_years:
            return ""
        return _(
            "Public holidays of %(years)s are not in the rule set: this date counts only "
            "weekends there and may come too early."
        ) % {"years": ", ".join(str(y) for y in self.unknown_years)}


@dataclass(frozen=True)
class Ruleset:
    """One loaded rule set. `section(name)` gives a table; `source(name)` its regulation."""

    id: str
    name: str
    version: int
    data: dict[str, Any] = field(repr=False)

    def section(self, name: str) -> dict[str, Any]:
        try:
            return dict(self.data[name])
        except KeyError as exc:
            raise KeyError(f"rule set {self.id} has no section [{name}]") from exc

    def value(self, dotted: str) -> Any:
        section, _, key = dotted.partition(".")
        # Read in place, not through section()'s copy: the fold asks for rules on every
        # event, and a bulk import folds millions.
        try:
            return self.data[section][key]
        except KeyError:
            raise KeyError(f"rule set {self.id} has no rule {dotted}") from None

    def int(self, dotted: str) -> int:
        return int(self.value(dotted))

    def fraction(self, dotted: str) -> Fraction:
        return Fraction(str(self.value(dotted)))

    def source(self, section: str) -> str:
        return str(self.section(section).get("source", ""))

    def violation(self, section: str, code: str, message: str, **kw: Any) -> RuleViolation:
        """Build the refusal for a rule of `section`, naming the section's source document."""
        return RuleViolation(code, message, source=self.source(section), **kw)

    # Unit kinds ---------------------------------------------------------------------------
    # Cached: a rule set never changes once loaded, and the fold asks for kinds on every event.
    @functools.cached_property
    def unit_kinds(self) -> dict[str, UnitKind]:
        kinds = {}
        for code, raw in self.data.get("unit_kinds", {}).items():
            kinds[code] = UnitKind(
                code=code,
                label=raw["label"],
                parents=tuple(raw.get("parents", [])),
                holds_members=bool(raw.get("holds_members", False)),
                source=raw.get("source", ""),
                top=bool(raw.get("top", not raw.get("parents"))),
                names=label_names(raw),
            )
        return kinds

    def unit_kind(self, code: str) -> UnitKind:
        try:
            return self.unit_kinds[code]
        except KeyError:
            raise RuleViolation(
                "unit.kind_unknown",
                _("Unknown unit kind %(kind)s; the rule set %(ruleset)s knows %(known)s.")
                % {"kind": code, "ruleset": self.id, "known": ", ".join(sorted(self.unit_kinds))},
                field="kind",
            ) from None

    def member_holding_kinds(self) -> list[str]:
        return [k.code for k in self.unit_kinds.values() if k.holds_members]

    # Cards -----------------------------------------------------------------------------
    def card_pattern(self) -> re.Pattern[str]:
        # ASCII: \\d must not accept full-width or other Unicode digits.
        return re.compile(str(self.value("card.pattern")), re.ASCII)

    # Calendar --------------------------------------------------------------------------
    @functools.cached_property
    def holidays(self) -> frozenset[dt.date]:
        return frozenset(self.section("calendar").get("holidays", []))

    @functools.cached_property
    def weekend(self) -> frozenset[builtins.int]:
        return frozenset(int(d) for d in self.section("calendar").get("weekend", [6, 7]))

    @functools.cached_property
    def holiday_years(self) -> frozenset[builtins.int]:
        """The years whose public holidays the rule set lists (`calendar.holiday_years`;
        by default the years of the listed holidays)."""
        listed = self.section("calendar").get("holiday_years")
        if listed is None:
            return frozenset(d.year for d in self.holidays)
        return frozenset(int(y) for y in listed)

    def unknown_holiday_years(self, start: dt.date, end: dt.date) -> tuple[builtins.int, ...]:
        """The years from `start` to `end` (either order) whose holidays are not listed."""
        low, high = sorted((start.year, end.year))
        return tuple(y for y in range(low, high + 1) if y not in self.holiday_years)

    def working_deadline(self, start: dt.date, days: builtins.int) -> Deadline:
        """`add_working_days`, saying which years on the way have unknown holidays."""
        day = self.add_working_days(start, days)
        return Deadline(day, self.unknown_holiday_years(start, day))

    def is_working_day(self, day: dt.date) -> bool:
        return day.isoweekday() not in self.weekend and day not in self.holidays

    def add_working_days(self, start: dt.date, days: builtins.int) -> dt.date:
        """The date `days` working days after `start` (start itself not counted)."""
        step = 1 if days >= 0 else -1
        remaining = abs(days)
        day = start
        while remaining:
            day += dt.timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: dt.date, end: dt.date) -> builtins.int:
        """Working days after `start` up to and including `end`."""
        if end <= start:
            return 0
        count = 0
        day = start
        while day < end:
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                count += 1
        return count


def available_rulesets() -> list[str]:
    return sorted(p.stem for p in RULESET_DIR.glob("*.toml"))


@cache
def load_ruleset(ruleset_id: str) -> Ruleset:
    path = RULESET_DIR / f"{ruleset_id}.toml"
    if not path.exists():
        raise LookupError(
            f"No rule set {ruleset_id!r}; available: {', '.join(available_rulesets())}"
        )
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return Ruleset(id=data["id"], name=data["name"], version=int(data["version"]), data=data)


def current_ruleset() -> Ruleset:
    """The rule set in force (settings.RULESET)."""
    return load_ruleset(settings.RULESET)
