"""The browser's form for a target. It parses input only: what a target may be (a known
indicator, a plausible year, not negative) is the service's check, whose refusal comes back
on the field (`core/forms.add_refusal`), as the API and the import get it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cadrebook.evaluations.selectors import target_indicators


class TargetForm(forms.Form):
    year = forms.IntegerField(label=_("Year"))
    indicator = forms.ChoiceField(label=_("Indicator"))
    target = forms.IntegerField(label=_("Target"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The indicators of the rule set in force, not a list written here.
        self.fields["indicator"].choices = [(code, code) for code in sorted(target_indicators())]
