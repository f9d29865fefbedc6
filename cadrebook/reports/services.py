"""Writes of the reports app: issuing a report, and recording its downloads."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record
from cadrebook.core.errors import ServiceError
from cadrebook.core.permissions import CHANGE
from cadrebook.core.scoping import scope_for
from cadrebook.orgs.models import OrgUnit
from cadrebook.reports.models import IssuedReport
from cadrebook.reports.selectors import check_dates, unit_statistics

MAX_NARRATIVE = 20_000


def report_issue(
    *,
    actor: Any,
    unit: OrgUnit,
    date_from: dt.date,
    date_to: dt.date,
    as_of: dt.date,
    language: str,
    narrative: str,
    title: str,
) -> IssuedReport:
    """Issue a report of `unit`'s subtree: the figures are recomputed now and stored with the
    narrative the officer signed. Issued reports never change; a corrected one is a new one."""
    if not scope_for(actor, CHANGE).covers_path(unit.path):
        raise ServiceError(
            "report.not_allowed", _("You may not issue reports for this unit."), field="unit"
        )
    if language not in dict(settings.LANGUAGES):
        raise ServiceError(
            "report.language_unknown",
            _("%(lang)s is not a language of this system.") % {"lang": language},
            field="language",
        )
    narrative = (narrative or "").strip()
    if not narrative:
        raise ServiceError(
            "report.narrative_missing", _("Write the narrative of the report."), field="narrative"
        )
    if len(narrative) > MAX_NARRATIVE:
        raise ServiceError(
            "report.narrative_too_long",
            _("The narrative is longer than %(n)d characters.") % {"n": MAX_NARRATIVE},
            field="narrative",
        )
    title = (title or "").strip()
    if not title:
        raise ServiceError("report.title_missing", _("Give the report a title."), field="title")
    check_dates(date_from, date_to, as_of)
    with transaction.atomic():
        figures = unit_statistics(unit, date_from, date_to, as_of)
        report = IssuedReport.objects.create(
            unit=unit,
            title=title[:255],
            language=language,
            date_from=date_from,
            date_to=date_to,
            as_of=as_of,
            narrative=narrative,
            figures=figures,
            issued_by=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor,
            obj=report,
            action="create",
            event_type="report.issued",
            unit=unit,
            after={
                "title": report.title,
                "from": date_from,
                "to": date_to,
                "as_of": as_of,
                "language": language,
            },
        )
    return report


def report_export_audit(*, actor: Any, report: IssuedReport, fmt: str) -> None:
    """Record a download of an issued report (every export is in the audit log)."""
    audit_record(
        actor=actor,
        obj=report,
        action="export",
        event_type="report.exported",
        unit=report.unit,
        after={"format": fmt},
    )
