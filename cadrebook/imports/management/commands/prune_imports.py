"""`cadrebook prune_imports [--days N]`: cancel imports left waiting and delete their files.

An upload that was validated but never confirmed (or never picked up) keeps its file, which
holds personal data, under CADREBOOK_VAR_DIR/imports. This cancels such jobs older than N
days (default 7) through the same service as the Cancel button, which deletes the file.
Run it daily (cron or a systemd timer).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from cadrebook.imports.models import ImportJob, JobStatus
from cadrebook.imports.services import import_job_cancel


class Command(BaseCommand):
    help = "Cancel imports left waiting for more than N days and delete their uploaded files."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="age in days (default 7)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["days"] < 0:
            self.stderr.write("--days must be 0 or more.")
            raise SystemExit(2)
        cutoff = timezone.now() - dt.timedelta(days=options["days"])
        waiting = ImportJob.objects.filter(
            status__in=[JobStatus.QUEUED, JobStatus.VALIDATED], created_at__lt=cutoff
        )
        count = 0
        for job in waiting:
            import_job_cancel(actor=None, job=job)
            count += 1
        self.stdout.write(f"{count} waiting imports cancelled and their files deleted.")
