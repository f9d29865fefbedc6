"""The organization tree: committees, grassroots organizations and cells."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from treebeard.mp_tree import MP_Node, MP_NodeManager, MP_NodeQuerySet

from cadrebook.core.permissions import VIEW
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

    def visible_to(self, user: object, action: str = VIEW) -> OrgUnitQuerySet:
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


# Columns of ancestor ids on placements and member periods; the tree may not be deeper
# (settings.MAX_TREE_DEPTH).
PLACEMENT_ANCESTOR_COLUMNS = 6


def _ancestor_field(label: Any) -> models.ForeignKey[OrgUnit | None, OrgUnit | None]:
    return models.ForeignKey(
        OrgUnit,
        verbose_name=label,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )


class UnitPlacement(models.Model):
    """Where a unit stood in the tree from `valid_from` (None: from its beginning) until
    `valid_to` (None: still), with the ids of its ancestors then (itself at its own depth).

    The treebeard tree is the current shape; placements are its history, so "the tree as of
    D" is one range query. A dated move closes the open placement of every unit of the moved
    subtree and opens a new one; nothing earlier is rewritten. Written only by
    `cadrebook.orgs.services.unit_create` and `cadrebook.members.services.unit_move`.
    """

    unit = models.ForeignKey(
        OrgUnit,
        verbose_name=_("unit"),
        on_delete=models.PROTECT,
        related_name="placements",
        db_index=False,
    )
    parent = models.ForeignKey(
        OrgUnit,
        verbose_name=_("parent"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    depth = models.PositiveSmallIntegerField(_("depth"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid to"), null=True, blank=True)
    document = models.CharField(_("document"), max_length=64, blank=True)
    anc1 = _ancestor_field(_("ancestor at depth 1"))
    anc2 = _ancestor_field(_("ancestor at depth 2"))
    anc3 = _ancestor_field(_("ancestor at depth 3"))
    anc4 = _ancestor_field(_("ancestor at depth 4"))
    anc5 = _ancestor_field(_("ancestor at depth 5"))
    anc6 = _ancestor_field(_("ancestor at depth 6"))

    class Meta:
        verbose_name = _("unit placement")
        verbose_name_plural = _("unit placements")
        ordering = ["unit", "valid_from"]
        indexes = [
            models.Index(fields=["unit", "valid_from"], name="placement_unit_from"),
            # The children of a unit on a date (the unit tree page, the statistics' children).
            models.Index(fields=["parent", "valid_from"], name="placement_parent_from"),
            # The units of a subtree on a date: one ancestor column, like the member periods.
            *(
                models.Index(fields=[f"anc{k}", "valid_from"], name=f"placement_anc{k}_from")
                for k in range(1, PLACEMENT_ANCESTOR_COLUMNS + 1)
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_from__isnull=True)
                | models.Q(valid_to__isnull=True)
                | models.Q(valid_from__lt=models.F("valid_to")),
                name="placement_from_before_to",
            )
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} under {self.parent_id} {self.valid_from}..{self.valid_to}"

    @property
    def ancestors(self) -> tuple[int, ...]:
        ids = (getattr(self, f"anc{k}_id") for k in range(1, PLACEMENT_ANCESTOR_COLUMNS + 1))
        return tuple(i for i in ids if i is not None)
