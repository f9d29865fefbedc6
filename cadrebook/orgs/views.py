"""Org tree pages: the tree (htmx expand/collapse) and a unit page with its members."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cadrebook.core.rules import current_ruleset
from cadrebook.core.views import can, get_visible_or_404, paginate
from cadrebook.members.choices import MemberStatus
from cadrebook.members.selectors import full_member_counts, unit_member_counts, unit_members
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.selectors import breadcrumb, children_of, visible_roots
from cadrebook.orgs.services import cells_below_minimum


def _rows(units: list[OrgUnit]) -> list[dict[str, object]]:
    counts = unit_member_counts(units)
    fulls = full_member_counts([u.pk for u in units])
    small = {u.pk for u in cells_below_minimum(units, fulls)}
    kinds = current_ruleset().unit_kinds
    return [
        {
            "unit": u,
            "members": counts.get(u.pk, 0),
            "kind": kinds[u.kind].label if u.kind in kinds else u.kind,
            "below_minimum": u.pk in small,
        }
        for u in units
    ]


@login_required
def tree(request: HttpRequest) -> HttpResponse:
    roots = list(visible_roots(request.user))
    return render(request, "orgs/tree.html", {"rows": _rows(roots)})


@login_required
def children(request: HttpRequest, code: str) -> HttpResponse:
    """htmx fragment: the child rows of one unit."""
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    return render(request, "orgs/_children.html", {"rows": _rows(list(children_of(unit)))})


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    status = request.GET.get("status", "active")
    text = request.GET.get("q", "")
    members = unit_members(unit, status=status, text=text)
    context = {
        "unit": unit,
        "crumbs": breadcrumb(unit, request.user),
        "kind": current_ruleset().unit_kinds.get(unit.kind),
        "page": paginate(request, members),
        "q": text,
        "status": status,
        "statuses": [("active", "")] + list(MemberStatus.choices),
        "children": _rows(list(children_of(unit))),
        "can_audit": can(request.user, "audit", unit.path),
    }
    template = "orgs/_members.html" if request.headers.get("HX-Request") else "orgs/unit.html"
    return render(request, template, context)
