"""Import pages: upload, validation report, confirm, progress, cancel; export; templates."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from cadrebook.core.errors import ServiceError
from cadrebook.core.forms import add_refusal
from cadrebook.core.permissions import VIEW
from cadrebook.core.replica import reading_replica
from cadrebook.core.scoping import scope_for
from cadrebook.imports.exporting import export_table
from cadrebook.imports.formats import FORMATS, KINDS
from cadrebook.imports.forms import ExportForm, ImportForm
from cadrebook.imports.models import ImportJob, JobStatus
from cadrebook.imports.pipeline import ACTIONS
from cadrebook.imports.selectors import import_jobs, import_progress
from cadrebook.imports.services import import_job_cancel, import_job_confirm, import_job_create
from cadrebook.imports.tasks import commit_import, validate_import
from cadrebook.imports.templates_files import template_bytes
from cadrebook.orgs.models import OrgUnit

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHOWN_ISSUES = 200


def _job(request: HttpRequest, pk: Any) -> ImportJob:
    job = import_jobs(request.user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "imports/list.html",
        {
            "jobs": import_jobs(request.user)[:50],
            "form": ImportForm(),
            "kinds": KINDS,
            "formats": FORMATS,
        },
    )


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        kind = form.cleaned_data["kind"]
        if scope_for(request.user, ACTIONS[kind]).nothing:
            form.add_error(
                "kind", _("Your role does not allow importing this kind of file anywhere.")
            )
        else:
            upload = form.cleaned_data["file"]
            try:
                job = import_job_create(
                    actor=request.user,
                    kind=kind,
                    source=upload,
                    filename=upload.name,
                    sheet=form.cleaned_data["sheet"],
                    valid_rows_only=form.cleaned_data["valid_rows_only"],
                    personal_only=form.cleaned_data["personal_only"],
                )
            except ServiceError as exc:
                add_refusal(form, exc)
            else:
                validate_import.enqueue(str(job.pk), request.user.pk)
                return redirect("imports:detail", pk=job.pk)
    return render(
        request,
        "imports/list.html",
        {"jobs": import_jobs(request.user)[:50], "form": form, "kinds": KINDS},
        status=400 if request.method == "POST" else 200,
    )


def _context(job: ImportJob, user: Any) -> dict[str, Any]:
    report = job.report or {}
    progress = import_progress(job)
    total = progress.get("rows_total") or 0
    done = progress.get("rows_read") or 0
    percent = min(100, round(100 * done / total)) if total else None
    to_import = report.get("created", 0) + report.get("updated", 0)
    # Only the uploader confirms (a superuser may look at everybody's imports, not run them).
    can_commit = (
        job.status == JobStatus.VALIDATED
        and job.created_by_id == getattr(user, "pk", None)
        and to_import > 0
    )
    return {
        "job": job,
        "report": report,
        "errors": (report.get("errors") or [])[:SHOWN_ISSUES],
        "warnings": (report.get("warnings") or [])[:SHOWN_ISSUES],
        "progress": progress,
        "percent": percent,
        "running": job.status in (JobStatus.QUEUED, JobStatus.VALIDATING, JobStatus.IMPORTING),
        "can_commit": can_commit,
        "to_import": to_import,
        "is_owner": job.created_by_id == getattr(user, "pk", None),
    }


@login_required
def import_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    return render(request, "imports/detail.html", _context(_job(request, pk), request.user))


@login_required
def import_progress_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """The progress panel, polled by htmx while the job runs; when the job is finished it
    tells htmx to reload the whole page (which then shows the report)."""
    job = _job(request, pk)
    context = _context(job, request.user)
    response = render(request, "imports/_progress.html", context)
    if not context["running"]:
        response["HX-Refresh"] = "true"
    return response


@login_required
@require_POST
def import_commit(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _job(request, pk)
    if not _context(job, request.user)["can_commit"]:
        messages.error(request, _("This import cannot be confirmed in its present state."))
        return redirect("imports:detail", pk=job.pk)
    try:
        import_job_confirm(actor=request.user, job=job)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        commit_import.enqueue(str(job.pk), request.user.pk)
    return redirect("imports:detail", pk=job.pk)


@login_required
@require_POST
def import_cancel(request: HttpRequest, pk: Any) -> HttpResponse:
    job = _job(request, pk)
    try:
        import_job_cancel(actor=request.user, job=job)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.info(request, _("The import is cancelled; nothing of it is kept."))
    return redirect("imports:detail", pk=job.pk)


@login_required
def report_download(request: HttpRequest, pk: Any) -> HttpResponseBase:
    job = _job(request, pk)
    if not job.report_file or not Path(job.report_file).is_file():
        raise Http404
    name = f"{Path(job.filename).stem}-report.xlsx"
    return FileResponse(
        open(job.report_file, "rb"), as_attachment=True, filename=name, content_type=XLSX
    )


@login_required
def template_download(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    if kind not in KINDS or fmt not in ("csv", "xlsx"):
        raise Http404
    data = template_bytes(kind, fmt)
    content_type = XLSX if fmt == "xlsx" else "text/csv; charset=utf-8"
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="cadrebook-{kind}.{fmt}"'
    return response


@login_required
@reading_replica()
def export(request: HttpRequest) -> HttpResponse:
    """Export a kind of records of a subtree (or of the whole scope) as CSV or XLSX."""
    form = ExportForm(request.GET or None)
    if request.GET and form.is_valid():
        data = form.cleaned_data
        unit = None
        if data["unit"]:
            unit = OrgUnit.objects.visible_to(request.user, VIEW).filter(code=data["unit"]).first()
            if unit is None:
                form.add_error("unit", _("No unit with this code that you may see."))
        if not form.errors:
            if scope_for(request.user, VIEW).nothing:
                raise Http404
            unit = unit if data["unit"] else None
            out = io.BytesIO()
            export_table(
                actor=request.user,
                kind=data["kind"],
                out=out,
                fmt=data["format"],
                unit=unit,
                headers=data["headers"],
            )
            stamp = timezone.localdate().isoformat()
            name = (
                f"cadrebook-{data['kind']}-{unit.code if unit else 'all'}-{stamp}.{data['format']}"
            )
            content_type = XLSX if data["format"] == "xlsx" else "text/csv; charset=utf-8"
            response = HttpResponse(out.getvalue(), content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    return render(request, "imports/export.html", {"form": form})
