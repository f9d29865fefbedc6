"""A service's refusal on the browser's form: next to the field at fault.

Services refuse with a `ServiceError` naming the field it concerns (`core/errors.py`); the
API answers it as it is, the import puts it on the row's column, and a form shows it here, so
every page that calls a service says the same thing in the same place.
"""

from __future__ import annotations

from collections.abc import Mapping

from django import forms
from django.utils.translation import gettext as _

from cadrebook.core.errors import RuleViolation, ServiceError


def refusal_text(exc: ServiceError) -> str:
    """A service's refusal as the browser shows it: its message, and the regulation a rule
    comes from."""
    if isinstance(exc, RuleViolation) and exc.source:
        return _("%(message)s (%(source)s)") % {"message": exc.message, "source": exc.source}
    return str(exc.message)


def add_refusal(
    form: forms.BaseForm, exc: ServiceError, fields: Mapping[str, str | None] | None = None
) -> None:
    """Put the refusal `exc` on `form`: on the field the service names when the form has it,
    else as an error of the whole form. `fields` maps the service's field names to the
    form's where they differ (None: the whole form)."""
    name = exc.field
    if fields is not None and exc.field is not None and exc.field in fields:
        name = fields[exc.field]
    form.add_error(name if name in form.fields else None, refusal_text(exc))
