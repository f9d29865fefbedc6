"""The browser's forms of the planning, the confidence votes and the rotation. They parse
input only: the positions are the rule set's (passed in), the steps, purposes and reasons
the app's codes; what may be recorded is the services' check, whose refusal comes back on
the field with the rule's code and source (`planning_views`).

The rows of a round (the people nominated) and of a vote (the counts of each person) are
typed one a line, fields separated by `;`, as the inspections' team is: a page that needs
no script. A person is named by the member's number (as in the dossier's address) or as
the members' lookup writes it ("Name (#number)")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from cadrebook.cadres.choices import NominationStep, PlanningRemovalReason
from cadrebook.cadres.rules import CadreRules
from cadrebook.core.dates import MAX_YEAR, MIN_YEAR
from cadrebook.inspections.forms import document_field, document_options, unit_code_field

DATE = forms.DateInput(attrs={"type": "date"})
LINES = forms.Textarea(attrs={"rows": 4})
MAX_ROWS = 500  # rows of a round or a vote (the API's bound)
MAX_COUNT = 1_000_000
# A member's number, alone or at the end of "Name (#number)".
MEMBER_RE = re.compile(r"^(?:.*\(#)?(\d{1,17})\)?$")


def member_number(text: str) -> int | None:
    """The member's number `text` names ("123" or "Name (#123)"); None: none."""
    found = MEMBER_RE.match(text.strip())
    return int(found.group(1)) if found else None


def _blank(choices: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    return [("", "—"), *choices]


def position_choices(rules: CadreRules) -> list[tuple[str, str]]:
    return [(p.code, p.display_label) for p in rules.positions]


def term_field() -> forms.TypedChoiceField:
    return forms.TypedChoiceField(label=_("Committee term"), coerce=int, empty_value=None)


def term_options(terms: list[Any]) -> list[tuple[Any, str]]:
    return _blank([(t.pk, t.label) for t in terms])


def _offer_terms(form: forms.Form, terms: list[Any]) -> None:
    """The unit's terms to choose from, the latest (first) chosen unless another is."""
    form.fields["term"].choices = term_options(terms)  # type: ignore[attr-defined]
    if terms and not form.is_bound:
        form.initial.setdefault("term", terms[0].pk)


def _split(line: str) -> list[str]:
    return [part.strip() for part in line.split(";")]


def _count(text: str) -> int | None:
    if not text.isdigit() or len(text) > 7:
        return None
    value = int(text)
    return value if value <= MAX_COUNT else None


class _Documented(forms.Form):
    """The decision a record rests on: from the register, or as written."""

    document = document_field()
    document_text = forms.CharField(
        label=_("Decision as written"),
        required=False,
        max_length=255,
        help_text=_("When the register does not hold it: its symbol and date as written."),
    )

    def __init__(self, *args: Any, documents: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        self.fields["document"].choices = document_options(documents)
        # The decision's fields come last, after the record's own.
        self.order_fields([n for n in self.fields if n not in ("document", "document_text")])


@dataclass(frozen=True)
class NominationRow:
    member: int
    position: str
    purpose: str
    votes_for: int


class NominationRoundForm(_Documented):
    """A nomination round: the term, the step, the day, the ballots cast and the people
    nominated, one a line: member; position; purpose (planning or appointment); votes for."""

    term = term_field()
    step = forms.ChoiceField(label=_("Step"), choices=NominationStep.choices)
    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    ballots = forms.IntegerField(label=_("Ballots cast"), min_value=1, max_value=MAX_COUNT)
    nominations = forms.CharField(
        label=_("People nominated"),
        widget=LINES,
    )

    def __init__(self, *args: Any, rules: CadreRules, terms: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        _offer_terms(self, terms)
        codes = ", ".join(p.code for p in rules.positions)
        self.fields["nominations"].help_text = _(
            "One a line: member number; position code; planning or appointment; votes for. "
            "Example: 1234; secretary; planning; 17. Positions: %(codes)s."
        ) % {"codes": codes}

    def clean_nominations(self) -> list[NominationRow]:
        rows = []
        lines = [line for line in self.cleaned_data["nominations"].splitlines() if line.strip()]
        if len(lines) > MAX_ROWS:
            raise forms.ValidationError(_("At most %(max)d lines.") % {"max": MAX_ROWS})
        for number, line in enumerate(lines, 1):
            parts = _split(line)
            member = member_number(parts[0]) if parts else None
            votes = _count(parts[3]) if len(parts) == 4 else None
            if len(parts) != 4 or member is None or votes is None or not parts[1]:
                raise forms.ValidationError(
                    _("Line %(line)d: write member number; position; purpose; votes for.")
                    % {"line": number}
                )
            rows.append(NominationRow(member, parts[1], parts[2], votes))
        if not rows:
            raise forms.ValidationError(_("Name the people nominated."))
        return rows


class PlanningAddForm(_Documented):
    """A person added to the planning of a post, on the competent body's approval."""

    term = term_field()
    position = forms.ChoiceField(label=_("Post planned for"))
    member = forms.CharField(
        label=_("Member"),
        max_length=255,
        help_text=_("The member's number, as in the member's page address."),
    )
    added_on = forms.DateField(label=_("In the planning from"), widget=DATE)

    def __init__(self, *args: Any, rules: CadreRules, terms: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        _offer_terms(self, terms)
        self.fields["position"].choices = _blank(position_choices(rules))
        self.fields["document"].label = _("Approval from the register")
        self.fields["document_text"].label = _("Approval as written")

    def clean_member(self) -> int:
        number = member_number(self.cleaned_data["member"])
        if number is None:
            raise forms.ValidationError(_("Give the member's number."))
        return number


class PlanningRemoveForm(_Documented):
    """A person taken out of the planning: the first day out, the reason, a note."""

    removed_on = forms.DateField(label=_("Out of the planning from"), widget=DATE)
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=_blank(list(PlanningRemovalReason.choices)),  # type: ignore[arg-type]
    )
    note = forms.CharField(
        label=_("Why"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required for the yearly review's and for other reasons."),
    )

    def __init__(self, *args: Any, **kw: Any):
        kw.setdefault("documents", [])
        super().__init__(*args, **kw)


@dataclass(frozen=True)
class ReviewRemoval:
    entry: int
    reason: str
    note: str


@dataclass(frozen=True)
class ReviewAddition:
    member: int
    position: str


class PlanningReviewForm(_Documented):
    """The yearly review: the people taken out (entry number; reason; note) and those
    added (member number; position code), all from the day of the review."""

    term = term_field()
    year = forms.IntegerField(label=_("Year reviewed"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    reviewed_on = forms.DateField(label=_("Reviewed on"), widget=DATE)
    remove = forms.CharField(
        label=_("Taken out"),
        required=False,
        widget=LINES,
        help_text=_(
            "One a line: entry number (shown in the list); reason code; why. Reasons: "
            "review, age_limit, discipline, confidence_vote, appointed, other."
        ),
    )
    add = forms.CharField(
        label=_("Added"),
        required=False,
        widget=LINES,
        help_text=_("One a line: member number; position code."),
    )

    def __init__(self, *args: Any, terms: list[Any], **kw: Any):
        super().__init__(*args, **kw)
        _offer_terms(self, terms)

    def clean_remove(self) -> list[ReviewRemoval]:
        rows = []
        for number, line in enumerate(
            (x for x in self.cleaned_data["remove"].splitlines() if x.strip()), 1
        ):
            parts = _split(line)
            entry = _count(parts[0]) if parts else None
            if entry is None or len(parts) < 2 or len(parts) > 3:
                raise forms.ValidationError(
                    _("Line %(line)d: write entry number; reason; why.") % {"line": number}
                )
            rows.append(ReviewRemoval(entry, parts[1], parts[2] if len(parts) == 3 else ""))
        return rows[: MAX_ROWS + 1]

    def clean_add(self) -> list[ReviewAddition]:
        rows = []
        for number, line in enumerate(
            (x for x in self.cleaned_data["add"].splitlines() if x.strip()), 1
        ):
            parts = _split(line)
            member = member_number(parts[0]) if parts else None
            if member is None or len(parts) != 2 or not parts[1]:
                raise forms.ValidationError(
                    _("Line %(line)d: write member number; position.") % {"line": number}
                )
            rows.append(ReviewAddition(member, parts[1]))
        return rows[: MAX_ROWS + 1]


@dataclass(frozen=True)
class CountsRow:
    member: int
    high: int
    confidence: int
    low: int


class ConfidenceForm(_Documented):
    """A confidence vote: the day, those summoned and present, and per person voted on
    only the counts of ballots (member; high; confidence; low): never who voted how."""

    held_on = forms.DateField(label=_("Held on"), widget=DATE)
    summoned = forms.IntegerField(label=_("Summoned"), min_value=0, max_value=MAX_COUNT)
    present = forms.IntegerField(label=_("Present"), min_value=0, max_value=MAX_COUNT)
    results = forms.CharField(
        label=_("Counts of each person"),
        widget=LINES,
        help_text=_(
            "One a line: member number; high confidence; confidence; low confidence. "
            "Only the counts: who voted how is never recorded."
        ),
    )

    def clean_results(self) -> list[CountsRow]:
        rows = []
        lines = [line for line in self.cleaned_data["results"].splitlines() if line.strip()]
        if len(lines) > MAX_ROWS:
            raise forms.ValidationError(_("At most %(max)d lines.") % {"max": MAX_ROWS})
        for number, line in enumerate(lines, 1):
            parts = _split(line)
            member = member_number(parts[0]) if parts else None
            counts = [_count(p) for p in parts[1:]]
            if member is None or len(counts) != 3 or None in counts:
                raise forms.ValidationError(
                    _("Line %(line)d: write member number; high; confidence; low.")
                    % {"line": number}
                )
            high, confidence, low = counts
            assert high is not None and confidence is not None and low is not None
            rows.append(CountsRow(member, high, confidence, low))
        if not rows:
            raise forms.ValidationError(_("Give the counts of each person."))
        return rows


class RotationPlanForm(_Documented):
    """A unit's rotation plan for a year, on its decision."""

    year = forms.IntegerField(label=_("Year"), min_value=MIN_YEAR, max_value=MAX_YEAR)
    decided_on = forms.DateField(label=_("Decided on"), widget=DATE)


class StintForm(forms.Form):
    """A stint of a plan: who, to which post of which unit, from when, until when."""

    member = forms.CharField(
        label=_("Member"),
        max_length=255,
        help_text=_("The member's number; rotated from the highest post held on the start."),
    )
    to_unit = unit_code_field(_("To unit (code)"))
    to_position = forms.ChoiceField(label=_("To post"))
    planned_start = forms.DateField(label=_("Planned start"), widget=DATE)
    planned_end = forms.DateField(
        label=_("Planned end"),
        required=False,
        widget=DATE,
        help_text=_("Empty: the start plus the rule set's shortest stint."),
    )

    def __init__(self, *args: Any, rules: CadreRules, **kw: Any):
        super().__init__(*args, **kw)
        self.fields["to_unit"].required = True
        self.fields["to_position"].choices = _blank(position_choices(rules))

    def clean_member(self) -> int:
        number = member_number(self.cleaned_data["member"])
        if number is None:
            raise forms.ValidationError(_("Give the member's number."))
        return number


class StintEndForm(_Documented):
    """The end of a stint: its last day, a note, the decision."""

    ended_on = forms.DateField(label=_("Last day"), widget=DATE)
    note = forms.CharField(
        label=_("Note"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kw: Any):
        kw.setdefault("documents", [])
        super().__init__(*args, **kw)
