"""The rule set's `[planning]` and `[confidence_vote]` sections, read once per rule set into
typed rules and checked as they are read (`ImproperlyConfigured` naming the key at fault):

- planning: the candidates per post and posts per candidate, the working life a planned
  person needs (the age limit), the three age brackets of a list's structure, the age of
  "young", the shares a list should reach (women, young, ethnic minorities; a target left
  out is not checked) and each rule's source;
- confidence votes: the quorum, the two shares of "low" ballots (out of planning; dismissal)
  and the evaluation level a leader so voted is capped at, with their sources;
- rotation (`[rotation]`): the shortest stint, the position that heads a unit, how many
  terms in a row one person may head the same unit, the working life a rotated cadre needs
  left, with their sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from cadrebook.core.rules import Ruleset, current_ruleset

# The targets of a list's structure, by code (the report's and the API's words).
TARGETS = ("women", "young", "ethnic_minority")


@dataclass(frozen=True)
class PlanningRules:
    """The planning rules of one rule set (see the module's docstring)."""

    ruleset_id: str
    source: str
    max_candidates: int
    max_candidates_source: str
    max_positions: int
    max_positions_source: str
    higher_post_source: str
    same_step_source: str
    approval_source: str
    review_source: str
    # An appointment needs the candidate in planning (or the competent level's decision).
    appointment_source: str
    min_months_before_retirement: int
    age_limit_source: str
    discipline_source: str
    age_brackets: tuple[tuple[int, int], ...]
    age_brackets_source: str
    young_max_age: int
    young_source: str
    targets: Mapping[str, Fraction]
    targets_source: str
    majority_ethnicity: str

    def bracket_of(self, age: int) -> int | None:
        """The index of the age bracket `age` falls in (None: in none)."""
        return next(
            (i for i, (low, high) in enumerate(self.age_brackets) if low <= age <= high), None
        )


@dataclass(frozen=True)
class ConfidenceRules:
    """The confidence-vote rules of one rule set."""

    ruleset_id: str
    source: str
    quorum: Fraction
    quorum_source: str
    low_out_of_planning: Fraction
    low_out_of_planning_source: str
    low_dismissal: Fraction
    low_dismissal_source: str
    cap_level: str
    cap_source: str


@dataclass(frozen=True)
class RotationRules:
    """The rotation rules of one rule set (65-QĐ/TW 2022)."""

    ruleset_id: str
    source: str
    planning_source: str
    equal_post_source: str
    min_stint_months: int
    min_stint_source: str
    head_position: str
    max_consecutive_head_terms: int
    max_consecutive_head_terms_source: str
    min_months_left: int
    min_months_left_source: str


def _fail(ruleset: Ruleset, section: str, key: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"rule set {ruleset.id} [{section}] {key}: {problem}")


def _int(ruleset: Ruleset, section: str, key: str, value: Any, minimum: int = 0) -> int:
    """A whole number >= `minimum`, or the name of another rule holding one."""
    if isinstance(value, str):
        try:
            value = ruleset.value(value)
        except KeyError:
            raise _fail(ruleset, section, key, f"names no rule: {value!r}") from None
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _fail(ruleset, section, key, f"{value!r} is not a whole number >= {minimum}")
    return value


def _share(ruleset: Ruleset, section: str, key: str, value: Any) -> Fraction:
    try:
        share = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise _fail(ruleset, section, key, f"{value!r} is not a share") from None
    if not 0 <= share <= 1:
        raise _fail(ruleset, section, key, f"{share} is not a share between 0 and 1")
    return share


def parse_planning(ruleset: Ruleset) -> PlanningRules:
    """Read and check the `[planning]` section of `ruleset`."""
    name = "planning"
    try:
        data = ruleset.section(name)
    except KeyError:
        raise ImproperlyConfigured(f"rule set {ruleset.id} has no [planning] section") from None
    try:
        source = str(data["source"])

        def src(key: str) -> str:
            return str(data.get(key) or source)

        brackets = tuple(
            (
                _int(ruleset, name, f"age_brackets[{i}][0]", b[0]),
                _int(ruleset, name, f"age_brackets[{i}][1]", b[1]),
            )
            for i, b in enumerate(data["age_brackets"])
        )
        if len(brackets) != 3:
            raise _fail(ruleset, name, "age_brackets", "the structure has three age brackets")
        for i, (low, high) in enumerate(brackets):
            if low > high or (i and low != brackets[i - 1][1] + 1):
                raise _fail(ruleset, name, f"age_brackets[{i}]", "brackets follow each other")
        targets = {
            code: _share(ruleset, name, f"{code}_share_min", data[f"{code}_share_min"])
            for code in TARGETS
            if f"{code}_share_min" in data
        }
        return PlanningRules(
            ruleset_id=ruleset.id,
            source=source,
            max_candidates=_int(
                ruleset, name, "max_candidates_per_position", data["max_candidates_per_position"], 1
            ),
            max_candidates_source=src("max_candidates_source"),
            max_positions=_int(
                ruleset, name, "max_positions_per_candidate", data["max_positions_per_candidate"], 1
            ),
            max_positions_source=src("max_positions_source"),
            higher_post_source=src("higher_post_source"),
            same_step_source=src("same_step_source"),
            approval_source=src("approval_source"),
            review_source=src("review_source"),
            appointment_source=src("appointment_source"),
            min_months_before_retirement=_int(
                ruleset,
                name,
                "min_months_before_retirement",
                data["min_months_before_retirement"],
            ),
            age_limit_source=src("age_limit_source"),
            discipline_source=src("discipline_source"),
            age_brackets=brackets,
            age_brackets_source=src("age_brackets_source"),
            young_max_age=_int(ruleset, name, "young_max_age", data["young_max_age"]),
            young_source=src("young_source"),
            targets=targets,
            targets_source=src("targets_source"),
            majority_ethnicity=str(ruleset.value("statistics.majority_ethnicity")),
        )
    except KeyError as exc:
        raise _fail(ruleset, name, str(exc.args[0]), "missing") from None
    except (TypeError, IndexError) as exc:
        raise _fail(ruleset, name, "(structure)", str(exc)) from None


def parse_confidence(ruleset: Ruleset) -> ConfidenceRules:
    """Read and check the `[confidence_vote]` section of `ruleset`."""
    name = "confidence_vote"
    try:
        data = ruleset.section(name)
    except KeyError:
        raise ImproperlyConfigured(
            f"rule set {ruleset.id} has no [confidence_vote] section"
        ) from None
    try:
        source = str(data["source"])
        out = _share(ruleset, name, "low_out_of_planning", data["low_out_of_planning"])
        dismissal = _share(ruleset, name, "low_dismissal", data["low_dismissal"])
        if dismissal < out:
            raise _fail(ruleset, name, "low_dismissal", "may not be below low_out_of_planning")
        return ConfidenceRules(
            ruleset_id=ruleset.id,
            source=source,
            quorum=_share(ruleset, name, "quorum", data["quorum"]),
            quorum_source=str(data.get("quorum_source") or source),
            low_out_of_planning=out,
            low_out_of_planning_source=str(data.get("low_out_of_planning_source") or source),
            low_dismissal=dismissal,
            low_dismissal_source=str(data.get("low_dismissal_source") or source),
            cap_level=str(data["cap_level"]),
            cap_source=str(data.get("cap_source") or source),
        )
    except KeyError as exc:
        raise _fail(ruleset, name, str(exc.args[0]), "missing") from None


def parse_rotation(ruleset: Ruleset) -> RotationRules:
    """Read and check the `[rotation]` section of `ruleset`."""
    name = "rotation"
    try:
        data = ruleset.section(name)
    except KeyError:
        raise ImproperlyConfigured(f"rule set {ruleset.id} has no [rotation] section") from None
    try:
        source = str(data["source"])

        def src(key: str) -> str:
            return str(data.get(key) or source)

        positions = {str(p["code"]) for p in ruleset.section("cadres")["positions"]}
        head = str(data["head_position"])
        if head not in positions:
            raise _fail(ruleset, name, "head_position", f"{head!r} is not a [cadres] position")
        return RotationRules(
            ruleset_id=ruleset.id,
            source=source,
            planning_source=src("planning_source"),
            equal_post_source=src("equal_post_source"),
            min_stint_months=_int(ruleset, name, "min_stint_months", data["min_stint_months"], 1),
            min_stint_source=src("min_stint_source"),
            head_position=head,
            max_consecutive_head_terms=_int(
                ruleset,
                name,
                "max_consecutive_head_terms",
                data["max_consecutive_head_terms"],
                1,
            ),
            max_consecutive_head_terms_source=src("max_consecutive_head_terms_source"),
            min_months_left=12 * _int(ruleset, name, "min_years_left", data["min_years_left"]),
            min_months_left_source=src("min_years_left_source"),
        )
    except KeyError as exc:
        raise _fail(ruleset, name, str(exc.args[0]), "missing") from None


# One object per loaded rule set, kept beside it (as `rules.cadre_rules`).
_PLANNING: dict[int, tuple[Ruleset, PlanningRules]] = {}
_CONFIDENCE: dict[int, tuple[Ruleset, ConfidenceRules]] = {}
_ROTATION: dict[int, tuple[Ruleset, RotationRules]] = {}


def planning_rules(ruleset: Ruleset | None = None) -> PlanningRules:
    """The planning rules of `ruleset` (default: the rule set in force), read once."""
    rs = ruleset or current_ruleset()
    kept = _PLANNING.get(id(rs))
    if kept is None or kept[0] is not rs:
        kept = (rs, parse_planning(rs))
        _PLANNING[id(rs)] = kept
    return kept[1]


def confidence_rules(ruleset: Ruleset | None = None) -> ConfidenceRules:
    """The confidence-vote rules of `ruleset` (default: the rule set in force), read once."""
    rs = ruleset or current_ruleset()
    kept = _CONFIDENCE.get(id(rs))
    if kept is None or kept[0] is not rs:
        kept = (rs, parse_confidence(rs))
        _CONFIDENCE[id(rs)] = kept
    return kept[1]


def rotation_rules(ruleset: Ruleset | None = None) -> RotationRules:
    """The rotation rules of `ruleset` (default: the rule set in force), read once."""
    rs = ruleset or current_ruleset()
    kept = _ROTATION.get(id(rs))
    if kept is None or kept[0] is not rs:
        kept = (rs, parse_rotation(rs))
        _ROTATION[id(rs)] = kept
    return kept[1]
