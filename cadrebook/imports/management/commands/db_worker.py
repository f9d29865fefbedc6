"""`cadrebook db_worker`: the background worker of django-tasks' database backend, which
first marks failed the imports a worker that died left running (their lease ran out)."""

from __future__ import annotations

from typing import Any

from django_tasks_db.management.commands.db_worker import Command as WorkerCommand


class Command(WorkerCommand):
    help = WorkerCommand.help + " Imports left running by a worker that died are marked failed."

    def handle(self, *args: Any, **options: Any) -> None:
        from cadrebook.imports.services import import_jobs_fail_abandoned

        for job in import_jobs_fail_abandoned():
            self.stderr.write(f"import {job.pk} lost its worker: marked failed")
        super().handle(*args, **options)
