"""Writes of ratings recorded outside a round (the ratings of earlier years, legacy labels
included: what `cadrebook import ratings` records row by row) and of the model
organizations' registration and recognition."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.dates import MAX_YEAR, MIN_YEAR, check_plausible
from cadrebook.core.errors import ServiceError
from cadrebook.documents.references import cited_document
from cadrebook.evaluations.choices import ModelStep, RatingSource, SubjectKind
from cadrebook.evaluations.models import RATING_ANCESTOR_COLUMNS, ModelRecord, Rating
from cadrebook.evaluations.rules import evaluation_rules
from cadrebook.evaluations.selectors import (
    check_level,
    check_level_within_score,
    check_score,
    evaluation_violation,
    grassroots_of,
    legacy_level,
)
from cadrebook.evaluations.tally import tally_change, tally_keys
from cadrebook.members.selectors import periods_as_of
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.placements import ancestors_on

RATING_FIELDS = [
    "year",
    "subject_kind",
    "member",
    "unit",
    "level",
    "label",
    "score",
    "source",
    "document",
    "document_text",
]


def rating_record(
    *,
    actor: Any,
    year: int,
    member: Any = None,
    unit: OrgUnit | None = None,
    level: str = "",
    label: str = "",
    score: Decimal | None = None,
    document: Any = None,
    document_text: str = "",
) -> Rating:
    """Record the rating of a member or a unit for a year outside a round: a level, or a
    legacy label the rule set maps onto one (kept as written beside the level). The member is
    counted in the cell it belonged to on 31 December of the year (refused when it was no
    member then); a year a round already rated is refused (its decisions are the record:
    reconsider instead)."""
    rules = evaluation_rules()
    if (member is None) == (unit is None):
        raise ServiceError(
            "evaluation.subject_missing", _("Name one member or one unit."), field="subject"
        )
    kind = SubjectKind.MEMBER if member is not None else SubjectKind.UNIT
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise ServiceError(
            "evaluation.bad_year",
            _("The year %(y)s is not between %(a)d and %(b)d.")
            % {"y": year, "a": MIN_YEAR, "b": MAX_YEAR},
            field="year",
        )
    if label:
        mapped = legacy_level(kind, label, rules)
        if mapped is None:
            raise evaluation_violation(
                rules,
                "evaluation.label_unknown",
                _("%(label)s is not a rating label of the rule set.") % {"label": label},
                source=rules.legacy_source,
                field="label",
            )
        if level and level != mapped:
            raise evaluation_violation(
                rules,
                "evaluation.label_contradicts_level",
                _("%(label)s maps to %(mapped)s, not %(level)s.")
                % {"label": label, "mapped": mapped, "level": level},
                source=rules.legacy_source,
                field="level",
            )
        level = mapped
    check_level(rules, level)
    value = check_score(rules, score) if score is not None else None
    if value is not None and not label:
        # A level above the one its score earns is a contradiction (no cap raises a level);
        # a lower one may come from a cap. A legacy label predates the framework's scores.
        check_level_within_score(rules, level=level, score=value)
    day = dt.date(year, 12, 31)
    if kind == SubjectKind.MEMBER:
        period = periods_as_of(day).filter(member=member).select_related("unit").first()
        if period is None:
            raise ServiceError(
                "evaluation.not_a_member_then",
                _("The member was not a member on %(date)s.") % {"date": day},
                field="subject",
            )
        rated_in = period.unit
        quota_unit = grassroots_of(rated_in, day, rules)
    else:
        assert unit is not None
        rated_in = unit
        quota_unit = None
    doc = cited_document(actor, document) if document is not None else None
    line = ancestors_on(rated_in, day)
    ancestors: dict[str, Any] = {f"anc{k}_id": None for k in range(1, RATING_ANCESTOR_COLUMNS + 1)}
    ancestors.update({f"anc{k}_id": uid for k, uid in enumerate(line, start=1)})
    key = {"member": member} if member is not None else {"unit": unit}
    with transaction.atomic():
        existing = Rating.objects.select_for_update().filter(year=year, **key).first()
        if existing is not None and existing.source == RatingSource.ROUND:
            raise ServiceError(
                "evaluation.rated_by_round",
                _("A round rated this subject for %(year)s: reconsider its decision instead.")
                % {"year": year},
                field="year",
            )
        before = snapshot(existing, RATING_FIELDS) if existing else None
        unit_kind = unit.kind if unit is not None else ""
        counted_before = tally_keys(existing, unit_kind)
        rating, created = Rating.objects.update_or_create(
            year=year,
            **key,
            defaults={
                "subject_kind": kind,
                "level": level,
                "label": label,
                "score": value,
                "source": RatingSource.IMPORT,
                "round": None,
                "decision": None,
                "document": doc,
                "document_text": document_text[:64],
                "rated_in": rated_in,
                "quota_unit": quota_unit,
                "role_group": "member" if kind == SubjectKind.MEMBER else "organization",
                **ancestors,
            },
        )
        # The figures read the tally: it changes with the rating, in the same transaction.
        tally_change(counted_before, tally_keys(rating, unit_kind))
        audit_record(
            actor=actor,
            obj=rating,
            action="create" if created else "update",
            event_type="evaluation.rating_recorded",
            unit=rated_in,
            before=before,
            after=snapshot(rating, RATING_FIELDS),
        )
    return rating


def _model_kind(kind: str) -> None:
    rules = evaluation_rules()
    if kind not in {k.code for k in rules.model_kinds}:
        raise evaluation_violation(
            rules,
            "evaluation.model_unknown",
            _("%(kind)s is not a model of the rule set; known: %(known)s.")
            % {"kind": kind, "known": ", ".join(k.code for k in rules.model_kinds)},
            source=rules.models_source,
            field="kind",
        )


def _model_record(
    actor: Any, unit: OrgUnit, year: int, kind: str, step: str, date: dt.date, document: Any
) -> ModelRecord:
    doc = cited_document(actor, document) if document is not None else None
    with transaction.atomic():
        OrgUnit.objects.select_for_update().filter(pk=unit.pk).first()
        done = ModelRecord.objects.filter(unit=unit, year=year, kind=kind)
        if step != ModelStep.REGISTERED and not done.filter(step=ModelStep.REGISTERED).exists():
            raise ServiceError(
                "evaluation.model_not_registered",
                _("%(unit)s did not register for this model in %(year)s.")
                % {"unit": unit, "year": year},
                field="kind",
            )
        if step == ModelStep.REGISTERED and date.year > year:
            raise ServiceError(
                "evaluation.model_registered_after",
                _("A registration for %(year)s is made at its start; %(date)s is after it.")
                % {"year": year, "date": date.isoformat()},
                field="date",
            )
        registered = (
            done.filter(step=ModelStep.REGISTERED).values_list("date", flat=True).first()
            if step != ModelStep.REGISTERED
            else None
        )
        if registered is not None and date < registered:
            raise ServiceError(
                "evaluation.model_before_registration",
                _("%(unit)s registered on %(registered)s: the recognition comes after it.")
                % {"unit": unit, "registered": registered.isoformat()},
                field="date",
            )
        already = done.exclude(step=ModelStep.REGISTERED) if step != ModelStep.REGISTERED else done
        if already.filter(
            step__in=[step] if step == ModelStep.REGISTERED else ModelStep.values[1:]
        ).exists():
            raise ServiceError(
                "evaluation.model_recorded",
                _("This step is already recorded for %(unit)s in %(year)s.")
                % {"unit": unit, "year": year},
                field="kind",
            )
        row = ModelRecord.objects.create(
            unit=unit,
            year=year,
            kind=kind,
            step=step,
            date=date,
            document=doc,
            recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            obj=row,
            action="create",
            event_type=f"evaluation.model_{step}",
            unit=unit,
            after=snapshot(row, ["unit", "year", "kind", "step", "date", "document"]),
        )
    return row


def model_register(
    *, actor: Any, unit: OrgUnit, year: int, kind: str, date: dt.date, document: Any = None
) -> ModelRecord:
    """Register `unit` for a model title of the rule set (four good, clean and strong) for
    `year`, at its start; once per unit, year and model."""
    _model_kind(kind)
    check_plausible(date)
    return _model_record(actor, unit, year, kind, ModelStep.REGISTERED, date, document)


def model_recognize(
    *,
    actor: Any,
    unit: OrgUnit,
    year: int,
    kind: str,
    date: dt.date,
    recognized: bool,
    document: Any = None,
) -> ModelRecord:
    """Record at the year's end whether `unit`, registered for the model, was recognized."""
    _model_kind(kind)
    check_plausible(date)
    step = ModelStep.RECOGNIZED if recognized else ModelStep.NOT_RECOGNIZED
    return _model_record(actor, unit, year, kind, step, date, document)
