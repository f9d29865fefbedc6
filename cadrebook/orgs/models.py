"""The organization tree: committees, grassroots organizations and cells."""

from __future__ import annotations

import datetime as dt

from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from cadrebook.core.scoping import ScopedQuerySet


class OrgUnitQuerySet(MP_NodeQuerySet, ScopedQuerySet["OrgUnit"]):
    def active_on(self, day: dt.date) -> OrgUnitQuerySet:
        return self.filter(
            models.Q(founded_on__isnull=True) | models.Q(founded_on__lte=day),
            models.Q(dissolved_on__isnull=True) | models.Q(dissolved_on__gt=day),
        )


class OrgUnitManager(MP_NodeManager):
    def get_queryset(self) -> OrgUnitQuerySet:
        return OrgUnitQuerySet(self.model).order_by("path")

    def visible_to(self, user: object, action: str = "view") -> OrgUnitQuerySet:
        return self.get_queryset().visible_to(user, action)


class OrgUnit(MP_Node):
    """A node of the organization tree (tổ chức đảng). Its `kind` comes from the rule set.

    Written only through `cadrebook.orgs.services` and, where members are concerned,
    `cadrebook.members.services` (move, merge, dissolve).
    """

    code: models.CharField[str, str] = models.CharField(_("code"), max_length=32, unique=True)
    name: models.CharField[str, str] = models.CharField(_("name"), max_length=255)
    name_norm: models.CharField[str, str] = models.CharField(
        _("normalized name"), max_length=255, db_index=True
    )
    kind: models.CharField[str, str] = models.CharField(_("kind"), max_length=32, db_index=True)
    founded_on: models.DateField[dt.date | None, dt.date | None] = models.DateField(
        _("founded on"), null=True, blank=True
    )
    dissolved_on: models.DateField[dt.date | None, dt.date | None] = models.DateField(
        _("dissolved on"), null=True, blank=True
    )

    node_order_by = ["code"]
    objects = OrgUnitManager()
    scope_path_field = "path"

    class Meta:
        verbose_name = _("org unit")
        verbose_name_plural = _("org units")
        # The children of a unit: one depth, a path range (statistics, tree pages).
        indexes = [models.Index(fields=["depth", "path"], name="orgunit_depth_path")]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    @property
    def is_active(self) -> bool:
        return self.dissolved_on is None

    def is_active_on(self, day: dt.date) -> bool:
        started = self.founded_on is None or self.founded_on <= day
        return started and (self.dissolved_on is None or self.dissolved_on > day)

    def ancestor_paths(self) -> list[str]:
        """Paths of this unit's ancestors and of itself, from the root down."""
        step = self.steplen
        return [self.path[: step * i] for i in range(1, self.depth + 1)]

    def ancestor_ids(self) -> list[int]:
        """Ids of the root .. this unit, in depth order (one query)."""
        paths = self.ancestor_paths()
        by_path = dict(OrgUnit.objects.filter(path__in=paths).values_list("path", "id"))
        return [by_path[p] for p in paths]
