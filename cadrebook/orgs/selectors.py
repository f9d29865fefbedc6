"""Reads on the org tree."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from cadrebook.core.scoping import scope_for, subtree_q
from cadrebook.orgs.models import OrgUnit


def visible_roots(user: Any) -> QuerySet[OrgUnit]:
    """The topmost units a user can see: the tree roots, or the units of their grants."""
    scope = scope_for(user, "view")
    if scope.everything:
        return OrgUnit.objects.get_root_nodes()
    return OrgUnit.objects.filter(path__in=scope.paths)


def children_of(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(subtree_q("path", [unit.path]), depth=unit.depth + 1).order_by(
        "code"
    )


def breadcrumb(unit: OrgUnit, user: Any) -> list[OrgUnit]:
    """Ancestors of `unit` the user may see, root first, the unit itself last."""
    scope = scope_for(user, "view")
    paths = [p for p in unit.ancestor_paths() if scope.covers_path(p)]
    return list(OrgUnit.objects.filter(path__in=paths).order_by("depth"))
