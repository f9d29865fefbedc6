"""A service's refusal on a form (core.forms): on the field at fault, naming the rule's source."""

from __future__ import annotations

from django import forms

from cadrebook.core.errors import RuleViolation, ServiceError
from cadrebook.core.forms import add_refusal, refusal_text


class DateForm(forms.Form):
    date = forms.DateField()
    document = forms.CharField(required=False)


def refused_form(exc: ServiceError, fields=None) -> DateForm:
    form = DateForm({"date": "2025-01-10"})
    assert form.is_valid()
    add_refusal(form, exc, fields)
    return form


def test_a_refusal_goes_on_the_field_it_names():
    form = refused_form(ServiceError("event.in_future", "In the future.", field="date"))
    assert form.errors == {"date": ["In the future."]}


def test_a_refusal_of_a_field_the_form_lacks_concerns_the_whole_form():
    form = refused_form(ServiceError("unit.not_active", "Not active.", field="unit"))
    assert form.non_field_errors() == ["Not active."]
    form = refused_form(ServiceError("member.gone", "Gone."))
    assert form.non_field_errors() == ["Gone."]


def test_a_rule_s_refusal_names_the_regulation_it_comes_from():
    exc = RuleViolation("event.document_missing", "Give the document.", source="Rule 5", field="x")
    assert refusal_text(exc) == "Give the document. (Rule 5)"
    assert refused_form(exc).non_field_errors() == ["Give the document. (Rule 5)"]
    assert refusal_text(RuleViolation("r", "No source.")) == "No source."


def test_the_service_s_field_names_can_be_mapped_to_the_form_s():
    exc = ServiceError("token.expired", "Not in the future.", field="expires_at")
    assert refused_form(exc, {"expires_at": "date"}).errors == {"date": ["Not in the future."]}
    exc = ServiceError("unit.not_active", "Not active.", field="document")
    assert refused_form(exc, {"document": None}).non_field_errors() == ["Not active."]
