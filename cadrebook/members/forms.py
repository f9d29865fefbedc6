"""Forms of the member workflows: one form class, shaped by the action it serves."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cadrebook.core.dates import implausible_year
from cadrebook.core.errors import RuleViolation
from cadrebook.core.forms import add_refusal
from cadrebook.core.rules import current_ruleset
from cadrebook.members.actions import VOTE, Action
from cadrebook.members.lifecycle import EventData, check_paperwork
from cadrebook.members.models import Member
from cadrebook.members.services import PERSONAL_FIELDS
from cadrebook.orgs.models import OrgUnit

HELP = {
    "document": _(
        "The number of the deciding document, e.g. 28-NQ/TU: linked to the register when "
        "it names a registered document; otherwise kept as written."
    ),
    "to_unit": _("The code of the receiving cell; leave empty for a transfer out of Cadrebook."),
    "destination": _("Only for a transfer out of Cadrebook: the receiving organization."),
    "host": _("The code of the cell that hosts the member for the time being."),
    "card_number": _("As printed on the card, e.g. 01.234567."),
}


class ActionForm(forms.Form):
    """The fields an action asks for (`Action.fields`); the rule checks are the services'."""

    date = forms.DateField(label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}))
    document = forms.CharField(label=_("Document"), max_length=64, required=False)
    reason = forms.CharField(
        label=_("Reason"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    to_unit = forms.CharField(label=_("Receiving unit"), max_length=64, required=False)
    destination = forms.CharField(
        label=_("Destination outside Cadrebook"), max_length=255, required=False
    )
    host = forms.CharField(label=_("Host unit"), max_length=64)
    card_number = forms.CharField(label=_("Member card number"), max_length=20)
    moved_on = forms.DateField(
        label=_("Moved on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "When the member changed job or residence, if known: the transfer should "
            "start within the rule set's working days of it."
        ),
    )

    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_(
            "The day the temporary transfer ends; the rule set bounds its length (longer "
            "for study)."
        ),
    )
    for_study = forms.BooleanField(label=_("For study"), required=False)
    votes_for = forms.IntegerField(label=_("Votes in favour"), required=False, min_value=0)
    votes_against = forms.IntegerField(label=_("Votes against"), required=False, min_value=0)
    full_members = forms.IntegerField(
        label=_("Full members of the cell"),
        required=False,
        min_value=1,
        help_text=_("The cell's full members when it voted: the rule set's share is of them."),
    )
    taken_over = forms.BooleanField(
        label=_("Taken over from earlier records"),
        required=False,
        help_text=_(
            "A decision made before Cadrebook, copied from the old files: it is recorded as "
            "taken over, and what those files lack (document, reason, vote) is not asked for."
        ),
    )

    def __init__(self, action: Action, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.action = action
        for name in list(self.fields):
            if name not in action.fields and not (name == "taken_over" and action.event):
                del self.fields[name]
        for name, text in HELP.items():
            if name in self.fields:
                self.fields[name].help_text = text

    def _unit(self, name: str) -> OrgUnit | None:
        code = (self.cleaned_data.get(name) or "").strip()
        if not code:
            return None
        unit = OrgUnit.objects.filter(code=code).first()
        if unit is None:
            self.add_error(name, _("No unit has the code %(code)s.") % {"code": code})
        return unit

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name in ("date", "moved_on", "until"):
            # The services' and the API's words for a typing error, asked before the
            # confirmation step (moved_on never reaches a service).
            day = data.get(name)
            if day and (message := implausible_year(day)):
                self.add_error(name, message)
        if "to_unit" in self.fields:
            unit = self._unit("to_unit")
            destination = (data.get("destination") or "").strip()
            if unit is None and not destination and not self.errors.get("to_unit"):
                self.add_error(
                    "to_unit", _("Give the receiving unit, or a destination outside Cadrebook.")
                )
            if unit is not None and destination:
                self.add_error(
                    "destination",
                    _("A transfer goes to a unit of Cadrebook or outside it, not both."),
                )
            data["to_unit"] = unit
        if "host" in self.fields:
            data["host"] = self._unit("host")
        self._check_paperwork(data)
        return data

    def _check_paperwork(self, data: dict[str, Any]) -> None:
        """The service's own check of the document and reason (from the rule set), asked
        before the confirmation step rather than after it."""
        if not self.action.event or not data.get("date"):
            return
        event = EventData(
            type=self.action.event,
            date=data["date"],
            document=data.get("document") or "",
            reason=data.get("reason") or "",
            taken_over=bool(data.get("taken_over")),
        )
        try:
            check_paperwork(event, rules=current_ruleset())
        except RuleViolation as exc:
            add_refusal(self, exc)

    def service_arguments(self) -> dict[str, Any]:
        """The keyword arguments of the action's service."""
        data = self.cleaned_data
        kwargs: dict[str, Any] = {}
        for name in ("date", "card_number"):
            if name in self.fields:
                kwargs[name] = data[name]
        for name in ("document", "reason", "destination"):  # moved_on is the view's
            if name in self.fields:
                kwargs[name] = data.get(name) or ""
        if "to_unit" in self.fields:
            kwargs["to_unit"] = data.get("to_unit")
        if "host" in self.fields:
            kwargs["host"] = data["host"]
        if "taken_over" in self.fields:
            kwargs["taken_over"] = bool(data.get("taken_over"))
        if "until" in self.fields:
            kwargs["until"] = data.get("until")
        if "for_study" in self.fields:
            kwargs["for_study"] = bool(data.get("for_study"))
        for name in VOTE:
            if name in self.fields:
                kwargs[name] = data.get(name)
        return kwargs


# Personal data is what the service may change, in its order.
EDITABLE = PERSONAL_FIELDS


class PersonalDataForm(forms.ModelForm):
    """Personal data as the editor read it (`version`, `original`) and as they changed it;
    only the fields they changed are sent to the service, so a conflict is per field."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    original = forms.CharField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Member
        fields = EDITABLE
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.visible_fields():
            css = "form-select" if isinstance(field.field.widget, forms.Select) else "form-control"
            field.field.widget.attrs.setdefault("class", css)
        if not self.is_bound and self.instance.pk:
            self.initial["version"] = self.instance.version
            self.initial["original"] = json.dumps(values_of(self.instance))

    def _post_clean(self) -> None:
        pass  # the service validates and saves; the instance stays as it was read

    def read_values(self) -> dict[str, str]:
        """The values the editor started from."""
        try:
            data = json.loads(self.cleaned_data.get("original") or "{}")
        except ValueError:
            data = {}
        return {k: str(v) for k, v in data.items() if k in EDITABLE}

    def changed_values(self) -> dict[str, Any]:
        """The fields the editor changed, with their new values."""
        read = self.read_values()
        return {
            name: self.cleaned_data[name]
            for name in EDITABLE
            if as_text(self.cleaned_data.get(name)) != read.get(name, "")
        }


def as_text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def values_of(member: Member) -> dict[str, str]:
    """A member's personal data as text, as the edit form carries it."""
    return {name: as_text(getattr(member, name)) for name in EDITABLE}


SPONSOR_RE = re.compile(r"#(\d+)\)?\s*$")


class RegisterForm(forms.ModelForm):
    """A new applicant: personal data, the registration date and document, and the
    sponsors (as many as the rule set asks for), chosen by name from the full members the
    officer can see; the lookup fills in "Name (#id)"."""

    date = forms.DateField(
        label=_("Registered on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    document = forms.CharField(label=_("Document"), max_length=64, required=False)

    class Meta:
        model = Member
        fields = EDITABLE
        widgets = {"birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: Any, user: Any, sponsors: int, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"date": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["birth_date"].required = True
        for i in range(1, sponsors + 1):
            self.fields[f"sponsor_{i}"] = forms.CharField(
                label=_("Sponsor %(n)s") % {"n": i},
                max_length=300,
                help_text=_("Type a name and choose a full member from the list."),
            )
        for field in self.visible_fields():
            css = "form-select" if isinstance(field.field.widget, forms.Select) else "form-control"
            field.field.widget.attrs.setdefault("class", css)

    def _post_clean(self) -> None:
        pass  # the service validates and saves

    def sponsor_names(self) -> list[str]:
        return [name for name in self.fields if name.startswith("sponsor_")]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        visible = Member.objects.visible_to(self.user)
        sponsors = []
        for name in self.sponsor_names():
            text = (data.get(name) or "").strip()
            if not text:
                continue
            match = SPONSOR_RE.search(text)
            member = visible.filter(pk=int(match.group(1))).first() if match else None
            if member is None:
                self.add_error(name, _("Choose a member from the list that appears as you type."))
            else:
                sponsors.append(member)
        data["sponsors"] = sponsors
        return data

    def personal_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data.get(name) for name in EDITABLE}


class CorrectionForm(forms.Form):
    """Correct a mistaken event: void it, or restate its date; always with a reason."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("date", "reason", "document"):
            self.fields[name].widget.attrs.setdefault("class", "form-control")

    what = forms.ChoiceField(
        label=_("Correction"),
        choices=[
            ("date", _("The event happened on another date")),
            ("void", _("The event did not happen")),
        ],
        widget=forms.RadioSelect,
    )
    date = forms.DateField(
        label=_("Right date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )
    document = forms.CharField(label=_("Document"), max_length=64, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("what") == "date" and not data.get("date"):
            self.add_error("date", _("Give the date on which the event happened."))
        return data
