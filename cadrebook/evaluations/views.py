"""Target pages: the targets in the user's scope with what was achieved, and setting one.

The small example of a page in the house shape: reads through a scoped selector (404 outside
the scope, like a unit that does not exist), the write through the service, its refusal on
the field, a confirmation step before a value is replaced."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from cadrebook.core.errors import ServiceError
from cadrebook.core.forms import add_refusal
from cadrebook.core.permissions import CHANGE
from cadrebook.core.views import can, get_visible_or_404
from cadrebook.evaluations.forms import TargetForm
from cadrebook.evaluations.models import Target
from cadrebook.evaluations.selectors import target_progress, visible_targets
from cadrebook.evaluations.services import target_set
from cadrebook.orgs.models import OrgUnit

# More rows than this on one page are a report's job (the XLSX of the annual report).
MAX_ROWS = 200


def _year(value: str | None) -> int | None:
    """The year of `?year=`, or None (every year) when none or no number is given."""
    try:
        return int((value or "").strip())
    except ValueError:
        return None


@login_required
def target_list(request: HttpRequest) -> HttpResponse:
    """The targets of the units in the user's scope: unit, year, indicator, target, achieved
    and %; the units the user may change can have a target set."""
    year = _year(request.GET.get("year"))
    targets = list(visible_targets(request.user, year=year)[:MAX_ROWS])
    home = OrgUnit.objects.visible_to(request.user, CHANGE).order_by("depth", "path").first()
    return render(
        request,
        "evaluations/target_list.html",
        {
            "rows": target_progress(targets),
            "year": year,
            "years": range(timezone.localdate().year + 1, timezone.localdate().year - 10, -1),
            "home": home,
            "truncated": len(targets) == MAX_ROWS,
        },
    )


@login_required
def target_edit(request: HttpRequest, code: str) -> HttpResponse:
    """Set or revise a target of a unit. Replacing a value asks for confirmation first."""
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    if not can(request.user, CHANGE, unit.path):
        raise PermissionDenied
    form = TargetForm(request.POST or None, initial=request.GET.dict())
    context = {"form": form, "unit": unit}
    if request.method != "POST":
        return render(request, "evaluations/target_form.html", context)
    if not form.is_valid():
        return render(request, "evaluations/target_form.html", context, status=422)
    data = form.cleaned_data
    current = (
        Target.objects.filter(unit=unit, year=data["year"], indicator=data["indicator"])
        .values_list("target", flat=True)
        .first()
    )
    if current not in (None, data["target"]) and request.POST.get("confirmed") != "yes":
        context["current"] = current
        return render(request, "evaluations/target_confirm.html", context)
    try:
        target_set(
            actor=request.user,
            unit=unit,
            year=data["year"],
            indicator=data["indicator"],
            target=data["target"],
        )
    except ServiceError as exc:
        add_refusal(form, exc)
        return render(request, "evaluations/target_form.html", context, status=422)
    return redirect(reverse("evaluations:targets") + f"?year={data['year']}")
