"""Reads on import jobs: the jobs a user may see, and the progress of a running one."""

from __future__ import annotations

from typing import Any

from django.core.cache import cache
from django.db.models import QuerySet

from cadrebook.imports.models import ImportJob

PROGRESS_TTL = 24 * 3600


def progress_key(job: ImportJob) -> str:
    return f"cadrebook:import:{job.pk}:progress"


def cancel_key(job: ImportJob) -> str:
    return f"cadrebook:import:{job.pk}:cancel"


def import_progress(job: ImportJob) -> dict[str, Any]:
    """The latest progress of a job: phase, rows read / checked / written, seconds left."""
    data: dict[str, Any] = cache.get(progress_key(job)) or {}
    return data


def import_jobs(user: Any) -> QuerySet[ImportJob]:
    """The imports the user may see: their own (all of them for a superuser)."""
    return ImportJob.objects.visible_to(user).select_related("created_by")
