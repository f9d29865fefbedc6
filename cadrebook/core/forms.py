"""A service's refusal on the browser's form: next to the field at fault.

Services refuse with a `ServiceError` naming the field it concerns (`core/errors.py`); the
API answers it as it is, the import puts it on the row's column, and a form shows it here, so
every page that calls a service says the same thing in the same place. `submit` is the
check-your-answers step every page with a confirmation shares.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.db import models
from django.http import HttpRequest
from django.utils.translation import gettext as _

from cadrebook.core.dry_run import refusal_of
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


@dataclass(frozen=True)
class Submitted:
    """What became of a submitted form: the service ran (`done`, with its `result`), or the
    answers wait for confirmation (`confirming`), or the refusal is on the form (neither)."""

    done: bool = False
    confirming: bool = False
    result: Any = None

    @property
    def status(self) -> int:
        """The page's status when it is shown again: 422 for a refusal, 200 to confirm."""
        return 200 if self.confirming else 422


def submit(
    request: HttpRequest,
    form: forms.BaseForm,
    run: Callable[[], Any],
    *,
    confirm: bool = True,
    confirmed: bool | None = None,
    touched: tuple[models.Model, ...] = (),
    fields: Mapping[str, str | None] | None = None,
) -> Submitted:
    """The browser's check-your-answers step around a service call, for a valid `form`.

    With `confirm` (a destructive action), the first submission only asks the service
    (`refusal_of`, nothing kept): a refusal comes now, on its field, and an accepted request
    is shown back to be confirmed; the confirmed submission (`confirmed=yes`) runs it. A
    refusal at any step goes on the form (`add_refusal`, with `fields`). `confirmed` overrides
    what the submission says (False: ask again, the answers have changed since).
    """
    if confirmed is None:
        confirmed = request.POST.get("confirmed") == "yes"
    if confirm and not confirmed:
        refused = refusal_of(run, touched=touched)
        if refused is None:
            return Submitted(confirming=True)
        add_refusal(form, refused, fields)
        return Submitted()
    try:
        result = run()
    except ServiceError as exc:
        add_refusal(form, exc, fields)
        return Submitted()
    return Submitted(done=True, result=result)
