"""Writes of the programs: a body's yearly program and its planned items. Each checks the
rule set's `[inspection]` rules, writes in one transaction and audits; a refusal writes
nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.errors import ServiceError
from cadrebook.inspections.models import InspectionProgram, ProgramItem
from cadrebook.inspections.rules import inspection_rules
from cadrebook.inspections.services._checks import (
    by,
    check_body,
    check_document,
    check_kind,
    check_unit_in_remit,
)
from cadrebook.orgs.models import OrgUnit

PROGRAM_FIELDS = ["body", "body_kind", "year", "title", "document", "document_text"]
ITEM_FIELDS = ["program", "kind", "subject_unit", "subject_text", "planned_from", "planned_to"]


def program_create(
    *,
    actor: Any,
    body: OrgUnit,
    body_kind: str,
    year: int,
    title: str,
    document: Any = None,
    document_text: str = "",
) -> InspectionProgram:
    """Record `body`'s program of inspections and supervisions for `year` (one per body and
    year), optionally with the document that adopted it (issued by the body)."""
    rules = inspection_rules()
    title = (title or "").strip()
    if not title:
        raise ServiceError("program.title_missing", _("Give the program a title."), field="title")
    check_body(rules, body, body_kind, dt.date(year, 1, 1), until=dt.date(year, 12, 31))
    with transaction.atomic():
        doc = None
        if document is not None:
            doc = check_document(
                actor,
                rules,
                document,
                required=False,
                issuer=body,
                day=dt.date(year, 12, 31),
                field="document",
            )
        exists = (
            InspectionProgram.objects.select_for_update()
            .filter(body=body, body_kind=body_kind, year=year)
            .exists()
        )
        if exists:
            raise ServiceError(
                "program.exists",
                _("%(body)s already has a program for %(year)s: add items to it.")
                % {"body": body, "year": year},
                field="year",
            )
        program = InspectionProgram.objects.create(
            body=body,
            body_kind=body_kind,
            path=body.path,
            year=year,
            title=title,
            document=doc,
            document_text=(document_text or (doc.symbol if doc else "")).strip(),
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=program,
            action="create",
            event_type="inspection.program_created",
            unit=body,
            after=snapshot(program, PROGRAM_FIELDS),
        )
    return program


def program_item_add(
    *,
    actor: Any,
    program: InspectionProgram,
    kind: str,
    subject_unit: OrgUnit | None = None,
    subject_text: str = "",
    planned_from: dt.date | None = None,
    planned_to: dt.date | None = None,
) -> ProgramItem:
    """Plan an inspection or supervision of `kind` in `program`: on a unit of the body's
    remit, or a subject as written (the members of a committee…), in a period of the
    program's year."""
    rules = inspection_rules()
    check_kind(rules, kind)
    subject_text = (subject_text or "").strip()
    if subject_unit is None and not subject_text:
        raise ServiceError(
            "program.subject_missing",
            _("Name the subject planned: a unit, or the subject as written."),
            field="subject_unit",
        )
    if subject_unit is not None:
        check_unit_in_remit(rules, program.body, subject_unit, "subject_unit")
    for name, day in (("planned_from", planned_from), ("planned_to", planned_to)):
        if day is not None and day.year != program.year:
            raise ServiceError(
                "program.outside_year",
                _("%(date)s is not in %(year)s, the program's year.")
                % {"date": day, "year": program.year},
                field=name,
            )
    if planned_from and planned_to and planned_from > planned_to:
        raise ServiceError(
            "program.period_order",
            _("The planned period ends (%(to)s) before it starts (%(from)s).")
            % {"to": planned_to, "from": planned_from},
            field="planned_to",
        )
    with transaction.atomic():
        item = ProgramItem.objects.create(
            program=program,
            kind=kind,
            subject_unit=subject_unit,
            subject_text=subject_text,
            planned_from=planned_from,
            planned_to=planned_to,
            created_by=by(actor),
        )
        audit_record(
            actor=actor,
            obj=item,
            action="create",
            event_type="inspection.program_item_added",
            unit=program.body,
            after=snapshot(item, ITEM_FIELDS),
        )
    return item
