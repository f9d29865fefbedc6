"""Role assignments: a user holds a role on an org unit (and its subtree), or nationally."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cadrebook.accounts.roles import Role
from cadrebook.core.scoping import ScopedQuerySet


class RoleAssignmentQuerySet(ScopedQuerySet["RoleAssignment"]):
    pass


class RoleAssignment(models.Model):
    """A grant of `role` on `unit` and everything below it; `unit` empty means national."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    unit = models.ForeignKey(
        "orgs.OrgUnit",
        verbose_name=_("org unit"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="role_assignments",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = RoleAssignmentQuerySet.as_manager()
    # National grants (no unit) are visible to national administrators only.
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "unit"], name="unique_grant")
        ]

    def __str__(self) -> str:
        where = self.unit.code if self.unit else _("national")
        return f"{self.user} {self.role} @ {where}"

    @property
    def is_national(self) -> bool:
        return self.unit_id is None


class Preference(models.Model):
    """What a user chose for themselves: the language of the interface, kept across
    sessions and machines."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="preference"
    )
    language = models.CharField(_("language"), max_length=8, choices=settings.LANGUAGES)

    class Meta:
        verbose_name = _("preference")
        verbose_name_plural = _("preferences")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.language}"


class ApiToken(models.Model):
    """A personal API token: shown once when created, stored only as its SHA-256 digest.

    It acts as its user (same roles, same scope) until it expires or is revoked; every use
    is timed (`last_used_at`) and every change made with it is audited with its name.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12)  # shown to tell tokens apart
    digest = models.CharField(_("digest"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "name"],
                condition=models.Q(revoked_at__isnull=True),
                name="api_token_name_per_user",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class ForcedPasswordChange(models.Model):
    """A user who must choose a new password before anything else: an administrator set a
    temporary one. Removed when the user changes it."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="forced_password_change"
    )
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("set by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("forced password change")
        verbose_name_plural = _("forced password changes")

    def __str__(self) -> str:
        return f"{self.user_id}"
