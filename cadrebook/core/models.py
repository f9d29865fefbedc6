"""Core models: the append-only audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadrebook.core.scoping import ScopedQuerySet


class AuditLogIsAppendOnly(Exception):
    """Raised on any attempt to change or delete an audit entry."""


class AuditQuerySet(ScopedQuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> int:
        raise AuditLogIsAppendOnly("The audit log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("The audit log is append-only")


class AuditEntry(models.Model):
    """One change, view or export: who did what to which object, in which unit, and when.

    Append-only for everybody: the ORM refuses updates and deletes, and database triggers
    refuse UPDATE and DELETE statements (cadrebook.core.append_only). Tamper-evident: each
    entry's hash chains it to the one before (cadrebook.core.audit_chain).
    """

    class Action(models.TextChoices):
        CREATE = "create", _("Created")
        UPDATE = "update", _("Changed")
        VIEW = "view", _("Viewed")
        EXPORT = "export", _("Exported")
        LOGIN = "login", _("Logged in")
        # A refused attempt worth an administrator's attention: a sign-in, or a national ID
        # already held by someone the actor may not see.
        REFUSED = "refused", _("Refused")

    # Set before the entry is written (not auto_now_add): it is part of the entry's hash.
    created_at = models.DateTimeField(
        _("time"), default=timezone.now, editable=False, db_index=True
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor_name = models.CharField(_("actor name"), max_length=150, blank=True)
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("org unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    # The unit's path when the entry was written: scoping by range without a join.
    unit_path = models.CharField(_("unit path"), max_length=255, blank=True, db_index=True)
    object_type = models.CharField(_("object type"), max_length=64)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=255)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    event_type = models.CharField(_("event type"), max_length=64)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=64, blank=True)
    # "token:<name>" when the change came through the API with a personal token.
    via = models.CharField(_("via"), max_length=160, blank=True)
    # SHA-256 of the previous entry's hash and this entry's content (cadrebook.core.audit_chain).
    hash = models.CharField(_("hash"), max_length=64, blank=True, editable=False)

    objects = AuditQuerySet.as_manager()
    scope_path_field = "unit_path"

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["object_type", "object_id", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_name} {self.event_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AuditLogIsAppendOnly("The audit log is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        raise AuditLogIsAppendOnly("The audit log is append-only")
