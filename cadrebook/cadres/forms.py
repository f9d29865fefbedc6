"""The browser's forms of cadre work: open and close a committee term, elect, appoint, end a
post. They parse input only: the positions are the rule set's (those the unit's kind has
seats of, passed in), the terms and documents the unit's; what may be recorded is the
services' check, whose refusal comes back on the field with the rule's source
(`core/forms.add_refusal`), as the API and the import get it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cadrebook.cadres.choices import ENDED_BY_HAND, HoldingHow

DATE = forms.DateInput(attrs={"type": "date"})
MAX_VOTES = 1_000_000


def _blank(choices: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    return [("", "—"), *choices]


def _document_field(label: Any) -> forms.TypedChoiceField:
    """A document of the unit's register, chosen among those offered: its id, or None."""
    return forms.TypedChoiceField(
        label=label,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("The unit's issued documents you may read, newest first."),
    )


def document_options(documents: list[Any]) -> list[tuple[Any, str]]:
    return _blank([(d.pk, f"{d.symbol} · {d.date:%Y-%m-%d} · {d.title}") for d in documents])


def term_options(terms: list[Any]) -> list[tuple[Any, str]]:
    return [(t.pk, t.label) for t in terms]


def _member_field() -> forms.CharField:
    return forms.CharField(
        label=_("Member"),
        max_length=255,
        help_text=_("The member's external id, or type a name and pick the member in the list."),
    )


class TermOpenForm(forms.Form):
    start = forms.DateField(label=_("Start"), widget=DATE)
    end = forms.DateField(label=_("End"), widget=DATE, required=False)
    label = forms.CharField(
        label=_("Label"),
        max_length=32,
        required=False,
        help_text=_("By default the term's years, as 2025-2030."),
    )


class TermCloseForm(forms.Form):
    term = forms.TypedChoiceField(label=_("Term"), coerce=int)
    end = forms.DateField(
        label=_("End"),
        widget=DATE,
        help_text=_("The day the next congress closes: the posts of the term end that day."),
    )

    def __init__(self, *args: Any, terms: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["term"].choices = term_options(terms)  # type: ignore[attr-defined]
        if not terms:
            self.fields["term"].help_text = _("The unit has no running committee term.")


class _PostForm(forms.Form):
    member = _member_field()
    position = forms.ChoiceField(label=_("Position"))

    def __init__(
        self,
        *args: Any,
        positions: list[tuple[str, str]],
        documents: list[Any],
        member_lookup: str,
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.fields["position"].choices = positions  # type: ignore[attr-defined]
        self.fields["member"].lookup_url = member_lookup  # type: ignore[attr-defined]
        for name, field in self.fields.items():
            if name.endswith("document"):
                field.choices = document_options(documents)  # type: ignore[attr-defined]


class ElectForm(_PostForm):
    term = forms.TypedChoiceField(label=_("Committee term"), coerce=int)
    started_on = forms.DateField(label=_("From"), widget=DATE)
    votes_for = forms.IntegerField(label=_("Votes for"), min_value=0, max_value=MAX_VOTES)
    votes_total = forms.IntegerField(label=_("Votes cast"), min_value=0, max_value=MAX_VOTES)
    document = _document_field(_("Decision or minutes from the register"))
    document_text = forms.CharField(
        label=_("Decision or minutes as written"), max_length=255, required=False
    )

    def __init__(self, *args: Any, terms: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["term"].choices = term_options(terms)  # type: ignore[attr-defined]
        if not terms:
            self.fields["term"].help_text = _(
                "The unit has no running committee term: open one first."
            )


class AppointForm(_PostForm):
    how = forms.ChoiceField(
        label=_("How"),
        choices=[
            (HoldingHow.APPOINTED.value, HoldingHow.APPOINTED.label),
            (HoldingHow.ACTING.value, HoldingHow.ACTING.label),
            (HoldingHow.SECONDED.value, HoldingHow.SECONDED.label),
        ],
    )
    started_on = forms.DateField(label=_("From"), widget=DATE)
    planned_end = forms.DateField(
        label=_("Planned end"),
        widget=DATE,
        required=False,
        help_text=_("Acting or seconded only: an appointment lasts the rule set's length."),
    )
    file_received_on = forms.DateField(
        label=_("File received on"),
        widget=DATE,
        required=False,
        help_text=_("The working life left is counted on this day (by default the start)."),
    )
    term = forms.TypedChoiceField(
        label=_("Committee term"), coerce=int, empty_value=None, required=False
    )
    document = _document_field(_("Decision from the register"))
    document_text = forms.CharField(label=_("Decision as written"), max_length=255, required=False)
    outside_planning_document = _document_field(
        _("Decision to appoint outside planning, from the register")
    )
    outside_planning_text = forms.CharField(
        label=_("Decision to appoint outside planning, as written"),
        max_length=255,
        required=False,
        help_text=_("Only when the member is not in planning for this post or a higher one."),
    )

    def __init__(self, *args: Any, terms: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["term"].choices = _blank(term_options(terms))  # type: ignore[attr-defined]


class VoidForm(forms.Form):
    """A holding recorded in error (the wrong person, post, unit or day): voided with the
    reason, the record kept."""

    reason = forms.CharField(
        label=_("Why the record is wrong"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )
    document = _document_field(_("Decision from the register"))
    document_text = forms.CharField(label=_("Decision as written"), max_length=255, required=False)

    def __init__(self, *args: Any, documents: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["document"].choices = document_options(documents)  # type: ignore[attr-defined]


class EndForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"), choices=[(r.value, r.label) for r in ENDED_BY_HAND]
    )
    ended_on = forms.DateField(
        label=_("Ended on"), widget=DATE, help_text=_("The last day the post is held.")
    )
    document = _document_field(_("Decision from the register"))
    document_text = forms.CharField(label=_("Decision as written"), max_length=255, required=False)

    def __init__(self, *args: Any, documents: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["document"].choices = document_options(documents)  # type: ignore[attr-defined]
