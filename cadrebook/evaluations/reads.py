"""Reads of the evaluation that the API and the import of ratings ask (beside `selectors.py`):
which rounds a user reaches, the quota of one subject's deciding unit and group as a decision
leaves it, and the ratings of a subtree."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from cadrebook.core.permissions import VIEW
from cadrebook.core.scoping import PATH_END, scope_for, subtree_q
from cadrebook.evaluations.models import Rating, Round, Subject
from cadrebook.evaluations.rules import evaluation_rules
from cadrebook.evaluations.selectors import is_outstanding, quota_counts, ruleset_of
from cadrebook.orgs.models import OrgUnit


def _prefixes(path: str) -> list[str]:
    step = OrgUnit.steplen
    return [path[:k] for k in range(step, len(path) + 1, step)]


def reachable_rounds(user: Any) -> QuerySet[Round]:
    """The rounds `user` reaches: opened by a unit in their scope, or over a subtree that
    holds a unit of their scope (a cell's clerk reaches the round of the committee above,
    for the cell's subjects only)."""
    scope = scope_for(user, VIEW)
    rounds = Round.objects.select_related("unit")
    if scope.everything:
        return rounds
    if scope.nothing:
        return rounds.none()
    above = {prefix for path in scope.paths for prefix in _prefixes(path)}
    return rounds.filter(subtree_q("unit__path", scope.paths) | Q(unit__path__in=sorted(above)))


def visible_subjects(user: Any) -> QuerySet[Subject]:
    """The subjects rated in units of `user`'s scope."""
    subjects: QuerySet[Subject] = Subject.objects.visible_to(user, VIEW)
    return subjects.select_related("round", "member", "unit", "home", "deciding_unit")


def subject_quota(subject: Subject) -> dict[str, Any] | None:
    """The quota of the subject's deciding unit and group of similar roles from the latest
    decisions (the count the committee works against); None when its framework has no
    quota."""
    rules = evaluation_rules(ruleset_of(subject.round))
    if subject.framework not in rules.quota_frameworks:
        return None
    excellent, good = quota_counts(subject.round, subject.deciding_unit, subject.role_group)
    outstanding = is_outstanding(subject.round, subject.deciding_unit)
    allowed = rules.allowed_excellent(good, outstanding=outstanding)
    return {
        "unit": subject.deciding_unit.code,
        "role_group": subject.role_group,
        "excellent": excellent,
        "good": good,
        "allowed": allowed,
        "over": max(excellent - allowed, 0),
        "outstanding": outstanding,
        "source": rules.quota_source,
    }


def subtree_ratings(
    user: Any,
    unit: OrgUnit,
    *,
    year: int | None = None,
    subject_kind: str | None = None,
    level: str | None = None,
) -> QuerySet[Rating]:
    """The ratings of subjects rated in `unit`'s subtree that `user` may see (of `year`, of
    one kind, at one level when given), in id order."""
    ratings: QuerySet[Rating] = Rating.objects.visible_to(user, VIEW).filter(
        rated_in__path__gte=unit.path, rated_in__path__lt=unit.path + PATH_END
    )
    if year is not None:
        ratings = ratings.filter(year=year)
    if subject_kind:
        ratings = ratings.filter(subject_kind=subject_kind)
    if level:
        ratings = ratings.filter(level=level)
    return ratings.select_related("member", "unit", "rated_in", "document").order_by("id")
