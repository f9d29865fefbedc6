"""Reads on the org tree, and the checks of the rule set's tree rules that the services
and the imports ask before they write."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.permissions import VIEW
from cadrebook.core.rules import current_ruleset
from cadrebook.core.scoping import scope_for, subtree_q
from cadrebook.orgs.models import OrgUnit


def visible_roots(user: Any) -> QuerySet[OrgUnit]:
    """The topmost units a user can see: the tree roots, or the units of their grants."""
    scope = scope_for(user, VIEW)
    if scope.everything:
        return OrgUnit.objects.get_root_nodes()
    return OrgUnit.objects.filter(path__in=scope.paths)


def unit_visible_by_code(user: Any, code: str) -> OrgUnit | None:
    """The unit with `code` if the user may view it; None alike when it is missing or out of
    view (core's audit pages ask through `core.units.visible_unit`)."""
    return OrgUnit.objects.visible_to(user, VIEW).filter(code=code).first()


def children_of(unit: OrgUnit) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(subtree_q("path", [unit.path]), depth=unit.depth + 1).order_by(
        "code"
    )


def breadcrumb(unit: OrgUnit, user: Any) -> list[OrgUnit]:
    """Ancestors of `unit` the user may see, root first, the unit itself last."""
    scope = scope_for(user, VIEW)
    paths = [p for p in unit.ancestor_paths() if scope.covers_path(p)]
    return list(OrgUnit.objects.filter(path__in=paths).order_by("depth"))


def check_kind_under(*, kind: str, parent: OrgUnit | None) -> None:
    """Refuse a unit of `kind` under `parent` unless the rule set allows it."""
    rules = current_ruleset()
    spec = rules.unit_kind(kind)
    parent_kind = parent.kind if parent else None
    allowed = spec.parents
    if (parent_kind is None and not spec.top) or (
        parent_kind is not None and parent_kind not in allowed
    ):
        raise RuleViolation(
            "unit.parent_kind_not_allowed",
            _("A unit of kind %(kind)s cannot stand under %(parent)s; allowed: %(allowed)s.")
            % {
                "kind": kind,
                "parent": parent_kind or _("the top of the tree"),
                "allowed": ", ".join([*allowed, *([_("the top of the tree")] if spec.top else [])]),
            },
            source=spec.source,
            field="parent",
        )
    depth = (parent.depth if parent else 0) + 1
    if depth > settings.MAX_TREE_DEPTH:
        raise ServiceError(
            "unit.too_deep",
            _("The tree may be at most %(n)d levels deep.") % {"n": settings.MAX_TREE_DEPTH},
            field="parent",
        )


def cells_below_minimum(units: Any, counts: dict[int, int]) -> list[OrgUnit]:
    """Member-holding units whose full-member count is under the rule set's minimum."""
    rules = current_ruleset()
    minimum = rules.int("organization.cell_min_full_members")
    holding = set(rules.member_holding_kinds())
    return [u for u in units if u.kind in holding and u.is_active and counts.get(u.pk, 0) < minimum]
