"""`cadrebook prune_imports [--days N]`: end imports nobody will finish and delete their files.

- An import whose worker is gone (killed, or its machine restarted: its lease ran out) is
  marked failed — nothing of it was kept, the import being one transaction.
- An upload that was validated but never confirmed (or never picked up) keeps its file, which
  holds personal data, under CADREBOOK_VAR_DIR/imports. Such jobs older than N days (default
  7) are cancelled through the same service as the Cancel button, which deletes the file.

Run it daily (cron or a systemd timer).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from cadrebook.imports.models import ImportJob, JobStatus
from cadrebook.imports.services import import_job_cancel, import_jobs_fail_abandoned


class Command(BaseCommand):
    help = (
        "Mark failed the imports whose worker is gone, and cancel imports left waiting for "
        "more than N days, deleting their uploaded files."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="age in days (default 7)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 0:
            self.stderr.write("--days must be 0 or more.")
            raise SystemExit(2)
        failed = import_jobs_fail_abandoned()
        self.stdout.write(f"{len(failed)} imports whose worker was gone marked failed.")
        cutoff = timezone.now() - dt.timedelta(days=options["days"])
        waiting = ImportJob.objects.filter(
            status__in=[JobStatus.QUEUED, JobStatus.VALIDATED], created_at__lt=cutoff
        )
        count = 0
        for job in waiting:
            import_job_cancel(actor=None, job=job)
            count += 1
        self.stdout.write(f"{count} waiting imports cancelled and their files deleted.")
