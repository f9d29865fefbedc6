"""Restructuring the tree in the browser: move, merge, dissolve and rename a unit.

Each is a form, then a check-your-answers page (a restructuring stays in the history), then the
service; a refusal is shown next to the field at fault, before the answers when the service,
asked in a rolled-back transaction, would refuse them. They live in `members` because moving,
merging and dissolving a unit concern its members too (docs/architecture.md: the higher app).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from cadrebook.core.dates import implausible_year
from cadrebook.core.forms import Submitted, submit
from cadrebook.core.views import can, get_visible_or_404
from cadrebook.members import services as ms
from cadrebook.orgs.models import OrgUnit
from cadrebook.orgs.permissions import MANAGE_UNITS
from cadrebook.orgs.selectors import breadcrumb
from cadrebook.orgs.services import unit_rename

# The permission the API asks for the same operations (members/unit_api.py).


@dataclass(frozen=True)
class UnitAction:
    label: Any
    icon: str
    fields: tuple[str, ...]
    run: Callable[..., OrgUnit]


def _move(actor: Any, unit: OrgUnit, data: dict[str, Any]) -> OrgUnit:
    return ms.unit_move(
        actor=actor,
        unit=unit,
        new_parent=data["parent"],
        date=data["date"],
        document=data["document"],
    )


def _merge(actor: Any, unit: OrgUnit, data: dict[str, Any]) -> OrgUnit:
    return ms.unit_merge(
        actor=actor, unit=unit, into=data["into"], date=data["date"], document=data["document"]
    )


def _dissolve(actor: Any, unit: OrgUnit, data: dict[str, Any]) -> OrgUnit:
    return ms.unit_dissolve(actor=actor, unit=unit, date=data["date"], document=data["document"])


def _rename(actor: Any, unit: OrgUnit, data: dict[str, Any]) -> OrgUnit:
    return unit_rename(
        actor=actor, unit=unit, name=data["name"], date=data["date"], document=data["document"]
    )


UNIT_ACTIONS = {
    "move": UnitAction(_lazy("Move the unit"), "ti-arrow-move-right", ("parent",), _move),
    "merge": UnitAction(_lazy("Merge into another unit"), "ti-arrows-join", ("into",), _merge),
    "dissolve": UnitAction(_lazy("Dissolve the unit"), "ti-circle-off", (), _dissolve),
    "rename": UnitAction(_lazy("Rename the unit"), "ti-pencil", ("name",), _rename),
}


class UnitActionForm(forms.Form):
    """The fields of one restructuring; units are named by code and must be the user's to
    manage, like the unit itself (a unit out of reach reads as not found)."""

    parent = forms.CharField(label=_lazy("New unit above (code)"), max_length=32)
    into = forms.CharField(label=_lazy("Merge into (code)"), max_length=32)
    name = forms.CharField(label=_lazy("New name"), max_length=255)
    date = forms.DateField(
        label=_lazy("Date"),
        help_text=_lazy("From this date on; earlier dates keep the tree as it was."),
    )
    document = forms.CharField(label=_lazy("Deciding document"), max_length=64, required=False)

    def __init__(self, action: UnitAction, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        for name in ("parent", "into", "name"):
            if name not in action.fields:
                del self.fields[name]
        if "name" in action.fields:
            self.fields["date"].required = False

    def _unit(self, field: str) -> OrgUnit:
        code = self.cleaned_data[field].strip()
        try:
            unit = get_visible_or_404(OrgUnit.objects.all(), self.user, code=code)
        except Http404:
            unit = None
        if unit is None or not can(self.user, MANAGE_UNITS, unit.path):
            raise forms.ValidationError(_("No unit %(code)s that you may manage.") % {"code": code})
        return unit  # type: ignore[no-any-return]

    def clean_date(self) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get("date")
        if day and (message := implausible_year(day)):
            raise forms.ValidationError(message)  # the services' and the API's words
        return day

    def clean_parent(self) -> OrgUnit:
        return self._unit("parent")

    def clean_into(self) -> OrgUnit:
        return self._unit("into")


def _answer(form: UnitActionForm, name: str) -> str:
    value = form.cleaned_data.get(name)
    if isinstance(value, OrgUnit):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value or "—")


# A refusal about the unit acted on (or the units merged) concerns the whole form.
WHOLE_FORM: dict[str, str | None] = {"unit": None, "units": None}


@login_required
def unit_action(request: HttpRequest, code: str, name: str) -> HttpResponse:
    """One restructuring of `code`: the form, the check-your-answers page, then the service."""
    action = UNIT_ACTIONS.get(name)
    if action is None:
        raise Http404
    unit = get_visible_or_404(OrgUnit.objects.all(), request.user, code=code)
    if not can(request.user, MANAGE_UNITS, unit.path):
        raise PermissionDenied
    back = reverse("orgs:detail", args=[unit.code])
    form = UnitActionForm(action, request.user, request.POST or None)
    outcome = Submitted()
    if request.method == "POST" and form.is_valid():
        units = tuple(v for v in form.cleaned_data.values() if isinstance(v, OrgUnit))
        outcome = submit(
            request,
            form,
            lambda: action.run(request.user, unit, form.cleaned_data),
            touched=(unit, *units),
            fields=WHOLE_FORM,
        )
        if outcome.done:
            done = outcome.result
            messages.success(
                request,
                _("%(action)s: done for %(unit)s.") % {"action": action.label, "unit": done},
            )
            return redirect(reverse("orgs:detail", args=[done.code]))
    confirming = outcome.confirming
    answers = [(form[f].label, _answer(form, f)) for f in form.fields] if confirming else []
    return render(
        request,
        "members/unit_action.html",
        {
            "unit": unit,
            "action": action,
            "form": form,
            "confirming": confirming,
            "answers": answers,
            "back": back,
            "crumbs": breadcrumb(unit, request.user),
        },
        status=outcome.status if request.method == "POST" else 200,
    )
