"""API of imports: `POST /api/v1/imports` (upload; optionally confirm at once), then poll
`GET /api/v1/imports/{id}`; confirm with `POST …/commit`, stop with `POST …/cancel`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from cadrebook.core.api_toolkit import answers
from cadrebook.core.context import via_var
from cadrebook.core.errors import ServiceError
from cadrebook.core.scoping import scope_for
from cadrebook.imports.models import ImportJob
from cadrebook.imports.pipeline import ACTIONS
from cadrebook.imports.selectors import import_jobs, import_progress
from cadrebook.imports.services import (
    import_job_cancel,
    import_job_confirm,
    import_job_create,
)
from cadrebook.imports.tasks import commit_import, validate_import

router = Router(tags=["imports"])


class ImportOut(Schema):
    id: uuid.UUID
    kind: str
    filename: str
    status: str
    valid_rows_only: bool
    personal_only: bool
    created_at: dt.datetime
    finished_at: dt.datetime | None
    progress: dict[str, Any]
    report: dict[str, Any]
    report_url: str | None


def _out(request: HttpRequest, job: ImportJob) -> dict[str, Any]:
    return {
        "id": job.pk,
        "kind": job.kind,
        "filename": job.filename,
        "status": job.status,
        "valid_rows_only": job.valid_rows_only,
        "personal_only": job.personal_only,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "progress": import_progress(job),
        "report": job.report or {},
        "report_url": f"/imports/{job.pk}/report.xlsx" if job.report_file else None,
    }


def _job(request: HttpRequest, job_id: uuid.UUID) -> ImportJob:
    job = import_jobs(request.user).filter(pk=job_id).first()
    if job is None:
        raise ServiceError("not_found", "No such import.")
    return job


@router.post(
    "",
    response=answers({202: ImportOut}),
    summary="Upload a file to import",
)
def import_create(
    request: HttpRequest,
    response: HttpResponse,
    kind: Form[str],
    file: File[UploadedFile],
    sheet: Form[str] = "",
    valid_rows_only: Form[bool] = False,
    personal_only: Form[bool] = False,
    confirm: Form[bool] = False,
) -> Any:
    """Upload a units, members, events or targets file. The file is validated in the
    background (nothing kept) and waits for `POST /imports/{id}/commit`; with `confirm=true`
    it is imported at once when it passes (all or nothing unless `valid_rows_only`)."""
    if kind in ACTIONS and scope_for(request.user, ACTIONS[kind]).nothing:
        return Status(
            403,
            {
                "code": "import.not_allowed",
                "message": _("Your role does not allow importing this kind of file anywhere."),
            },
        )
    job = import_job_create(
        actor=request.user,
        kind=kind,
        source=file,
        filename=file.name or "upload",
        sheet=sheet,
        valid_rows_only=valid_rows_only,
        personal_only=personal_only,
    )
    if confirm:
        commit_import.enqueue(str(job.pk), request.user.pk, via_var.get())
    else:
        validate_import.enqueue(str(job.pk), request.user.pk, via_var.get())
    job.refresh_from_db()
    response["Location"] = f"/api/v1/imports/{job.pk}"
    return Status(202, _out(request, job))


@router.get("/{job_id}", response=answers({200: ImportOut}), summary="An import's status")
def import_get(request: HttpRequest, job_id: uuid.UUID) -> Any:
    """Status, progress and — when finished — the report with the refused rows."""
    return Status(200, _out(request, _job(request, job_id)))


@router.post(
    "/{job_id}/commit",
    response=answers({202: ImportOut}),
    summary="Confirm a validated import",
)
def import_commit(request: HttpRequest, job_id: uuid.UUID) -> Any:
    job = import_job_confirm(actor=request.user, job=_job(request, job_id))
    commit_import.enqueue(str(job.pk), request.user.pk, via_var.get())
    job.refresh_from_db()
    return Status(202, _out(request, job))


@router.post(
    "/{job_id}/cancel",
    response=answers({200: ImportOut}),
    summary="Cancel an import before it commits",
)
def import_cancel(request: HttpRequest, job_id: uuid.UUID) -> Any:
    job = import_job_cancel(actor=request.user, job=_job(request, job_id))
    return Status(200, _out(request, job))
