"""Reads of inspection and discipline files leave a trace (issue 19, item 6: "every view
audited"): one entry per file opened, as the members' dossier does (`members/reads.py`)."""

from __future__ import annotations

from typing import Any

from cadrebook.core.audit import audit_record
from cadrebook.inspections.models import Discipline, Inspection, InspectionProgram

INSPECTION_VIEWED = "inspection.viewed"
PROGRAM_VIEWED = "inspection.program_viewed"
DISCIPLINE_VIEWED = "discipline.viewed"


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
