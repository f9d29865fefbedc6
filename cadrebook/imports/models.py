"""Import jobs: one uploaded file, its validation report, and what was written."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    VALIDATING = "validating", _("Validating")
    VALIDATED = "validated", _("Validated, waiting for confirmation")
    IMPORTING = "importing", _("Importing")
    DONE = "done", _("Imported")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")
    FAILED = "failed", _("Failed")


FINISHED = (JobStatus.DONE, JobStatus.REFUSED, JobStatus.CANCELLED, JobStatus.FAILED)


class ImportJobQuerySet(models.QuerySet["ImportJob"]):
    def visible_to(self, user: Any) -> ImportJobQuerySet:
        """An import is seen by whoever started it, and by superusers."""
        if getattr(user, "is_superuser", False):
            return self
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(created_by=user)


class ImportJob(models.Model):
    """One import of one file. A job first validates (nothing is kept), then — after the
    user confirms, or at once from the command line — imports in one transaction.

    `report` holds the counts, the refused rows (up to IMPORT_REPORT_MAX_ERRORS) and the
    warnings; the XLSX report with every original row lies in `report_file`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("kind"), max_length=32)
    filename = models.CharField(_("file name"), max_length=255)
    path = models.CharField(_("stored file"), max_length=500)
    size = models.BigIntegerField(_("size in bytes"), default=0)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    valid_rows_only = models.BooleanField(_("import the valid rows only"), default=False)
    personal_only = models.BooleanField(_("personal data only"), default=False)
    status = models.CharField(
        _("status"), max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    report = models.JSONField(_("report"), default=dict, blank=True)
    report_file = models.CharField(_("report file"), max_length=500, blank=True)
    cancel_requested = models.BooleanField(_("cancel requested"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename}"

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED
