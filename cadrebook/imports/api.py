"""API of imports: `POST /api/v1/imports` (upload; optionally confirm at once), then poll
`GET /api/v1/imports/{id}`; confirm with `POST …/commit`, stop with `POST …/cancel`."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import File, Form, Router, Schema
from ninja.files import UploadedFile
from ninja.responses import Status

from cadrebook.core.context import via_var
from cadrebook.core.errors import ServiceError
from cadrebook.core.scoping import scope_for
from cadrebook.imports.models import ImportJob, JobStatus
from cadrebook.imports.pipeline import ACTIONS
from cadrebook.imports.selectors import import_jobs, import_progress
from cadrebook.imports.services import import_job_cancel, import_job_create
from cadrebook.imports.tasks import commit_import, validate_import

router = Router(tags=["imports"])


class ErrorOut(Schema):
    code: str
    message: str
    field: str | None = None
    source: str | None = None


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
    response={202: ImportOut, 403: ErrorOut, 413: ErrorOut, 422: ErrorOut},
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
                "message": "Your role does not allow importing this kind of file anywhere.",
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
        validate_import.enqueue(str(job.pk), request.user.pk)
    job.refresh_from_db()
    response["Location"] = f"/api/v1/imports/{job.pk}"
    return Status(202, _out(request, job))


@router.get("/{job_id}", response={200: ImportOut, 404: ErrorOut}, summary="An import's status")
def import_get(request: HttpRequest, job_id: uuid.UUID) -> Any:
    """Status, progress and — when finished — the report with the refused rows."""
    return Status(200, _out(request, _job(request, job_id)))


@router.post(
    "/{job_id}/commit",
    response={202: ImportOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut},
    summary="Confirm a validated import",
)
def import_commit(request: HttpRequest, job_id: uuid.UUID) -> Any:
    job = _job(request, job_id)
    if job.created_by_id != request.user.pk:
        raise ServiceError("import.not_yours", "Only the user who uploaded the file may import it.")
    # Only the request that moves the job out of "validated" enqueues it: two confirmations
    # at once import the file once.
    taken = ImportJob.objects.filter(pk=job.pk, status=JobStatus.VALIDATED).update(
        status=JobStatus.QUEUED
    )
    if not taken:
        raise ServiceError(
            "import.not_validated",
            "Only a validated import waiting for confirmation can be confirmed.",
        )
    commit_import.enqueue(str(job.pk), request.user.pk, via_var.get())
    job.refresh_from_db()
    return Status(202, _out(request, job))


@router.post(
    "/{job_id}/cancel",
    response={200: ImportOut, 404: ErrorOut, 409: ErrorOut},
    summary="Cancel an import before it commits",
)
def import_cancel(request: HttpRequest, job_id: uuid.UUID) -> Any:
    job = import_job_cancel(actor=request.user, job=_job(request, job_id))
    return Status(200, _out(request, job))
