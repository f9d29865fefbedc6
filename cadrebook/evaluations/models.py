"""Targets set for units (and, later, the annual evaluation)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cadrebook.core.scoping import ScopedQuerySet


class TargetQuerySet(ScopedQuerySet["Target"]):
    pass


class Target(models.Model):
    """A number a unit's subtree is to reach in a calendar year for one indicator of the rule
    set (e.g. 820 admissions in 2024). A revised target replaces the number; the audit log
    keeps every earlier value."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="targets"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    indicator = models.CharField(_("indicator"), max_length=32)
    target = models.PositiveIntegerField(_("target"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = TargetQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["unit", "year", "indicator"]
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "year", "indicator"], name="target_unit_year_indicator"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.year} {self.indicator} {self.target}"
