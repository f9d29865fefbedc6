"""Background tasks of the import pipeline (Django tasks; run by `cadrebook db_worker`)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django_tasks import task

from cadrebook.imports.models import ImportJob
from cadrebook.imports.services import import_job_commit, import_job_validate


def _user(user_id: int | None) -> object | None:
    if user_id is None:
        return None
    return get_user_model().objects.filter(pk=user_id).first()


@task()
def validate_import(job_id: str, user_id: int | None) -> str:
    """Validate an uploaded file (a dry run) and keep the report."""
    job = ImportJob.objects.get(pk=job_id)
    return str(import_job_validate(actor=_user(user_id), job=job).status)


@task()
def commit_import(job_id: str, user_id: int | None) -> str:
    """Import a validated file for real."""
    job = ImportJob.objects.get(pk=job_id)
    return str(import_job_commit(actor=_user(user_id), job=job).status)
