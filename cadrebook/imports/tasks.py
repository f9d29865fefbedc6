"""Background tasks of the import pipeline (Django tasks; run by `cadrebook db_worker`)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from cadrebook.core.context import via_var
from cadrebook.imports.models import ImportJob
from cadrebook.imports.services import (
    import_job_commit,
    import_job_validate,
    import_jobs_fail_abandoned,
)


def _user(user_id: int | None) -> object | None:
    if user_id is None:
        return None
    return get_user_model().objects.filter(pk=user_id).first()


@task()
def validate_import(job_id: str, user_id: int | None, via: str = "") -> str:
    """Validate an uploaded file (a dry run) and keep the report; `via` as for commits."""
    import_jobs_fail_abandoned()  # a worker that died before this one left its jobs running
    job = ImportJob.objects.get(pk=job_id)
    reset = via_var.set(via)
    try:
        return str(import_job_validate(actor=_user(user_id), job=job).status)
    finally:
        via_var.reset(reset)


@task()
def commit_import(job_id: str, user_id: int | None, via: str = "") -> str:
    """Import a validated file for real; `via` is how it was asked for (a token's name), so
    the audit entries written in the worker say so as a request's would."""
    import_jobs_fail_abandoned()
    job = ImportJob.objects.get(pk=job_id)
    reset = via_var.set(via)
    try:
        return str(import_job_commit(actor=_user(user_id), job=job).status)
    finally:
        via_var.reset(reset)
