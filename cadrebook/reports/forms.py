"""Forms of the reports pages: which subtree, which year, which language."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def last_year() -> int:
    return timezone.localdate().year - 1


class ReportForm(forms.Form):
    """A unit (by code), a calendar year, and the language of the document."""

    unit = forms.CharField(
        label=_("Unit code"), max_length=32, help_text=_("The unit whose subtree is counted.")
    )
    year = forms.IntegerField(
        label=_("Year"), min_value=1900, max_value=2999, help_text=_("A calendar year.")
    )
    language = forms.ChoiceField(label=_("Language of the document"), choices=settings.LANGUAGES)

    def period(self) -> tuple[dt.date, dt.date, dt.date]:
        """(from, to, as of): the calendar year, counted up to today if it is not over."""
        year = self.cleaned_data["year"]
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        return start, end, min(end, timezone.localdate())


class IssueForm(ReportForm):
    title = forms.CharField(label=_("Title"), max_length=255)
    narrative = forms.CharField(label=_("Narrative"), widget=forms.Textarea, max_length=20_000)
