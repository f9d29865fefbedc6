"""The rule set's `[inspection]` section, read once per rule set into typed rules and checked
as it is read: the kinds of inspection and supervision, the steps in their order with the days
after the decision each is due, the kinds of violation a conclusion finds, the recommendation
statuses (the three codes of `choices.FollowUpStatus`), and the bodies that may inspect with
the unit kinds each may sit on. A rule set that breaks one is refused with the key at fault
(`ImproperlyConfigured`), never half-applied.

The `[discipline]` section is read by `discipline_rules.py`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from cadrebook.core.errors import RuleViolation
from cadrebook.core.rules import Labelled, Ruleset, current_ruleset, label_names
from cadrebook.inspections.choices import STEP_CONCLUSION, STEP_DECISION, FollowUpStatus

SECTION = "inspection"


@dataclass(frozen=True)
class Kind(Labelled):
    """A kind of inspection or supervision; `supervision` counts it among the supervisions."""

    code: str
    label: str
    supervision: bool
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Step(Labelled):
    """A step of an inspection, due `days` after the decision (for the worklist)."""

    code: str
    label: str
    days: int
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Coded(Labelled):
    code: str
    label: str
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Body(Labelled):
    """An organ that may inspect (committee, standing committee, inspection committee, cell)
    and the unit kinds it sits on."""

    code: str
    label: str
    unit_kinds: frozenset[str]
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class InspectionRules:
    """The inspection rules of one rule set (see the module's docstring)."""

    ruleset_id: str
    source: str
    kinds: tuple[Kind, ...]
    kinds_source: str
    steps: tuple[Step, ...]  # in their order, the decision first and the conclusion last
    steps_source: str
    violation_kinds: tuple[Coded, ...]
    violations_source: str
    recommendation_statuses: tuple[Coded, ...]
    recommendations_source: str
    bodies: tuple[Body, ...]
    bodies_source: str
    # Who may not sit on an inspection's team: its subjects (a conflict of interest).
    team_source: str
    decision_document_required: bool
    conclusion_document_required: bool
    # How many days ahead the worklist warns of a case's limitation period running out.
    limitation_warning_days: int
    # The unit kinds whose own committee is the unit above them (a cell of a grassroots
    # committee): an inspection by a body above that committee comes from a higher level.
    parent_committee_kinds: frozenset[str] = frozenset()

    def kind(self, code: str) -> Kind | None:
        return next((k for k in self.kinds if k.code == code), None)

    def step(self, code: str) -> Step | None:
        return next((s for s in self.steps if s.code == code), None)

    def step_index(self, code: str) -> int:
        return [s.code for s in self.steps].index(code)

    def body(self, code: str) -> Body | None:
        return next((b for b in self.bodies if b.code == code), None)

    def violation_kind(self, code: str) -> Coded | None:
        return next((v for v in self.violation_kinds if v.code == code), None)

    # Labels to show a person, in the active language; the code of an entry the rule set lacks.
    def kind_label(self, code: str) -> str:
        return _shown(self.kinds, code)

    def step_label(self, code: str) -> str:
        return _shown(self.steps, code)

    def violation_label(self, code: str) -> str:
        return _shown(self.violation_kinds, code)

    def status_label(self, code: str) -> str:
        return _shown(self.recommendation_statuses, code)

    def body_label(self, code: str) -> str:
        return _shown(self.bodies, code)

    def violation(self, code: str, message: str, *, source: str = "", **kw: Any) -> RuleViolation:
        """A refusal by one of these rules, naming its source (the section's by default)."""
        return RuleViolation(code, message, source=source or self.source, **kw)


def _shown(entries: Iterable[Kind | Step | Coded | Body], code: str) -> str:
    return next((e.display_label for e in entries if e.code == code), code)


def _fail(ruleset: Ruleset, key: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"rule set {ruleset.id} [inspection] {key}: {problem}")


def _unique(ruleset: Ruleset, key: str, codes: list[str]) -> None:
    if not codes:
        raise _fail(ruleset, key, "must list at least one entry")
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise _fail(ruleset, key, f"{', '.join(twice)} listed twice")


def _coded(raw: list[dict[str, Any]]) -> tuple[Coded, ...]:
    return tuple(Coded(str(r["code"]), str(r["label"]), label_names(r)) for r in raw)


def parse(ruleset: Ruleset) -> InspectionRules:
    """Read and check the `[inspection]` section of `ruleset`."""
    try:
        data = ruleset.section(SECTION)
    except KeyError:
        raise ImproperlyConfigured(f"rule set {ruleset.id} has no [inspection] section") from None
    try:
        source = str(data["source"])
        kinds = tuple(
            Kind(str(k["code"]), str(k["label"]), bool(k.get("supervision", False)), label_names(k))
            for k in data["kinds"]
        )
        _unique(ruleset, "kinds", [k.code for k in kinds])
        steps = []
        for i, s in enumerate(data["steps"]):
            days = s["days"]
            if not isinstance(days, int) or isinstance(days, bool) or days < 0:
                raise _fail(ruleset, f"steps[{i}].days", f"{days!r} is not a number of days >= 0")
            steps.append(Step(str(s["code"]), str(s["label"]), days, label_names(s)))
        _unique(ruleset, "steps", [s.code for s in steps])
        if steps[0].code != STEP_DECISION or steps[-1].code != STEP_CONCLUSION:
            raise _fail(
                ruleset, "steps", f"must start with {STEP_DECISION} and end with {STEP_CONCLUSION}"
            )
        if [s.days for s in steps] != sorted(s.days for s in steps):
            raise _fail(ruleset, "steps", "a step's days may not come before the step before it")
        violations = _coded(data["violation_kinds"])
        _unique(ruleset, "violation_kinds", [v.code for v in violations])
        statuses = _coded(data["recommendation_statuses"])
        if sorted(s.code for s in statuses) != sorted(FollowUpStatus.values):
            raise _fail(
                ruleset, "recommendation_statuses", f"must be {', '.join(FollowUpStatus.values)}"
            )
        bodies = []
        for i, b in enumerate(data["bodies"]):
            unit_kinds = frozenset(str(k) for k in b["unit_kinds"])
            unknown = sorted(unit_kinds - set(ruleset.unit_kinds))
            if unknown or not unit_kinds:
                raise _fail(
                    ruleset,
                    f"bodies[{i}].unit_kinds",
                    f"unknown unit kinds {unknown}" if unknown else "must list a unit kind",
                )
            bodies.append(Body(str(b["code"]), str(b["label"]), unit_kinds, label_names(b)))
        _unique(ruleset, "bodies", [b.code for b in bodies])
        parent_committee = frozenset(str(k) for k in data.get("parent_committee_kinds", ()))
        unknown_kinds = sorted(parent_committee - set(ruleset.unit_kinds))
        if unknown_kinds:
            raise _fail(ruleset, "parent_committee_kinds", f"unknown unit kinds {unknown_kinds}")
        return InspectionRules(
            ruleset_id=ruleset.id,
            source=source,
            kinds=kinds,
            kinds_source=str(data.get("kinds_source") or source),
            steps=tuple(steps),
            steps_source=str(data.get("steps_source") or source),
            violation_kinds=violations,
            violations_source=str(data.get("violations_source") or source),
            recommendation_statuses=statuses,
            recommendations_source=str(data.get("recommendations_source") or source),
            bodies=tuple(bodies),
            bodies_source=str(data.get("bodies_source") or source),
            team_source=str(data.get("team_source") or source),
            decision_document_required=bool(data["decision_document_required"]),
            conclusion_document_required=bool(data["conclusion_document_required"]),
            limitation_warning_days=int(data["limitation_warning_days"]),
            parent_committee_kinds=parent_committee,
        )
    except KeyError as exc:
        raise _fail(ruleset, str(exc.args[0]), "missing") from None
    except (TypeError, IndexError, AttributeError) as exc:
        raise _fail(ruleset, "(structure)", str(exc)) from None


# The loaded rule sets are cached (core.rules.load_ruleset), so one object per rule set: the
# parsed rules are kept beside it (a Ruleset holds a dict, so it cannot be a cache key).
_PARSED: dict[int, tuple[Ruleset, InspectionRules]] = {}


def inspection_rules(ruleset: Ruleset | None = None) -> InspectionRules:
    """The inspection rules of `ruleset` (default: the rule set in force), read once."""
    rs = ruleset or current_ruleset()
    kept = _PARSED.get(id(rs))
    if kept is None or kept[0] is not rs:
        kept = (rs, parse(rs))
        _PARSED[id(rs)] = kept
    return kept[1]
