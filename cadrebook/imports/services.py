"""Import jobs: upload a file, validate it (nothing kept), import it, cancel it.

The web UI and the API create a job, validate it in the background, show the report and
import on confirmation; the command line does both steps at once in the foreground. Every
step goes through `cadrebook.imports.pipeline.run_import`, so they all check the same way.
Progress and the cancel flag live in the cache, outside the import's transaction (on SQLite a
long import holds the only write lock), and the job row records the outcome.

A process working on a job holds its lease (cadrebook.imports.lease); a running job whose
lease ran out lost its worker and is marked failed by `import_jobs_fail_abandoned` (the next
worker, `prune_imports`), or cancelled at once when its uploader cancels it.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousFileOperation
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from cadrebook.core.audit import audit_record
from cadrebook.core.errors import ServiceError
from cadrebook.core.permissions import VIEW
from cadrebook.core.scoping import scope_for
from cadrebook.imports.formats import KINDS
from cadrebook.imports.lease import RUNNING, holding_lease, lease_expired
from cadrebook.imports.models import ImportJob, JobStatus
from cadrebook.imports.pipeline import ACTIONS, Cancelled, Report, run_import
from cadrebook.imports.selectors import PROGRESS_TTL, cancel_key, import_progress, progress_key
from cadrebook.orgs.models import OrgUnit

logger = logging.getLogger(__name__)


def _estimate_rows(path: Path) -> int | None:
    """Rows in the file, roughly, for the progress bar: lines of a CSV, height of a sheet."""
    try:
        with path.open("rb") as fh:
            head = fh.read(4)
            if head.startswith(b"PK"):
                from python_calamine import CalamineWorkbook

                book = CalamineWorkbook.from_path(str(path))
                return max(int(book.get_sheet_by_index(0).height) - 1, 0)
            fh.seek(0)
            lines = 0
            while block := fh.read(1 << 20):
                lines += block.count(b"\n")
            return max(lines - 1, 0)
    except Exception:  # an estimate only; the import itself reports a bad file properly
        return None


def _check_kind(kind: str) -> None:
    if kind not in KINDS:
        raise ServiceError(
            "import.kind_unknown",
            _("Unknown kind of import %(k)s; choose one of: %(kinds)s.")
            % {"k": kind, "kinds": ", ".join(KINDS)},
            field="kind",
        )


SHEET_MAX = ImportJob._meta.get_field("sheet").max_length or 100
STORED_NAME_BYTES = 200  # file systems limit names in bytes (255 on most), not characters


def _stored_name(filename: str) -> str:
    """The upload's name on disk: safe characters only, its extension kept, short enough in
    bytes for any file system; "upload" when nothing of it is safe."""
    try:
        name = get_valid_filename(filename)
    except SuspiciousFileOperation:  # nothing left, or only dots
        return "upload"
    suffix = Path(name).suffix[:16]
    stem = name[: len(name) - len(suffix)]
    while stem and len((stem + suffix).encode()) > STORED_NAME_BYTES:
        stem = stem[:-1]
    return stem + suffix if stem else "upload" + suffix


def import_job_create(
    *,
    actor: Any,
    kind: str,
    source: Any,
    filename: str,
    sheet: str = "",
    valid_rows_only: bool = False,
    personal_only: bool = False,
    copy: bool = True,
) -> ImportJob:
    """Keep an uploaded file (a file object with chunks() or read(), or a path) as a new job.

    A file over the size limit is refused before anything is stored. With `copy=False` a path
    is used where it lies (the command line imports a file it can read).
    """
    _check_kind(kind)
    if len(sheet) > SHEET_MAX:
        raise ServiceError(
            "import.sheet_invalid",
            _("A sheet name has at most %(n)d characters.") % {"n": SHEET_MAX},
            field="sheet",
        )
    limit = settings.CADREBOOK_IMPORT_MAX_BYTES
    size = getattr(source, "size", None)
    if size is None and isinstance(source, str | Path):
        size = Path(source).stat().st_size
    if size is not None and size > limit:
        raise ServiceError(
            "file.too_large",
            _("The file is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(size / 1048576, 1), "limit": round(limit / 1048576)},
            field="file",
        )
    job = ImportJob(
        kind=kind,
        # The name is only shown: what no database stores (NUL, lone surrogates) goes.
        filename=Path(filename.replace("\x00", "").encode(errors="replace").decode()).name[:255],
        sheet=sheet,
        valid_rows_only=valid_rows_only,
        personal_only=personal_only,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    digest = hashlib.sha256()
    if copy:
        folder = Path(settings.IMPORT_DIR) / str(job.pk)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / _stored_name(job.filename)
        written = 0
        with target.open("wb") as out:
            chunks = (
                source.chunks()
                if hasattr(source, "chunks")
                else iter(lambda: source.read(1 << 20), b"")
                if hasattr(source, "read")
                else _file_chunks(Path(source))
            )
            for block in chunks:
                written += len(block)
                if written > limit:
                    out.close()
                    shutil.rmtree(folder, ignore_errors=True)
                    raise ServiceError(
                        "file.too_large",
                        _("The file is larger than the limit of %(limit)s MB.")
                        % {"limit": round(limit / 1048576)},
                        field="file",
                    )
                digest.update(block)
                out.write(block)
        job.path, job.size = str(target), written
    else:
        path = Path(source)
        for block in _file_chunks(path):
            digest.update(block)
        job.path, job.size = str(path), path.stat().st_size
    job.sha256 = digest.hexdigest()
    with transaction.atomic():
        job.save()
        audit_record(
            actor=actor,
            obj=job,
            action="create",
            event_type="import.uploaded",
            after={"kind": kind, "file": job.filename, "size": job.size, "sha256": job.sha256},
        )
    cache.set(
        progress_key(job),
        {"phase": "queued", "rows_total": _estimate_rows(Path(job.path))},
        PROGRESS_TTL,
    )
    return job


def _file_chunks(path: Path) -> Any:
    with path.open("rb") as fh:
        while block := fh.read(1 << 20):
            yield block


def _common_unit(report: Report, actor: Any) -> OrgUnit | None:
    """The unit the audit entry of an import is filed under: the actor's own grant when they
    have exactly one, else national (None)."""
    if actor is None:
        return None
    scope = scope_for(actor, VIEW)
    if scope.everything or len(scope.paths) != 1:
        return None
    return OrgUnit.objects.filter(path=scope.paths[0]).first()


def _run(actor: Any, job: ImportJob, *, dry_run: bool) -> Report:
    started = time.monotonic()
    base = import_progress(job)
    total = base.get("rows_total")

    def progress(phase: str, report: Report) -> None:
        elapsed = time.monotonic() - started
        done = report.rows_read
        left = None
        if total and done and phase != "finishing":
            left = round(elapsed / done * max(total - done, 0))
        cache.set(
            progress_key(job),
            {
                "phase": phase,
                "dry_run": dry_run,
                "rows_total": total,
                "rows_read": report.rows_read,
                "rows_checked": report.rows_checked,
                "rows_written": report.rows_written,
                "rows_refused": len(report.refused_rows),
                "seconds": round(elapsed, 1),
                "seconds_left": left,
            },
            PROGRESS_TTL,
        )

    def is_cancelled() -> bool:
        return bool(cache.get(cancel_key(job)))

    def audit(report: Report) -> None:
        audit_record(
            actor=actor,
            obj=job,
            action="import",
            event_type=f"import.{job.kind}",
            unit=_common_unit(report, actor),
            after={
                "file": job.filename,
                "sha256": job.sha256,
                "rows": report.rows_read,
                "created": report.created,
                "updated": report.updated,
                "unchanged": report.unchanged,
                "refused": len(report.refused_rows),
                "valid_rows_only": job.valid_rows_only,
            },
        )

    with transaction.atomic():
        _hold_job_row(job)
        return run_import(
            actor=actor,
            kind=job.kind,
            path=job.path,
            sheet=job.sheet or None,
            dry_run=dry_run,
            valid_rows_only=job.valid_rows_only,
            personal_only=job.personal_only,
            progress=progress,
            is_cancelled=is_cancelled,
            before_commit=audit,
        )


def _hold_job_row(job: ImportJob) -> None:
    """While the import's transaction lives, it holds its job's row, so that the job is not
    taken for abandoned (`_end_abandoned` skips rows it cannot lock). A KEY SHARE lock: the
    Cancel button's update of the row still goes through at once. On SQLite the import's
    transaction holds the whole database, which does the same."""
    if connection.vendor == "postgresql":
        table = connection.ops.quote_name(ImportJob._meta.db_table)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} WHERE id = %s FOR KEY SHARE", [job.pk])


def _finish(
    job: ImportJob, report: Report | None, status: str, *, report_file: bool = True
) -> ImportJob:
    from cadrebook.imports.report import write_report_file

    updates: dict[str, Any] = {"status": status, "finished_at": timezone.now()}
    if report is not None:
        updates["report"] = report.as_dict()
    if report is not None and report_file:
        try:
            updates["report_file"] = write_report_file(job, report)
        except Exception:  # the report file is a convenience; the JSON report is kept
            updates["report_file"] = ""
    ImportJob.objects.filter(pk=job.pk).update(**updates)
    job.refresh_from_db()
    if job.is_finished:
        _remove_upload(job)
    if status == JobStatus.DONE and report is not None and report.committed:
        _refresh_statistics()
    return job


def _refresh_statistics() -> None:
    """After an import the statistics aggregates are rebuilt in the background; until then
    the statistics come from the period table, so no figure is stale meanwhile."""
    if not settings.CADREBOOK_STATS_REBUILD_AFTER_IMPORT:
        return
    from cadrebook.reports.tasks import rebuild_statistics_task

    transaction.on_commit(rebuild_statistics_task.enqueue)


def _fail(job: ImportJob, exc: Exception) -> None:
    """An unexpected error: the job ends failed (nothing was kept: the transaction rolled
    back) and the error is logged for the administrator."""
    logger.exception("import %s failed", job.pk)
    ImportJob.objects.filter(pk=job.pk).update(
        status=JobStatus.FAILED,
        finished_at=timezone.now(),
        report={"failure": _("The import stopped on an unexpected error; nothing was kept.")},
    )
    _remove_upload(job)


def _remove_upload(job: ImportJob) -> None:
    """Delete an uploaded file once its import is finished: it holds personal data. Only
    files this service stored are removed, never a file the command line pointed at."""
    folder = Path(settings.IMPORT_DIR).resolve()
    path = Path(job.path).resolve()
    if job.path and folder in path.parents and path.is_file():
        path.unlink()


def import_job_validate(*, actor: Any, job: ImportJob) -> ImportJob:
    """Check the whole file as the real import would, and keep nothing (a dry run). A file
    with refused rows ends refused, unless the job imports the valid rows only."""
    if job.is_finished or job.status == JobStatus.IMPORTING:
        return job
    with holding_lease(job):
        taken = ImportJob.objects.filter(
            pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.VALIDATING]
        ).update(status=JobStatus.VALIDATING, started_at=timezone.now())
        if not taken:  # cancelled (or failed) since the task was queued
            job.refresh_from_db()
            return job
        try:
            report = _run(actor, job, dry_run=True)
        except Cancelled:
            return _finish(job, None, JobStatus.CANCELLED)
        except Exception as exc:
            _fail(job, exc)
            raise
        refused = report.file_error is not None or not (report.ok or job.valid_rows_only)
        job = _finish(job, report, JobStatus.REFUSED if refused else JobStatus.VALIDATED)
    audit_record(
        actor=actor,
        obj=job,
        action="update",
        event_type="import.validated",
        after={"rows": report.rows_read, "refused": len(report.refused_rows)},
    )
    return job


def import_job_confirm(*, actor: Any, job: ImportJob) -> ImportJob:
    """The uploader confirms a validated import: it is queued to be imported for real.

    Only the request that moves the job out of "validated" confirms it, so two
    confirmations at once (two tabs, a retried API call) import the file once; the other
    is refused with "import.not_validated". Audited as "import.confirmed"; the caller
    enqueues the commit after this returns."""
    if job.created_by_id is not None and getattr(actor, "pk", None) != job.created_by_id:
        raise ServiceError(
            "import.not_yours", _("Only the user who uploaded the file may import it.")
        )
    with transaction.atomic():
        taken = ImportJob.objects.filter(pk=job.pk, status=JobStatus.VALIDATED).update(
            status=JobStatus.QUEUED, started_at=timezone.now()
        )
        if not taken:
            raise ServiceError(
                "import.not_validated",
                _("Only a validated import waiting for confirmation can be confirmed."),
            )
        job.refresh_from_db()
        audit_record(actor=actor, obj=job, action="update", event_type="import.confirmed", after={})
    return job


def import_job_commit(*, actor: Any, job: ImportJob) -> ImportJob:
    """Import the file for real, in one transaction; all or nothing unless the job imports
    the valid rows only. Only the user who started the job (or the system) may confirm it."""
    if job.created_by_id is not None and getattr(actor, "pk", None) != job.created_by_id:
        raise ServiceError(
            "import.not_yours", _("Only the user who uploaded the file may import it.")
        )
    if job.is_finished:
        raise ServiceError(
            "import.finished",
            _("This import is finished (%(s)s).") % {"s": job.get_status_display()},
        )
    with holding_lease(job):
        taken = ImportJob.objects.filter(
            pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.VALIDATED]
        ).update(status=JobStatus.IMPORTING)
        if not taken:
            job.refresh_from_db()
            raise ServiceError(
                "import.not_validated",
                _("Only a validated import can be imported; this one is %(s)s.")
                % {"s": job.get_status_display()},
            )
        try:
            report = _run(actor, job, dry_run=False)
        except Cancelled:
            return _finish(job, None, JobStatus.CANCELLED)
        except Exception as exc:
            _fail(job, exc)
            raise
        status = JobStatus.DONE if report.committed else JobStatus.REFUSED
        return _finish(job, report, status)


def import_job_cancel(*, actor: Any, job: ImportJob) -> ImportJob:
    """Stop an import before it commits, in any state that is not final. A running job
    stops at its next check and rolls back; a waiting one, or a running one whose worker is
    gone (its lease ran out), is cancelled at once. A finished import cannot be cancelled."""
    if job.is_finished:
        raise ServiceError(
            "import.finished",
            _("This import is finished (%(s)s).") % {"s": job.get_status_display()},
        )
    cache.set(cancel_key(job), True, PROGRESS_TTL)
    if job.status in RUNNING and lease_expired(job):
        # Nobody is working on it any more: nobody would read the flag.
        if _end_abandoned(job, JobStatus.CANCELLED, actor=actor, event_type="import.cancelled"):
            job.refresh_from_db()
            return job
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(cancel_requested=True)
        ImportJob.objects.filter(
            pk=job.pk, status__in=[JobStatus.QUEUED, JobStatus.VALIDATED]
        ).update(status=JobStatus.CANCELLED, finished_at=timezone.now())
        audit_record(actor=actor, obj=job, action="update", event_type="import.cancelled", after={})
    job.refresh_from_db()
    if job.is_finished:
        _remove_upload(job)
    return job


def _end_abandoned(job: ImportJob, status: str, *, actor: Any, event_type: str) -> bool:
    """End a running job whose lease ran out with `status`, if its worker is really gone:
    on PostgreSQL a live import's transaction holds the job's row (skipped here); on SQLite
    it holds the database, so this waits for the busy timeout and gives up. Nothing of the
    job was kept: its import was one transaction, which ended with its worker."""
    message = _(
        "The worker running this import stopped (it was ended, or its machine restarted); "
        "nothing was kept."
    )
    try:
        with transaction.atomic():
            held = (
                ImportJob.objects.select_for_update(skip_locked=True)
                .filter(pk=job.pk, status__in=RUNNING)
                .first()
            )
            if held is None or not lease_expired(held):
                return False
            ImportJob.objects.filter(pk=job.pk).update(
                status=status,
                cancel_requested=status == JobStatus.CANCELLED,
                finished_at=timezone.now(),
                report={"failure": message},
            )
            audit_record(
                actor=actor,
                obj=held,
                action="update",
                event_type=event_type,
                after={"status": status, "was": held.status, "worker_gone": True},
            )
    except OperationalError:  # SQLite: the database is busy, maybe with this very import
        logger.warning("import %s: its lease ran out but the database is busy", job.pk)
        return False
    _remove_upload(job)
    return True


def import_jobs_fail_abandoned() -> list[ImportJob]:
    """Mark failed every running import whose worker is gone (its lease ran out). Run by
    every worker when it starts and before each import it runs, and by `prune_imports`."""
    ended = []
    for job in ImportJob.objects.filter(status__in=RUNNING):
        if lease_expired(job) and _end_abandoned(
            job, JobStatus.FAILED, actor=None, event_type="import.abandoned"
        ):
            job.refresh_from_db()
            ended.append(job)
    return ended


def import_file(
    *,
    actor: Any,
    kind: str,
    path: str,
    sheet: str = "",
    dry_run: bool = False,
    valid_rows_only: bool = False,
    personal_only: bool = False,
    report_file: bool = True,
) -> tuple[ImportJob, Report]:
    """The command line's import: one job, validated and imported in the foreground.
    `report_file` False skips the XLSX report (the caller prints the report instead).
    A user (--user) whose role allows this kind of import nowhere is refused before a job
    exists, as the pages and the API refuse them."""
    _check_kind(kind)
    if actor is not None and scope_for(actor, ACTIONS[kind]).nothing:
        raise ServiceError(
            "import.not_allowed",
            _("Your role does not allow importing this kind of file anywhere."),
            field="kind",
        )
    job = import_job_create(
        actor=actor,
        kind=kind,
        source=path,
        filename=path,
        sheet=sheet,
        valid_rows_only=valid_rows_only,
        personal_only=personal_only,
        copy=False,
    )
    with holding_lease(job):
        ImportJob.objects.filter(pk=job.pk).update(
            status=JobStatus.IMPORTING, started_at=timezone.now()
        )
        try:
            report = _run(actor, job, dry_run=dry_run)
        except Cancelled:
            _finish(job, None, JobStatus.CANCELLED)
            raise ServiceError(
                "import.cancelled", _("The import was cancelled; nothing of it is kept.")
            ) from None
        if dry_run:
            status = JobStatus.VALIDATED if report.file_error is None else JobStatus.REFUSED
        else:
            status = JobStatus.DONE if report.committed else JobStatus.REFUSED
        return _finish(job, report, status, report_file=report_file), report
