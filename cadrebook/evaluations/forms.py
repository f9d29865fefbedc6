"""The browser's form for a target. It parses input only: what a target may be (a known
indicator, a plausible year, not negative) is the service's check, whose refusal comes back
on the field (`core/forms.add_refusal`), as the API and the import get it."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cadrebook.evaluations.choices import Framework
from cadrebook.evaluations.rules import EvaluationRules, FrameworkRule
from cadrebook.evaluations.selectors import target_indicators


class TargetForm(forms.Form):
    year = forms.IntegerField(label=_("Year"))
    indicator = forms.ChoiceField(label=_("Indicator"))
    target = forms.IntegerField(label=_("Target"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The indicators of the rule set in force, not a list written here.
        self.fields["indicator"].choices = [(code, code) for code in sorted(target_indicators())]


# -- The evaluation ----------------------------------------------------------------------------
# The forms parse input only: the levels, groups, disqualifiers, reasons and round kinds are the
# rule set's (passed in), and what a step may record is the service's check.

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = forms.Textarea(attrs={"rows": 3})


def level_choices(rules: EvaluationRules) -> list[tuple[str, str]]:
    """The four levels as the rule set names them in the page's language, best first."""
    return [(level.code, level.display_label) for level in rules.levels]


def document_field(help_text: Any) -> forms.TypedChoiceField:
    """A document from the register, chosen among those offered (`document_options`): its
    id, or None for none."""
    return forms.TypedChoiceField(
        label=_("Document"), coerce=int, empty_value=None, required=False, help_text=help_text
    )


def document_options(documents: list[Any]) -> list[tuple[Any, str]]:
    return [("", "—")] + [(d.pk, f"{d.symbol} · {d.date:%Y-%m-%d} · {d.title}") for d in documents]


class RoundOpenForm(forms.Form):
    """A round's kind (the rule set's), year, reference date and timetable D1/D2/D3."""

    kind = forms.ChoiceField(label=_("Kind of round"))
    year = forms.IntegerField(label=_("Year evaluated"))
    reference_date = forms.DateField(
        label=_("Reference date"),
        widget=DATE,
        help_text=_("The members and units are listed as they stood on this date."),
    )
    self_assessment_until = forms.DateField(label=_("Self-assessment until (D1)"), widget=DATE)
    proposals_until = forms.DateField(label=_("Cells' proposals until (D2)"), widget=DATE)
    decisions_until = forms.DateField(label=_("Decisions until (D3)"), widget=DATE)

    def __init__(self, *args: Any, rules: EvaluationRules, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.code, k.display_label) for k in rules.round_kinds]


class SelfAssessmentForm(forms.Form):
    """A score per criteria group of the subject's framework (`score_<group>`) and the
    self-review."""

    review = forms.CharField(label=_("Self-review"), required=False, widget=TEXT)

    def __init__(self, *args: Any, framework: FrameworkRule, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.groups = framework.groups
        review = self.fields.pop("review")
        for group in framework.groups:
            self.fields[f"score_{group.code}"] = forms.DecimalField(
                label=_("%(group)s (at most %(points)s points)")
                % {"group": group.display_label, "points": group.points},
                decimal_places=2,
                max_digits=6,
            )
        self.fields["review"] = review

    def scores(self) -> dict[str, Decimal]:
        return {g.code: self.cleaned_data[f"score_{g.code}"] for g in self.groups}


class ProposalForm(forms.Form):
    """The cell's proposed score and level with its vote; the host cell's comments for a
    member on temporary transfer."""

    score = forms.DecimalField(label=_("Score"), decimal_places=2, max_digits=6)
    level = forms.ChoiceField(label=_("Level proposed"))
    votes_for = forms.IntegerField(label=_("Votes in favour"), min_value=0)
    votes_against = forms.IntegerField(label=_("Votes against"), min_value=0)
    present = forms.IntegerField(label=_("Members present"), min_value=0)
    host_comments = forms.CharField(label=_("Host cell's comments"), required=False, widget=TEXT)
    note = forms.CharField(label=_("Note"), required=False, widget=TEXT)

    def __init__(
        self, *args: Any, rules: EvaluationRules, host_comments: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = level_choices(rules)
        if not host_comments:
            del self.fields["host_comments"]


class DecisionForm(forms.Form):
    """The deciding unit's level and score, its document, the disqualifiers that apply (with
    their source) and the recorded reason for a level the score and caps do not give."""

    level = forms.ChoiceField(label=_("Level decided"))
    score = forms.DecimalField(label=_("Score"), decimal_places=2, max_digits=6)
    document = document_field(_("The decision's document, from the register of the deciding unit."))
    disqualifiers = forms.MultipleChoiceField(
        label=_("Disqualifiers that apply"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    override_reason = forms.ChoiceField(label=_("Reason to rate otherwise"), required=False)
    override_text = forms.CharField(label=_("The reason, as recorded"), required=False, widget=TEXT)

    def __init__(
        self,
        *args: Any,
        rules: EvaluationRules,
        framework: str,
        documents: list[Any],
        from_discipline: frozenset[str] = frozenset(),
        from_fact: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["level"].choices = level_choices(rules)
        self.fields["document"].choices = document_options(documents)
        # Those the subject's discipline records of the year set: ticked, and applied by the
        # service whether ticked or not (a reason to rate otherwise still may be recorded).
        # Likewise those the year's confidence votes set (`from_fact`).
        self.fields["disqualifiers"].choices = [
            (
                d.code,
                (
                    _("%(label)s (at most: %(cap)s; %(source)s; from the discipline records)")
                    if d.code in from_discipline
                    else _("%(label)s (at most: %(cap)s; %(source)s; from the confidence votes)")
                    if d.code in from_fact
                    else _("%(label)s (at most: %(cap)s; %(source)s)")
                )
                % {
                    "label": d.display_label,
                    "cap": rules.level_label(d.cap),
                    "source": d.source,
                },
            )
            for d in rules.disqualifiers.get(framework, ())
        ]
        if (from_discipline or from_fact) and not self.is_bound:
            self.initial["disqualifiers"] = sorted(
                set(self.initial.get("disqualifiers") or ()) | from_discipline | from_fact
            )
        self.fields["override_reason"].choices = [("", "—")] + [
            (r.code, r.display_label) for r in rules.override_reasons
        ]


class ReconsiderForm(DecisionForm):
    """A closed round's decision changed: by the deciding unit or one above it, with its
    document and reason."""

    deciding_unit = forms.ChoiceField(label=_("Deciding unit"))
    reason = forms.CharField(label=_("Reason for the reconsideration"), widget=TEXT)

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["deciding_unit"].choices = [(u.code, f"{u.name} ({u.code})") for u in units]
        self.fields["document"].required = True


class OutstandingForm(forms.Form):
    """A deciding unit of the round marked outstanding (the quota's larger share)."""

    unit = forms.ChoiceField(label=_("Deciding unit"))

    def __init__(self, *args: Any, units: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, f"{u.name} ({u.code})") for u in units]


class CloseForm(forms.Form):
    """Closing a round asks nothing: the refusal, if any, is the whole form's."""


class TimetableForm(forms.Form):
    """A round's new timetable D1/D2/D3 and why it changes (the earlier dates are kept)."""

    self_assessment_until = forms.DateField(label=_("Self-assessment until (D1)"), widget=DATE)
    proposals_until = forms.DateField(label=_("Cells' proposals until (D2)"), widget=DATE)
    decisions_until = forms.DateField(label=_("Decisions until (D3)"), widget=DATE)
    reason = forms.CharField(label=_("Reason for the change"), widget=TEXT, max_length=2000)


class MarkForm(forms.Form):
    """What the records do not say of a subject: not rated (why), a special case (a leave's
    months, the host cell by its code), the framework, the group of similar roles, the unit
    led (by its code), a note."""

    excluded = forms.ChoiceField(label=_("Not rated because"), required=False)
    special_case = forms.ChoiceField(label=_("Special case"), required=False)
    leave_months = forms.IntegerField(
        label=_("Months of leave"), required=False, min_value=0, max_value=600
    )
    host_unit = forms.CharField(label=_("Host cell (code)"), required=False, max_length=32)
    framework = forms.ChoiceField(label=_("Framework"))
    role_group = forms.CharField(label=_("Group of similar roles"), max_length=64)
    leads = forms.CharField(label=_("Unit led (code)"), required=False, max_length=32)
    note = forms.CharField(label=_("Note"), required=False, widget=TEXT, max_length=20000)

    def __init__(self, *args: Any, rules: EvaluationRules, member: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["excluded"].choices = [("", _("Rated"))] + [
            (r.code, r.display_label) for r in rules.exclusion_reasons
        ]
        self.fields["special_case"].choices = [("", "—")] + [
            (c.code, c.display_label) for c in rules.special_cases
        ]
        self.fields["framework"].choices = [
            (f.code, f.display_label)
            for f in rules.frameworks.values()
            if (f.code != Framework.ORGANIZATION) == member
        ]
        if not member:
            for name in ("excluded", "special_case", "leave_months", "host_unit", "leads"):
                del self.fields[name]


class ModelStepForm(forms.Form):
    """A unit's registration for a model of the year (at its start), or whether it was
    recognized (at its end), with the document it rests on from the register."""

    unit = forms.ChoiceField(label=_("Organization"))
    kind = forms.ChoiceField(label=_("Model"))
    date = forms.DateField(label=_("Date"), widget=DATE)
    document = document_field(
        _("The document registering or recognizing it, from the register (if any).")
    )
    recognized = forms.ChoiceField(
        label=_("Recognized"),
        choices=[("yes", _("Recognized")), ("no", _("Not recognized"))],
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        rules: EvaluationRules,
        units: list[Any],
        step: str,
        documents: list[Any],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [(u.code, f"{u.name} ({u.code})") for u in units]
        self.fields["document"].choices = document_options(documents)
        self.fields["kind"].choices = [(k.code, k.display_label) for k in rules.model_kinds]
        if step == "register":
            del self.fields["recognized"]
        else:
            self.fields["recognized"].required = True
