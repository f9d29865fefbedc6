"""Forms of the import and export pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from cadrebook.imports.formats import KINDS

KIND_CHOICES = [
    ("units", _("Units")),
    ("members", _("Members")),
    ("events", _("Events (members' history)")),
    ("targets", _("Targets")),
    ("documents", _("Documents (the register)")),
    ("ratings", _("Ratings (evaluation of members and organizations)")),
    ("inspections", _("Inspections and supervisions")),
    ("disciplines", _("Disciplines")),
    ("inspection-programs", _("Inspection programs (planned inspections and supervisions)")),
    ("appointments", _("Appointments (who holds which post, elected or appointed)")),
    ("planning", _("Planning (who is in the succession planning for which post)")),
]
assert [k for k, _label in KIND_CHOICES] == list(KINDS)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=KIND_CHOICES)
    file = forms.FileField(
        label=_("File"), help_text=_("CSV (UTF-8, UTF-16 or Windows-1258) or Excel .xlsx")
    )
    sheet = forms.CharField(
        label=_("Sheet"),
        required=False,
        max_length=100,
        help_text=_("Excel only; empty for the first sheet."),
    )
    valid_rows_only = forms.BooleanField(
        label=_("Import the valid rows and report the others"),
        required=False,
        help_text=_("Unticked, one refused row means nothing is imported."),
    )
    personal_only = forms.BooleanField(
        label=_("Members: personal data only (the history comes from an events file)"),
        required=False,
    )


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("What to export"), choices=KIND_CHOICES)
    unit = forms.CharField(
        label=_("Unit code"),
        required=False,
        max_length=32,
        help_text=_("Empty for everything you may see."),
    )
    format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "Excel (.xlsx)"), ("csv", "CSV")]
    )
    headers = forms.ChoiceField(
        label=_("Column headers"), choices=[("en", _("English")), ("vi", _("Vietnamese"))]
    )
