"""The browser's forms of inspection, supervision and discipline. They parse input only: the
kinds, steps, bodies, forms and violation kinds are the rule set's (passed in), and what may
be recorded is the services' check, whose refusal comes back on the field
(`core/forms.add_refusal`), as the API and the import get it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cadrebook.core.dates import MAX_YEAR, MIN_YEAR
from cadrebook.inspections.choices import MAX_VOTERS, AppealOutcome, FollowUpStatus, SubjectKind
from cadrebook.inspections.discipline_rules import DisciplineRules
from cadrebook.inspections.rules import InspectionRules

DATE = forms.DateInput(attrs={"type": "date"})
TEXT = forms.Textarea(attrs={"rows": 3})


def _coded(entries: Any) -> list[tuple[str, str]]:
    return [(e.code, e.display_label) for e in entries]


def _blank(choices: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    return [("", "—"), *choices]


def document_field() -> forms.TypedChoiceField:
    """A document of the body's register, chosen among those offered: its id, or None."""
    return forms.TypedChoiceField(
        label=_("Document from the register"),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("The body's issued documents you may read, newest first."),
    )


def document_options(documents: list[Any]) -> list[tuple[Any, str]]:
    return _blank([(d.pk, f"{d.symbol} · {d.date:%Y-%m-%d} · {d.title}") for d in documents])


def unit_code_field(label: Any, **kw: Any) -> forms.CharField:
    """A unit's code, typed with the units' lookup (htmx: `orgs:lookup` fills a datalist of
    the cells whose code or name matches)."""
    field = forms.CharField(label=label, required=False, max_length=32, **kw)
    field.lookup = True  # type: ignore[attr-defined]  (read by core/_form_fields.html)
    return field


def _codes(text: str) -> list[str]:
    return [c.strip() for c in (text or "").replace(",", ";").split(";") if c.strip()]


class ProgramForm(forms.Form):
    body_kind = forms.ChoiceField(label=_("Body"))
    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    title = forms.CharField(label=_("Title"), max_length=255)
    document = document_field()

    def __init__(self, *args: Any, rules: InspectionRules, documents: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["body_kind"].choices = _coded(rules.bodies)
        self.fields["document"].choices = document_options(documents)


class ProgramItemForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"))
    subject_unit = unit_code_field(_("Subject unit (code)"))
    subject_text = forms.CharField(
        label=_("Subject as written"),
        required=False,
        max_length=255,
        help_text=_("When the subject is not one unit: the members of the standing committee…"),
    )
    planned_from = forms.DateField(label=_("Planned from"), required=False, widget=DATE)
    planned_to = forms.DateField(label=_("Planned to"), required=False, widget=DATE)

    def __init__(self, *args: Any, rules: InspectionRules, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["kind"].choices = _coded(rules.kinds)


class InspectionForm(forms.Form):
    """A new inspection or supervision: its code, body, kind, decision, period, team (one
    name a line, the leader first) and subjects (unit codes, member numbers)."""

    code = forms.CharField(label=_("Code"), max_length=64)
    body_kind = forms.ChoiceField(label=_("Body"))
    kind = forms.ChoiceField(label=_("Kind"))
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE)
    document = document_field()
    period_from = forms.DateField(label=_("Period inspected from"), required=False, widget=DATE)
    period_to = forms.DateField(label=_("Period inspected to"), required=False, widget=DATE)
    program_item = forms.TypedChoiceField(
        label=_("Program item carried out"), coerce=int, empty_value=None, required=False
    )
    team = forms.CharField(
        label=_("Team"),
        required=False,
        widget=TEXT,
        help_text=_("One name a line; the leader on the first line."),
    )
    subject_units = forms.CharField(
        label=_("Subject units"),
        required=False,
        help_text=_("Unit codes, separated by ;"),
    )
    subject_members = forms.CharField(
        label=_("Subject members"),
        required=False,
        help_text=_("Member numbers (as in the member's page address), separated by ;"),
    )

    def __init__(
        self,
        *args: Any,
        rules: InspectionRules,
        documents: list[Any],
        items: list[Any],
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.fields["body_kind"].choices = _coded(rules.bodies)
        self.fields["kind"].choices = _coded(rules.kinds)
        self.fields["document"].choices = document_options(documents)
        self.fields["program_item"].choices = _blank(
            [
                (i.pk, f"{rules.kind_label(i.kind)} · {i.subject_unit or i.subject_text}")
                for i in items
            ]
        )

    def team_names(self) -> list[str]:
        return [n.strip() for n in self.cleaned_data["team"].splitlines() if n.strip()]

    def unit_codes(self) -> list[str]:
        return _codes(self.cleaned_data["subject_units"])

    def member_ids(self) -> list[str]:
        return _codes(self.cleaned_data["subject_members"])


class SubjectForm(forms.Form):
    """A subject added to an open inspection: a unit below the body (its code) or a member
    of its subtree (the member's external id, or a name picked from the search as it is
    typed); the service says which, and whether it is in the body's remit."""

    unit = unit_code_field(_("Subject unit (code)"))
    member = forms.CharField(
        label=_("Subject member"),
        required=False,
        max_length=255,
        help_text=_("The member's external id, or type a name and pick the member in the list."),
    )

    def __init__(self, *args: Any, member_lookup: str, **kw: Any):
        super().__init__(*args, **kw)
        # The members of the body's subtree whose name matches (htmx, core/_form_fields.html).
        self.fields["member"].lookup_url = member_lookup  # type: ignore[attr-defined]


class StepForm(forms.Form):
    step = forms.ChoiceField(label=_("Step"))
    done_on = forms.DateField(label=_("Done on"), widget=DATE)
    note = forms.CharField(label=_("Note"), required=False, widget=TEXT)

    def __init__(self, *args: Any, steps: list[tuple[str, str]], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["step"].choices = steps


class ConclusionForm(forms.Form):
    """The conclusion: its day, document and summary, and a finding per subject
    (`found_<id>`: yes / no; `kind_<id>`; `text_<id>`)."""

    concluded_on = forms.DateField(label=_("Concluded on"), widget=DATE)
    document = document_field()
    summary = forms.CharField(label=_("Conclusion"), required=False, widget=TEXT)

    def __init__(
        self,
        *args: Any,
        rules: InspectionRules,
        documents: list[Any],
        subjects: list[Any],
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.fields["document"].choices = document_options(documents)
        self.subjects = subjects
        for s in subjects:
            name = str(s.unit or s.member)
            self.fields[f"found_{s.pk}"] = forms.TypedChoiceField(
                label=_("%(subject)s: violation found") % {"subject": name},
                choices=[("no", _("No")), ("yes", _("Yes"))],
                coerce=lambda v: v == "yes",
            )
            self.fields[f"kind_{s.pk}"] = forms.ChoiceField(
                label=_("%(subject)s: kind of violation") % {"subject": name},
                choices=_blank(_coded(rules.violation_kinds)),
                required=False,
            )
            self.fields[f"text_{s.pk}"] = forms.CharField(
                label=_("%(subject)s: findings") % {"subject": name},
                required=False,
                widget=TEXT,
            )

    def findings(self) -> list[tuple[Any, bool, str, str]]:
        d = self.cleaned_data
        return [
            (s, d[f"found_{s.pk}"], d[f"kind_{s.pk}"], d[f"text_{s.pk}"]) for s in self.subjects
        ]


class RecommendationForm(forms.Form):
    text = forms.CharField(label=_("Recommendation"), widget=TEXT)
    subject = forms.TypedChoiceField(
        label=_("About the subject"), coerce=int, empty_value=None, required=False
    )
    owner_unit = unit_code_field(_("Owner (unit code)"))
    owner_text = forms.CharField(label=_("Owner as written"), required=False, max_length=255)
    deadline = forms.DateField(label=_("Deadline"), required=False, widget=DATE)

    def __init__(self, *args: Any, subjects: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["subject"].choices = _blank([(s.pk, str(s.unit or s.member)) for s in subjects])


class FollowUpForm(forms.Form):
    on = forms.DateField(label=_("On"), widget=DATE)
    status = forms.ChoiceField(label=_("Status"), choices=FollowUpStatus.choices)
    note = forms.CharField(label=_("Note"), required=False, widget=TEXT)


class DisciplineForm(forms.Form):
    """A discipline decision: the subject (a member's number or a unit's code), the form, the
    body's organ, the votes, the violation, the document, and what the service asks of the
    member (a post held, a child under the rule set's months)."""

    subject_kind = forms.ChoiceField(label=_("Subject"), choices=SubjectKind.choices)
    member = forms.IntegerField(
        label=_("Member number"), required=False, min_value=1, max_value=2**62
    )
    unit = unit_code_field(_("Organization (unit code)"))
    form = forms.ChoiceField(label=_("Form of discipline"))
    body_kind = forms.ChoiceField(label=_("Deciding organ"))
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE)
    document = document_field()
    document_text = forms.CharField(label=_("Document as written"), required=False, max_length=255)
    violation = forms.CharField(label=_("Violation"), widget=TEXT)
    violation_kind = forms.ChoiceField(label=_("Kind of violation"), required=False)
    violation_on = forms.DateField(label=_("Violation committed on"), widget=DATE)
    duty_related = forms.BooleanField(label=_("Related to the member's duties"), required=False)
    voters_total = forms.IntegerField(
        label=_("Voters"), required=False, min_value=0, max_value=MAX_VOTERS
    )
    votes_for = forms.IntegerField(
        label=_("Votes for this form"), required=False, min_value=0, max_value=MAX_VOTERS
    )
    votes_none = forms.IntegerField(
        label=_("Votes for no discipline"), required=False, min_value=0, max_value=MAX_VOTERS
    )
    proposing_for = forms.IntegerField(
        label=_("Proposing body: votes for (expulsion)"),
        required=False,
        min_value=0,
        max_value=MAX_VOTERS,
    )
    proposing_total = forms.IntegerField(
        label=_("Proposing body: voters (expulsion)"),
        required=False,
        min_value=0,
        max_value=MAX_VOTERS,
    )
    holds_post = forms.TypedChoiceField(
        label=_("The member holds a post"),
        choices=[("", _("As the records say")), ("yes", _("Yes")), ("no", _("No"))],
        coerce=lambda v: v == "yes",
        empty_value=None,
        required=False,
    )
    youngest_child_born_on = forms.DateField(
        label=_("Youngest child born on"),
        required=False,
        widget=DATE,
        help_text=_(
            "For a member raising a young child: the rule set bars a discipline meanwhile."
        ),
    )
    members_to = forms.CharField(
        label=_("Members handed over to (unit code, for a dissolution)"),
        required=False,
        max_length=32,
    )

    def __init__(
        self,
        *args: Any,
        rules: DisciplineRules,
        inspection_rules: InspectionRules,
        documents: list[Any],
        **kw: Any,
    ):
        super().__init__(*args, **kw)
        self.fields["form"].choices = _coded(rules.forms)
        self.fields["body_kind"].choices = _coded(inspection_rules.bodies)
        self.fields["violation_kind"].choices = _blank(_coded(inspection_rules.violation_kinds))
        self.fields["document"].choices = document_options(documents)

    def votes(self) -> dict[str, int] | None:
        d = self.cleaned_data
        if d["votes_for"] is None and d["votes_none"] is None:
            return None
        return {d["form"]: d["votes_for"] or 0, "none": d["votes_none"] or 0}


class AppealForm(forms.Form):
    received_on = forms.DateField(label=_("Decision received on"), widget=DATE)
    lodged_on = forms.DateField(label=_("Lodged on"), widget=DATE)
    body = forms.CharField(label=_("Body deciding the appeal (unit code)"), max_length=32)
    body_kind = forms.ChoiceField(label=_("Deciding organ"))
    document_text = forms.CharField(label=_("Document as written"), required=False, max_length=255)

    def __init__(self, *args: Any, inspection_rules: InspectionRules, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["body_kind"].choices = _coded(inspection_rules.bodies)


class AppealDecisionForm(forms.Form):
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE)
    outcome = forms.ChoiceField(
        label=_("Outcome"),
        choices=[c for c in AppealOutcome.choices if c[0] != AppealOutcome.PENDING],
    )
    new_form = forms.ChoiceField(label=_("New form (when changed)"), required=False)
    document = document_field()
    document_text = forms.CharField(label=_("Document as written"), required=False, max_length=255)
    voters_total = forms.IntegerField(
        label=_("Voters"), required=False, min_value=0, max_value=MAX_VOTERS
    )
    votes_for = forms.IntegerField(
        label=_("Votes for the new form"), required=False, min_value=0, max_value=MAX_VOTERS
    )
    votes_none = forms.IntegerField(
        label=_("Votes for no discipline"), required=False, min_value=0, max_value=MAX_VOTERS
    )

    def __init__(self, *args: Any, rules: DisciplineRules, documents: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["new_form"].choices = _blank(_coded(rules.forms))
        self.fields["document"].choices = document_options(documents)

    def votes(self) -> dict[str, int] | None:
        d = self.cleaned_data
        if d["votes_for"] is None and d["votes_none"] is None:
            return None
        return {d["new_form"] or "none": d["votes_for"] or 0, "none": d["votes_none"] or 0}
