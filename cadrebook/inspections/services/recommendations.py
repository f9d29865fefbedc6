"""Writes of a conclusion's recommendations and their follow-up. The follow-ups are the
history (appended, never changed); the recommendation keeps the latest status. Each writes in
one transaction and audits; a refusal writes nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.errors import ServiceError
from cadrebook.inspections.choices import FollowUpStatus
from cadrebook.inspections.models import (
    Inspection,
    InspectionSubject,
    Recommendation,
    RecommendationFollowUp,
)
from cadrebook.inspections.rules import inspection_rules
from cadrebook.inspections.services._checks import by, check_not_future, check_unit_in_remit
from cadrebook.orgs.models import OrgUnit

RECOMMENDATION_FIELDS = [
    "inspection",
    "subject",
    "text",
    "owner_unit",
    "owner_text",
    "deadline",
    "status",
]
FOLLOW_UP_FIELDS = ["recommendation", "on", "status", "note"]


def recommendation_add(
    *,
    actor: Any,
    inspection: Inspection,
    text: str,
    subject: InspectionSubject | None = None,
    owner_unit: OrgUnit | None = None,
    owner_text: str = "",
    deadline: dt.date | None = None,
) -> Recommendation:
    """Record a recommendation of a concluded inspection: what to do, about one of its
    subjects or the whole, by whom (a unit of the body's remit, or the owner as written)
    and by when (not before the conclusion)."""
    rules = inspection_rules()
    text = (text or "").strip()
    owner_text = (owner_text or "").strip()
    if not text:
        raise ServiceError(
            "recommendation.text_missing", _("Write the recommendation."), field="text"
        )
    if owner_unit is None and not owner_text:
        raise ServiceError(
            "recommendation.owner_missing",
            _("Name who is to carry it out: a unit, or as written."),
            field="owner_unit",
        )
    with transaction.atomic():
        inspection = (
            Inspection.objects.select_for_update().select_related("body").get(pk=inspection.pk)
        )
        if inspection.concluded_on is None:
            raise ServiceError(
                "inspection.not_concluded",
                _("%(code)s is not concluded: its recommendations come with the conclusion.")
                % {"code": inspection.code},
                field="inspection",
            )
        if subject is not None and subject.inspection_id != inspection.pk:
            raise ServiceError(
                "recommendation.subject_other",
                _("The subject named is not one of %(code)s's.") % {"code": inspection.code},
                field="subject",
            )
        if owner_unit is not None and owner_unit.pk != inspection.body_id:
            check_unit_in_remit(rules, inspection.body, owner_unit, "owner_unit")
        if deadline is not None and deadline < inspection.concluded_on:
            raise ServiceError(
                "recommendation.deadline_before_conclusion",
                _("The deadline %(date)s is before the conclusion (%(concluded)s).")
                % {"date": deadline, "concluded": inspection.concluded_on},
                field="deadline",
            )
        recommendation = Recommendation.objects.create(
            inspection=inspection,
            subject=subject,
            text=text,
            owner_unit=owner_unit,
            owner_text=owner_text,
            deadline=deadline,
            status=FollowUpStatus.OPEN,
            path=inspection.path,
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=recommendation,
            action="create",
            event_type="inspection.recommendation_added",
            unit=inspection.body,
            after=snapshot(recommendation, RECOMMENDATION_FIELDS),
        )
    return recommendation


def recommendation_follow_up(
    *,
    actor: Any,
    recommendation: Recommendation,
    on: dt.date,
    status: str,
    note: str = "",
) -> RecommendationFollowUp:
    """Record what was done on a recommendation by `on` (done, partly done, not done): not
    before the conclusion or the last follow-up, not in the future, and nothing after it is
    done. The recommendation's status becomes the follow-up's."""
    if status not in FollowUpStatus.values:
        raise ServiceError(
            "recommendation.status_unknown",
            _("%(status)s is not a follow-up status; known: %(known)s.")
            % {"status": status, "known": ", ".join(FollowUpStatus.values)},
            field="status",
        )
    check_not_future(on, "on")
    with transaction.atomic():
        recommendation = (
            Recommendation.objects.select_for_update()
            .select_related("inspection__body")
            .get(pk=recommendation.pk)
        )
        inspection = recommendation.inspection
        if recommendation.status == FollowUpStatus.DONE:
            raise ServiceError(
                "recommendation.done",
                _("The recommendation is done: its follow-up is closed."),
                field="status",
            )
        last = recommendation.follow_ups.order_by("-on", "-id").first()
        earliest = last.on if last is not None else inspection.concluded_on
        if earliest is not None and on < earliest:
            raise ServiceError(
                "recommendation.follow_up_before",
                _("%(date)s is before %(earliest)s, the conclusion or the last follow-up.")
                % {"date": on, "earliest": earliest},
                field="on",
            )
        before = snapshot(recommendation, ["status"])
        follow_up = RecommendationFollowUp.objects.create(
            recommendation=recommendation,
            on=on,
            status=status,
            note=(note or "").strip(),
            recorded_by=by(actor),
        )
        recommendation.status = status
        recommendation.save(update_fields=["status"])
        audit_record(
            actor=actor,
            obj=recommendation,
            action="update",
            event_type="inspection.recommendation_followed_up",
            unit=inspection.body,
            before=before,
            after=snapshot(recommendation, ["status"]) | snapshot(follow_up, FOLLOW_UP_FIELDS),
        )
    return follow_up
