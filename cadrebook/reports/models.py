"""Statistics aggregates (derived, rebuilt) and issued reports (immutable records)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from cadrebook.core.scoping import ScopedQuerySet


class StatsSnapshot(models.Model):
    """The member and unit figures of one unit's subtree on one standard report date.

    Derived data: rebuilt as a whole by `cadrebook.reports.aggregates.rebuild_statistics`
    (after imports, nightly, `cadrebook report rebuild`), never edited. `figures` holds the
    "members" and "units" parts of the statistics exactly as the period-table path computes
    them, so either path gives the same numbers.
    """

    unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    date = models.DateField(_("date"))
    # JSON text rather than a JSON column: read back as written, in the order of the figures,
    # without PostgreSQL's jsonb reordering keys.
    figures = models.TextField(_("figures"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="stats_snapshot_unit_date")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date}"


class StatsCellCount(models.Model):
    """The full members of one member-holding unit on one standard report date.

    Derived data, rebuilt with the snapshots (a unit with none has no row). Statistics on a
    date between two snapshots start from the nearest one and need, for the cells whose full
    members changed in between, how many they had on it (cells below the minimum).
    """

    unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    date = models.DateField(_("date"))
    full = models.PositiveIntegerField(_("full members"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "date"], name="stats_cell_count_unit_date")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.date} {self.full}"


class MovementCount(models.Model):
    """Movements (admitted, transferred in, ...) of one unit's subtree in one calendar month.

    Derived data, rebuilt with the snapshots. A transfer between two units of the subtree is
    not a movement of it, so each row already counts what its subtree saw.
    """

    unit = models.ForeignKey(
        "orgs.OrgUnit", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    # The first day of the month, or of the year for the whole year's count (span "year"),
    # so a year's figures for thousands of units are one row each.
    month = models.DateField(_("month"))
    span = models.CharField(_("span"), max_length=5, default="month")
    movement = models.CharField(_("movement"), max_length=32)
    count = models.PositiveIntegerField(_("count"))

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["unit", "span", "month", "movement"], name="movement_count_unit_span"
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.month:%Y-%m} {self.movement} {self.count}"


class StatsBuild(models.Model):
    """One rebuild of the aggregates: what it covered and the data it saw.

    The aggregates answer only while nothing has changed since the latest finished build
    (`audit_mark` is the last audit entry it saw); otherwise statistics come from the period
    table, which is always current.
    """

    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    audit_mark = models.BigIntegerField(_("last audit entry seen"), default=0)
    data_mark = models.CharField(_("rule set"), max_length=200, blank=True)
    event_mark = models.BigIntegerField(_("last member event seen"), default=0)
    member_mark = models.BigIntegerField(_("last member seen"), default=0)
    first_month = models.DateField(_("first month"), null=True, blank=True)
    last_month = models.DateField(_("last month"), null=True, blank=True)
    dates = models.JSONField(_("snapshot dates"), default=list)
    # Every day from daily_from to daily_to has figures for the units to this depth.
    daily_depth = models.PositiveSmallIntegerField(_("depth of the daily figures"), default=0)
    daily_from = models.DateField(_("daily figures from"), null=True, blank=True)
    daily_to = models.DateField(_("daily figures to"), null=True, blank=True)
    units = models.PositiveIntegerField(_("units"), default=0)
    seconds = models.FloatField(_("seconds"), default=0)

    class Meta:
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"statistics build {self.pk} ({self.started_at:%Y-%m-%d %H:%M})"


class IssuedReportQuerySet(ScopedQuerySet["IssuedReport"]):
    def update(self, **kwargs: object) -> int:
        raise ValueError("Issued reports are immutable")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ValueError("Issued reports are immutable")


class IssuedReport(models.Model):
    """An annual (or period) report as issued: the narrative the officer signed, the figures
    it was made from, and who issued it when. Immutable: a corrected report is a new one."""

    unit = models.ForeignKey(
        "orgs.OrgUnit", verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+"
    )
    title = models.CharField(_("title"), max_length=255)
    language = models.CharField(_("language"), max_length=8)
    date_from = models.DateField(_("from"))
    date_to = models.DateField(_("to"))
    as_of = models.DateField(_("as of"))
    narrative = models.TextField(_("narrative"))
    figures = models.JSONField(_("figures"))
    issued_at = models.DateTimeField(_("issued at"), auto_now_add=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    objects = IssuedReportQuerySet.as_manager()
    scope_path_field = "unit__path"

    class Meta:
        verbose_name = _("issued report")
        verbose_name_plural = _("issued reports")
        ordering = ["-issued_at", "-id"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("Issued reports are immutable")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Issued reports are immutable")
