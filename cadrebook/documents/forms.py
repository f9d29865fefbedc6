"""Forms of the register's pages: the register's filters, registering a document, linking it,
attaching its files, changing its status, opening and closing an issuer's term. They check the shape of what is typed; the rules
(numbers, terms, dates, cycles) are the services' and come back as refusals on the field
(`core/forms.py`: `add_refusal`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from cadrebook.core.dates import implausible_year
from cadrebook.core.normalize import SEARCH_MAX_LENGTH
from cadrebook.documents.choices import Confidentiality, FileKind, LinkKind, Status, type_name
from cadrebook.documents.models import Term
from cadrebook.documents.numbering import document_types

DATE = forms.DateInput(attrs={"type": "date", "class": "form-control"})
SELECT = forms.Select(attrs={"class": "form-select"})
TEXT = forms.TextInput(attrs={"class": "form-control"})


def type_choices() -> list[tuple[str, str]]:
    """The rule set's types, as "Decision (QĐ)" in the active language."""
    return [(t.type, f"{type_name(t.type)} ({t.code})") for t in document_types().values()]


def _plausible(form: forms.Form, name: str) -> None:
    day = form.cleaned_data.get(name)
    if day and (message := implausible_year(day)):
        form.add_error(name, message)


class RegisterFilterForm(forms.Form):
    """The register's filters: words, type, term, period, status."""

    q = forms.CharField(
        label=_("Symbol, title or abstract"),
        required=False,
        max_length=SEARCH_MAX_LENGTH,
        widget=forms.TextInput(attrs={"class": "form-control", "type": "search"}),
    )
    type = forms.ChoiceField(label=_("Type"), required=False, widget=SELECT)
    term = forms.ChoiceField(label=_("Term"), required=False, widget=SELECT)
    date_from = forms.DateField(label=_("From"), required=False, widget=DATE)
    date_to = forms.DateField(label=_("To"), required=False, widget=DATE)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("Any")), *Status.choices],
        widget=SELECT,
    )

    def __init__(self, *args: Any, terms: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", _("Any")), *type_choices()]  # type: ignore[attr-defined]
        self.fields["term"].choices = [("", _("Any")), *((t, t) for t in terms)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _plausible(self, "date_from")
        _plausible(self, "date_to")
        return data


class DocumentForm(forms.Form):
    """Register a document of one issuer: the number is pre-filled with the next of its
    counter (left empty: the next one when it is registered)."""

    type = forms.ChoiceField(label=_("Type"), widget=SELECT)
    term = forms.ModelChoiceField(
        label=_("Term"), queryset=Term.objects.none(), empty_label=None, widget=SELECT
    )
    confidentiality = forms.ChoiceField(label=_("Confidentiality"), widget=SELECT)
    number = forms.IntegerField(
        label=_("Number"),
        required=False,
        min_value=1,
        max_value=2_147_483_647,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
        help_text=_("The next number of its counter is suggested; leave empty to take it."),
    )
    date = forms.DateField(label=_("Date"), widget=DATE)
    title = forms.CharField(label=_("Title"), max_length=500, widget=TEXT)
    abstract = forms.CharField(
        label=_("Abstract"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 3}),
    )
    signer_name = forms.CharField(label=_("Signer"), required=False, max_length=255, widget=TEXT)
    signer_position = forms.CharField(
        label=_("Signer's position"),
        required=False,
        max_length=255,
        widget=TEXT,
        help_text=_("As printed, e.g. T/M Ban Thường vụ, Bí thư."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[(Status.ISSUED, Status.ISSUED.label), (Status.DRAFT, Status.DRAFT.label)],
        widget=SELECT,
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES, widget=SELECT)

    def __init__(self, *args: Any, terms: Any, levels: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = type_choices()  # type: ignore[attr-defined]
        self.fields["term"].queryset = terms  # type: ignore[attr-defined]
        self.fields["confidentiality"].choices = [  # type: ignore[attr-defined]
            (c.value, c.label) for c in Confidentiality if c.value in set(levels)
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _plausible(self, "date")
        return data


class LinkForm(forms.Form):
    """This document <kind> another, named by its symbol or its number in the register."""

    prefix = "link"  # three forms share the document's page

    kind = forms.ChoiceField(label=_("This document"), choices=LinkKind.choices, widget=SELECT)
    target = forms.CharField(
        label=_("Document"),
        max_length=64,
        widget=TEXT,
        help_text=_("Its symbol (e.g. 28-NQ/TU) or its number in the register (#123)."),
    )


class UploadForm(forms.Form):
    prefix = "upload"
    kind = forms.ChoiceField(label=_("Kind"), choices=FileKind.choices, widget=SELECT)
    file = forms.FileField(
        label=_("File"),
        widget=forms.ClearableFileInput(attrs={"class": "form-control", "accept": ".pdf"}),
    )


class StatusForm(forms.Form):
    prefix = "status"
    status = forms.ChoiceField(
        label=_("New status"),
        choices=[c for c in Status.choices if c[0] != Status.DRAFT],
        widget=SELECT,
    )
    date = forms.DateField(label=_("Date"), widget=DATE)
    reason = forms.CharField(label=_("Reason"), required=False, max_length=255, widget=TEXT)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _plausible(self, "date")
        return data


class TermForm(forms.Form):
    """Open a term of a unit (or record a congress). Left empty, the label is its years and
    the issuer's printed code the rule set's for the unit's kind: the service fills them."""

    start = forms.DateField(
        label=_("Start"),
        widget=DATE,
        help_text=_("The day after the congress that elected the committee closed."),
    )
    end = forms.DateField(
        label=_("End"),
        required=False,
        widget=DATE,
        help_text=_("Leave empty while the term runs; it is closed at the next congress."),
    )
    label = forms.CharField(
        label=_("Label"),
        required=False,
        max_length=32,
        widget=TEXT,
        help_text=_("Leave empty: its years, e.g. 2025-2030 (the planned end while it runs)."),
    )
    issuer_symbol = forms.CharField(
        label=_("Issuer's printed code"),
        required=False,
        max_length=16,
        widget=TEXT,
        help_text=_("Leave empty: the rule set's code for the unit's kind (TU, ĐU…)."),
    )
    congress = forms.BooleanField(
        label=_("A congress"),
        required=False,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
        help_text=_("A congress is a term of its own: one counter for all its documents."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _plausible(self, "start")
        _plausible(self, "end")
        return data


class TermCloseForm(forms.Form):
    """Close a running term on the day its next congress closes."""

    end = forms.DateField(
        label=_("End"),
        widget=DATE,
        help_text=_("The day the next congress closes: the last day of the term."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        _plausible(self, "end")
        return data
