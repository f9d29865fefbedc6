"""The rule set's `[discipline]` section, read once per rule set into typed rules and checked as
it is read, and the pure rules of a discipline decision built on it: the forms a subject may
receive, the deciding body's authority, the votes, the limitation period, the child under the
rule set's months, the effects in time (lapse and bans), the appeal's deadline and last level.

Plain values in, a result or a refusal out (`RuleViolation`, a `ServiceError` naming the
rule's source); no database. A section that breaks a rule of its own (a form not in the
severity order, a body forwarding to a body the table lacks, ...) is refused with the key at
fault (`ImproperlyConfigured`), never half-applied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from cadrebook.core.dates import add_months
from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.rules import Labelled, Ruleset, current_ruleset, label_names
from cadrebook.inspections.rules import inspection_rules

SECTION = "discipline"
SUBJECT_MEMBER = "member"
SUBJECT_UNIT = "unit"
SUBJECT_KINDS = (SUBJECT_MEMBER, SUBJECT_UNIT)
STATUS_FULL = "full"
STATUS_PROBATIONARY = "probationary"
LEVEL_SAME = "same"
LEVEL_ABOVE = "above"
# The key of the votes for no discipline in a vote's counts.
VOTE_NONE = "none"


@dataclass(frozen=True)
class Coded(Labelled):
    code: str
    label: str
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class AuthorityBody(Labelled):
    """A row of the authority table: the bodies of `body_kinds` at units of `unit_kinds`, the
    forms they may impose by relation of the subject, and where a case beyond them goes."""

    code: str
    label: str
    body_kinds: frozenset[str]
    unit_kinds: frozenset[str]
    may: Mapping[str, frozenset[str]]
    forward_to: str
    forward_level: str
    needs_admission_power: frozenset[str]
    source: str
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class FinalLevel(Labelled):
    code: str
    label: str
    forms: frozenset[str]
    names: Mapping[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class BanAfter:
    form: str
    ban: str
    months: int


@dataclass(frozen=True)
class Ban:
    """A bar a decision puts on its subject: `until` is the first day it no longer applies
    (None: while the decision is in force, for a decision that never lapses)."""

    code: str
    until: dt.date | None
    source: str


@dataclass(frozen=True)
class Effects:
    """What a decision does in time: the day it lapses (None: never), its bans, and whether
    it takes a cadre out of planning (a form of "reprimand or above")."""

    form: str
    decided_on: dt.date
    lapses_on: dt.date | None
    bans: tuple[Ban, ...]
    out_of_planning: bool

    def active_bans(self, day: dt.date, kind: str | None = None) -> tuple[Ban, ...]:
        """The bans that apply on `day` (of `kind` when given)."""
        return tuple(
            b
            for b in self.bans
            if (kind is None or b.code == kind)
            and self.decided_on <= day
            and (b.until is None or day < b.until)
        )


@dataclass(frozen=True)
class Standing:
    """What the records say of a decision besides its form and day, for the day it lapses
    (`lapse_day`): an appeal against it waiting for its decision (`appeal_pending`), the
    day of the last appeal that upheld it (`upheld_on`), and the later decisions on the same
    subject that stand, as (decided on, lapses on: None never or not yet known) — the new
    violations disciplined after it."""

    appeal_pending: bool = False
    upheld_on: dt.date | None = None
    later: tuple[tuple[dt.date, dt.date | None], ...] = ()


@dataclass(frozen=True)
class Forward:
    """A case beyond a body's power: the row code of the body it goes to, at the same level
    or the level above."""

    body: str
    level: str
    label: str


@dataclass(frozen=True)
class DisciplineRules:
    """The discipline rules of one rule set (see the module's docstring)."""

    ruleset_id: str
    source: str
    forms_full_member: tuple[str, ...]
    forms_probationary_member: tuple[str, ...]
    forms_unit: tuple[str, ...]
    forms_needing_post: frozenset[str]
    limitation_years: Mapping[str, int]
    limitation_source: str
    child_under_months: int
    child_source: str
    forms: tuple[Coded, ...]  # lightest first
    severity_source: str
    reprimand_or_above: frozenset[str]
    reprimand_or_above_source: str
    state_notice_days: int
    state_notice_source: str
    authority_source: str
    relations: tuple[Coded, ...]
    bodies: tuple[AuthorityBody, ...]
    votes_source: str
    decide_share: Fraction
    propose_share: Mapping[str, Fraction]
    cumulative: bool
    lapse_source: str
    lapse_months: int
    never_lapse: frozenset[str]
    appeals_source: str
    appeal_deadline_months: int
    appeal_bodies: tuple[str, ...]
    final_levels: tuple[FinalLevel, ...]
    bans_source: str
    ban_kinds: tuple[Coded, ...]
    in_force_bans: tuple[str, ...]
    in_force_forms: frozenset[str]
    bans_after: tuple[BanAfter, ...]

    @property
    def severity(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.forms)

    def rank(self, form: str) -> int:
        """0 for the lightest form; a more severe form has a higher rank."""
        return self.severity.index(form)

    def form_label(self, code: str) -> str:
        return _shown(self.forms, code)

    def relation_label(self, code: str) -> str:
        return _shown(self.relations, code)

    def ban_label(self, code: str) -> str:
        return _shown(self.ban_kinds, code)

    def body(self, code: str) -> AuthorityBody | None:
        return next((b for b in self.bodies if b.code == code), None)

    def body_label(self, code: str) -> str:
        return _shown(self.bodies, code)


def _shown(entries: Iterable[Labelled], code: str) -> str:
    return next((e.display_label for e in entries if getattr(e, "code", None) == code), code)


# Reading the section -------------------------------------------------------------------------


def _fail(ruleset: Ruleset, key: str, problem: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"rule set {ruleset.id} [{SECTION}] {key}: {problem}")


def _int(ruleset: Ruleset, key: str, value: Any, *, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise _fail(ruleset, key, f"{value!r} is not a whole number of at least {minimum}")
    return value


def _share(ruleset: Ruleset, key: str, value: Any) -> Fraction:
    try:
        share = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        raise _fail(ruleset, key, f'{value!r} is not a share such as "1/2"') from None
    if not 0 < share <= 1:
        raise _fail(ruleset, key, f"{value!r} is not a share above 0 and at most 1")
    return share


def _forms(ruleset: Ruleset, key: str, value: Any, known: Iterable[str]) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise _fail(ruleset, key, "must be a list of forms")
    listed = tuple(str(v) for v in value)
    strange = sorted(set(listed) - set(known))
    if strange:
        raise _fail(
            ruleset, key, f"unknown forms {strange}; the severity order lists {list(known)}"
        )
    if len(set(listed)) != len(listed):
        raise _fail(ruleset, key, "lists a form twice")
    return listed


def _coded(ruleset: Ruleset, key: str, raw: Any) -> tuple[Coded, ...]:
    if not isinstance(raw, list) or not raw:
        raise _fail(ruleset, key, "must be a non-empty list of { code, label }")
    entries = tuple(Coded(str(r["code"]), str(r["label"]), label_names(r)) for r in raw)
    codes = [e.code for e in entries]
    if len(set(codes)) != len(codes):
        raise _fail(ruleset, key, "lists a code twice")
    return entries


def parse(ruleset: Ruleset) -> DisciplineRules:
    """Read and check the `[discipline]` section of `ruleset`."""
    data = ruleset.section(SECTION)
    try:
        forms = _coded(ruleset, "severity", data["severity"])
        known = tuple(f.code for f in forms)

        def forms_of(key: str, value: Any) -> tuple[str, ...]:
            return _forms(ruleset, key, value, known)

        full = forms_of("forms_full_member", data["forms_full_member"])
        probationary = forms_of("forms_probationary_member", data["forms_probationary_member"])
        unit = forms_of("forms_unit", data["forms_unit"])
        limitation = data["limitation_years"]
        forms_of("limitation_years", list(limitation))
        limitation_years = {
            str(k): _int(ruleset, f"limitation_years.{k}", v) for k, v in limitation.items()
        }

        authority = data["authority"]
        relations = _coded(ruleset, "authority.relations", authority["relations"])
        relation_codes = {r.code for r in relations}
        bodies: list[AuthorityBody] = []
        seen: dict[tuple[str, str], str] = {}
        for raw in authority["bodies"]:
            code = str(raw["code"])
            key = f"authority.bodies[{code}]"
            if any(b.code == code for b in bodies):
                raise _fail(ruleset, key, "the code is listed twice")
            body_kinds = frozenset(str(k) for k in raw["body_kinds"])
            unit_kinds = frozenset(str(k) for k in raw["unit_kinds"])
            if not body_kinds or not unit_kinds:
                raise _fail(ruleset, key, "needs body_kinds and unit_kinds")
            unknown = sorted(unit_kinds - set(ruleset.unit_kinds))
            if unknown:
                raise _fail(ruleset, f"{key}.unit_kinds", f"unknown unit kinds {unknown}")
            for pair in ((b, u) for b in sorted(body_kinds) for u in sorted(unit_kinds)):
                if pair in seen:
                    raise _fail(
                        ruleset, key, f"{pair[0]} at {pair[1]} is already the row {seen[pair]}"
                    )
                seen[pair] = code
            may_raw = raw["may"]
            if set(may_raw) != relation_codes:
                raise _fail(
                    ruleset,
                    f"{key}.may",
                    f"must give the forms of every relation: {sorted(relation_codes)}",
                )
            may = {
                str(rel): frozenset(forms_of(f"{key}.may.{rel}", listed))
                for rel, listed in may_raw.items()
            }
            level = str(raw["forward_level"])
            if level not in (LEVEL_SAME, LEVEL_ABOVE):
                raise _fail(ruleset, f"{key}.forward_level", "must be same or above")
            bodies.append(
                AuthorityBody(
                    code=code,
                    label=str(raw["label"]),
                    body_kinds=body_kinds,
                    unit_kinds=unit_kinds,
                    may=may,
                    forward_to=str(raw["forward_to"]),
                    forward_level=level,
                    needs_admission_power=frozenset(
                        forms_of(f"{key}.needs_admission_power", raw["needs_admission_power"])
                    ),
                    source=str(raw.get("source") or authority["source"]),
                    names=label_names(raw),
                )
            )
        if not bodies:
            raise _fail(ruleset, "authority.bodies", "lists no body")
        codes = {b.code for b in bodies}
        for b in bodies:
            if b.forward_to not in codes:
                raise _fail(
                    ruleset,
                    f"authority.bodies[{b.code}].forward_to",
                    f"{b.forward_to!r} is not a row of the table",
                )

        votes = data["votes"]
        propose = votes["propose_share"]
        forms_of("votes.propose_share", list(propose))
        cumulative = votes["cumulative"]
        if not isinstance(cumulative, bool):
            raise _fail(ruleset, "votes.cumulative", "must be true or false")

        lapse = data["lapse"]
        appeals = data["appeals"]
        appeal_bodies = tuple(str(b) for b in appeals["bodies"])
        if not appeal_bodies:
            raise _fail(ruleset, "appeals.bodies", "lists no body")
        final_levels = tuple(
            FinalLevel(
                str(r["code"]),
                str(r["label"]),
                frozenset(forms_of(f"appeals.final_levels[{r['code']}].forms", r["forms"])),
                label_names(r),
            )
            for r in appeals["final_levels"]
        )
        finals = [f for level in final_levels for f in level.forms]
        if len(set(finals)) != len(finals):
            raise _fail(ruleset, "appeals.final_levels", "gives a form two last levels")

        bans = data["bans"]
        ban_kinds = _coded(ruleset, "bans.kinds", bans["kinds"])
        ban_codes = {k.code for k in ban_kinds}
        in_force = bans["while_in_force"]
        in_force_bans = tuple(str(b) for b in in_force["bans"])
        strange = sorted(set(in_force_bans) - ban_codes)
        if strange:
            raise _fail(ruleset, "bans.while_in_force.bans", f"unknown bans {strange}")
        after = []
        for raw in bans["after"]:
            form = forms_of("bans.after.form", [raw["form"]])[0]
            if str(raw["ban"]) not in ban_codes:
                raise _fail(ruleset, "bans.after", f"unknown ban {raw['ban']!r}")
            after.append(
                BanAfter(form, str(raw["ban"]), _int(ruleset, "bans.after.months", raw["months"]))
            )

        return DisciplineRules(
            ruleset_id=ruleset.id,
            source=str(data["source"]),
            forms_full_member=full,
            forms_probationary_member=probationary,
            forms_unit=unit,
            forms_needing_post=frozenset(
                forms_of("forms_needing_post", data["forms_needing_post"])
            ),
            limitation_years=limitation_years,
            limitation_source=str(data["limitation_source"]),
            child_under_months=_int(
                ruleset,
                "no_discipline_child_under_months",
                data["no_discipline_child_under_months"],
                minimum=0,
            ),
            child_source=str(data["child_source"]),
            forms=forms,
            severity_source=str(data["severity_source"]),
            reprimand_or_above=frozenset(
                forms_of("reprimand_or_above", data["reprimand_or_above"])
            ),
            reprimand_or_above_source=str(data["reprimand_or_above_source"]),
            state_notice_days=_int(ruleset, "state_notice_days", data["state_notice_days"]),
            state_notice_source=str(data["state_notice_source"]),
            authority_source=str(authority["source"]),
            relations=relations,
            bodies=tuple(bodies),
            votes_source=str(votes["source"]),
            decide_share=_share(ruleset, "votes.decide_share", votes["decide_share"]),
            propose_share={
                str(k): _share(ruleset, f"votes.propose_share.{k}", v) for k, v in propose.items()
            },
            cumulative=cumulative,
            lapse_source=str(lapse["source"]),
            lapse_months=_int(ruleset, "lapse.months", lapse["months"]),
            never_lapse=frozenset(forms_of("lapse.never", lapse["never"])),
            appeals_source=str(appeals["source"]),
            appeal_deadline_months=_int(
                ruleset, "appeals.deadline_months", appeals["deadline_months"]
            ),
            appeal_bodies=appeal_bodies,
            final_levels=final_levels,
            bans_source=str(bans["source"]),
            ban_kinds=ban_kinds,
            in_force_bans=in_force_bans,
            in_force_forms=frozenset(forms_of("bans.while_in_force.forms", in_force["forms"])),
            bans_after=tuple(after),
        )
    except KeyError as exc:
        raise _fail(ruleset, str(exc.args[0]), "missing") from None
    except (TypeError, AttributeError) as exc:
        raise _fail(ruleset, "(structure)", f"not the expected shape: {exc}") from None


# The loaded rule sets are cached (core.rules.load_ruleset), so one object per rule set: the
# parsed rules are kept beside it (a Ruleset holds a dict, so it cannot be a cache key).
_PARSED: dict[int, tuple[Ruleset, DisciplineRules]] = {}


def discipline_rules(ruleset: Ruleset | None = None) -> DisciplineRules:
    """The discipline rules of `ruleset` (default: the rule set in force), read once."""
    rs = ruleset or current_ruleset()
    kept = _PARSED.get(id(rs))
    if kept is None or kept[0] is not rs:
        kept = (rs, parse(rs))
        _PARSED[id(rs)] = kept
    return kept[1]


def _rules(rules: DisciplineRules | None) -> DisciplineRules:
    return rules or discipline_rules()


def _refusal(code: str, message: str, source: str, field: str | None) -> RuleViolation:
    return RuleViolation(code, message, source=source, field=field)


def _known_form(rules: DisciplineRules, form: str, field: str = "form") -> None:
    if form not in rules.severity:
        raise _refusal(
            "discipline.form_unknown",
            _("Unknown form of discipline %(form)s; the rule set knows %(known)s.")
            % {"form": form, "known": ", ".join(rules.severity)},
            rules.severity_source,
            field,
        )


# Forms -----------------------------------------------------------------------------------------


def forms_allowed(
    subject_kind: str,
    subject_status: str | None = None,
    holds_post: bool = False,
    *,
    rules: DisciplineRules | None = None,
) -> tuple[str, ...]:
    """The forms a subject may receive, lightest first: a unit's, or a full or probationary
    member's (the forms that need a post only when the member holds one)."""
    r = _rules(rules)
    if subject_kind == SUBJECT_UNIT:
        listed: Iterable[str] = r.forms_unit
    elif subject_kind == SUBJECT_MEMBER and subject_status == STATUS_FULL:
        listed = r.forms_full_member
    elif subject_kind == SUBJECT_MEMBER and subject_status == STATUS_PROBATIONARY:
        listed = r.forms_probationary_member
    else:
        return ()
    allowed = {f for f in listed if holds_post or f not in r.forms_needing_post}
    return tuple(f for f in r.severity if f in allowed)


def check_form(
    form: str,
    subject_kind: str,
    subject_status: str | None = None,
    holds_post: bool = False,
    *,
    rules: DisciplineRules | None = None,
) -> None:
    """Refuse a form the rule set does not allow for the subject."""
    r = _rules(rules)
    _known_form(r, form)
    if subject_kind not in SUBJECT_KINDS:
        raise ValueError(f"unknown subject kind {subject_kind!r}")
    if subject_kind == SUBJECT_MEMBER and subject_status not in (
        STATUS_FULL,
        STATUS_PROBATIONARY,
    ):
        raise _refusal(
            "discipline.subject_not_member",
            _("Only a full or probationary member can be disciplined as a member."),
            r.source,
            "member",
        )
    allowed = forms_allowed(subject_kind, subject_status, holds_post, rules=r)
    if form in allowed:
        return
    without_post = forms_allowed(subject_kind, subject_status, True, rules=r)
    if form in without_post:
        raise _refusal(
            "discipline.form_needs_post",
            _("%(form)s applies only to a member who holds a post; this member holds none.")
            % {"form": r.form_label(form)},
            r.source,
            "form",
        )
    subject = {
        STATUS_FULL: _("a full member"),
        STATUS_PROBATIONARY: _("a probationary member"),
    }.get(subject_status or "", _("a party organization"))
    raise _refusal(
        "discipline.form_not_allowed",
        _("%(form)s is not a form of discipline for %(subject)s; the forms are: %(forms)s.")
        % {
            "subject": subject if subject_kind == SUBJECT_MEMBER else _("a party organization"),
            "form": r.form_label(form),
            "forms": ", ".join(r.form_label(f) for f in allowed) or "-",
        },
        r.source,
        "form",
    )


# Authority -------------------------------------------------------------------------------------


def authority_body(
    body_kind: str, unit_kind: str, *, rules: DisciplineRules | None = None
) -> AuthorityBody:
    """The authority table's row of a body of `body_kind` at a unit of `unit_kind`."""
    r = _rules(rules)
    found = next(
        (b for b in r.bodies if body_kind in b.body_kinds and unit_kind in b.unit_kinds), None
    )
    if found is None:
        raise _refusal(
            "discipline.body_without_authority",
            _("A body of kind %(body)s at a unit of kind %(unit)s may not decide discipline.")
            % {"body": body_kind, "unit": unit_kind},
            r.authority_source,
            "body",
        )
    return found


def authority(
    body_kind: str,
    unit_kind: str,
    relations: Iterable[str],
    form: str,
    *,
    may_admit: bool = False,
    rules: DisciplineRules | None = None,
) -> Forward | None:
    """None when the body may impose `form` on a subject standing in every one of
    `relations` to it; else where the case is forwarded. `may_admit`: the body holds the
    power to admit (some forms need it)."""
    r = _rules(rules)
    _known_form(r, form)
    body = authority_body(body_kind, unit_kind, rules=r)
    rels = tuple(relations)
    if not rels:
        raise ValueError("the subject's relation to the body is not given")
    strange = [rel for rel in rels if rel not in body.may]
    if strange:
        raise ValueError(f"unknown relations {strange}")
    within = all(form in body.may[rel] for rel in rels)
    if within and form in body.needs_admission_power and not may_admit:
        within = False
    if within:
        return None
    return Forward(body.forward_to, body.forward_level, r.body_label(body.forward_to))


def check_authority(
    body_kind: str,
    unit_kind: str,
    relations: Iterable[str],
    form: str,
    *,
    may_admit: bool = False,
    rules: DisciplineRules | None = None,
) -> None:
    """Refuse a form beyond the body's power, naming the body the case goes to."""
    r = _rules(rules)
    rels = tuple(relations)
    forward = authority(body_kind, unit_kind, rels, form, may_admit=may_admit, rules=r)
    if forward is None:
        return
    body = authority_body(body_kind, unit_kind, rules=r)
    denied = [rel for rel in rels if form not in body.may[rel]]
    reason = (
        ", ".join(r.relation_label(rel) for rel in denied)
        if denied
        else _("it does not hold the power to admit")
    )
    message = (
        _(
            "%(form)s is beyond the power of the %(body)s (%(reason)s); forward the case to "
            "the %(forward)s of the same level."
        )
        if forward.level == LEVEL_SAME
        else _(
            "%(form)s is beyond the power of the %(body)s (%(reason)s); forward the case to "
            "the %(forward)s of the level above."
        )
    )
    raise _refusal(
        "discipline.beyond_authority",
        message
        % {
            "form": r.form_label(form),
            "body": body.display_label,
            "reason": reason,
            "forward": forward.label,
        },
        body.source,
        "body",
    )


# Votes -----------------------------------------------------------------------------------------


def _check_counts(
    r: DisciplineRules, votes: Mapping[str, int], voters_total: int
) -> dict[str, int]:
    if isinstance(voters_total, bool) or not isinstance(voters_total, int) or voters_total < 1:
        raise _refusal(
            "discipline.votes_invalid",
            _("The number of the body's full members must be a whole number above 0."),
            r.votes_source,
            "voters_total",
        )
    counts: dict[str, int] = {}
    for key, count in votes.items():
        if key != VOTE_NONE:
            _known_form(r, key, "votes")
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise _refusal(
                "discipline.votes_invalid",
                _("The votes for %(form)s must be a whole number, 0 or more.") % {"form": key},
                r.votes_source,
                "votes",
            )
        counts[key] = count
    if sum(counts.values()) > voters_total:
        raise _refusal(
            "discipline.votes_invalid",
            _("%(cast)s votes recorded for a body of %(total)s full members.")
            % {"cast": sum(counts.values()), "total": voters_total},
            r.votes_source,
            "votes",
        )
    return counts


def _proposal_reached(
    r: DisciplineRules, form: str, proposing_for: int | None, proposing_total: int | None
) -> bool:
    share = r.propose_share.get(form)
    if share is None:
        return True
    if proposing_for is None or not proposing_total:
        return False
    return Fraction(proposing_for, proposing_total) >= share


def vote_outcome(
    votes: Mapping[str, int],
    voters_total: int,
    proposing_for: int | None = None,
    proposing_total: int | None = None,
    *,
    rules: DisciplineRules | None = None,
) -> str | None:
    """The form the votes reach, or None. A form is reached with more than the rule set's
    share of the body's full members (`voters_total`), after the proposal its forms need
    (`proposing_for` of `proposing_total`); counted from the most severe form downward, each
    adding the votes for the more severe forms when the rule set counts cumulatively."""
    r = _rules(rules)
    counts = _check_counts(r, votes, voters_total)
    if proposing_for is not None and (
        not proposing_total or not 0 <= proposing_for <= proposing_total
    ):
        raise _refusal(
            "discipline.votes_invalid",
            _("The proposal's votes must be between 0 and the proposing body's full members."),
            r.votes_source,
            "proposing_for",
        )
    running = 0
    for form in reversed(r.severity):
        count = counts.get(form, 0)
        running = running + count if r.cumulative else count
        if Fraction(running, voters_total) > r.decide_share and _proposal_reached(
            r, form, proposing_for, proposing_total
        ):
            return form
    return None


def check_votes(
    form: str,
    votes: Mapping[str, int],
    voters_total: int,
    proposing_for: int | None = None,
    proposing_total: int | None = None,
    *,
    rules: DisciplineRules | None = None,
) -> None:
    """Refuse a decision whose votes do not reach `form`."""
    r = _rules(rules)
    _known_form(r, form)
    share = r.propose_share.get(form)
    if share is not None and (proposing_for is None or not proposing_total):
        raise _refusal(
            "discipline.proposal_missing",
            _(
                "%(form)s needs first a proposal of at least %(share)s of the proposing body's full members; record its vote."
            )
            % {"form": r.form_label(form), "share": str(share)},
            r.votes_source,
            "proposing_for",
        )
    if share is not None and not _proposal_reached(r, form, proposing_for, proposing_total):
        raise _refusal(
            "discipline.proposal_below_share",
            _("%(for)s of %(total)s proposed %(form)s; it needs at least %(share)s.")
            % {
                "for": proposing_for,
                "total": proposing_total,
                "form": r.form_label(form),
                "share": str(share),
            },
            r.votes_source,
            "proposing_for",
        )
    reached = vote_outcome(votes, voters_total, proposing_for, proposing_total, rules=r)
    if reached == form:
        return
    if reached is None:
        message = _(
            "No form reaches more than %(share)s of the %(total)s full members; %(form)s "
            "cannot be decided."
        ) % {"share": str(r.decide_share), "total": voters_total, "form": r.form_label(form)}
    else:
        message = _("The votes reach %(reached)s, not %(form)s.") % {
            "reached": r.form_label(reached),
            "form": r.form_label(form),
        }
    raise _refusal("discipline.votes_not_reached", message, r.votes_source, "votes")


# Time limits -------------------------------------------------------------------------------------


def limitation_ends(
    form: str, violation_on: dt.date, *, rules: DisciplineRules | None = None
) -> dt.date | None:
    """The last day a violation may be disciplined with `form` (None: no limitation)."""
    r = _rules(rules)
    _known_form(r, form)
    years = r.limitation_years.get(form)
    return None if years is None else add_months(violation_on, 12 * years)


def check_limitation(
    form: str,
    violation_on: dt.date,
    decided_on: dt.date,
    *,
    rules: DisciplineRules | None = None,
) -> None:
    """Refuse a decision after the limitation period of `form` (or before the violation)."""
    r = _rules(rules)
    if violation_on > decided_on:
        # Not a rule of the rule set (nor the limitation period's): dates in their order.
        raise ServiceError(
            "discipline.violation_after_decision",
            _("The violation (%(violation)s) cannot come after the decision (%(decided)s).")
            % {"violation": violation_on.isoformat(), "decided": decided_on.isoformat()},
            field="violation_on",
        )
    ends = limitation_ends(form, violation_on, rules=r)
    if ends is not None and decided_on > ends:
        raise _refusal(
            "discipline.limitation_expired",
            ngettext(
                "The limitation period of %(form)s (%(years)s year) for a violation of "
                "%(violation)s ended on %(ends)s.",
                "The limitation period of %(form)s (%(years)s years) for a violation of "
                "%(violation)s ended on %(ends)s.",
                r.limitation_years[form],
            )
            % {
                "form": r.form_label(form),
                "years": r.limitation_years[form],
                "violation": violation_on.isoformat(),
                "ends": ends.isoformat(),
            },
            r.limitation_source,
            "violation_on",
        )


def check_child_under(
    decided_on: dt.date,
    *,
    youngest_child_born_on: dt.date | None = None,
    raising_child_under: bool = False,
    rules: DisciplineRules | None = None,
) -> None:
    """Refuse a decision while the member raises a child under the rule set's months (from
    the youngest child's birth, or as stated when the birth is not recorded)."""
    r = _rules(rules)
    ends = (
        add_months(youngest_child_born_on, r.child_under_months)
        if youngest_child_born_on is not None
        else None
    )
    under = raising_child_under or (
        ends is not None
        and youngest_child_born_on is not None
        and youngest_child_born_on <= decided_on < ends
    )
    if not under:
        return
    message = ngettext(
        "No discipline is considered while the member raises a child under %(months)s month.",
        "No discipline is considered while the member raises a child under %(months)s months.",
        r.child_under_months,
    ) % {"months": r.child_under_months}
    if ends is not None:
        message += " " + _("Possible from %(day)s.") % {"day": ends.isoformat()}
    raise _refusal("discipline.child_under", message, r.child_source, "decided_on")


# Effects ----------------------------------------------------------------------------------------


def lapse_day(
    form: str,
    decided_on: dt.date,
    standing: Standing | None = None,
    *,
    rules: DisciplineRules | None = None,
) -> dt.date | None:
    """The day a decision taken on `decided_on` lapses (`[discipline.lapse]`: the rule
    set's months "without appeal or new violation"), None while it does not: the forms that
    never lapse; a decision whose appeal waits for its decision (it stays in force). After
    an appeal that upheld it the months count from the appeal's decision (a decision changed
    on appeal is replaced by one dated from the appeal's decision, which counts from its own
    day). A later decision on the same subject taken before this one lapses (a new
    violation) holds it in force at least as long as itself: it lapses no earlier (never,
    while the later one has no lapse day)."""
    r = _rules(rules)
    _known_form(r, form)
    st = standing or Standing()
    if form in r.never_lapse or st.appeal_pending:
        return None
    start = max(decided_on, st.upheld_on) if st.upheld_on is not None else decided_on
    lapses = add_months(start, r.lapse_months)
    for later_decided, later_lapses in sorted(st.later, key=lambda pair: pair[0]):
        if later_decided >= lapses:
            break  # decided after this one lapsed: a new start, not a prolongation
        if later_lapses is None:
            return None
        lapses = max(lapses, later_lapses)
    return lapses


def effects(
    form: str,
    decided_on: dt.date,
    *,
    rules: DisciplineRules | None = None,
    standing: Standing | None = None,
) -> Effects:
    """What a decision taken on `decided_on` does in time: the day it lapses (`lapse_day`,
    with what the records say of it, `standing`: None for the forms that never lapse and
    while an appeal waits), its bans with the first day each no longer applies."""
    r = _rules(rules)
    _known_form(r, form)
    lapses_on = lapse_day(form, decided_on, standing, rules=r)
    bans: list[Ban] = []
    if form in r.in_force_forms:
        bans.extend(Ban(code, lapses_on, r.bans_source) for code in r.in_force_bans)
    bans.extend(
        Ban(a.ban, add_months(decided_on, a.months), r.bans_source)
        for a in r.bans_after
        if a.form == form
    )
    return Effects(form, decided_on, lapses_on, tuple(bans), form in r.reprimand_or_above)


def state_notice_due(decided_on: dt.date, *, rules: DisciplineRules | None = None) -> dt.date:
    """The last day a state body that disciplined a member notifies the party organization."""
    return decided_on + dt.timedelta(days=_rules(rules).state_notice_days)


# Appeals ----------------------------------------------------------------------------------------


def appeal_deadline(received_on: dt.date, *, rules: DisciplineRules | None = None) -> dt.date:
    """The last day to appeal a decision received on `received_on`."""
    return add_months(received_on, _rules(rules).appeal_deadline_months)


def check_appeal_in_time(
    received_on: dt.date, lodged_on: dt.date, *, rules: DisciplineRules | None = None
) -> None:
    r = _rules(rules)
    if lodged_on < received_on:
        raise _refusal(
            "discipline.appeal_before_receipt",
            _(
                "An appeal lodged on %(lodged)s cannot precede the decision's receipt (%(received)s)."
            )
            % {"lodged": lodged_on.isoformat(), "received": received_on.isoformat()},
            r.appeals_source,
            "lodged_on",
        )
    deadline = appeal_deadline(received_on, rules=r)
    if lodged_on > deadline:
        raise _refusal(
            "discipline.appeal_late",
            ngettext(
                "The decision was received on %(received)s; an appeal was possible until "
                "%(deadline)s (%(months)s month).",
                "The decision was received on %(received)s; an appeal was possible until "
                "%(deadline)s (%(months)s months).",
                r.appeal_deadline_months,
            )
            % {
                "received": received_on.isoformat(),
                "deadline": deadline.isoformat(),
                "months": r.appeal_deadline_months,
            },
            r.appeals_source,
            "lodged_on",
        )


def check_appeal_body(body_kind: str, *, rules: DisciplineRules | None = None) -> None:
    """Refuse an appeal body of a kind the rule set does not name."""
    r = _rules(rules)
    if body_kind not in r.appeal_bodies:
        bodies = inspection_rules()  # the organs' labels
        raise _refusal(
            "discipline.appeal_body",
            _("An appeal goes to a body of the level above (%(known)s), not to %(body)s.")
            % {
                "known": ", ".join(bodies.body_label(b) for b in r.appeal_bodies),
                "body": bodies.body_label(body_kind),
            },
            r.appeals_source,
            "body",
        )


def final_level(form: str, *, rules: DisciplineRules | None = None) -> FinalLevel | None:
    """The level whose decision on an appeal against `form` is final."""
    r = _rules(rules)
    _known_form(r, form)
    return next((level for level in r.final_levels if form in level.forms), None)


def is_reprimand_or_above(form: str, *, rules: DisciplineRules | None = None) -> bool:
    return form in _rules(rules).reprimand_or_above
