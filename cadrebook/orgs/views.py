"""Org tree pages: the tree (htmx expand/collapse) and a unit page. What other apps show on
them (member counts in the rows; the due lists and the member list on the unit page) comes
from what they register in `orgs/panels.py`."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from cadrebook.core.dates import implausible_year
from cadrebook.core.normalize import normalize_name
from cadrebook.core.permissions import AUDIT, CHANGE
from cadrebook.core.rules import current_ruleset
from cadrebook.core.views import can, get_visible_or_404
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.panels import unit_figures, unit_panels
from cadrebook.orgs.permissions import MANAGE_UNITS
from cadrebook.orgs.placements import placed_under
from cadrebook.orgs.selectors import breadcrumb, children_of, visible_roots


def _rows(units: list[OrgUnit]) -> list[dict[str, object]]:
    figures = unit_figures(units)  # what the apps above count per unit (members: members)
    kinds = current_ruleset().unit_kinds
    return [
        {
            "unit": u,
            "kind": kinds[u.kind].display_label if u.kind in kinds else u.kind,
            **figures.get(u.pk, {}),
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


def _as_of(text: str) -> tuple[dt.date | None, str]:
    """The date of `?as_of=` and why it is refused ("" when it is not): the words of the
    member list's date filter, the plausible years of every date a person gives."""
    try:
        day = forms.DateField(required=False).clean(text.strip())
    except ValidationError as exc:
        return None, " ".join(exc.messages)
    if day and (message := implausible_year(day)):
        return None, message
    return day, ""


@login_required
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    # The units below as the tree stood on a date (?as_of=YYYY-MM-DD): the tree has history.
    as_of, as_of_error = _as_of(request.GET.get("as_of", ""))
    children = (
        list(OrgUnit.objects.filter(pk__in=placed_under(unit, as_of)).active_on(as_of))
        if as_of
        else list(children_of(unit))
    )
    context = {
        "unit": unit,
        "crumbs": breadcrumb(unit, request.user),
        "kind": current_ruleset().unit_kinds.get(unit.kind),
        "children": _rows(children),
        "as_of": as_of,
        "as_of_error": as_of_error,
        "can_audit": can(request.user, AUDIT, unit.path),
    }
    if request.headers.get("HX-Request"):
        # A panel's own search (the member list's) re-asks this page for its fragment.
        for panel in unit_panels():
            if panel.fragment:
                return render(request, panel.fragment, {**context, **panel.context(request, unit)})
    context["can_change"] = can(request.user, CHANGE, unit.path)
    context["can_manage"] = can(request.user, MANAGE_UNITS, unit.path)
    context["top_panels"] = unit_panels("top")
    context["main_panels"] = unit_panels("main")
    for panel in unit_panels():
        context.update(panel.context(request, unit))
    return render(request, "orgs/unit.html", context)


LOOKUP_LIMIT = 20


@login_required
def unit_lookup(request: HttpRequest) -> HttpResponse:
    """htmx fragment: <option>s of the member-holding units whose code starts with, or whose
    name contains, the text typed (transfers go to any cell of the deployment, so the whole
    tree is searched; codes and names of units are not confidential)."""
    text = next((v for k, v in request.GET.items() if v.strip()), "").strip()
    units = OrgUnit.objects.none()
    if len(text) >= 2:
        kinds = current_ruleset().member_holding_kinds()
        by_code = OrgUnit.objects.filter(code__startswith=text.upper(), kind__in=kinds)
        by_name = OrgUnit.objects.filter(name_norm__contains=normalize_name(text), kind__in=kinds)
        units = (by_code | by_name).filter(dissolved_on__isnull=True).order_by("code")
    return render(request, "orgs/_unit_options.html", {"units": units[:LOOKUP_LIMIT]})
