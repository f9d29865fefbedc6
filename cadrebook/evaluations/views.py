"""Target pages: the targets in the user's scope with what was achieved, and setting one.

The small example of a page in the house shape: reads through a scoped selector (404 outside
the scope, like a unit that does not exist), the write through the service, its refusal on
the field, a confirmation step before a value is replaced."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from cadrebook.core.forms import submit
from cadrebook.core.views import can, get_visible_or_404
from cadrebook.evaluations.forms import TargetForm
from cadrebook.evaluations.models import Target
from cadrebook.evaluations.selectors import target_progress, visible_targets
from cadrebook.evaluations.services import target_set
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.permissions import MANAGE_UNITS

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
    home = OrgUnit.objects.visible_to(request.user, MANAGE_UNITS).order_by("depth", "path").first()
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
    """Set or revise a target of a unit. Replacing a value asks for confirmation first, once
    the service would accept the new one (`core/forms.submit`); a value someone else changed
    between the question and the answer is asked about again."""
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    if not can(request.user, MANAGE_UNITS, unit.path):
        raise PermissionDenied
    form = TargetForm(request.POST or None, initial=request.GET.dict())
    context: dict[str, Any] = {"form": form, "unit": unit}
    if request.method != "POST" or not form.is_valid():
        status = 422 if request.method == "POST" else 200
        return render(request, "evaluations/target_form.html", context, status=status)
    data = form.cleaned_data
    current = (
        Target.objects.filter(unit=unit, year=data["year"], indicator=data["indicator"])
        .values_list("target", flat=True)
        .first()
    )
    # The confirmation names the value it replaces: confirmed only if that is still the value.
    still = request.POST.get("replacing") == str(current)
    outcome = submit(
        request,
        form,
        lambda: target_set(
            actor=request.user,
            unit=unit,
            year=data["year"],
            indicator=data["indicator"],
            target=data["target"],
        ),
        confirm=current not in (None, data["target"]),
        confirmed=request.POST.get("confirmed") == "yes" and still,
    )
    if outcome.done:
        return redirect(reverse("evaluations:targets") + f"?year={data['year']}")
    if outcome.confirming:
        context["current"] = current
        return render(request, "evaluations/target_confirm.html", context)
    return render(request, "evaluations/target_form.html", context, status=outcome.status)
