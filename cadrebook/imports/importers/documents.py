"""Import of documents files (the register): (issuer_code, type, term, number) identifies a
document. A row already registered with the same details is unchanged (so a file imports
twice to the same register); with other details it is refused: the import registers
documents, it does not rewrite them. A term the issuer does not have yet (`YYYY-YYYY`) is
opened with approximate bounds, 1 January to 31 December of its years, when the row is
written. Every row goes through `document_check` and `document_register`, as the API does."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils.translation import gettext as _

from cadrebook.core.errors import ServiceError
from cadrebook.core.scoping import scope_for
from cadrebook.documents.choices import Confidentiality, Status
from cadrebook.documents.models import Document, Term
from cadrebook.documents.numbering import document_type, issuer_code_of_kind, render_symbol
from cadrebook.documents.selectors import LEVEL_ACTIONS, document_check
from cadrebook.documents.services import document_register, term_create
from cadrebook.imports.context import ImportContext, chunked, parsed_rows
from cadrebook.imports.reading import Table
from cadrebook.orgs.models import OrgUnit

TERM_YEARS = re.compile(r"^(\d{4})-(\d{4})$")
# What a row says of a registered document, compared to tell "unchanged" from "differs".
COMPARED = (
    "date",
    "title",
    "signer_name",
    "signer_position",
    "confidentiality",
    "status",
    "symbol",
    "abstract",
    "language",
)


def _may_read(ctx: ImportContext, path: str, confidentiality: str) -> bool:
    action = LEVEL_ACTIONS.get(Confidentiality(confidentiality))
    if action is None or ctx.actor is None:
        return True
    return scope_for(ctx.actor, action).covers_path(path)


def import_documents(ctx: ImportContext, table: Table) -> None:
    report = ctx.report
    terms: dict[tuple[int, str], Term] = {}  # (unit id, label) -> a term, saved or to open
    seen_keys: dict[tuple[str, str, str, int], int] = {}
    seen_numbers: dict[tuple[int, str, str, int], int] = {}
    for chunk in chunked(parsed_rows(ctx, table)):
        ctx.tick("checking")
        rows = [(n, r) for n, _raw, r in chunk if r is not None]
        ctx.units.load({r.issuer_code for _n, r in rows})
        for number, row in rows:
            unit = ctx.unit_in_scope(row.issuer_code)
            if unit is None:
                ctx.refuse_unit(number, "issuer_code", row.issuer_code)
                continue
            confidentiality = row.confidentiality or Confidentiality.NONE
            status = row.status or Status.ISSUED
            if confidentiality in Confidentiality.values and not _may_read(
                ctx, unit.path, confidentiality
            ):
                ctx.refuse_for_role(number, "confidentiality", confidentiality)
                continue
            term = terms.get((unit.id, row.term))
            if term is None:
                term = Term.objects.filter(unit_id=unit.id, label=row.term).first()
            if term is None:
                years = TERM_YEARS.match(row.term)
                if years is None or int(years[1]) > int(years[2]):
                    report.refuse(
                        number,
                        "term",
                        row.term,
                        "import.term_unknown",
                        _("%(unit)s has no term %(term)s; write a new term as YYYY-YYYY.")
                        % {"unit": unit.code, "term": row.term},
                    )
                    continue
                # Opened when the row is written; checked against until then.
                term = Term(
                    unit_id=unit.id,
                    label=row.term,
                    start=dt.date(int(years[1]), 1, 1),
                    end=dt.date(int(years[2]), 12, 31),
                    issuer_symbol=issuer_code_of_kind(unit.kind, ctx.rules),
                    approximate=True,
                )
            terms[(unit.id, row.term)] = term
            key = (row.issuer_code, row.type, row.term, row.number)
            first = seen_keys.setdefault(key, number)
            if first != number:
                report.refuse(
                    number,
                    "number",
                    row.number,
                    "import.duplicate_row",
                    _("The same issuer, type, term and number are already in row %(row)d.")
                    % {"row": first},
                )
                continue
            existing = None
            if term.pk is not None:
                existing = Document.objects.filter(
                    issuer_id=unit.id, term=term, type=row.type, number=row.number
                ).first()
            if existing is not None:
                _compare(ctx, number, row, existing, confidentiality, status, term)
                continue
            issuer = OrgUnit(pk=unit.id, code=unit.code, kind=unit.kind, path=unit.path)
            try:
                doc_type, counter = document_check(
                    issuer=issuer,
                    type_code=row.type,
                    term=term,
                    number=row.number,
                    date=row.date,
                    title=row.title,
                    confidentiality=confidentiality,
                    status=status,
                )
            except ServiceError as exc:
                column = {"issuer": "issuer_code", "signer_name": "signer"}.get(
                    exc.field or "", exc.field or "number"
                )
                report.refuse_error(number, column, getattr(row, column, ""), exc)
                continue
            slot = (unit.id, row.term, counter, row.number)
            first = seen_numbers.setdefault(slot, number)
            if first != number:
                report.refuse(
                    number,
                    "number",
                    row.number,
                    "document.number_taken",
                    _("Row %(row)d uses this number of the same counter in this term.")
                    % {"row": first},
                )
                continue
            if not ctx.writing:
                report.created += 1  # would have been: the report counts it, nothing is kept
                continue
            try:
                if term.pk is None:
                    term = term_create(
                        actor=ctx.actor,
                        unit=OrgUnit.objects.get(pk=unit.id),
                        start=term.start,
                        end=term.end,
                        label=term.label,
                        approximate=True,
                    )
                    terms[(unit.id, row.term)] = term
                document_register(
                    actor=ctx.actor,
                    issuer=OrgUnit.objects.get(pk=unit.id),
                    type=row.type,
                    term=term,
                    number=row.number,
                    date=row.date,
                    title=row.title,
                    abstract=row.abstract,
                    signer_name=row.signer,
                    signer_position=row.signer_position,
                    confidentiality=confidentiality,
                    status=status,
                    language=row.language or "vi",
                    symbol=row.symbol
                    or render_symbol(row.number, doc_type.code, term.issuer_symbol),
                )
            except ServiceError as exc:
                column = {"issuer_symbol": "term", "end": "term", "start": "term"}.get(
                    exc.field or "", exc.field or "number"
                )
                report.refuse_error(number, column, getattr(row, column, ""), exc)
                continue
            report.created += 1
            report.rows_written += 1
        report.rows_checked += len(chunk)


def _compare(
    ctx: ImportContext,
    number: int,
    row: Any,
    existing: Document,
    confidentiality: str,
    status: str,
    term: Term,
) -> None:
    """A row naming a registered document: unchanged when it says the same, else refused."""
    try:
        code = document_type(row.type).code
    except ServiceError as exc:
        ctx.report.refuse_error(number, "type", row.type, exc)
        return
    said = {
        "date": row.date,
        "title": row.title,
        "signer_name": row.signer,
        "signer_position": row.signer_position,
        "confidentiality": confidentiality,
        "status": status,
        "symbol": row.symbol or render_symbol(row.number, code, term.issuer_symbol),
        "abstract": row.abstract,
        "language": row.language or "vi",
    }
    differs = [f for f in COMPARED if said[f] != getattr(existing, f)]
    if not differs:
        ctx.report.unchanged += 1
        return
    column = {"signer_name": "signer"}.get(differs[0], differs[0])
    ctx.report.refuse(
        number,
        column,
        getattr(row, column, ""),
        "import.document_differs",
        _(
            "%(symbol)s is registered with another %(fields)s; the import does not change registered documents."
        )
        % {"symbol": existing.symbol, "fields": ", ".join(differs)},
    )
