"""Reads of inspection and discipline files leave a trace (issue 19, item 6: "every view
audited"): one entry per file opened, as the members' dossier does (`members/reads.py`), and
one per list or worklist read, naming the list, its filters and the number of rows shown, as
the members' list does."""

from __future__ import annotations

from typing import Any

from cadrebook.core.audit import audit_record
from cadrebook.inspections.models import (
    Discipline,
    Inspection,
    InspectionProgram,
    Recommendation,
)
from cadrebook.inspections.permissions import VIEW_INSPECTIONS
from cadrebook.orgs.models import OrgUnit

INSPECTION_VIEWED = "inspection.viewed"
PROGRAM_VIEWED = "inspection.program_viewed"
DISCIPLINE_VIEWED = "discipline.viewed"
RECOMMENDATION_VIEWED = "inspection.recommendation_viewed"
LIST_VIEWED = "inspection.list_viewed"


def inspection_read_record(*, actor: Any, inspection: Inspection, via: str = "api") -> None:
    """An inspection's file was read (`GET /inspections/{id}`)."""
    audit_record(
        actor=actor,
        obj=inspection,
        action="view",
        event_type=INSPECTION_VIEWED,
        unit=inspection.body,
        after={"via": via},
    )


def program_read_record(*, actor: Any, program: InspectionProgram, via: str = "api") -> None:
    """A program was read with its items (`GET /inspection-programs/{id}`)."""
    audit_record(
        actor=actor,
        obj=program,
        action="view",
        event_type=PROGRAM_VIEWED,
        unit=program.body,
        after={"via": via},
    )


def recommendation_read_record(
    *, actor: Any, recommendation: Recommendation, via: str = "api"
) -> None:
    """A recommendation was read with its follow-up (`GET /inspections/{id}/
    recommendations/{id}`), by a reader of the file or by the unit it is addressed to: the
    entry stands on the inspecting body, whose file it belongs to."""
    inspection = recommendation.inspection
    audit_record(
        actor=actor,
        obj=recommendation,
        action="view",
        event_type=RECOMMENDATION_VIEWED,
        unit=inspection.body,
        after={"via": via, "inspection": inspection.pk},
    )


def discipline_read_record(*, actor: Any, discipline: Discipline, via: str = "api") -> None:
    """A discipline's file was read (`GET /disciplines/{id}`); scoped, as the discipline
    is, by its subject's unit."""
    unit = discipline.unit if discipline.unit_id else discipline.member.unit
    audit_record(
        actor=actor,
        obj=discipline,
        action="view",
        event_type=DISCIPLINE_VIEWED,
        unit=unit,
        after={"via": via},
    )


def list_read_record(
    *,
    actor: Any,
    name: str,
    filters: dict[str, Any],
    rows: int,
    via: str = "api",
    counts: dict[str, int] | None = None,
) -> None:
    """A list or worklist of inspection or discipline files was read (`name`: `inspections`,
    `disciplines`, `programs`, `worklists` or a worklist's name): one entry per request,
    with the filters given (the unit it was narrowed to among them) and the number of rows
    shown (`counts`: per worklist, on the page that shows them all). The entry stands on the
    top unit of the reader's `view_inspections` scope, the widest a list of theirs can show,
    so that who may read the audit there sees it. A reader without such a unit reads no file
    anywhere (the list is empty by construction): nothing was shown, nothing is written."""
    unit = OrgUnit.objects.visible_to(actor, VIEW_INSPECTIONS).order_by("depth", "path").first()
    if unit is None:
        return
    audit_record(
        actor=actor,
        obj=unit,
        action="view",
        event_type=LIST_VIEWED,
        unit=unit,
        after={
            "via": via,
            "list": name,
            "filters": {k: str(v) for k, v in filters.items() if v not in (None, "")},
            "rows": rows,
        }
        | ({"counts": counts} if counts is not None else {}),
    )
