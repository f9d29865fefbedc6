"""What members shows on the pages of the unit tree (registered in `MembersConfig.ready`
through `orgs/panels.py`: orgs sits below members and never imports it): the member counts
of the tree's rows, and on the unit page the due lists and the member list with its search."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils import timezone

from cadrebook.core.permissions import VIEW_SENSITIVE
from cadrebook.core.scoping import scope_for
from cadrebook.core.views import paginate
from cadrebook.members.choices import MemberStatus
from cadrebook.members.selectors import (
    due_lists,
    full_member_counts,
    unit_member_counts,
    unit_members,
)
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.panels import (
    UnitPanel,
    register_unit_figures,
    register_unit_panel,
)
from cadrebook.orgs.selectors import cells_below_minimum


def member_figures(units: list[OrgUnit]) -> dict[int, dict[str, Any]]:
    """Per unit of the tree's rows: its members, and whether a cell is below the minimum."""
    counts = unit_member_counts(units)
    fulls = full_member_counts([u.pk for u in units])
    small = {u.pk for u in cells_below_minimum(units, fulls)}
    return {u.pk: {"members": counts.get(u.pk, 0), "below_minimum": u.pk in small} for u in units}


def _due(request: HttpRequest, unit: OrgUnit) -> dict[str, Any]:
    return {"due": due_lists(unit, timezone.localdate())}


def _member_list(request: HttpRequest, unit: OrgUnit) -> dict[str, Any]:
    status = request.GET.get("status", "active")
    text = request.GET.get("q", "")
    sensitive = scope_for(request.user, VIEW_SENSITIVE)
    members = unit_members(unit, status=status, text=text, id_scope=sensitive)
    return {
        "page": paginate(request, members),
        "q": text,
        "status": status,
        "statuses": [("active", "")] + list(MemberStatus.choices),
    }


def register() -> None:
    register_unit_figures(member_figures)
    register_unit_panel(
        UnitPanel(name="due_lists", place="top", template="members/_unit_due.html", context=_due)
    )
    register_unit_panel(
        UnitPanel(
            name="members",
            place="main",
            template="members/_unit_member_panel.html",
            context=_member_list,
            fragment="members/_unit_members.html",
        )
    )
