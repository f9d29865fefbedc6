"""Writes on the register: terms opened and closed, documents registered, their status
changed, links between documents, files attached. Each is one transaction, checks the rule
set (`documents/selectors.py`: `document_check`, the same check the import asks) and writes
its audit entry; a refusal writes nothing. Who may do what is the caller's check (the API:
`may_issue`, `may_read_level`), as in the other apps."""

from __future__ import annotations

import datetime as dt
from typing import IO, Any

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record, snapshot
from cadrebook.core.errors import ServiceError
from cadrebook.core.rules import current_ruleset
from cadrebook.documents import storage
from cadrebook.documents.choices import LINK_STATUS, Confidentiality, FileKind, LinkKind, Status
from cadrebook.documents.models import (
    Document,
    DocumentFile,
    DocumentLink,
    DocumentStatusChange,
    Term,
)
from cadrebook.documents.numbering import (
    document_type,
    file_limits,
    file_violation,
    issuer_code_of_kind,
    render_symbol,
    violation,
)
from cadrebook.documents.selectors import (
    TITLE_MAX_LENGTH,
    counter_for,
    document_check,
    replacement_cycle,
    suggest_number,
    symbol_key,
)
from cadrebook.documents.word_keys import area_of, pdf_text, write_words
from cadrebook.orgs.models import OrgUnit

TERM_FIELDS = ["unit", "label", "start", "end", "congress", "issuer_symbol", "approximate"]
DOCUMENT_FIELDS = [
    "issuer",
    "type",
    "counter",
    "term",
    "number",
    "date",
    "symbol",
    "symbol_legacy",
    "title",
    "abstract",
    "signer_name",
    "signer_position",
    "confidentiality",
    "status",
    "language",
]
FILE_FIELDS = ["document", "kind", "original_name", "content_type", "size", "sha256"]
# A status only moves this way through links: a document revoked is not "amended" later.
STATUS_RANK = {
    Status.DRAFT: 0,
    Status.ISSUED: 1,
    Status.AMENDED: 2,
    Status.REPLACED: 3,
    Status.REVOKED: 4,
}
PDF_MAGIC = b"%PDF-"


def _by(actor: Any) -> Any:
    return actor if getattr(actor, "pk", None) else None


# Terms ---------------------------------------------------------------------------------------
def term_create(
    *,
    actor: Any,
    unit: OrgUnit,
    start: dt.date,
    end: dt.date | None = None,
    label: str = "",
    congress: bool = False,
    issuer_symbol: str = "",
    approximate: bool = False,
) -> Term:
    """Open a term of `unit` (or record a congress, `congress`): from `start` to `end` (None
    while it runs). The label defaults to its years ("2020-2025", the planned end by the
    rule set's term length while it runs), the issuer's printed code to the one the rule set
    gives the unit's kind. Refused: an end before the start, a label taken, a committee term
    overlapping another of the unit (congresses and approximate terms may overlap)."""
    rules = current_ruleset()
    if end is not None and end < start:
        raise ServiceError(
            "term.end_before_start", _("A term cannot end before it starts."), field="end"
        )
    if not label:
        last = end.year if end else start.year + rules.int("organization.term_years")
        label = f"{start.year}-{last}"
    issuer_symbol = issuer_symbol.strip() or issuer_code_of_kind(unit.kind, rules)
    if not issuer_symbol:
        raise violation(
            "term.issuer_code_missing",
            _("The rule set gives no printed code for a unit of kind %(kind)s; name one.")
            % {"kind": unit.kind},
            field="issuer_symbol",
        )
    with transaction.atomic():
        OrgUnit.objects.select_for_update().filter(pk=unit.pk).first()  # one term at a time
        if Term.objects.filter(unit=unit, label=label).exists():
            raise ServiceError(
                "term.label_taken",
                _("%(unit)s already has a term %(label)s.") % {"unit": unit.code, "label": label},
                field="label",
            )
        if not congress and not approximate:
            overlapping = Term.objects.filter(unit=unit, congress=False, approximate=False).filter(
                Q(end__isnull=True) | Q(end__gte=start)
            )
            if end is not None:
                overlapping = overlapping.filter(start__lte=end)
            other = overlapping.first()
            if other is not None:
                raise violation(
                    "term.overlaps",
                    _("The term overlaps the term %(label)s of %(unit)s; close that one first.")
                    % {"label": other.label, "unit": unit.code},
                    field="start",
                )
        term = Term.objects.create(
            unit=unit,
            label=label,
            start=start,
            end=end,
            congress=congress,
            issuer_symbol=issuer_symbol,
            approximate=approximate,
            created_by=_by(actor),
        )
        audit_record(
            actor=actor,
            obj=term,
            action="create",
            event_type="term.created",
            unit=unit,
            after=snapshot(term, TERM_FIELDS),
        )
    return term


def term_close(*, actor: Any, term: Term, end: dt.date) -> Term:
    """Close a running term on `end` (the day its next congress closes). Refused when it is
    closed already, ends before it starts, or holds documents dated after `end`."""
    with transaction.atomic():
        term = Term.objects.select_for_update().select_related("unit").get(pk=term.pk)
        if term.end is not None:
            raise ServiceError(
                "term.closed", _("The term %(label)s is closed.") % {"label": term.label}
            )
        if end < term.start:
            raise ServiceError(
                "term.end_before_start", _("A term cannot end before it starts."), field="end"
            )
        later = term.documents.filter(date__gt=end).order_by("date").first()
        if later is not None:
            raise violation(
                "document.date_outside_term",
                _("%(symbol)s of %(date)s would fall after the end of the term.")
                % {"symbol": later.symbol, "date": later.date.isoformat()},
                field="end",
            )
        before = snapshot(term, TERM_FIELDS)
        Term.objects.filter(pk=term.pk).update(end=end)
        term.refresh_from_db()
        audit_record(
            actor=actor,
            obj=term,
            action="update",
            event_type="term.closed",
            unit=term.unit,
            before=before,
            after=snapshot(term, TERM_FIELDS),
        )
    return term


# Documents -----------------------------------------------------------------------------------
def document_register(
    *,
    actor: Any,
    issuer: OrgUnit,
    type: str,
    term: Term,
    date: dt.date,
    title: str,
    number: int | None = None,
    abstract: str = "",
    signer_name: str = "",
    signer_position: str = "",
    confidentiality: str = Confidentiality.NONE,
    status: str = Status.ISSUED,
    language: str = "vi",
    symbol: str = "",
) -> Document:
    """Register a document of `issuer` in `term`: numbered `number`, or the next number of
    its counter when None. Its symbol is rendered from the parts by the rule set, unless a
    printed `symbol` is given that differs (a legacy code such as "QĐi" or "HU"): that one is
    kept verbatim. Refused: an unknown type, a date outside the term, a number already used
    in its counter (see `document_check`)."""
    title = title.strip()[:TITLE_MAX_LENGTH]
    with transaction.atomic():
        # Numbers of one term are handed out one at a time.
        Term.objects.select_for_update().filter(pk=term.pk).first()
        if number is None:
            number = suggest_number(
                issuer, counter_for(term, document_type(type), confidentiality), term
            )
        doc_type, counter = document_check(
            issuer=issuer,
            type_code=type,
            term=term,
            number=number,
            date=date,
            title=title,
            confidentiality=confidentiality,
            status=status,
        )
        rendered = render_symbol(number, doc_type.code, term.issuer_symbol)
        printed = symbol.strip() or rendered
        document = Document.objects.create(
            issuer=issuer,
            type=type,
            counter=counter,
            term=term,
            number=number,
            date=date,
            symbol=printed,
            symbol_legacy=printed != rendered,
            title=title,
            abstract=abstract,
            signer_name=signer_name.strip(),
            signer_position=signer_position.strip(),
            confidentiality=confidentiality,
            status=status,
            language=language or "vi",
            symbol_norm=symbol_key(printed)[:64],
            area=area_of(issuer),
            created_by=_by(actor),
        )
        DocumentStatusChange.objects.create(
            document=document, status_to=status, date=date, created_by=_by(actor)
        )
        write_words(document)
        audit_record(
            actor=actor,
            obj=document,
            action="create",
            event_type="document.registered",
            unit=issuer,
            after=snapshot(document, DOCUMENT_FIELDS),
        )
    return document


def _set_status(
    actor: Any,
    document: Document,
    status: str,
    date: dt.date,
    reason: str = "",
    by_document: Document | None = None,
) -> None:
    before = snapshot(document, DOCUMENT_FIELDS)
    previous = document.status
    Document.objects.filter(pk=document.pk).update(status=status)
    document.refresh_from_db()
    DocumentStatusChange.objects.create(
        document=document,
        status_from=previous,
        status_to=status,
        date=date,
        reason=reason[:255],
        by_document=by_document,
        created_by=_by(actor),
    )
    audit_record(
        actor=actor,
        obj=document,
        action="update",
        event_type="document.status_changed",
        unit=document.issuer,
        before=before,
        after=snapshot(document, DOCUMENT_FIELDS),
    )


def document_set_status(
    *, actor: Any, document: Document, status: str, date: dt.date, reason: str = ""
) -> Document:
    """Change a document's status (issue a draft; amend, replace or revoke it by a decision
    not in the register), appending it to the document's history. Refused: an unknown
    status, the status it has, a return to draft, a date before the document's."""
    if status not in Status.values:
        raise ServiceError(
            "document.status_unknown",
            _("%(value)s is not a status of a document; known: %(known)s.")
            % {"value": status, "known": ", ".join(Status.values)},
            field="status",
        )
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("issuer").get(pk=document.pk)
        if document.status == status:
            raise ServiceError(
                "document.status_unchanged",
                _("The document is %(status)s already.")
                % {"status": document.get_status_display()},
                field="status",
            )
        if status == Status.DRAFT:
            raise ServiceError(
                "document.back_to_draft",
                _("A document issued cannot become a draft again."),
                field="status",
            )
        if date < document.date:
            raise ServiceError(
                "document.status_before_date",
                _("The status cannot change before the document's date (%(date)s).")
                % {"date": document.date.isoformat()},
                field="date",
            )
        _set_status(actor, document, status, date, reason)
    return document


def document_link(*, actor: Any, source: Document, target: Document, kind: str) -> DocumentLink:
    """Record that `source` implements, guides, amends, replaces or revokes `target`. Amending,
    replacing and revoking change the target's status (on the source's date, with history),
    never back: a revoked document is not "amended" later. Refused: a link to itself, the
    same link twice, a replacement that would close a cycle of replacements."""
    if kind not in LinkKind.values:
        raise ServiceError(
            "document.link_kind_unknown",
            _("%(value)s is not a kind of link; known: %(known)s.")
            % {"value": kind, "known": ", ".join(LinkKind.values)},
            field="kind",
        )
    if source.pk == target.pk:
        raise ServiceError(
            "document.link_to_itself", _("A document cannot refer to itself."), field="target"
        )
    with transaction.atomic():
        # Both locked in id order: two links written at once cannot deadlock.
        locked = {
            d.pk: d
            for d in Document.objects.select_for_update()
            .select_related("issuer")
            .filter(pk__in=sorted([source.pk, target.pk]))
            .order_by("pk")
        }
        source, target = locked[source.pk], locked[target.pk]
        if DocumentLink.objects.filter(source=source, target=target, kind=kind).exists():
            raise ServiceError(
                "document.link_exists",
                _("%(source)s already %(kind)s %(target)s.")
                % {"source": source.symbol, "kind": LinkKind(kind).label, "target": target.symbol},
                field="target",
            )
        if kind == LinkKind.REPLACES and replacement_cycle(source, target):
            raise violation(
                "document.replacement_cycle",
                _(
                    "%(target)s already replaces %(source)s (directly or through others): a document cannot replace what replaces it."
                )
                % {"source": source.symbol, "target": target.symbol},
                field="target",
            )
        link = DocumentLink.objects.create(
            source=source, target=target, kind=kind, created_by=_by(actor)
        )
        audit_record(
            actor=actor,
            obj=link,
            action="create",
            event_type="document.linked",
            unit=source.issuer,
            after={"source": source.pk, "target": target.pk, "kind": kind},
        )
        new_status = LINK_STATUS.get(LinkKind(kind))
        if new_status is not None and STATUS_RANK[Status(target.status)] < STATUS_RANK[new_status]:
            _set_status(
                actor,
                target,
                new_status,
                max(source.date, target.date),
                reason=source.symbol,
                by_document=source,
            )
    return link


def _pdf_name(name: str) -> str:
    """The name a stored PDF downloads under: as uploaded, ending in ".pdf" whatever it
    ended in ("x.exe" that is a PDF downloads as "x.exe.pdf", not as a program)."""
    name = (name or "document").strip() or "document"
    if not name.lower().endswith(".pdf"):
        name += ".pdf"
    return name[-255:]


def _is_pdf(head: bytes) -> bool:
    return head.startswith(PDF_MAGIC)


def document_attach(
    *,
    actor: Any,
    document: Document,
    source: IO[bytes],
    original_name: str,
    content_type: str,
    kind: str = FileKind.ATTACHMENT,
) -> DocumentFile:
    """Keep a file of `document` (its signed PDF, or an attachment) with its checksum.
    Refused: a content type the rule set does not accept or a file whose first bytes are not
    of that type (a PDF starts with "%PDF-"), a file larger than the rule set's limit, a
    second signed file."""
    types, limit = file_limits()
    if kind not in FileKind.values:
        raise ServiceError(
            "document.file_kind_unknown",
            _("%(value)s is not a kind of file; known: %(known)s.")
            % {"value": kind, "known": ", ".join(FileKind.values)},
            field="kind",
        )
    bare_type = (content_type or "").split(";")[0].strip().lower()
    not_accepted = file_violation(
        "document.file_type",
        _("Only these files are kept: %(types)s.") % {"types": ", ".join(types)},
        field="file",
    )
    if bare_type not in types:
        raise not_accepted
    with transaction.atomic():
        document = Document.objects.select_for_update().select_related("issuer").get(pk=document.pk)
        if kind == FileKind.SIGNED and document.files.filter(kind=FileKind.SIGNED).exists():
            raise ServiceError(
                "document.signed_file_exists",
                _("The document has its signed file; add others as attachments."),
                field="kind",
            )
        try:
            sha, size = storage.store(source, limit=limit, accept=_is_pdf)
        except storage.NotAccepted:
            raise not_accepted from None
        except storage.TooLarge:
            raise file_violation(
                "file.too_large",
                _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)},
                field="file",
            ) from None
        row = DocumentFile.objects.create(
            document=document,
            kind=kind,
            original_name=_pdf_name(original_name),
            content_type=bare_type,
            size=size,
            sha256=sha,
            text=pdf_text(storage.path_of(sha)),
            created_by=_by(actor),
        )
        if row.text:
            write_words(document)
        audit_record(
            actor=actor,
            obj=row,
            action="create",
            event_type="document.file_attached",
            unit=document.issuer,
            after=snapshot(row, FILE_FIELDS),
        )
    return row


def document_file_read(*, actor: Any, file: DocumentFile) -> IO[bytes]:
    """Open a document's file for its reader (the caller has checked that `actor` may read
    the document); the read is audited, as every read of a register's content is."""
    handle = storage.path_of(file.sha256).open("rb")
    audit_record(
        actor=actor,
        obj=file,
        action="read",
        event_type="document.file_downloaded",
        unit=file.document.issuer,
        after={"document": file.document_id, "sha256": file.sha256},
    )
    return handle
