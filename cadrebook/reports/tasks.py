"""Background tasks of the reports (Django tasks; run by `cadrebook db_worker`)."""

from __future__ import annotations

from django_tasks import task

from cadrebook.reports.aggregates import rebuild_statistics


@task()
def rebuild_statistics_task() -> int:
    """Rebuild the statistics aggregates (after imports; nightly)."""
    return rebuild_statistics().pk
