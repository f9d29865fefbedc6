"""The register's pages: a unit's register (filters, pages, the numbers missing from its
running term, the printed register as PDF), registering a document with its suggested number,
a document's page (history, links both ways, files, the records that cite it), and a unit's
terms (opening one, closing the running one after a confirmation).

Scoped as the API is (`documents/api.py`): a unit or a document out of the user's reach, or
a confidential document without the grant, answers 404 like a missing one; a write needs
`issue_documents` on the issuer (403 otherwise) and goes through the services, whose refusals
are shown on the form with nothing written."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cadrebook.core.audit import audit_record
from cadrebook.core.errors import ServiceError
from cadrebook.core.forms import Submitted, add_refusal, submit
from cadrebook.core.permissions import VIEW
from cadrebook.documents import pdf
from cadrebook.documents.choices import Confidentiality, Status, type_name
from cadrebook.documents.citations import citing_records
from cadrebook.documents.forms import (
    DocumentForm,
    LinkForm,
    RegisterFilterForm,
    StatusForm,
    TermCloseForm,
    TermForm,
    UploadForm,
)
from cadrebook.documents.models import Document, Term
from cadrebook.documents.numbering import document_types, printed_symbol
from cadrebook.documents.selectors import (
    document_links,
    masking,
    may_issue,
    may_read_level,
    number_gaps,
    readable_documents,
    search_documents,
    suggest_number_for,
    term_figures,
    term_on,
    unit_terms,
    visible_documents,
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
from cadrebook.orgs.selectors import breadcrumb

PAGE = 50


# Finding what the user may reach ----------------------------------------------------------
def _unit(request: HttpRequest, code: str) -> OrgUnit:
    """A unit in the user's scope, or 404 exactly like a unit that does not exist."""
    return get_object_or_404(OrgUnit.objects.visible_to(request.user, VIEW), code=code)


def _home_unit(request: HttpRequest) -> OrgUnit | None:
    """The unit of `?unit=`, else the shallowest the user may see (their own scope)."""
    code = request.GET.get("unit", "").strip()
    if code:
        return _unit(request, code)
    return OrgUnit.objects.visible_to(request.user, VIEW).order_by("depth", "path").first()


def _issuing_unit(request: HttpRequest, code: str) -> OrgUnit:
    unit = _unit(request, code)
    if not may_issue(request.user, unit):
        raise PermissionDenied
    return unit


def _document(request: HttpRequest, pk: int) -> Document:
    """A document the user may read: in scope and, when confidential, granted (else 404)."""
    try:
        return readable_documents(request.user).get(pk=pk)
    except Document.DoesNotExist:
        raise Http404 from None


def _current_term(unit: OrgUnit, label: str = "") -> Term | None:
    """The unit's term of that label, else the one running today, else its latest."""
    terms = unit_terms(unit)
    if label:
        return terms.filter(label=label).first()
    return term_on(unit, timezone.localdate()) or terms.first()


def _rows(request: HttpRequest, documents: list[Document]) -> list[dict[str, Any]]:
    """The register's rows: each document with whether its title is masked for the user."""
    masked = masking(request.user)
    types = {t.type: t for t in document_types().values()}
    return [
        {
            "doc": d,
            "masked": masked(d),
            "printed": printed_symbol(d.symbol),
            "code": types[d.type].code if d.type in types else d.type,
        }
        for d in documents
    ]


def _gaps(unit: OrgUnit, term: Term | None) -> list[dict[str, Any]]:
    """The numbers missing in the unit's term, per counter ("QĐ: 3 is missing")."""
    if term is None:
        return []
    return [{"counter": c, "numbers": n} for c, n in number_gaps(unit, term).items() if n]


# The register ------------------------------------------------------------------------------
def _filtered(
    request: HttpRequest,
    unit: OrgUnit,
    form: RegisterFilterForm,
    after: tuple[dt.date, int] | None,
) -> QuerySet[Document]:
    """The page of the register after `after` (and the one more document that tells there
    is a next)."""
    data = form.cleaned_data if form.is_valid() else {}
    return search_documents(
        request.user,
        unit=unit,
        q=data.get("q") or "",
        type_code=data.get("type") or "",
        term=data.get("term") or "",
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
        status=data.get("status") or "",
        after=after,
        limit=PAGE + 1,
    )


def _after(text: str) -> tuple[dt.date, int] | None:
    """The (date, id) after which a page starts (`?after=`); anything else: the first page."""
    day, _sep, pk = text.partition("~")
    try:
        if pk.isascii() and pk.isdigit() and len(pk) <= 18:
            return dt.date.fromisoformat(day), int(pk)
    except ValueError:
        pass
    return None


@login_required
def register(request: HttpRequest) -> HttpResponse:
    """A unit's register (the documents issued in its subtree, latest first, `PAGE` at a
    time): the user's own scope unless `?unit=` names another unit."""
    unit = _home_unit(request)
    if unit is None:
        return render(request, "documents/register.html", {"unit": None})
    labels = list(unit_terms(unit).values_list("label", flat=True))
    form = RegisterFilterForm(request.GET or None, terms=labels)
    after = _after(request.GET.get("after", ""))
    documents = _filtered(request, unit, form, after)
    rows = list(documents[: PAGE + 1])
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    query = request.GET.copy()
    query.pop("after", None)
    if more:
        query["after"] = f"{rows[-1].date.isoformat()}~{rows[-1].pk}"
    term = _current_term(unit, form.cleaned_data.get("term", "") if form.is_valid() else "")
    context = {
        "unit": unit,
        "crumbs": breadcrumb(unit, request.user),
        "form": form,
        "rows": _rows(request, rows),
        "next_query": query.urlencode() if more else "",
        "first_page": after is None,
        "term": term,
        "gaps": _gaps(unit, term),
        "may_issue": may_issue(request.user, unit),
    }
    if request.headers.get("HX-Request"):
        return render(request, "documents/_register_rows.html", context)
    return render(request, "documents/register.html", context)


@login_required
def register_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The printed register (the "sổ đăng ký văn bản") of a unit's term: the documents the
    unit itself issued in it, in the order of their numbers; titles masked as on the page.
    Audited like every export."""
    unit = _unit(request, code)
    term = _current_term(unit, request.GET.get("term", "").strip())
    if term is None:
        raise Http404
    documents = (
        search_documents(request.user, unit=unit, term=term.label)
        .filter(issuer=unit)
        .order_by("date", "counter", "number", "id")
    )
    rows = _rows(request, list(documents))
    audit_record(
        actor=request.user,
        obj=unit,
        action="export",
        event_type="export.document_register",
        unit=unit,
        after={"term": term.label, "rows": len(rows), "format": "pdf"},
    )
    content = pdf.register_pdf(unit, term, rows)
    response = HttpResponse(content, content_type="application/pdf")
    name = f"register-{slugify(unit.code)}-{term.label}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# Registering -------------------------------------------------------------------------------
def _levels(request: HttpRequest, unit: OrgUnit) -> list[str]:
    """The levels of confidentiality the user may register (and so read) for `unit`."""
    return [c.value for c in Confidentiality if may_read_level(request.user, unit, c.value)]


def _suggestion(unit: OrgUnit, type_code: str, term: Term | None, level: str) -> dict[str, Any]:
    """The next number and symbol of the counter, or nothing when it cannot be told."""
    if term is None or not type_code:
        return {}
    try:
        number, symbol = suggest_number_for(unit, type_code, term, level)
    except ServiceError:
        return {}
    return {"number": number, "symbol": symbol, "printed": printed_symbol(symbol)}


@login_required
def register_new(request: HttpRequest, code: str) -> HttpResponse:
    """Register a document of the unit, its number pre-filled with the next of its counter
    (asked again by htmx when the type, term or confidentiality changes)."""
    unit = _issuing_unit(request, code)
    terms = unit_terms(unit)
    term = _current_term(unit)
    first_type = next(iter(document_types()), "")
    initial: dict[str, Any] = {
        "type": first_type,
        "term": term,
        "date": timezone.localdate(),
        "confidentiality": Confidentiality.NONE,
        "language": "vi",
    }
    suggestion = _suggestion(unit, first_type, term, Confidentiality.NONE)
    initial["number"] = suggestion.get("number")
    form = DocumentForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        terms=terms,
        levels=_levels(request, unit),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            document = document_register(
                actor=request.user,
                issuer=unit,
                type=data["type"],
                term=data["term"],
                number=data.get("number"),
                date=data["date"],
                title=data["title"],
                abstract=data.get("abstract") or "",
                signer_name=data.get("signer_name") or "",
                signer_position=data.get("signer_position") or "",
                confidentiality=data["confidentiality"],
                status=data["status"],
                language=data["language"],
            )
        except ServiceError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("%(symbol)s registered.") % {"symbol": document.symbol})
            return redirect("documents:detail", pk=document.pk)
    if request.method == "POST":
        data = form.cleaned_data
        suggestion = _suggestion(
            unit, data.get("type", ""), data.get("term"), data.get("confidentiality", "none")
        )
    return render(
        request,
        "documents/new.html",
        {
            "unit": unit,
            "form": form,
            "crumbs": breadcrumb(unit, request.user),
            "suggestion": suggestion,
            "no_term": not terms.exists(),
        },
        status=422 if request.method == "POST" else 200,
    )


@login_required
def next_number(request: HttpRequest, code: str) -> HttpResponse:
    """htmx fragment: the number field, filled with the next number of the counter that the
    form's type, term and confidentiality choose."""
    unit = _issuing_unit(request, code)
    term_id = request.GET.get("term", "")
    term = unit_terms(unit).filter(pk=term_id).first() if term_id.isdigit() else None
    level = request.GET.get("confidentiality", Confidentiality.NONE)
    if level not in _levels(request, unit):
        level = Confidentiality.NONE
    suggestion = _suggestion(unit, request.GET.get("type", ""), term, level)
    form = DocumentForm(
        initial={"number": suggestion.get("number")}, terms=unit_terms(unit), levels=[]
    )
    return render(
        request,
        "documents/_number.html",
        {"unit": unit, "field": form["number"], "suggestion": suggestion},
    )


# A document ----------------------------------------------------------------------------------
def _history(request: HttpRequest, document: Document) -> list[dict[str, Any]]:
    """The document's statuses, oldest first; the later document that changed one is named
    only when the user may see it."""
    changes = list(document.statuses.select_related("by_document").order_by("id"))
    by_ids = {c.by_document_id for c in changes if c.by_document_id}
    visible = set(
        visible_documents(request.user).filter(pk__in=by_ids).values_list("pk", flat=True)
    )
    return [
        {
            "change": c,
            "status_from": Status(c.status_from).label if c.status_from in Status.values else "",
            "by": c.by_document if c.by_document_id in visible else None,
        }
        for c in changes
    ]


def _detail_context(request: HttpRequest, document: Document, **forms: Any) -> dict[str, Any]:
    links = document_links(document, request.user)
    issuing = may_issue(request.user, document.issuer)
    context: dict[str, Any] = {
        "document": document,
        "unit": document.issuer,
        "crumbs": breadcrumb(document.issuer, request.user),
        "printed": printed_symbol(document.symbol),
        "code": next(
            (t.code for t in document_types().values() if t.type == document.type), document.type
        ),
        "type_name": type_name(document.type),
        "history": _history(request, document),
        "links_out": links["out"],
        "links_in": links["in"],
        "files": document.files.order_by("id"),
        "citations": citing_records(document, request.user),
        "may_issue": issuing,
    }
    if issuing:
        context["link_form"] = forms.get("link_form") or LinkForm()
        context["upload_form"] = forms.get("upload_form") or UploadForm()
        context["status_form"] = forms.get("status_form") or StatusForm(
            initial={"date": timezone.localdate()}
        )
    return context


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    document = _document(request, pk)
    return render(request, "documents/detail.html", _detail_context(request, document))


def _issuing_document(request: HttpRequest, pk: int) -> Document:
    document = _document(request, pk)
    if not may_issue(request.user, document.issuer):
        raise PermissionDenied
    return document


def _refused(request: HttpRequest, document: Document, **forms: Any) -> HttpResponse:
    return render(
        request, "documents/detail.html", _detail_context(request, document, **forms), status=422
    )


def _target(request: HttpRequest, source: Document, text: str) -> Document:
    """The document a link points to: `#123` (or 123) by its id, else by its symbol among
    those the user may read (the source's issuer's first: every province prints "TU")."""
    text = text.strip()
    readable = readable_documents(request.user)
    bare = text.removeprefix("#")
    if bare.isascii() and bare.isdigit() and len(bare) <= 18:
        found = readable.filter(pk=int(bare)).first()
    else:
        same = list(readable.filter(symbol=text, issuer=source.issuer)[:2])
        found = same[0] if len(same) == 1 else None
        if not same:
            anywhere = list(readable.filter(symbol=text)[:2])
            if len(anywhere) > 1:
                raise ServiceError(
                    "document.target_ambiguous",
                    _("Several documents print %(symbol)s; give its number in the register.")
                    % {"symbol": text},
                    field="target",
                )
            found = anywhere[0] if anywhere else None
    if found is None:
        raise ServiceError(
            "document.target_unknown",
            _("No document %(text)s in the register you may read.") % {"text": text},
            field="target",
        )
    return found


@login_required
@require_POST
def link(request: HttpRequest, pk: int) -> HttpResponse:
    """This document implements, guides, amends, replaces or revokes another (amending,
    replacing and revoking change the other's status, with history: the service does)."""
    document = _issuing_document(request, pk)
    form = LinkForm(request.POST)
    if form.is_valid():
        try:
            target = _target(request, document, form.cleaned_data["target"])
            document_link(
                actor=request.user, source=document, target=target, kind=form.cleaned_data["kind"]
            )
        except ServiceError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("Link recorded."))
            return redirect("documents:detail", pk=document.pk)
    return _refused(request, document, link_form=form)


@login_required
@require_POST
def upload(request: HttpRequest, pk: int) -> HttpResponse:
    """Attach the signed PDF or an attachment (the service checks type, first bytes, size)."""
    document = _issuing_document(request, pk)
    form = UploadForm(request.POST, request.FILES)
    if form.is_valid():
        file = form.cleaned_data["file"]
        try:
            document_attach(
                actor=request.user,
                document=document,
                source=file,
                original_name=file.name or "document.pdf",
                content_type=file.content_type or "",
                kind=form.cleaned_data["kind"],
            )
        except ServiceError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("File attached."))
            return redirect("documents:detail", pk=document.pk)
    return _refused(request, document, upload_form=form)


@login_required
@require_POST
def change_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Issue a draft, or amend, replace or revoke a document by a decision not in the
    register; appended to its history."""
    document = _issuing_document(request, pk)
    form = StatusForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            document_set_status(
                actor=request.user,
                document=document,
                status=data["status"],
                date=data["date"],
                reason=data.get("reason") or "",
            )
        except ServiceError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("Status changed."))
            return redirect("documents:detail", pk=document.pk)
    return _refused(request, document, status_form=form)


@login_required
def download(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    """A file of a document the user may read (else 404); the read is audited."""
    document = _document(request, pk)
    row = get_object_or_404(document.files.select_related("document__issuer"), pk=file_id)
    handle = document_file_read(actor=request.user, file=row)
    return FileResponse(
        handle, as_attachment=True, filename=row.original_name, content_type=row.content_type
    )


# Terms ---------------------------------------------------------------------------------------
def _counter_codes() -> dict[str, str]:
    """Counter -> the printed code of its types ("QĐ" for the decision and the regulation
    that share it); a counter no type names (the congress's) shows its own name."""
    codes: dict[str, str] = {}
    for doc_type in document_types().values():
        codes.setdefault(doc_type.counter, doc_type.code)
    return codes


def _term_rows(unit: OrgUnit) -> list[dict[str, Any]]:
    """The unit's terms, latest first, with the documents registered in each and, for a
    running one, the next number of each counter that has started."""
    figures = term_figures(unit)
    codes = _counter_codes()
    rows = []
    for term in unit_terms(unit):
        figure = figures.get(term.pk, {"documents": 0, "next": {}})
        running = term.end is None
        rows.append(
            {
                "term": term,
                "documents": figure["documents"],
                "next": [
                    {"counter": codes.get(counter, counter), "number": number}
                    for counter, number in figure["next"].items()
                ]
                if running
                else [],
            }
        )
    return rows


@login_required
def term_list(request: HttpRequest, code: str) -> HttpResponse:
    """A unit's terms and congresses, latest first: label, dates (running while it has no
    end), documents registered in it, the next numbers of a running one. Who may issue
    documents for the unit opens and closes them here."""
    unit = _unit(request, code)
    return render(
        request,
        "documents/terms.html",
        {
            "unit": unit,
            "crumbs": breadcrumb(unit, request.user),
            "rows": _term_rows(unit),
            "may_issue": may_issue(request.user, unit),
        },
    )


def _next_start(unit: OrgUnit) -> dt.date | None:
    """Where the unit's next term starts when none runs: the day after its latest committee
    term closed (a term runs from the day after one congress closes)."""
    latest = unit_terms(unit).filter(congress=False).first()
    if latest is not None and latest.end is not None:
        return latest.end + dt.timedelta(days=1)
    return None


@login_required
def term_new(request: HttpRequest, code: str) -> HttpResponse:
    """Open a term of the unit (or record a congress); the service refuses an overlap, an end
    before the start, a label taken, and says so on the field."""
    unit = _issuing_unit(request, code)
    form = TermForm(
        request.POST if request.method == "POST" else None, initial={"start": _next_start(unit)}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            term = term_create(
                actor=request.user,
                unit=unit,
                start=data["start"],
                end=data.get("end"),
                label=(data.get("label") or "").strip(),
                congress=bool(data.get("congress")),
                issuer_symbol=data.get("issuer_symbol") or "",
            )
        except ServiceError as exc:
            add_refusal(form, exc)
        else:
            messages.success(request, _("Term %(label)s opened.") % {"label": term.label})
            return redirect("documents:terms", code=unit.code)
    return render(
        request,
        "documents/term_new.html",
        {"unit": unit, "form": form, "crumbs": breadcrumb(unit, request.user)},
        status=422 if request.method == "POST" else 200,
    )


@login_required
def close_term(request: HttpRequest, code: str, term_id: int) -> HttpResponse:
    """Close the unit's running term: the end date, then a check-your-answers step (closing
    refuses every later document of the term), then the service. A refusal (a document
    dated after the end, an end before the start, a term closed already) comes before the
    confirmation, on the field (`core/forms.submit`)."""
    unit = _issuing_unit(request, code)
    term = get_object_or_404(unit_terms(unit), pk=term_id)
    posted = request.method == "POST"
    form = TermCloseForm(request.POST if posted else None, initial={"end": timezone.localdate()})
    outcome = Submitted()
    if posted and form.is_valid():
        end = form.cleaned_data["end"]
        outcome = submit(
            request,
            form,
            lambda: term_close(actor=request.user, term=term, end=end),
            touched=(term,),
        )
        if outcome.done:
            messages.success(
                request,
                _("Term %(label)s closed on %(end)s.")
                % {"label": term.label, "end": end.isoformat()},
            )
            return redirect("documents:terms", code=unit.code)
    return render(
        request,
        "documents/term_close.html",
        {
            "unit": unit,
            "term": term,
            "form": form,
            "confirming": outcome.confirming,
            "documents": term.documents.count(),
            "back": reverse("documents:terms", args=[unit.code]),
            "crumbs": breadcrumb(unit, request.user),
        },
        status=outcome.status if posted else 200,
    )
