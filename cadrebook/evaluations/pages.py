"""Reads of the evaluation pages: which rounds a user reaches (the rounds whose subtree meets
their scope: a cell's secretary sees the round of the committee above), the part of a round
in their scope (progress, worklists, special cases), a subject's history, the quota as the
decision screen shows it, the documents a decision may cite, and what the unit page and the
dossier show. Reads only; the writes are the services'.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from cadrebook.core.permissions import VIEW
from cadrebook.core.scoping import PATH_END, Scope, scope_for, subtree_q
from cadrebook.documents.choices import Status
from cadrebook.documents.models import Document
from cadrebook.documents.selectors import readable_documents
from cadrebook.evaluations.choices import Level, SubjectKind
from cadrebook.evaluations.models import (
    Decision,
    ModelRecord,
    Proposal,
    Round,
    SelfAssessment,
    Subject,
)
from cadrebook.evaluations.rules import EvaluationRules, evaluation_rules
from cadrebook.evaluations.selectors import (
    STATES,
    is_outstanding,
    latest_decisions,
    model_records,
    quota_counts,
    quota_status,
    rating_history,
    round_progress,
    round_subjects,
    ruleset_of,
    step_names,
)
from cadrebook.orgs.models import OrgUnit


def rules_of(round_: Round) -> EvaluationRules:
    """The evaluation rules the round runs under."""
    return evaluation_rules(ruleset_of(round_))


def _top_paths(scope: Scope) -> list[str]:
    """The scope's paths without those inside another (a grant on P and one on K1 under it
    are P's subtree once)."""
    paths = sorted(set(scope.paths))
    return [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]


def _prefixes(path: str, steplen: int) -> list[str]:
    return [path[:k] for k in range(steplen, len(path) + 1, steplen)]


def rounds_in_reach(user: Any) -> QuerySet[Round]:
    """The rounds whose subtree meets `user`'s scope: opened by a unit in it or by a unit
    above one of its units (a cell's officers work in the round of the committee above)."""
    rounds: QuerySet[Round] = Round.objects.select_related("unit")
    scope = scope_for(user, VIEW)
    if scope.everything:
        return rounds
    if scope.nothing:
        return rounds.none()
    above = {a for p in scope.paths for a in _prefixes(p, OrgUnit.steplen)}
    return rounds.filter(subtree_q("unit__path", scope.paths) | Q(unit__path__in=sorted(above)))


def _parts(user: Any, round_: Round) -> list[OrgUnit] | None:
    """The units under which `user` sees the round's subjects: None for the whole round."""
    scope = scope_for(user, VIEW)
    if scope.covers_path(round_.unit.path):
        return None
    start, end = round_.unit.path, round_.unit.path + PATH_END
    paths = [p for p in _top_paths(scope) if start <= p < end]
    return list(OrgUnit.objects.filter(path__in=paths).order_by("path"))


def progress_in_reach(user: Any, round_: Round, *, under: OrgUnit | None = None) -> dict[str, int]:
    """How many of the round's subjects in `user`'s reach (under `under` when given, a unit
    the user sees) stand at each state, and in all."""
    if under is not None:
        return round_progress(round_, under=under)
    parts = _parts(user, round_)
    if parts is None:
        return round_progress(round_)
    total = {name: 0 for name in (*STATES, "total")}
    for unit in parts:
        for name, n in round_progress(round_, under=unit).items():
            total[name] = total.get(name, 0) + n
    return total


def worklist(
    user: Any, round_: Round, *, state: str | None = None, under: OrgUnit | None = None
) -> Any:
    """The round's subjects in `user`'s reach (under `under`), annotated with their state
    (`round_subjects`), one worklist when `state` is given."""
    subjects = round_subjects(round_, under=under, state=state)
    if under is None:
        parts = _parts(user, round_)
        if parts is not None:
            subjects = subjects.filter(subtree_q("home__path", [u.path for u in parts]))
    return subjects


def special_cases(user: Any, round_: Round, *, under: OrgUnit | None = None) -> Any:
    """The rated subjects with a special case (temporary transfer, long leave), with the host
    cell and the host's comments of the latest proposal."""
    latest = Proposal.objects.filter(subject=OuterRef("pk")).order_by("-id")
    return (
        worklist(user, round_, under=under)
        .exclude(special_case="")
        .select_related("host_unit")
        .annotate(host_comments=Subquery(latest.values("host_comments")[:1]))
    )


LATE_ROWS = 50  # late steps listed on a round's page


def _in_reach(user: Any, round_: Round, under: OrgUnit | None) -> Any:
    """The round's subjects in `user`'s reach (under `under`), not annotated."""
    subjects = Subject.objects.filter(round=round_)
    if under is not None:
        return subjects.filter(subtree_q("home__path", [under.path]))
    parts = _parts(user, round_)
    if parts is not None:
        subjects = subjects.filter(subtree_q("home__path", [u.path for u in parts]))
    return subjects


def late_steps(user: Any, round_: Round, *, under: OrgUnit | None = None) -> list[dict[str, Any]]:
    """The steps of the round's subjects in `user`'s reach recorded after their deadline
    (the rule set warned), newest first: the step, the subject and when."""
    subjects = _in_reach(user, round_, under)
    rows: list[dict[str, Any]] = []
    for step, model in (
        ("self_assessment", SelfAssessment),
        ("proposal", Proposal),
        ("decision", Decision),
    ):
        found = (
            model.objects.filter(subject__in=subjects.values("pk"), late=True)  # type: ignore[attr-defined]
            .select_related("subject__member", "subject__unit")
            .order_by("-id")[:LATE_ROWS]
        )
        rows += [{"step": step, "row": r, "subject": r.subject} for r in found]
    rows.sort(key=lambda r: r["row"].recorded_at, reverse=True)
    return rows[:LATE_ROWS]


def decided_without_steps(
    user: Any, round_: Round, *, under: OrgUnit | None = None
) -> list[dict[str, Any]]:
    """The latest decisions of the round's subjects in `user`'s reach made without a step the
    rule set puts before them (`[evaluation.steps]` warned: the self-assessment, the cell's
    proposal), newest first: the subject, the decision and the steps it lacked, named."""
    found = (
        latest_decisions(_in_reach(user, round_, under))
        .exclude(missing_steps=[])
        .select_related("subject__member", "subject__unit")
        .order_by("-id")[:LATE_ROWS]
    )
    return [
        {
            "subject": d.subject,
            "decision": d,
            "steps": step_names(d.subject.kind, d.missing_steps),
        }
        for d in found
    ]


def deciding_units(user: Any, round_: Round) -> list[OrgUnit]:
    """The units deciding for subjects of the round in `user`'s reach (those the quota is
    counted for: a unit may be marked outstanding among them)."""
    ids = (
        worklist(user, round_)
        .filter(kind=SubjectKind.MEMBER)
        .order_by()
        .values_list("deciding_unit_id", flat=True)
        .distinct()
    )
    return list(OrgUnit.objects.filter(pk__in=list(ids)).order_by("path"))


def subject_history(subject: Subject) -> dict[str, list[Any]]:
    """The subject's self-assessments, proposals and decisions, newest first."""
    return {
        "assessments": list(subject.assessments.select_related("recorded_by").order_by("-id")),
        "proposals": list(subject.proposals.select_related("recorded_by").order_by("-id")),
        "decisions": list(
            subject.decisions.select_related("document", "deciding_unit", "recorded_by").order_by(
                "-id"
            )
        ),
    }


def readable_among(user: Any, decisions: list[Any]) -> set[int]:
    """The ids of the decisions' documents `user` may open: the others are printed by their
    symbol without a link, as the register prints a masked document."""
    ids = {d.document_id for d in decisions if d.document_id}
    if not ids:
        return set()
    return set(readable_documents(user).filter(pk__in=ids).values_list("pk", flat=True))


@dataclass(frozen=True)
class QuotaView:
    """The quota of a subject's deciding unit and group as the decision screen shows it:
    the count now, the count if the subject is decided at the level being asked about, and
    whether that goes over."""

    unit: OrgUnit
    role_group: str
    excellent: int
    good: int
    allowed: int
    outstanding: bool
    share: str
    source: str
    enforcement: str

    @property
    def over(self) -> bool:
        return self.excellent > self.allowed


def quota_view(subject: Subject, *, level: str | None = None) -> QuotaView | None:
    """The quota of the subject's deciding unit and group (None where the rule set puts no
    quota on its framework): with the subject's latest decision counted, or, with `level`,
    as it would stand with the subject decided at `level`."""
    rules = rules_of(subject.round)
    if subject.framework not in rules.quota_frameworks:
        return None
    if level is None:
        excellent, good = quota_counts(subject.round, subject.deciding_unit, subject.role_group)
    else:
        excellent, good = quota_counts(
            subject.round, subject.deciding_unit, subject.role_group, leave_out=subject.pk
        )
        excellent += level == Level.EXCELLENT
        good += level == Level.GOOD
    outstanding = is_outstanding(subject.round, subject.deciding_unit)
    share = rules.quota_outstanding_share if outstanding else rules.quota_share
    return QuotaView(
        unit=subject.deciding_unit,
        role_group=subject.role_group,
        excellent=excellent,
        good=good,
        allowed=rules.allowed_excellent(good, outstanding=outstanding),
        outstanding=outstanding,
        share=f"{float(share):.0%}",
        source=rules.quota_source,
        enforcement=rules.quota_enforcement,
    )


def quota_rows(round_: Round, unit: OrgUnit) -> list[Any]:
    """The quota of `unit` as a deciding unit, per group of similar roles (quota_status)."""
    return [row for row in quota_status(round_, under=unit) if row.unit.pk == unit.pk]


# How many documents a decision form offers: the deciding unit's latest.
DOCUMENT_CHOICES = 100


def document_choices(user: Any, issuers: list[OrgUnit], round_: Round) -> list[Document]:
    """The issued documents of `issuers` that `user` may read, dated from the round's reference
    year on, newest first: those a decision of the round may cite."""
    return documents_since(user, issuers, round_.year)


def documents_since(user: Any, issuers: list[OrgUnit], year: int) -> list[Document]:
    """The issued documents of `issuers` that `user` may read, dated in `year` or later,
    newest first (the latest DOCUMENT_CHOICES): those a form of the evaluation offers."""
    return list(
        readable_documents(user)
        .filter(issuer__in=issuers, date__year__gte=year)
        .exclude(status=Status.DRAFT)
        .order_by("-date", "-id")[:DOCUMENT_CHOICES]
    )


def model_document_choices(
    user: Any, unit: OrgUnit, organizations: list[OrgUnit], year: int
) -> list[Document]:
    """What a model organization's registration or recognition may cite on the page of
    `unit` for `year`: the issued documents, dated in the year or later, of `unit`, the
    committees above it and the `organizations` the user records for (an organization's own
    resolution to register, the committee's decision recognizing it)."""
    above = list(OrgUnit.objects.filter(path__in=unit.ancestor_paths()))  # `unit` included
    return documents_since(user, [*above, *organizations], year)


# Panels --------------------------------------------------------------------------------


def member_ratings(member: Any) -> dict[str, Any]:
    """The member's ratings by year for the dossier, and whether the latest run of
    "excellent" makes the member a candidate for the honour (the rule set's years)."""
    rules = evaluation_rules()
    history = rating_history(member=member)
    return {
        "ratings": history,
        "honour": history[0] if history and history[0]["honour_candidate"] else None,
        "honour_years": rules.honour_years_running,
        "honour_source": rules.honour_source,
        "rating_rules": rules,  # the levels' labels (a page's panels share one context)
    }


def unit_evaluation(unit: OrgUnit, year: int) -> dict[str, Any]:
    """What the unit page shows: the unit's ratings by year, its model records, and for the
    year how many organizations of its subtree registered for each model and were recognized,
    against the organizations of the rated kinds ("11/11 registered")."""
    rules = evaluation_rules()
    labels = {k.code: k.display_label for k in rules.model_kinds}
    models = []
    # A unit with none below it has its own records only: no count of its subtree to ask.
    if unit.numchild:
        below = (
            OrgUnit.objects.all()
            .active_on(dt.date(year, 12, 31))
            .filter(path__gte=unit.path, path__lt=unit.path + PATH_END)
            .filter(kind__in=sorted(rules.unit_deciders))
            .count()
        )
        models = [
            {"kind": kind, "label": labels.get(kind, kind), "organizations": below, **steps}
            for kind, steps in model_records(unit, year).items()
        ]
    own = list(
        ModelRecord.objects.filter(unit=unit).select_related("document").order_by("-year", "id")
    )
    return {
        "rating_rules": rules,  # the levels' labels (a page's panels share one context)
        "unit_ratings": rating_history(unit=unit),
        "model_year": year,
        "model_counts": models,
        "model_records": [{"record": r, "label": labels.get(r.kind, r.kind)} for r in own],
    }


MODEL_ROWS = 300  # organizations listed on the model organizations' page


def model_table(unit: OrgUnit, year: int) -> dict[str, Any]:
    """The model organizations' page of `unit` for `year`: the organizations of its subtree
    of the rated kinds (active at the year's end, `unit` included), each with its latest step
    per model of the rule set (registered, recognized, not recognized, or none), and per
    model how many registered and were recognized ("11/11 organizations registered")."""
    rules = evaluation_rules()
    units = list(
        OrgUnit.objects.all()
        .active_on(dt.date(year, 12, 31))
        .filter(path__gte=unit.path, path__lt=unit.path + PATH_END)
        .filter(kind__in=sorted(rules.unit_deciders))
        .order_by("path")[:MODEL_ROWS]
    )
    steps: dict[tuple[int, str], str] = {}
    for unit_id, kind, step in (
        ModelRecord.objects.filter(unit__in=units, year=year)
        .order_by("id")
        .values_list("unit_id", "kind", "step")
    ):
        steps[(unit_id, kind)] = step
    kinds = list(rules.model_kinds)
    counts = model_records(unit, year)
    return {
        "kinds": kinds,
        "rows": [
            {"unit": u, "steps": [steps.get((u.pk, k.code), "") for k in kinds]} for u in units
        ],
        "counts": [
            {
                "label": k.display_label,
                "registered": counts.get(k.code, {}).get("registered", 0),
                "recognized": counts.get(k.code, {}).get("recognized", 0),
                "organizations": len(units),
            }
            for k in kinds
        ],
        "truncated": len(units) == MODEL_ROWS,
    }
