"""The rule set's `[evaluation]` section, read once per rule set into typed rules and checked
as it is read: the levels are the four of the contract, the criteria groups add up to the
scale, every cap and mapping names a known level. A rule set that breaks one is refused with
the key at fault (`ImproperlyConfigured`), never half-applied.

Every number and list the evaluation services check comes from here: thresholds, criteria
groups, exclusions, special cases, disqualifiers, the quota, who decides, the links between an
organization and its members, legacy labels, round kinds, the honour's years running, the
timetable's enforcement, the steps a decision follows.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

from django.core.exceptions import ImproperlyConfigured

from cadrebook.core.dates import add_months
from cadrebook.core.rules import Labelled, Ruleset, current_ruleset, label_names
from cadrebook.evaluations.choices import LEVEL_ORDER, Exclusion, Framework, Level, SpecialCase

SECTION = "evaluation"
DECIDER_GRASSROOTS = "grassroots"
DECIDER_PARENT = "parent"
ENFORCE_REFUSE = "refuse"
ENFORCE_WARN = "warn"
# The steps a decision may follow (`[evaluation.steps]`), in their order.
STEPS_BEFORE_DECISION = ("self_assessment", "proposal")


@dataclass(frozen=True)
class LevelRule(Labelled):
    code: str
    label: str
    min_points: Decimal
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Group(Labelled):
    code: str
    label: str
    points: Decimal
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class FrameworkRule(Labelled):
    code: str
    label: str
    source: str
    groups: tuple[Group, ...]
    names: Mapping[str, str] = field(default_factory=dict, compare=False)

    def group(self, code: str) -> Group | None:
        return next((g for g in self.groups if g.code == code), None)


@dataclass(frozen=True)
class Disqualifier(Labelled):
    code: str
    label: str
    cap: str
    source: str
    names: Mapping[str, str] = field(default_factory=dict, compare=False)
    # The fact of the discipline records that sets it by itself ("" : ticked by hand).
    from_discipline: str = ""
    # Another record's fact that sets it by itself ("": none), beside `from_discipline`.
    from_fact: str = ""


# The facts of the discipline records a disqualifier may follow (`from_discipline`).
FROM_DISCIPLINE = ("disciplined", "reprimand_or_above_duty")
# The facts of other records a disqualifier may follow (`from_fact`): "confidence_low", more
# than the rule set's share "low" in a confidence vote of the round's year (the cadres'
# `confidence_cap`).
FROM_FACT = ("confidence_low",)


@dataclass(frozen=True)
class Coded(Labelled):
    code: str
    label: str
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class RoundKind(Labelled):
    code: str
    label: str
    rates_year: bool
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class LinkCap:
    """More than `share` of an organization's rated members "not completed" caps it at `cap`."""

    share: Fraction
    cap: str


@dataclass(frozen=True)
class Legacy:
    label: str
    name: str
    level: str


@dataclass(frozen=True)
class EvaluationRules:
    """The evaluation rules of one rule set (see the module's docstring)."""

    ruleset_id: str
    source: str
    score_max: Decimal
    levels: tuple[LevelRule, ...]  # best first
    round_kinds: tuple[RoundKind, ...]
    honour_years_running: int
    honour_source: str
    decision_document_required: bool
    frameworks: dict[str, FrameworkRule]
    exclusions_source: str
    admitted_within_months: int
    exclusion_reasons: tuple[Coded, ...]
    special_source: str
    long_leave_min_months: int
    special_cases: tuple[Coded, ...]
    host_comment_cases: frozenset[str]
    disqualifiers_source: str
    override_reasons: tuple[Coded, ...]
    disqualifiers: dict[str, tuple[Disqualifier, ...]]
    links_source: str
    link_caps: tuple[LinkCap, ...]
    collective_first: bool
    collective_first_source: str
    quota_source: str
    quota_share: Fraction
    quota_outstanding_share: Fraction
    quota_enforcement: str
    quota_rounding: str
    quota_frameworks: frozenset[str]
    deciders_source: str
    grassroots_kinds: frozenset[str]
    framework_deciders: dict[str, str]
    unit_deciders: dict[str, str]
    legacy_source: str
    legacy_units: dict[str, Legacy]
    legacy_members: dict[str, Legacy]
    models_source: str
    model_kinds: tuple[Coded, ...]
    # A step recorded after its deadline (D1, D2, D3): "warn" records it marked late,
    # "refuse" refuses it.
    timetable_enforcement: str = ENFORCE_WARN
    timetable_source: str = ""
    # The steps recorded before a subject's decision, by subject kind (`member`, `unit`), and
    # a decision without them: "warn" records it marked with the missing steps, "refuse"
    # refuses it. No `[evaluation.steps]`: no step is asked for.
    steps_required: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    steps_enforcement: str = ENFORCE_WARN
    steps_source: str = ""

    # Levels ---------------------------------------------------------------------------
    def level_of(self, score: Decimal) -> str:
        """The level a score earns by the thresholds (the best whose minimum it reaches)."""
        for level in self.levels:
            if score >= level.min_points:
                return level.code
        return Level.NOT_COMPLETED

    # Labels to show a person, in the active language (`display_label`: the rule set's
    # `vi` / `km` label, else its English `label`); the code of an entry the rule set lacks.
    def level_label(self, code: str) -> str:
        return _shown(self.levels, code)

    def round_kind_label(self, code: str) -> str:
        return _shown(self.round_kinds, code)

    def framework_label(self, code: str) -> str:
        return _shown(self.frameworks.values(), code)

    def exclusion_label(self, code: str) -> str:
        return _shown(self.exclusion_reasons, code)

    def special_case_label(self, code: str) -> str:
        return _shown(self.special_cases, code)

    def model_label(self, code: str) -> str:
        return _shown(self.model_kinds, code)

    def round_kind(self, code: str) -> RoundKind | None:
        return next((k for k in self.round_kinds if k.code == code), None)

    def disqualifier(self, framework: str, code: str) -> Disqualifier | None:
        return next((d for d in self.disqualifiers.get(framework, ()) if d.code == code), None)

    def allowed_excellent(self, good: int, *, outstanding: bool) -> int:
        """How many "excellent" the quota allows for `good` rated good."""
        share = self.quota_outstanding_share if outstanding else self.quota_share
        exact = share * good
        if self.quota_rounding == "round":
            # Half up, as people round a share of heads.
            return int(math.floor(exact + Fraction(1, 2)))
        return int(math.floor(exact))

    def admitted_cutoff(self, reference: dt.date) -> dt.date:
        """Admitted on or after this date: too recent to be rated on `reference`."""
        return add_months(reference, -self.admitted_within_months)


def _shown(entries: Iterable[LevelRule | RoundKind | FrameworkRule | Coded], code: str) -> str:
    return next((e.display_label for e in entries if e.code == code), code)


def _fail(ruleset: Ruleset, key: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"rule set {ruleset.id} [evaluation] {key}: {problem}")


def _level(ruleset: Ruleset, key: str, code: Any) -> str:
    if code not in LEVEL_ORDER:
        raise _fail(ruleset, key, f"{code!r} is not one of {', '.join(LEVEL_ORDER)}")
    return str(code)


def _from_discipline(ruleset: Ruleset, key: str, raw: Mapping[str, Any]) -> str:
    fact = str(raw.get("from_discipline") or "")
    if fact and fact not in FROM_DISCIPLINE:
        raise _fail(ruleset, f"{key}.from_discipline", f"{fact!r} is not one of {FROM_DISCIPLINE}")
    return fact


def _from_fact(ruleset: Ruleset, key: str, raw: Mapping[str, Any]) -> str:
    fact = str(raw.get("from_fact") or "")
    if fact and fact not in FROM_FACT:
        raise _fail(ruleset, f"{key}.from_fact", f"{fact!r} is not one of {FROM_FACT}")
    if fact and raw.get("from_discipline"):
        # One fact sets a disqualifier: two would leave it unclear which one applied.
        raise _fail(ruleset, f"{key}.from_fact", "give from_fact or from_discipline, not both")
    return fact


def _coded(raw: list[dict[str, Any]]) -> tuple[Coded, ...]:
    return tuple(Coded(str(r["code"]), str(r["label"]), label_names(r)) for r in raw)


def parse(ruleset: Ruleset) -> EvaluationRules:
    """Read and check the `[evaluation]` section of `ruleset`."""
    data = ruleset.section(SECTION)
    try:
        score_max = Decimal(str(data["score_max"]))
        levels = tuple(
            LevelRule(
                _level(ruleset, "levels", r["code"]),
                str(r["label"]),
                Decimal(str(r["min_points"])),
                label_names(r),
            )
            for r in data["levels"]
        )
        if [lv.code for lv in levels] != list(LEVEL_ORDER):
            raise _fail(ruleset, "levels", f"must list {', '.join(LEVEL_ORDER)} in that order")
        points = [lv.min_points for lv in levels]
        if points != sorted(points, reverse=True) or len(set(points)) != len(points):
            raise _fail(ruleset, "levels", "thresholds must fall strictly from the best level")
        if points[-1] != 0 or points[0] > score_max:
            raise _fail(
                ruleset, "levels", "the lowest level starts at 0, the best within the scale"
            )
        frameworks = {}
        for code in Framework.values:
            raw = data["frameworks"][code]
            groups = tuple(
                Group(str(g["code"]), str(g["label"]), Decimal(str(g["points"])), label_names(g))
                for g in raw["groups"]
            )
            if sum(g.points for g in groups) != score_max:
                raise _fail(ruleset, f"frameworks.{code}", f"the groups must add up to {score_max}")
            frameworks[code] = FrameworkRule(
                code, str(raw["label"]), str(raw["source"]), groups, label_names(raw)
            )
        disq = data["disqualifiers"]
        disqualifiers = {
            code: tuple(
                Disqualifier(
                    str(d["code"]),
                    str(d["label"]),
                    _level(ruleset, f"disqualifiers.{code}", d["cap"]),
                    str(d.get("source") or disq["source"]),
                    label_names(d),
                    from_discipline=_from_discipline(ruleset, f"disqualifiers.{code}", d),
                    from_fact=_from_fact(ruleset, f"disqualifiers.{code}", d),
                )
                for d in disq[code]
            )
            for code in Framework.values
        }
        exclusions = data["exclusions"]
        reasons = _coded(exclusions["reasons"])
        if {r.code for r in reasons} != set(Exclusion.values):
            raise _fail(ruleset, "exclusions.reasons", f"must be {', '.join(Exclusion.values)}")
        special = data["special_cases"]
        cases = _coded(special["cases"])
        if {c.code for c in cases} != set(SpecialCase.values):
            raise _fail(ruleset, "special_cases.cases", f"must be {', '.join(SpecialCase.values)}")
        links = data["links"]
        quota = data["quota"]
        if quota["enforcement"] not in (ENFORCE_REFUSE, ENFORCE_WARN):
            raise _fail(ruleset, "quota.enforcement", "must be refuse or warn")
        if quota["rounding"] not in ("floor", "round"):
            raise _fail(ruleset, "quota.rounding", "must be floor or round")
        deciders = data["deciders"]
        for key in ("member", "leader"):
            if deciders[key] not in (DECIDER_GRASSROOTS, DECIDER_PARENT):
                raise _fail(ruleset, f"deciders.{key}", "must be grassroots or parent")
        unit_deciders = {str(k): str(v) for k, v in deciders["units"].items()}
        for kind, how in unit_deciders.items():
            if kind not in ruleset.unit_kinds:
                raise _fail(ruleset, "deciders.units", f"{kind!r} is not a unit kind")
            if how != DECIDER_PARENT:
                raise _fail(ruleset, f"deciders.units.{kind}", "must be parent")
        grassroots = frozenset(str(k) for k in deciders["grassroots_kinds"])
        unknown = grassroots - set(ruleset.unit_kinds)
        if unknown:
            raise _fail(ruleset, "deciders.grassroots_kinds", f"unknown kinds {sorted(unknown)}")
        legacy = data["legacy"]
        timetable = data.get("timetable", {})
        timetable_enforcement = str(timetable.get("enforcement", ENFORCE_WARN))
        if timetable_enforcement not in (ENFORCE_REFUSE, ENFORCE_WARN):
            raise _fail(ruleset, "timetable.enforcement", "must be refuse or warn")
        steps = data.get("steps", {})
        steps_enforcement = str(steps.get("enforcement", ENFORCE_WARN))
        if steps_enforcement not in (ENFORCE_REFUSE, ENFORCE_WARN):
            raise _fail(ruleset, "steps.enforcement", "must be refuse or warn")
        steps_required = {
            kind: tuple(str(s) for s in steps.get(key, ()))
            for kind, key in (("member", "members"), ("unit", "units"))
        }
        for kind, listed in steps_required.items():
            strange = sorted(set(listed) - set(STEPS_BEFORE_DECISION))
            if strange:
                raise _fail(
                    ruleset,
                    f"steps.{kind}s",
                    f"unknown steps {strange}; known: {', '.join(STEPS_BEFORE_DECISION)}",
                )

        def _legacy(key: str) -> dict[str, Legacy]:
            return {
                str(r["label"]): Legacy(
                    str(r["label"]), str(r["name"]), _level(ruleset, f"legacy.{key}", r["level"])
                )
                for r in legacy[key]
            }

        return EvaluationRules(
            ruleset_id=ruleset.id,
            source=str(data["source"]),
            score_max=score_max,
            levels=levels,
            round_kinds=tuple(
                RoundKind(str(k["code"]), str(k["label"]), bool(k["rates_year"]), label_names(k))
                for k in data["round_kinds"]
            ),
            honour_years_running=int(data["honour_years_running"]),
            honour_source=str(data["honour_source"]),
            decision_document_required=bool(data["decision_document_required"]),
            frameworks=frameworks,
            exclusions_source=str(exclusions["source"]),
            admitted_within_months=int(exclusions["admitted_within_months"]),
            exclusion_reasons=reasons,
            special_source=str(special["source"]),
            long_leave_min_months=int(special["long_leave_min_months"]),
            special_cases=cases,
            host_comment_cases=frozenset(
                str(c["code"]) for c in special["cases"] if c.get("host_comments")
            ),
            disqualifiers_source=str(disq["source"]),
            override_reasons=_coded(disq["override_reasons"]),
            disqualifiers=disqualifiers,
            links_source=str(links["source"]),
            link_caps=tuple(
                LinkCap(
                    Fraction(str(c["share"])), _level(ruleset, "links.organization_caps", c["cap"])
                )
                for c in links["organization_caps"]
            ),
            collective_first=bool(links["collective_first"]),
            collective_first_source=str(links["collective_first_source"]),
            quota_source=str(quota["source"]),
            quota_share=Fraction(str(quota["share"])),
            quota_outstanding_share=Fraction(str(quota["outstanding_share"])),
            quota_enforcement=str(quota["enforcement"]),
            quota_rounding=str(quota["rounding"]),
            quota_frameworks=frozenset(str(f) for f in quota["frameworks"]),
            deciders_source=str(deciders["source"]),
            grassroots_kinds=grassroots,
            framework_deciders={
                "member": str(deciders["member"]),
                "leader": str(deciders["leader"]),
            },
            unit_deciders=unit_deciders,
            legacy_source=str(legacy["source"]),
            legacy_units=_legacy("units"),
            legacy_members=_legacy("members"),
            models_source=str(data["models"]["source"]),
            model_kinds=_coded(data["models"]["kinds"]),
            timetable_enforcement=timetable_enforcement,
            timetable_source=str(timetable.get("source") or data["source"]),
            steps_required=steps_required,
            steps_enforcement=steps_enforcement,
            steps_source=str(steps.get("source") or data["source"]),
        )
    except KeyError as exc:
        raise _fail(ruleset, str(exc.args[0]), "missing") from None


# The loaded rule sets are cached (core.rules.load_ruleset), so one object per rule set: the
# parsed rules are kept beside it (a Ruleset holds a dict, so it cannot be a cache key).
_PARSED: dict[int, tuple[Ruleset, EvaluationRules]] = {}


def evaluation_rules(ruleset: Ruleset | None = None) -> EvaluationRules:
    """The evaluation rules of `ruleset` (default: the rule set in force), read once."""
    rs = ruleset or current_ruleset()
    kept = _PARSED.get(id(rs))
    if kept is None or kept[0] is not rs:
        kept = (rs, parse(rs))
        _PARSED[id(rs)] = kept
    return kept[1]


def level_rank(code: str) -> int:
    """0 for the best level, 3 for "not completed": a lower level has a higher rank."""
    return LEVEL_ORDER.index(code)
