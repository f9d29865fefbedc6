"""API of the register of documents (`/api/v1/documents`): the list with its filters and the
registration, one document with its links both ways, its history and its files, links,
uploads and the scoped download of a file; the issuers' terms, the next number of a counter
and the numbers missing from it.

Documents are scoped by their issuer: one issued outside the caller's scope answers 404, like
a missing one, and so does a restricted or secret document for a role without the grant
(lists show it with its title, abstract and files masked). Writes need `issue_documents` on
the issuer (403 otherwise).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal, cast

from django.http import FileResponse, HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from cadrebook.core.api_toolkit import (
    API_ROOT,
    ApiDate,
    answers,
    date_cursor,
    forbidden,
    found,
    read_date_cursor,
)
from cadrebook.core.errors import ServiceError
from cadrebook.core.normalize import SEARCH_MAX_LENGTH
from cadrebook.core.permissions import VIEW
from cadrebook.documents.citations import citing_records
from cadrebook.documents.models import Document, DocumentFile, DocumentLink, Term
from cadrebook.documents.numbering import printed_symbol
from cadrebook.documents.selectors import (
    document_links,
    masking,
    may_issue,
    may_read_level,
    number_gaps,
    readable_documents,
    search_documents,
    suggest_number_for,
    term_on,
    unit_terms,
)
from cadrebook.documents.services import (
    document_attach,
    document_file_read,
    document_link,
    document_register,
    document_set_status,
    term_close,
    term_create,
)
from cadrebook.orgs.models import OrgUnit

router = Router(tags=["documents"])
PAGE = 50

StatusCode = Literal["draft", "issued", "amended", "replaced", "revoked"]
ConfidentialityCode = Literal["none", "restricted", "secret"]
LinkCode = Literal["implements", "guides", "amends", "replaces", "revokes"]


# Shapes ------------------------------------------------------------------------------------
class DocumentOut(Schema):
    id: int
    issuer: str = Field(..., description="Code of the issuing unit")
    type: str = Field(..., description="Type of the rule set, e.g. decision")
    term: str = Field(..., description="Label of the issuer's term, e.g. 2020-2025")
    number: int
    symbol: str = Field(..., description="As printed, e.g. 28-NQ/TU")
    symbol_legacy: bool = Field(..., description="Kept verbatim from an older numbering")
    printed: str = Field(..., description="With its number, e.g. Số 28-NQ/TU")
    date: dt.date
    title: str | None = Field(..., description="null when masked")
    abstract: str | None = Field(..., description="null when masked")
    signer_name: str
    signer_position: str
    confidentiality: ConfidentialityCode
    status: StatusCode
    language: str
    masked: bool = Field(..., description="Restricted or secret for the caller's role")


class DocumentCountsOut(Schema):
    """The figure "documents" of the statistics (`documents/contributions.py`)."""

    by_type: dict[str, int] = Field(
        ..., description="Type -> documents the subtree's units issued in the period"
    )


class DocumentPage(Schema):
    items: list[DocumentOut]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page")


class LinkOut(Schema):
    kind: LinkCode
    direction: Literal["out", "in"] = Field(
        ..., description="out: this document <kind> the other; in: the other <kind> this one"
    )
    document: int = Field(..., description="Id of the other document")
    symbol: str
    created_at: dt.datetime


class StatusOut(Schema):
    status_from: str
    status_to: StatusCode
    date: dt.date
    reason: str
    by_document: int | None


class FileOut(Schema):
    id: int
    kind: Literal["signed", "attachment"]
    original_name: str
    content_type: str
    size: int
    sha256: str
    created_at: dt.datetime
    url: str = Field(..., description="The scoped download")


class CitationOut(Schema):
    kind: str = Field(..., description="The kind of record, e.g. member_event")
    label: str = Field(..., description="What the record is, e.g. Admitted (probationary): …")
    date: dt.date
    url: str | None = Field(..., description="The page that shows it, if the caller may open one")


class DocumentDetailOut(DocumentOut):
    links: list[LinkOut]
    history: list[StatusOut]
    files: list[FileOut]
    cited_by: list[CitationOut] = Field(
        ..., description="The records resting on it that the caller may see, latest first"
    )


class DocumentQuery(Schema):
    unit: str | None = Field(None, description="Only documents issued in this unit's subtree")
    q: str | None = Field(
        None,
        max_length=SEARCH_MAX_LENGTH,
        description="Words of the symbol, title or abstract (accents optional)",
    )
    type: str | None = Field(None, max_length=32)
    term: str | None = Field(None, max_length=32, description="A term's label, e.g. 2020-2025")
    date_from: ApiDate | None = None
    date_to: ApiDate | None = None
    status: StatusCode | None = None
    cursor: str = Field("", max_length=64)


class DocumentIn(Schema):
    issuer: str = Field(..., max_length=32, description="Code of the issuing unit")
    type: str = Field(..., max_length=32, description="Type of the rule set, e.g. decision")
    term: str = Field(
        "", max_length=32, description="The issuer's term (label); default: the one of the date"
    )
    number: int | None = Field(
        None, ge=1, le=2_147_483_647, description="Default: the next of its counter"
    )
    date: ApiDate
    title: str = Field(..., min_length=1, max_length=500)
    abstract: str = Field("", max_length=20000)
    signer_name: str = Field("", max_length=255)
    signer_position: str = Field("", max_length=255)
    confidentiality: ConfidentialityCode = "none"
    status: StatusCode = "issued"
    language: str = Field("vi", min_length=2, max_length=8)
    symbol: str = Field("", max_length=64, description="A printed legacy symbol, kept verbatim")


class StatusIn(Schema):
    status: StatusCode
    date: ApiDate
    reason: str = Field("", max_length=255)


class LinkIn(Schema):
    target: int = Field(..., ge=1, le=2**62, description="Id of the document this one refers to")
    kind: LinkCode


class TermOut(Schema):
    id: int
    unit: str
    label: str
    start: dt.date
    end: dt.date | None
    congress: bool
    issuer_symbol: str
    approximate: bool


class TermIn(Schema):
    unit: str = Field(..., max_length=32)
    start: ApiDate
    end: ApiDate | None = None
    label: str = Field("", max_length=32)
    congress: bool = False
    issuer_symbol: str = Field("", max_length=16)


class TermCloseIn(Schema):
    end: ApiDate


class NextNumberOut(Schema):
    number: int
    symbol: str
    printed: str


class NumberQuery(Schema):
    issuer: str = Field(..., max_length=32)
    type: str = Field(..., max_length=32)
    term: str = Field("", max_length=32, description="Default: the term running today")
    confidentiality: ConfidentialityCode = "none"


class GapsQuery(Schema):
    issuer: str = Field(..., max_length=32)
    term: str = Field(..., max_length=32)


# Helpers -----------------------------------------------------------------------------------
def document_out(document: Document, masked: bool) -> dict[str, Any]:
    """A document as the API answers it, masked or not (also for the other apps' pages)."""
    return {
        "id": document.pk,
        "issuer": document.issuer.code,
        "type": document.type,
        "term": document.term.label,
        "number": document.number,
        "symbol": document.symbol,
        "symbol_legacy": document.symbol_legacy,
        "printed": printed_symbol(document.symbol),
        "date": document.date,
        "title": None if masked else document.title,
        "abstract": None if masked else document.abstract,
        "signer_name": document.signer_name,
        "signer_position": document.signer_position,
        "confidentiality": document.confidentiality,
        "status": document.status,
        "language": document.language,
        "masked": masked,
    }


def _file_out(file: DocumentFile) -> dict[str, Any]:
    return {
        "id": file.pk,
        "kind": file.kind,
        "original_name": file.original_name,
        "content_type": file.content_type,
        "size": file.size,
        "sha256": file.sha256,
        "created_at": file.created_at,
        "url": f"{API_ROOT}/documents/{file.document_id}/files/{file.pk}",
    }


def _links_out(document: Document, user: Any) -> list[dict[str, Any]]:
    links = document_links(document, user)
    rows: list[dict[str, Any]] = []
    for direction, items in (("out", links["out"]), ("in", links["in"])):
        for link in items:
            other = link.target if direction == "out" else link.source
            rows.append(
                {
                    "kind": link.kind,
                    "direction": direction,
                    "document": other.pk,
                    "symbol": other.symbol,
                    "created_at": link.created_at,
                }
            )
    return rows


def _unit(request: HttpRequest, code: str) -> OrgUnit:
    return cast(OrgUnit, found(OrgUnit.objects.visible_to(request.user, VIEW), code=code))


def _issuing_unit(request: HttpRequest, code: str) -> OrgUnit:
    """A unit the caller may see (else 404) and issue documents for (else 403)."""
    unit = _unit(request, code)
    if not may_issue(request.user, unit):
        raise forbidden()
    return unit


def _document(request: HttpRequest, document_id: int) -> Document:
    """A document the caller may read: in scope and, when confidential, granted (else 404)."""
    return cast(Document, found(readable_documents(request.user), pk=document_id))


def _issuing_document(request: HttpRequest, document_id: int) -> Document:
    document = _document(request, document_id)
    if not may_issue(request.user, document.issuer):
        raise forbidden()
    return document


def _term(unit: OrgUnit, label: str) -> Term:
    term = Term.objects.filter(unit=unit, label=label).first()
    if term is None:
        raise ServiceError(
            "document.term_unknown",
            _("%(unit)s has no term %(label)s.") % {"unit": unit.code, "label": label},
            field="term",
        )
    return term


def _term_for(unit: OrgUnit, label: str, day: dt.date) -> Term:
    if label:
        return _term(unit, label)
    term = term_on(unit, day)
    if term is None:
        raise ServiceError(
            "document.term_unknown",
            _("%(unit)s has no term on %(date)s; open one first.")
            % {"unit": unit.code, "date": day.isoformat()},
            field="term",
        )
    return term


# Terms and numbers -------------------------------------------------------------------------
def _term_out(term: Term) -> dict[str, Any]:
    return {
        "id": term.pk,
        "unit": term.unit.code,
        "label": term.label,
        "start": term.start,
        "end": term.end,
        "congress": term.congress,
        "issuer_symbol": term.issuer_symbol,
        "approximate": term.approximate,
    }


@router.get("/terms", response=answers({200: list[TermOut]}), summary="A unit's terms")
def list_terms(request: HttpRequest, unit: str = Query(..., max_length=32)) -> list[Any]:
    """The unit's terms (and congresses), latest first."""
    found_unit = _unit(request, unit)
    return [_term_out(t) for t in unit_terms(found_unit).select_related("unit")]


@router.post("/terms", response=answers({201: TermOut}), summary="Open a term")
def create_term(request: HttpRequest, response: HttpResponse, payload: TermIn) -> Any:
    """A term of the unit (or a congress, with `congress`); its label defaults to its years,
    the issuer's printed code to the rule set's for the unit's kind."""
    term = term_create(
        actor=request.user,
        unit=_issuing_unit(request, payload.unit),
        start=payload.start,
        end=payload.end,
        label=payload.label.strip(),
        congress=payload.congress,
        issuer_symbol=payload.issuer_symbol,
    )
    response["Location"] = f"{API_ROOT}/documents/terms/{term.pk}"
    return Status(201, _term_out(term))


@router.get("/terms/{term_id}", response=answers({200: TermOut}), summary="One term")
def get_term(request: HttpRequest, term_id: int) -> Any:
    term = found(Term.objects.visible_to(request.user, VIEW).select_related("unit"), pk=term_id)
    return _term_out(term)


@router.post("/terms/{term_id}/close", response=answers({200: TermOut}), summary="Close a term")
def close_term(request: HttpRequest, term_id: int, payload: TermCloseIn) -> Any:
    term = found(Term.objects.visible_to(request.user, VIEW).select_related("unit"), pk=term_id)
    if not may_issue(request.user, term.unit):
        raise forbidden()
    return _term_out(term_close(actor=request.user, term=term, end=payload.end))


@router.get(
    "/next-number", response=answers({200: NextNumberOut}), summary="The next number of a counter"
)
def next_number(request: HttpRequest, query: Query[NumberQuery]) -> Any:
    """What a document of that type would be numbered, and its symbol, if registered now."""
    unit = _unit(request, query.issuer)
    term = _term_for(unit, query.term, timezone.localdate())
    number, symbol = suggest_number_for(unit, query.type, term, query.confidentiality)
    return {"number": number, "symbol": symbol, "printed": printed_symbol(symbol)}


@router.get(
    "/gaps", response=answers({200: dict[str, list[int]]}), summary="Numbers missing in a term"
)
def gaps(request: HttpRequest, query: Query[GapsQuery]) -> Any:
    """Counter -> the numbers missing below its highest in the issuer's term (1, 2, 4: 3)."""
    unit = _unit(request, query.issuer)
    return number_gaps(unit, _term(unit, query.term))


# Documents ---------------------------------------------------------------------------------
@router.get("", response=answers({200: DocumentPage}), summary="The register, filtered")
def list_documents(request: HttpRequest, query: Query[DocumentQuery]) -> dict[str, Any]:
    """Documents issued in the caller's scope (in `unit`'s subtree when given), latest first,
    50 a page; restricted and secret ones the caller's role may not read are listed with
    their title and abstract masked, and found by their symbol only."""
    unit = _unit(request, query.unit) if query.unit else None
    documents = search_documents(
        request.user,
        unit=unit,
        q=query.q or "",
        type_code=query.type or "",
        term=query.term or "",
        date_from=query.date_from,
        date_to=query.date_to,
        status=query.status or "",
        after=read_date_cursor(query.cursor),
        limit=PAGE + 1,
    )
    rows = list(documents[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    last = rows[-1] if more and rows else None
    masked = masking(request.user)
    return {
        "items": [document_out(d, masked(d)) for d in rows],
        "next_cursor": date_cursor(last.date, last.pk) if last else None,
    }


@router.post("", response=answers({201: DocumentOut}), summary="Register a document")
def register_document(request: HttpRequest, response: HttpResponse, payload: DocumentIn) -> Any:
    """Numbered `number`, or the next of its counter; in the issuer's term that covers its
    date unless `term` names one. A restricted or secret document needs the grant to read
    it."""
    issuer = _issuing_unit(request, payload.issuer)
    if not may_read_level(request.user, issuer, payload.confidentiality):
        raise forbidden()
    document = document_register(
        actor=request.user,
        issuer=issuer,
        type=payload.type,
        term=_term_for(issuer, payload.term, payload.date),
        number=payload.number,
        date=payload.date,
        title=payload.title,
        abstract=payload.abstract,
        signer_name=payload.signer_name,
        signer_position=payload.signer_position,
        confidentiality=payload.confidentiality,
        status=payload.status,
        language=payload.language,
        symbol=payload.symbol,
    )
    response["Location"] = f"{API_ROOT}/documents/{document.pk}"
    return Status(201, document_out(document, False))


@router.get("/{document_id}", response=answers({200: DocumentDetailOut}), summary="One document")
def get_document(request: HttpRequest, document_id: int) -> Any:
    """The document, its links both ways, its history of statuses, its files, and the
    records that rest on it (`cited_by`: member events today), those the caller may see."""
    document = _document(request, document_id)
    return {
        **document_out(document, False),
        "links": _links_out(document, request.user),
        "history": [
            {
                "status_from": s.status_from,
                "status_to": s.status_to,
                "date": s.date,
                "reason": s.reason,
                "by_document": s.by_document_id,
            }
            for s in document.statuses.order_by("id")
        ],
        "files": [_file_out(f) for f in document.files.order_by("id")],
        "cited_by": [
            {"kind": c.kind, "label": c.label, "date": c.date, "url": c.url}
            for c in citing_records(document, request.user)
        ],
    }


@router.post(
    "/{document_id}/status", response=answers({200: DocumentOut}), summary="Change its status"
)
def set_status(request: HttpRequest, document_id: int, payload: StatusIn) -> Any:
    document = document_set_status(
        actor=request.user,
        document=_issuing_document(request, document_id),
        status=payload.status,
        date=payload.date,
        reason=payload.reason,
    )
    return document_out(document, False)


@router.get("/{document_id}/links", response=answers({200: list[LinkOut]}), summary="Its links")
def list_links(request: HttpRequest, document_id: int) -> Any:
    """What this document implements, guides, amends, replaces or revokes ("out"), and what
    does so to it ("in"); links to documents outside the caller's scope are left out."""
    return _links_out(_document(request, document_id), request.user)


@router.post("/{document_id}/links", response=answers({201: LinkOut}), summary="Link a document")
def create_link(
    request: HttpRequest, response: HttpResponse, document_id: int, payload: LinkIn
) -> Any:
    """This document <kind> the target; amending, replacing and revoking change the target's
    status, with history. A cycle of replacements is refused."""
    source = _issuing_document(request, document_id)
    target = found(readable_documents(request.user), pk=payload.target)
    link: DocumentLink = document_link(
        actor=request.user, source=source, target=target, kind=payload.kind
    )
    response["Location"] = f"{API_ROOT}/documents/{source.pk}/links"
    return Status(
        201,
        {
            "kind": link.kind,
            "direction": "out",
            "document": target.pk,
            "symbol": target.symbol,
            "created_at": link.created_at,
        },
    )


@router.get("/{document_id}/files", response=answers({200: list[FileOut]}), summary="Its files")
def list_files(request: HttpRequest, document_id: int) -> Any:
    document = _document(request, document_id)
    return [_file_out(f) for f in document.files.order_by("id")]


@router.post("/{document_id}/files", response=answers({201: FileOut}), summary="Attach a file")
def upload_file(
    request: HttpRequest,
    response: HttpResponse,
    document_id: int,
    file: File[UploadedFile],
    kind: Form[Literal["signed", "attachment"]] = "attachment",
) -> Any:
    """The signed PDF (one) or an attachment; the rule set's types (checked by the file's
    first bytes too) and size limit; kept with its SHA-256, outside any public URL."""
    document = _issuing_document(request, document_id)
    row = document_attach(
        actor=request.user,
        document=document,
        source=file,
        original_name=file.name or "document.pdf",
        content_type=file.content_type or "",
        kind=kind,
    )
    response["Location"] = f"{API_ROOT}/documents/{document.pk}/files/{row.pk}"
    return Status(201, _file_out(row))


@router.get(
    "/{document_id}/files/{file_id}",
    response=answers({200: None}),
    summary="Download a file",
    openapi_extra={
        "responses": {
            200: {"description": "The file", "content": {"application/pdf": {"schema": {}}}}
        }
    },
)
def download_file(request: HttpRequest, document_id: int, file_id: int) -> Any:
    """The file itself, to a caller who may read the document (else 404); audited."""
    document = _document(request, document_id)
    row = found(document.files.select_related("document__issuer"), pk=file_id)
    handle = document_file_read(actor=request.user, file=row)
    return FileResponse(
        handle, as_attachment=True, filename=row.original_name, content_type=row.content_type
    )
